"""The simulator lifecycle: before setup(), after end(), across setup() calls, during run()."""
import subprocess
import sys
import textwrap
import threading
import warnings

import numpy as np
import pytest

import spinnframe.pyNN as sim
from spinnframe import runner
from spinnframe.errors import (SimulatorNotSetupException, SimulatorRunningException,
                               SimulatorShutdownException)
from spinnframe.simulator import state


@pytest.fixture(autouse=True)
def simulation():
    sim.setup(timestep=0.1)
    yield
    if state.phase == "setup":
        sim.end()


def test_calls_before_setup_raise_not_setup():
    # a fresh interpreter: nothing has called setup() yet
    script = textwrap.dedent("""
        import spinnframe.pyNN as sim
        calls = {
            "Population": lambda: sim.Population(2, sim.IF_curr_exp()),
            "Projection": lambda: sim.Projection(None, None, sim.AllToAllConnector()),
            "Assembly": lambda: sim.Assembly(),
            "run": lambda: sim.run(1.0),
            "run_until": lambda: sim.run_until(1.0),
            "reset": lambda: sim.reset(),
            "end": lambda: sim.end(),
            "get_time_step": lambda: sim.get_time_step(),
            "get_current_time": lambda: sim.get_current_time(),
            "get_min_delay": lambda: sim.get_min_delay(),
        }
        for name, call in calls.items():
            try:
                call()
                print(name, "no error")
            except Exception as exc:
                print(name, type(exc).__name__, "setup()" in str(exc))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60, check=True).stdout.split("\n")
    results = dict(line.split(" ", 1) for line in out if line)
    assert len(results) == 10
    for name, result in results.items():
        assert result == "SimulatorNotSetupException True", name


def _network():
    p = sim.Population(3, sim.IF_curr_exp(i_offset=2.0), label="p")
    q = sim.Population(2, sim.IF_curr_exp(), label="q")
    p.record("spikes")
    return p, q


def _calls(p, q, view, cell, assembly):
    return {
        "p.set": lambda: p.set(tau_m=10.0),
        "p.get": lambda: p.get("tau_m"),
        "p.initialize": lambda: p.initialize(v=-60.0),
        "p.set_state": lambda: p.set_state(v=-60.0),
        "p.initial_values": lambda: p.initial_values,
        "p.current_values": lambda: p.current_values,
        "p.record": lambda: p.record("v"),
        "p.get_data": lambda: p.get_data(),
        "p.write_data": lambda: p.write_data("never-written.pkl"),
        "p.get_spike_counts": lambda: p.get_spike_counts(),
        "p.mean_spike_count": lambda: p.mean_spike_count(),
        "p.spinnaker_get_data": lambda: p.spinnaker_get_data("spikes"),
        "p.add_placement_constraint": lambda: p.add_placement_constraint(0, 0),
        "p.set_max_atoms_per_core": lambda: p.set_max_atoms_per_core(8),
        "p.inject": lambda: p.inject(object()),
        "p.sample": lambda: p.sample(1),
        "p[0:2]": lambda: p[0:2],
        "p + q": lambda: p + q,
        "view.get": lambda: view.get("tau_m"),
        "view.set": lambda: view.set(tau_m=3.0),
        "view.get_data": lambda: view.get_data(),
        "cell.tau_m": lambda: cell.tau_m,
        "cell.get_parameters": lambda: cell.get_parameters(),
        "cell.initial_values": lambda: cell.initial_values,
        "assembly.get": lambda: assembly.get("tau_m"),
        "assembly.set": lambda: assembly.set(tau_m=3.0),
        "assembly.get_data": lambda: assembly.get_data(),
        "Projection": lambda: sim.Projection(p, q, sim.AllToAllConnector()),
    }


#: Calls of _calls() that only read: after end() they still work on the ended simulation
#: (PyNN: end() does not erase the recorded data); see the test at the end of this file.
_READS = {"p.get", "p.initial_values", "p.current_values", "p.get_data", "p.write_data",
          "p.get_spike_counts", "p.mean_spike_count", "p.spinnaker_get_data", "p.sample",
          "p[0:2]", "p + q", "view.get", "view.get_data", "cell.tau_m",
          "cell.get_parameters", "cell.initial_values", "assembly.get", "assembly.get_data"}


def test_after_end_changes_and_the_simulator_raise_shutdown():
    p, q = _network()
    sim.run(10.0)
    calls = _calls(p, q, p[1:3], p[0], p + q)
    assert _READS < set(calls)
    calls = {name: call for name, call in calls.items() if name not in _READS}
    sim.end()
    calls.update({"run": lambda: sim.run(1.0), "reset": lambda: sim.reset(),
                  "end": lambda: sim.end(), "get_time_step": lambda: sim.get_time_step(),
                  "Population": lambda: sim.Population(1, sim.IF_curr_exp())})
    for name, call in calls.items():
        with pytest.raises(SimulatorShutdownException, match="after end"):
            call()
            pytest.fail(name)


def test_objects_from_before_a_second_setup_refuse_use():
    p, q = _network()
    calls = _calls(p, q, p[1:3], p[0], p + q)
    sim.run(5.0)
    sim.setup(timestep=0.1)
    for name, call in calls.items():
        with pytest.raises(SimulatorShutdownException, match="earlier simulation"):
            call()
            pytest.fail(name)
    # the new simulation works, with IDs from 0
    fresh = sim.Population(2, sim.IF_curr_exp(tau_m=12.0))
    assert int(fresh.first_id) == 0 and fresh.get("tau_m") == 12.0
    sim.run(1.0)
    assert sim.get_current_time() == pytest.approx(1.0)


def test_mutating_calls_while_run_is_in_progress_raise_running(monkeypatch):
    p, q = _network()
    view, cell, assembly = p[0:2], p[1], p + q
    backend = runner.get_backend(state)
    started, release = threading.Event(), threading.Event()
    real_run = backend.run

    def gated_run(*args):
        # hold the run at its start (inside run(), with state._in_run set) until the
        # main thread has made its calls
        started.set()
        assert release.wait(30)
        return real_run(*args)

    monkeypatch.setattr(backend, "run", gated_run)
    failures = []

    def run_in_thread():
        try:
            sim.run(50.0)
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)

    thread = threading.Thread(target=run_in_thread)
    thread.start()
    try:
        assert started.wait(30)
        assert state._in_run
        mutating = {
            "p.set": lambda: p.set(tau_m=10.0),
            "p.initialize": lambda: p.initialize(v=-60.0),
            "p.set_state": lambda: p.set_state(v=-60.0),
            "p.record": lambda: p.record("v"),
            "p.add_placement_constraint": lambda: p.add_placement_constraint(0, 0),
            "p.set_max_atoms_per_core": lambda: p.set_max_atoms_per_core(8),
            "p.get_data(clear=True)": lambda: p.get_data(clear=True),
            "view.set": lambda: view.set(tau_m=3.0),
            "cell.set_parameters": lambda: cell.set_parameters(tau_m=3.0),
            "assembly.set": lambda: assembly.set(tau_m=3.0),
            "assembly.initialize": lambda: assembly.initialize(v=-60.0),
            "Population": lambda: sim.Population(1, sim.IF_curr_exp()),
            "Projection": lambda: sim.Projection(p, q, sim.AllToAllConnector()),
            "run": lambda: sim.run(1.0),
            "reset": lambda: sim.reset(),
            "end": lambda: sim.end(),
        }
        for name, call in mutating.items():
            with pytest.raises(SimulatorRunningException, match="in progress"):
                call()
                pytest.fail(name)
        # reading is allowed while the engine runs
        assert p.get("tau_m") == 20.0
        assert cell.tau_m == 20.0
    finally:
        release.set()
        thread.join(30)
    assert not thread.is_alive() and failures == []
    assert not state._in_run
    assert sim.get_current_time() == pytest.approx(50.0)
    assert p.get("tau_m") == 20.0          # the refused set changed nothing
    p.set(tau_m=10.0)                       # and after the run it is allowed again
    assert p.get("tau_m") == 10.0
    assert sum(p.get_spike_counts().values()) > 0


def test_after_end_the_ended_simulation_can_still_be_read(tmp_path):
    # PyNN's scenarios test_issue499, test_issue445 and test_reset_recording read data
    # after end(): "end() does not erase the recorded data"
    p, q = _network()
    p.record("v")
    q.initialize(v=-61.0)
    source = sim.DCSource(amplitude=0.5)
    source.inject_into(q)
    source.record()
    sim.run(10.0)
    sim.reset()
    sim.run(20.0)
    before = p.get_data()
    counts = p.get_spike_counts()
    sim.end()
    after = p.get_data()
    assert len(after.segments) == len(before.segments) == 2
    for seg_a, seg_b in zip(after.segments, before.segments):
        np.testing.assert_array_equal(seg_a.filter(name="v")[0].magnitude,
                                      seg_b.filter(name="v")[0].magnitude)
        for st_a, st_b in zip(seg_a.spiketrains, seg_b.spiketrains):
            np.testing.assert_array_equal(st_a.magnitude, st_b.magnitude)
            assert st_a.t_stop == st_b.t_stop
    assert after.segments[1].filter(name="v")[0].shape == (201, 3)
    assert p.get_spike_counts() == counts and sum(counts.values()) > 0
    for name, call in _calls(p, q, p[1:3], p[0], p + q).items():
        if name in _READS and name != "p.write_data":
            call()
    p.write_data(str(tmp_path / "after_end.pkl"))
    assert (tmp_path / "after_end.pkl").stat().st_size > 0
    assert q.initial_values["v"].evaluate(simplify=True) == -61.0
    assert p.get("i_offset") == 2.0 and p[1:3].get_data().segments[1].analogsignals
    assert len(source.get_data()) == 201
    assert (p + q).get_data().segments[0].filter(name="v")[0].shape == (101, 3)
    # the simulator itself is ended, and a new setup() makes these objects unusable
    with pytest.raises(SimulatorShutdownException, match="after end"):
        sim.get_current_time()
    with pytest.raises(SimulatorShutdownException, match="after end"):
        p.set(i_offset=1.0)
    sim.setup(timestep=0.1)
    with pytest.raises(SimulatorShutdownException, match="earlier simulation"):
        p.get_data()
    with pytest.raises(SimulatorShutdownException, match="earlier simulation"):
        source.get_data()


def test_min_delay_auto_is_the_smallest_delay_of_the_connections():
    # as NEST and Brian 2 (PyNN scenario test_issue231); the lower bound stays one step
    sim.setup(timestep=0.1, min_delay="auto")
    a, b = sim.Population(2, sim.IF_curr_exp()), sim.Population(2, sim.IF_curr_exp())
    assert sim.get_min_delay() == pytest.approx(0.1)
    sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(delay=0.5))
    sim.Projection(a, b, sim.OneToOneConnector(), sim.StaticSynapse(delay=0.3))
    assert sim.get_min_delay() == 0.3
    sim.Projection(b, a, sim.OneToOneConnector(), sim.StaticSynapse(delay=0.2))
    assert sim.get_min_delay() == 0.2
    sim.run(1.0)
    assert sim.get_min_delay() == 0.2
    # the default of setup() is 'auto' too; a given min_delay is reported as given
    sim.setup(timestep=0.1)
    a, b = sim.Population(2, sim.IF_curr_exp()), sim.Population(2, sim.IF_curr_exp())
    sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(delay=1.5))
    assert sim.get_min_delay() == 1.5
    sim.setup(timestep=0.1, min_delay=0.2)
    a, b = sim.Population(2, sim.IF_curr_exp()), sim.Population(2, sim.IF_curr_exp())
    sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(delay=1.5))
    assert sim.get_min_delay() == 0.2


def test_setup_accepts_t_flush_silently():
    # pyNN.nest's reset() work-around (PyNN's reset scenarios pass it); reset is exact here
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sim.setup(timestep=0.1, t_flush=100.0)
