"""Current sources (plugin spinnframe-current-sources): against NEST, analytically, and
their PyNN behaviour (injection targets, changes between runs, recording, bad input)."""
import runpy
from pathlib import Path

import numpy as np
import pytest
from pyNN import errors

import spinnframe.pyNN as sim
from spinnframe.errors import RecordingError
from spinnframe.simulator import state

REF = Path(__file__).parent / "reference"
DT = 0.1


@pytest.fixture(autouse=True)
def simulation():
    yield
    if state.phase == "setup":
        sim.end()


def test_matches_nest_through_pynn(tmp_path):
    """DC, AC and step currents into a view, populations and an assembly: v and spikes as
    NEST 3.10's iaf_psc_exp with dc/ac/step_current_generator (through pyNN.nest)."""
    out = tmp_path / "cs.npz"
    ns = runpy.run_path(str(REF / "scripts" / "current_sources_drive.py"), run_name="test")
    ns["main"]("spinnframe.pyNN", str(out))
    nest, sf = np.load(REF / "data" / "current_sources_nest.npz"), np.load(out)
    np.testing.assert_array_equal(sf["spike_counts"], nest["spike_counts"])
    np.testing.assert_allclose(sf["spike_times"], nest["spike_times"], atol=1e-9)
    for key in ("v_a", "v_b"):
        assert np.abs(sf[key] - nest[key]).max() < 1e-9, key
    for key in ("i_dc", "i_ac", "i_step"):
        np.testing.assert_allclose(sf[key], nest[key], atol=1e-12, err_msg=key)


def lif(v0, current, tau_m, cm, t):
    """Membrane potential (relative to rest) of a passive LIF after t ms of constant
    current (nA), starting from v0."""
    return current * tau_m / cm + (v0 - current * tau_m / cm) * np.exp(-t / tau_m)


def passive(n=1):
    pop = sim.Population(n, sim.IF_curr_exp(tau_m=10.0, cm=0.5, v_rest=0.0, v_reset=0.0,
                                            v_thresh=1e9), label="passive")
    pop.initialize(v=0.0)
    return pop


def v_trace(pop):
    return np.asarray(pop.get_data().segments[0].filter(name="v")[0])


def test_dc_from_t0_and_changed_between_runs():
    sim.setup(timestep=DT)
    p = passive()
    p.initialize(v=0.0)
    dc = sim.DCSource(amplitude=0.4, start=0.0)
    p.inject(dc)
    dc.record()
    p.record("v")
    sim.run(30.0)
    dc.amplitude = -0.2                      # from t = 30 ms on
    sim.run(20.0)
    v = v_trace(p)[:, 0]
    t = np.arange(len(v)) * DT
    first = lif(0.0, 0.4, 10.0, 0.5, t[:301])
    np.testing.assert_allclose(v[:301], first, atol=1e-9)
    np.testing.assert_allclose(v[300:], lif(first[-1], -0.2, 10.0, 0.5, t[300:] - 30.0),
                               atol=1e-9)
    i = np.asarray(dc.get_data()).ravel()
    assert i.shape == (501,)
    assert (i[:300] == 0.4).all() and (i[300:] == -0.2).all()


def test_step_current_rounding_and_last_value_kept():
    sim.setup(timestep=DT)
    p = passive()
    p.initialize(v=0.0)
    src = sim.StepCurrentSource(times=[1.04, 2.0, 2.02, 5.0], amplitudes=[1.0, 5.0, 2.0, -1.0])
    src.inject_into(p)
    src.record()
    sim.run(7.0)
    i = np.asarray(src.get_data()).ravel()
    expected = np.zeros(71)
    expected[10:20] = 1.0      # 1.04 -> 1.0
    expected[20:50] = 2.0      # 2.0 and 2.02 both round to 2.0: the later one counts
    expected[50:] = -1.0
    np.testing.assert_array_equal(i, expected)


def test_ac_phase_relative_to_start():
    sim.setup(timestep=DT)
    p = passive()
    src = sim.ACSource(amplitude=2.0, offset=0.5, frequency=50.0, phase=45.0, start=3.0,
                       stop=9.0)
    p.inject(src)
    src.record()
    sim.run(10.0)
    i = np.asarray(src.get_data()).ravel()
    t = np.arange(101) * DT
    on = (t >= 3.0 - 1e-9) & (t < 9.0 - 1e-9)
    expected = np.where(on, 0.5 + 2.0 * np.sin(2 * np.pi * 50.0 * (t - 3.0) / 1000 + np.pi / 4),
                        0.0)
    np.testing.assert_allclose(i, expected, atol=1e-12)


def _noisy(seed=5, chunks=(200.0,), threads=1):
    sim.setup(timestep=DT, threads=threads)
    p = passive(3)
    noise = sim.NoisyCurrentSource(mean=0.3, stdev=0.8, dt=0.5, start=10.0, stop=190.0,
                                   rng=sim.NumpyRNG(seed=seed))
    p[0:2].inject(noise)
    noise.record()
    p.record("v")
    for c in chunks:
        sim.run(c)
    out = np.asarray(noise.get_data()).ravel(), v_trace(p)
    sim.end()
    return out


def test_noisy_current_statistics_and_shared_by_targets():
    i, v = _noisy()
    on = i[100:1900]
    assert (i[:100] == 0).all() and (i[1900:] == 0).all()
    held = on.reshape(-1, 5)                           # dt = 0.5 ms = 5 steps
    assert (held == held[:, :1]).all()
    values = held[:, 0]                                # 360 independent draws
    assert abs(values.mean() - 0.3) < 4 * 0.8 / np.sqrt(len(values))
    assert abs(values.std(ddof=1) / 0.8 - 1) < 0.15
    np.testing.assert_array_equal(v[:, 0], v[:, 1])    # same current into both targets
    assert (v[:, 2] == v[0, 2]).all()                   # the third cell gets nothing


def test_noisy_current_reproducible_and_independent_of_chunks_and_threads():
    i1, v1 = _noisy(seed=5)
    i2, v2 = _noisy(seed=5, chunks=(33.3, 100.0, 66.7), threads=2)
    np.testing.assert_array_equal(i1, i2)
    np.testing.assert_array_equal(v1, v2)
    i3, _ = _noisy(seed=6)
    assert not np.array_equal(i1, i3)


def test_injection_targets_and_reset():
    sim.setup(timestep=DT)
    a, b = passive(3), passive(2)
    src = sim.DCSource(amplitude=0.5)
    src.inject_into([a[0], b[1]])             # a list of cells
    a.record("v")
    b.record("v")
    sim.run(5.0)
    late = sim.DCSource(amplitude=0.25)
    (a[1:2] + b[0:1]).inject(late)            # an assembly, between runs
    sim.run(5.0)
    va, vb = v_trace(a), v_trace(b)
    assert va[-1, 0] > 0 and vb[-1, 1] > 0 and va[-1, 2] == 0
    assert va[50, 1] == 0 and va[-1, 1] > 0 and vb[-1, 0] > 0
    np.testing.assert_allclose(va[:, 0], vb[:, 1])
    sim.reset()
    sim.run(5.0)
    seg = a.get_data().segments
    assert len(seg) == 2
    np.testing.assert_allclose(np.asarray(seg[1].filter(name="v")[0])[:, 0], va[:51, 0])


def test_spike_sources_cannot_take_current():
    sim.setup(timestep=DT)
    s = sim.Population(2, sim.SpikeSourcePoisson(rate=5.0))
    with pytest.raises(TypeError, match="spike source"):
        sim.DCSource().inject_into(s)


def test_get_data_without_record():
    sim.setup(timestep=DT)
    src = sim.DCSource()
    src.inject_into(passive())
    sim.run(1.0)
    with pytest.raises(RecordingError, match="DCSource was not recorded"):
        src.get_data()


@pytest.mark.parametrize("make, match", [
    (lambda: sim.StepCurrentSource(times=[1.0, 2.0], amplitudes=[1.0]),
     "as many amplitudes as times; got 2 times and 1"),
    (lambda: sim.StepCurrentSource(times=[1.0, 1.0], amplitudes=[1.0, 2.0]),
     "strictly increasing; 1 follows 1"),
    (lambda: sim.StepCurrentSource(times=[-1.0], amplitudes=[1.0]), "must be >= 0 ms, got -1"),
    (lambda: sim.NoisyCurrentSource(dt=0.15), "multiple of the simulation time step.*0.15"),
    (lambda: sim.NoisyCurrentSource(stdev=-1.0), "'stdev' must be >= 0 nA, got -1"),
    (lambda: sim.DCSource(start=-5.0), "'start' must be >= 0 ms, got -5"),
    (lambda: sim.DCSource(amplitude="big"), "'amplitude' must be a number.*'big'"),
    (lambda: sim.ACSource(frequency=float("nan")), "'frequency'.*got nan"),
])
def test_bad_parameters(make, match):
    sim.setup(timestep=DT)
    with pytest.raises(errors.InvalidParameterValueError, match=match):
        make()


def test_bad_parameter_change_keeps_old_values():
    sim.setup(timestep=DT)
    src = sim.DCSource(amplitude=0.5)
    with pytest.raises(errors.InvalidParameterValueError, match="'stop' must be >= 0"):
        src.stop = -1.0
    assert src.amplitude == 0.5 and src.stop == 1e12


def test_before_setup_and_after_end():
    from spinnframe.errors import SimulatorShutdownException
    sim.setup(timestep=DT)
    src = sim.DCSource()
    sim.end()
    with pytest.raises(SimulatorShutdownException):
        src.inject_into(object())
