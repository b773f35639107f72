"""The C SDK: headers compile on their own, the adaptive integrator is accurate."""
import math
import subprocess

import pytest

from spinnframe.sdk import include_dir, kernel_abi_version
from spinnframe_host.compiler import compiler

HERE = __import__("pathlib").Path(__file__).parent


def test_kernel_abi_version_is_read_from_the_header():
    assert kernel_abi_version() == 1


@pytest.fixture(scope="module")
def ode_output(tmp_path_factory):
    exe = tmp_path_factory.mktemp("ode") / "ode_check"
    subprocess.run(compiler() + ["-std=gnu99", "-O2", "-Wall", "-Werror", "-I", str(include_dir()),
                                 "-o", str(exe), str(HERE / "c" / "ode_check.c"), "-lm"],
                   check=True)
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    return {line.split()[0]: [float(x) for x in line.split()[1:]] for line in out.splitlines()}


def test_rkf45_exponential_decay(ode_output):
    value, steps = ode_output["decay"]
    assert abs(value - math.exp(-1.0)) < 1e-9
    assert steps >= 10


def test_rkf45_oscillator_with_yp_control(ode_output):
    x, v, h = ode_output["oscillator"]
    assert abs(x - math.cos(2.0 * 5.0)) < 1e-6
    assert abs(v + 2.0 * math.sin(2.0 * 5.0)) < 1e-6
    assert 0 < h <= 0.05 * 5


def test_rkf45_reports_a_state_that_stops_being_finite(ode_output):
    rc, finite = ode_output["blowup"]
    assert rc == -1 and finite == 1      # reported, and the last finite state kept
