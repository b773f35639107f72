"""The simulator lifecycle: before setup(), after end(), across setup() calls, during run()."""
import subprocess
import sys
import textwrap
import threading

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


def test_after_end_everything_raises_shutdown():
    p, q = _network()
    sim.run(10.0)
    calls = _calls(p, q, p[1:3], p[0], p + q)
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
