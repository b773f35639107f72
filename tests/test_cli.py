"""`spinnframe new-model`: the generated package installs with pip, is discovered, and its
own tests pass out of the box; names that cannot be cell types, or are taken, are refused
with a message that says why."""
from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from spinnframe import cli
from spinnframe.cli import main, new_model_files, snake_case


def spinnframe(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "spinnframe.cli", *args], capture_output=True,
                          text=True, cwd=cwd, env=env)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """`spinnframe new-model LeakyNeuron`, then a plain (not editable) pip install of it
    into a folder put on PYTHONPATH."""
    tmp = tmp_path_factory.mktemp("new_model")
    out = spinnframe("new-model", "LeakyNeuron", "--dir", str(tmp / "work"))
    assert out.returncode == 0, out.stderr
    pkg = tmp / "work" / "spinnframe-leaky-neuron"
    files = sorted(str(p.relative_to(pkg)) for p in pkg.rglob("*") if p.is_file())
    site = tmp / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                           "--target", str(site), str(pkg)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(site)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    return pkg, site, env, out.stdout, files


def test_new_model_writes_a_complete_package(generated):
    pkg, _, _, stdout, files = generated       # as written, before pip built it
    assert files == [".gitignore", "README.md", "pyproject.toml",
                     "spinnframe_leaky_neuron/__init__.py",
                     "spinnframe_leaky_neuron/leaky_neuron.c",
                     "tests/test_leaky_neuron.py"]
    meta = tomllib.loads((pkg / "pyproject.toml").read_text())
    assert meta["project"]["name"] == "spinnframe-leaky-neuron"
    assert meta["project"]["entry-points"]["spinnframe"] == {
        "leaky_neuron": "spinnframe_leaky_neuron"}
    assert meta["tool"]["setuptools"]["package-data"]["spinnframe_leaky_neuron"] == [
        "*.c", "*.h"]
    assert any(d.startswith("spinnframe>=") for d in meta["project"]["dependencies"])
    for py in pkg.rglob("*.py"):
        ast.parse(py.read_text())          # valid Python
    assert "pip install -e" in stdout and "pytest" in stdout
    readme = (pkg / "README.md").read_text()
    assert "sim.LeakyNeuron(" in readme and "python -m build" in readme


def test_generated_package_is_discovered_after_pip_install(generated):
    _, site, env, _, _ = generated
    assert (site / "spinnframe_leaky_neuron" / "leaky_neuron.c").is_file()
    out = spinnframe("plugins", "--json", env=env)
    assert out.returncode == 0, out.stderr
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    assert rows["leaky_neuron"] == {"name": "leaky_neuron", "version": "0.1.0",
                                    "kind": "neuron models",
                                    "provides": "neuron models: LeakyNeuron",
                                    "distribution": "spinnframe-leaky-neuron"}


def test_generated_tests_pass_out_of_the_box(generated, tmp_path):
    pkg, _, env, _, _ = generated
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          str(pkg / "tests")], capture_output=True, text=True, env=env,
                         cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "5 passed" in run.stdout


def test_generated_model_runs_records_and_clashes_once_installed(generated):
    _, _, env, _, _ = generated
    script = ("import spinnframe.pyNN as sim\n"
              "sim.setup(timestep=0.1)\n"
              "p = sim.Population(4, sim.LeakyNeuron(i_offset=1.0))\n"
              "p.record(['v', 'spikes'])\n"
              "sim.run(100.0)\n"
              "seg = p.get_data().segments[0]\n"
              "print(seg.filter(name='v')[0].shape, sum(len(s) for s in seg.spiketrains))\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env)
    assert run.returncode == 0, run.stderr
    shape, spikes = run.stdout.strip().rsplit(" ", 1)
    assert shape == "(1001, 4)" and int(spikes) > 0
    # now that it is installed, the name is taken
    out = spinnframe("new-model", "LeakyNeuron", "--dir", str(generated[0].parent / "again"),
                     env=env)
    assert out.returncode == 2
    assert "'LeakyNeuron' is already taken" in out.stderr
    assert "plugin 'leaky_neuron', distribution spinnframe-leaky-neuron" in out.stderr


@pytest.mark.parametrize("name, message", [
    ("leaky", "must be a Python identifier that starts with an upper-case letter"),
    ("2Fast", "must be a Python identifier"),
    ("My-Model", "must be a Python identifier"),
    ("Naïve", "ASCII letters"),
    ("None", "is a Python keyword"),
    ("IF_curr_exp", "already taken: it is a neuron model provided by the installed plugin "
                    "'if_curr_exp'"),
    ("DCSource", "already taken: it is a current source"),
    ("IF_facets_hardware1", "PyNN standard cell type"),
    ("Population", "a name in spinnframe.pyNN"),
])
def test_bad_names_are_refused_with_a_reason(tmp_path, capsys, name, message):
    assert main(["new-model", name, "--dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert not any(tmp_path.iterdir())                 # nothing written


def test_existing_destination_is_not_overwritten(tmp_path, capsys):
    dest = tmp_path / "spinnframe-my-model"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    assert main(["new-model", "MyModel", "--dir", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (dest / "keep.txt").read_text() == "mine" and len(list(dest.iterdir())) == 1


def test_names_of_package_module_and_entry_point():
    assert snake_case("LeakyNeuron") == "leaky_neuron"
    assert snake_case("AdaptiveIF_curr_exp") == "adaptive_if_curr_exp"
    assert snake_case("MyLIF") == "my_lif"
    assert snake_case("HH2") == "hh2"
    files = new_model_files("MyLIF")
    assert "spinnframe_my_lif/my_lif.c" in files
    assert 'name="MyLIF"' in files["spinnframe_my_lif/__init__.py"]
    assert not any("{{" in text for text in files.values())      # every field filled in
    assert cli._kernel_abi() == 1 and "SF_KERNEL_ABI_VERSION != 1" in files[
        "spinnframe_my_lif/my_lif.c"]


def test_help_lists_new_model():
    out = spinnframe("--help")
    assert "new-model" in out.stdout and "plugins" in out.stdout
    out = spinnframe("new-model", "--help")
    assert "--dir" in out.stdout


def test_doctor_checks_the_installation(tmp_path):
    out = subprocess.run([sys.executable, "-m", "spinnframe.cli", "doctor", "--cache-dir",
                          str(tmp_path), "--rebuild"], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("[ok] plugins:") and "cell types" in lines[0]
    assert any(l.startswith("[ok] C compiler:") and "instruction set" in l or
               l.startswith("[ok] C compiler:") and "-march=native" in l for l in lines)
    assert any("last-level cache" in l and "MiB: spike delivery collects events in bins"
               in l for l in lines)
    assert any(l.startswith("[ok] kernel cache: " + str(tmp_path)) for l in lines)
    assert "[ok] host engine builds and loads" in lines
    assert lines[-1] == "all checks passed"


def test_doctor_reports_the_arm_cross_compiler(tmp_path):
    """Found: its path and version; missing (an empty PATH): optional, says how to get it,
    and is not counted as a failure."""
    out = subprocess.run([sys.executable, "-m", "spinnframe.cli", "doctor", "--cache-dir",
                          str(tmp_path)], capture_output=True, text=True)
    arm = shutil.which("arm-none-eabi-gcc")
    line = next(l for l in out.stdout.splitlines() if "ARM cross-compiler" in l)
    if arm:
        assert line.startswith(f"[ok] ARM cross-compiler: {arm} ")
    env = dict(os.environ, PATH=str(tmp_path), CC=shutil.which("cc") or "cc")
    out = subprocess.run([sys.executable, "-m", "spinnframe.cli", "doctor", "--cache-dir",
                          str(tmp_path)], capture_output=True, text=True, env=env)
    line = next(l for l in out.stdout.splitlines() if "ARM cross-compiler" in l)
    assert line.startswith("[--] ARM cross-compiler: not found (optional")
    assert "apt-get install gcc-arm-none-eabi" in line


def test_doctor_reports_a_broken_compiler(tmp_path):
    env = dict(os.environ, CC="/nonexistent/cc")
    out = subprocess.run([sys.executable, "-m", "spinnframe.cli", "doctor", "--cache-dir",
                          str(tmp_path), "--rebuild"], capture_output=True, text=True, env=env)
    assert out.returncode == 1
    assert "[FAIL] host engine" in out.stdout and "/nonexistent/cc" in out.stdout
    assert out.stdout.strip().endswith("check(s) failed")
