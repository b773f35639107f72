"""How the host engine runs its threads' parts (engine.h, sf_engine_set_thread_mode).

With threads > 1 the rows, bins and neuron ranges are laid out in one part per thread; the
parts run either on their threads (parallel) or one after another on one thread (no
barriers), and by default the engine times both and runs the faster. Every way must give
the same results to the last bit, whatever the synapse kinds, bins, or changes of way
between runs with spikes in flight. (Bad settings of the option: tests/test_event_bins.py.)
"""
from __future__ import annotations

import pytest

import spinnframe.pyNN as sim
from spinnframe.simulator import state
from test_event_bins import _network, _results, _same

STEPS = 1500


@pytest.fixture(scope="module")
def reference():
    """One thread, ring buffers only."""
    pops, prjs = _network(1, False)
    try:
        sim.run(STEPS * 0.1)
        return _results(pops, prjs)
    finally:
        sim.end()


@pytest.mark.parametrize("bins", [False, True])
@pytest.mark.parametrize("parallel", [True, False, "auto"])
@pytest.mark.parametrize("threads", [2, 3])
def test_every_way_gives_bitwise_the_same_results(reference, threads, parallel, bins):
    pops, prjs = _network(threads, bins, parallel=parallel)
    try:
        sim.run(STEPS * 0.1)
        prof = state.backend.profile()
        got = _results(pops, prjs)
    finally:
        sim.end()
    assert len(prof["threads"]) == threads
    assert prof["parallel_steps"] + prof["serial_steps"] == STEPS
    if parallel is True:
        assert prof["serial_steps"] == 0
    elif parallel is False:
        assert prof["parallel_steps"] == 0
        assert all(t["wait"] == 0.0 for t in prof["threads"])     # no barrier at all
    else:
        assert prof["parallel_steps"] >= 16      # the adaptive mode probes parallel first
    assert sum(len(x) for x in reference[1::2][:2]) > 100          # the network does fire
    _same(reference, got)


def test_changing_the_way_between_runs_keeps_spikes_in_flight(reference):
    pops, prjs = _network(2, True)
    try:
        for mode in (1, 2, 0, 2, 1):
            sim.run(STEPS * 0.1 / 5)
            lib, eng = state.backend.lib, state.backend.engine
            assert lib.sf_engine_set_thread_mode(eng, mode) == 0
        assert lib.sf_engine_set_thread_mode(eng, 3) != 0        # not a mode
        got = _results(pops, prjs)
    finally:
        sim.end()
    _same(reference, got)


def test_environment_chooses_the_way(monkeypatch):
    monkeypatch.setenv("SPINNFRAME_PARALLEL", "0")
    pops, prjs = _network(2, False)
    try:
        sim.run(20.0)
        prof = state.backend.profile()
        assert prof["parallel_steps"] == 0 and prof["serial_steps"] == 200
        assert "one after another 200" in state.backend.profile_report()
    finally:
        sim.end()


def test_more_threads_than_cpus_warns(monkeypatch):
    """Eight threads where the process may use two CPUs: a warning at the first run (the
    adaptive mode will then mostly run the parts one after another: VA CUBA 4000 on this
    2-CPU machine took 0.79 s with 8 threads forced parallel, 0.07 s adaptive)."""
    from spinnframe_host import engine as host_engine
    monkeypatch.setattr(host_engine, "usable_cpus", lambda: 2)
    pops, prjs = _network(8, False)
    try:
        with pytest.warns(UserWarning, match=r"setup\(threads=8\) on a machine that gives "
                                             r"this process 2 CPU\(s\)"):
            sim.run(1.0)
        assert state.backend.threads == 8
    finally:
        sim.end()


SHORT_TEAM = """
import json, sys
sys.path.insert(0, {tests!r})
import spinnframe.pyNN as sim
from test_event_bins import _network
out = []
for threads, parallel in ((1, "auto"), (2, True), (3, True)):
    pops, prjs = _network(threads, False, parallel=parallel)
    sim.run(60.0)
    out.append([[float(t) for st in p.get_data("spikes").segments[0].spiketrains for t in st]
                for p in pops])
    sim.end()
print(json.dumps(out))
"""


def test_a_smaller_openmp_team_still_runs_every_part(tmp_path):
    """OMP_THREAD_LIMIT=1 gives the parallel region one thread where the engine laid out two
    or three parts: the parts then run one after another (without that, the parts of the
    missing threads would never be updated or delivered)."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path
    env = dict(os.environ, OMP_THREAD_LIMIT="1", PYTHONWARNINGS="ignore")
    script = SHORT_TEAM.format(tests=str(Path(__file__).parent))
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    one, two, three = json.loads(run.stdout.strip().splitlines()[-1])
    assert sum(len(p) for p in one) > 50
    assert two == one and three == one
