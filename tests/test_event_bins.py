"""Event bins (engine.h, sf_engine_set_event_bins): the engine's way of delivering spikes when
its ring buffers are larger than the cache. They must not change a single bit of any
result, whatever the synapse kind, thread count, bin capacity, or what happens between runs."""
from __future__ import annotations

import numpy as np
import pytest

import spinnframe.pyNN as sim
from spinnframe.simulator import state
from spinnframe_host import engine as host_engine


def _network(threads: int, bins, **host):
    """Static (float32, table and uniform weights; uint8 delays), Tsodyks-Markram, STDP and
    stochastic synapses, excitatory and inhibitory, onto two populations with current
    sources; returns the populations and projections. ``host``: more options of setup(host=...)."""
    sim.setup(timestep=0.1, threads=threads, host={"event_bins": bins, **host})
    rng = sim.NumpyRNG(seed=11)
    drive = sim.Population(60, sim.SpikeSourcePoisson(rate=80.0))
    a = sim.Population(220, sim.IF_curr_exp(i_offset=0.6, tau_refrac=2.0))
    b = sim.Population(130, sim.IF_cond_exp(i_offset=0.3))
    uni = sim.RandomDistribution("uniform", (0.1, 4.0), rng=rng)
    prjs = [
        sim.Projection(drive, a, sim.FixedProbabilityConnector(0.3, rng=rng),
                       sim.StaticSynapse(weight=sim.RandomDistribution(
                           "uniform", (0.05, 0.4), rng=rng), delay=uni)),
        sim.Projection(drive, b, sim.FixedProbabilityConnector(0.3, rng=rng),
                       sim.StaticSynapse(weight=0.004, delay=0.5)),
        sim.Projection(a, b, sim.FixedProbabilityConnector(0.2, rng=rng),
                       sim.StaticSynapse(weight=np.random.default_rng(2).choice(
                           [0.001, 0.002, 0.003], size=(220, 130)), delay=uni)),
        sim.Projection(b, a, sim.FixedProbabilityConnector(0.2, rng=rng),
                       sim.StaticSynapse(weight=-0.2, delay=uni), receptor_type="inhibitory"),
        sim.Projection(a, a, sim.FixedProbabilityConnector(0.1, rng=rng),
                       sim.TsodyksMarkramSynapse(U=0.4, tau_rec=80.0, tau_facil=10.0,
                                                 weight=0.3, delay=uni)),
        sim.Projection(drive, b, sim.FixedProbabilityConnector(0.2, rng=rng),
                       sim.STDPMechanism(
                           timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0,
                                                               A_plus=0.01, A_minus=0.012),
                           weight_dependence=sim.AdditiveWeightDependence(w_min=0.0,
                                                                          w_max=0.02),
                           weight=0.005, delay=uni)),
    ]
    # current sources: injected between the phases of a step (the bookkeeping)
    sim.NoisyCurrentSource(mean=0.05, stdev=0.2, dt=0.5).inject_into(a[::4])
    sim.DCSource(amplitude=0.2, start=30.0, stop=90.0).inject_into(b[::3])
    for p in (a, b):
        p.record(["spikes", "v"])
    return (a, b), prjs


def _results(pops, prjs):
    out = []
    for p in pops:
        seg = p.get_data().segments[0]
        out.append(seg.filter(name="v")[0].magnitude.copy())
        out.append(np.concatenate([np.asarray(st.magnitude) for st in seg.spiketrains]))
    for prj in prjs:
        out.append(np.asarray(prj.get("weight", format="list", with_address=False)))
    return out


def _same(x, y):
    assert len(x) == len(y)
    for u, v in zip(x, y):
        assert u.shape == v.shape and np.array_equal(u, v)


def _run(threads, bins, capacity=0, t=150.0, monkeypatch=None):
    if monkeypatch is not None:
        monkeypatch.setattr(host_engine, "EVENT_BIN_CAPACITY", capacity)
    pops, prjs = _network(threads, bins)
    try:
        sim.run(t)
        assert state.backend.lib.sf_engine_event_bins(state.backend.engine) == int(bins)
        return _results(pops, prjs)
    finally:
        sim.end()


@pytest.fixture(scope="module")
def reference():
    """The ring buffer alone, one thread."""
    return _run(1, False)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("capacity", [0, 1, 5])
def test_bins_give_bitwise_the_same_results(reference, threads, capacity, monkeypatch):
    """Capacity 1 and 5 add nearly every bin to the ring before its slot is read (the path a
    burst takes); 0 is the default, large enough for this network."""
    got = _run(threads, True, capacity, monkeypatch=monkeypatch)
    assert sum(len(x) for x in reference[1::2][:2]) > 100    # the network does fire
    _same(reference, got)


def test_switching_bins_between_runs_keeps_spikes_in_flight(reference, monkeypatch):
    monkeypatch.setattr(host_engine, "EVENT_BIN_CAPACITY", 3)
    pops, prjs = _network(1, False)
    try:
        sim.run(40.0)
        lib, eng = state.backend.lib, state.backend.engine
        assert lib.sf_engine_set_event_bins(eng, 1, 3) == 0     # spikes in flight: in rings
        sim.run(40.0)
        assert lib.sf_engine_set_event_bins(eng, 0, 0) == 0     # ... and now in bins
        sim.run(40.0)
        assert lib.sf_engine_set_event_bins(eng, 1, 0) == 0
        sim.run(30.0)
        _same(reference, _results(pops, prjs))
    finally:
        sim.end()


@pytest.mark.parametrize("bins", [False, True])
def test_longer_delays_added_between_runs(bins):
    """A projection with a longer delay made after a run grows the ring (the bins are made
    anew for the new slots) and keeps what is in flight; the same with and without bins."""
    outs = []
    for use in (False, bins):
        pops, prjs = _network(2, use)
        try:
            sim.run(50.0)
            prjs.append(sim.Projection(pops[0], pops[1],
                                       sim.FixedProbabilityConnector(0.05, rng=sim.NumpyRNG(5)),
                                       sim.StaticSynapse(weight=0.002, delay=9.0)))
            sim.run(50.0)
            assert state.backend.lib.sf_engine_slots(state.backend.engine) >= 91
            outs.append(_results(pops, prjs))
        finally:
            sim.end()
    _same(outs[0], outs[1])


def test_reset_clears_binned_spikes(monkeypatch):
    """reset() drops the spikes in flight, binned ones too: the second segment is the same
    with and without bins."""
    monkeypatch.setattr(host_engine, "EVENT_BIN_CAPACITY", 7)
    outs = []
    for bins in (False, True):
        pops, prjs = _network(1, bins)
        try:
            sim.run(60.0)
            sim.reset()
            sim.run(60.0)
            outs.append([p.get_data().segments[1].filter(name="v")[0].magnitude.copy()
                         for p in pops])
        finally:
            sim.end()
    _same(outs[0], outs[1])


def test_auto_turns_bins_on_when_the_rings_outgrow_the_cache(monkeypatch):
    pops, prjs = _network(1, "auto")
    try:
        sim.run(1.0)
        backend = state.backend
        ring = backend.ring_bytes()
        assert ring == backend.lib.sf_engine_slots(backend.engine) * 8 * (220 * 2 + 130 * 2 + 60)
        assert backend.lib.sf_engine_event_bins(backend.engine) == 0   # a small network
        monkeypatch.setattr(host_engine, "last_level_cache_bytes", lambda: ring)
        backend._set_event_bins()
        assert backend.lib.sf_engine_event_bins(backend.engine) == 1
    finally:
        sim.end()
    assert host_engine.last_level_cache_bytes() >= 1 << 16


@pytest.mark.parametrize("value, match", [
    ({"event_bins": "yes"}, "must be 'auto', True or False, got 'yes'"),
    ({"event_bins": 1}, "must be 'auto', True or False, got 1"),
    ({"bins": True}, "unknown option.*'bins'.*takes 'event_bins', 'parallel'"),
    ({"parallel": "always"}, "'parallel'.*must be 'auto', True or False, got 'always'"),
    ({"parallel": 2}, "must be 'auto', True or False, got 2"),
    ({"compact_weights": "yes"}, "'compact_weights'.*must be 'auto', True or False, got 'yes'"),
    ({"balance": 0}, "'balance'.*must be 'auto', True or False, got 0"),
])
def test_bad_host_options_are_refused_before_running(value, match):
    sim.setup(timestep=0.1, threads=2, host=value)
    try:
        sim.Population(2, sim.IF_curr_exp())
        with pytest.raises(ValueError, match=match):
            sim.run(1.0)
        assert state.t == 0.0
    finally:
        sim.end()


@pytest.mark.parametrize("variable", ["SPINNFRAME_EVENT_BINS", "SPINNFRAME_PARALLEL",
                                      "SPINNFRAME_COMPACT_WEIGHTS", "SPINNFRAME_BALANCE"])
def test_bad_environment_setting_is_refused(monkeypatch, variable):
    monkeypatch.setenv(variable, "maybe")
    sim.setup(timestep=0.1, threads=2)
    try:
        sim.Population(2, sim.IF_curr_exp())
        with pytest.raises(ValueError, match=f"{variable} must be auto, 1 or 0, got 'maybe'"):
            sim.run(1.0)
    finally:
        sim.end()
