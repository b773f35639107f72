"""`import spinnframe.pyNN` stays light: no plugin code, no matplotlib (csa, which
pyNN.connectors imports when it is installed, would load it: spinnframe._deferred)."""
from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_import_loads_neither_matplotlib_nor_plugins():
    got = _run("import sys, spinnframe.pyNN\n"
               "print(sorted(m for m in ('matplotlib', 'matplotlib.pyplot', 'spinnframe_host',"
               " 'spinnframe_spinnaker') if m in sys.modules))")
    assert got == "[]"


@pytest.mark.skipif(importlib.util.find_spec("csa") is None, reason="csa is not installed")
def test_csa_loads_when_used():
    got = _run("import sys, spinnframe.pyNN as sim\n"
               "import csa\n"
               "before = 'csa.plot' in sys.modules\n"
               "sim.setup()\n"
               "a = sim.Population(4, sim.IF_curr_exp()); b = sim.Population(4, sim.IF_curr_exp())\n"
               "p = sim.Projection(a, b, sim.CSAConnector(csa.oneToOne))\n"
               "print(before, len(p), 'csa.plot' in sys.modules)")
    assert got == "False 4 True"
