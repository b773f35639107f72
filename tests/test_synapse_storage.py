"""Compact synapse storage: the core's forms (spinnframe/projections/storage.py) and the
engine's rows (engine.h, sf_block_desc), checked through what a script sees."""
from __future__ import annotations

import numpy as np
import pytest

import spinnframe.pyNN as sim
from spinnframe.simulator import state


@pytest.fixture
def fresh():
    sim.setup(timestep=0.1)
    yield sim
    sim.end()


def _proj(n_pre, n_post, weight, delay=1.0, synapse=None, **kw):
    a = sim.Population(n_pre, sim.SpikeSourceArray(spike_times=[1.0]))
    b = sim.Population(n_post, sim.IF_curr_exp())
    syn = synapse or sim.StaticSynapse(weight=weight, delay=delay)
    return sim.Projection(a, b, sim.AllToAllConnector(), syn, **kw)


def test_one_weight_and_delay_cost_nothing_per_connection(fresh):
    prj = _proj(300, 400, 0.25, 1.5)
    assert prj._w_values.strides == (0,) and prj._dsteps.strides == (0,)
    assert set(prj.get("weight", format="list", with_address=False)) == {0.25}
    assert set(prj.get("delay", format="list", with_address=False)) == {1.5}
    sim.run(2.0)
    nbytes, n = state.backend.synapse_memory()
    assert n == 120_000
    # 2 bytes per synapse (the target) plus the row pointers of 300 rows
    assert nbytes == 2 * n + 4 * 301   # row pointers in 4 bytes (fewer than 2**32 entries)


def test_few_distinct_weights_are_exact(fresh):
    w = np.tile([0.1, 0.2, 0.30000000000000004], 100).reshape(1, 300)
    prj = _proj(1, 300, None, synapse=sim.StaticSynapse(weight=w, delay=0.3))
    assert prj._w_values.dtype == np.uint16
    got = prj.get("weight", format="array")[0]
    assert np.array_equal(got, w[0])               # bit for bit, 0.30000000000000004 too
    assert set(prj.get("delay", format="list", with_address=False)) == {0.3}


def test_random_static_weights_are_kept_in_the_precision_they_are_simulated_in(fresh):
    rng = sim.NumpyRNG(seed=7)
    dist = sim.RandomDistribution("normal", (1.0, 0.1), rng=rng)
    prj = _proj(300, 300, dist)                       # 90 000 distinct weights
    expected = sim.RandomDistribution("normal", (1.0, 0.1),
                                      rng=sim.NumpyRNG(seed=7)).next(90_000)
    got = prj.get("weight", format="array").ravel()
    assert prj._w_values.dtype == np.float32
    assert np.array_equal(got, expected.astype(np.float32).astype(np.float64))
    assert np.max(np.abs(got - expected) / expected) < 6e-8


def test_plastic_weights_stay_double(fresh):
    stdp = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.01,
                                            A_minus=0.012),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=2.0),
        weight=sim.RandomDistribution("uniform", (0.5, 1.0), rng=sim.NumpyRNG(seed=3)),
        delay=1.0)
    prj = _proj(300, 300, None, synapse=stdp)
    assert prj._w_values.dtype == np.float64 and prj._w_values.flags.writeable


@pytest.mark.parametrize("threads", [1, 2])
def test_targets_beyond_65536_are_reached(threads):
    """Blocks span at most 65536 targets: a wider population is split, and every target
    still gets its own weight, at its own delay (uint8 and uint16 delay columns)."""
    sim.setup(timestep=0.1, threads=threads)
    try:
        n = 70_000
        src = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0]))
        post = sim.Population(n, sim.IF_curr_exp(tau_syn_E=1e6, tau_m=1e6, v_thresh=1e6))
        j = np.arange(n)
        few = 0.001 * (1 + j % 5)                   # a table of 5 weights
        many = few + 1e-9 * j                          # 70 000 weights: float32 each
        cases = {"short": (few, 1.0 + 0.1 * (j % 3)), "long": (many, 30.0 + 0.1 * (j % 3))}
        for name, (weights, delays) in cases.items():
            conns = np.column_stack([np.zeros(n), j, weights, delays])
            prj = sim.Projection(src, post, sim.FromListConnector(conns,
                                                                  ["weight", "delay"]))
            assert prj._w_values.dtype == (np.uint16 if name == "short" else np.float32)
            watch = [0, 1, 65535, 65536, 65537, n - 1]
            post[watch].record("isyn_exc")
            sim.run(40.0)
            sig = post.get_data().segments[-1].filter(name="isyn_exc")[0]
            arrived = [np.flatnonzero(np.asarray(sig)[:, k] > 0)[0] for k in range(len(watch))]
            # a spike at 1.0 ms shows in the current sampled at 1.0 ms + delay
            steps = np.rint(delays[watch] / 0.1).astype(int)
            assert list(np.asarray(arrived)) == list(10 + steps), name
            assert np.allclose(np.asarray(sig)[-1], weights[watch], rtol=1e-4), name
            sim.reset()
            prj.set(weight=0.0)
    finally:
        sim.end()


def _random_network(threads: int, extra_after_run: bool = False, n: int = 20_000, **host):
    """Two populations, random weights and delays, connections made in random order."""
    sim.setup(timestep=0.1, threads=threads, host=host)
    rng = sim.NumpyRNG(seed=11)
    src = sim.Population(200, sim.SpikeSourcePoisson(rate=40.0))
    exc = sim.Population(300, sim.IF_curr_exp(tau_refrac=2.0))
    syn = sim.StaticSynapse(
        weight=sim.RandomDistribution("normal_clipped", (0.5, 0.2, 0.0, np.inf), rng=rng),
        delay=sim.RandomDistribution("uniform", (0.1, 3.0), rng=rng))
    prj = sim.Projection(src, exc, sim.FixedTotalNumberConnector(n, rng=rng), syn)
    rec = sim.Projection(exc, exc, sim.FixedProbabilityConnector(0.05, rng=rng),
                         sim.StaticSynapse(weight=0.05, delay=1.0))
    exc.record("spikes")
    return src, exc, prj, rec


def _spike_count(pop) -> int:
    return sum(len(st) for st in pop.get_data().segments[-1].spiketrains)


def test_engine_rows_become_the_only_copy():
    src, exc, prj, rec = _random_network(1)
    try:
        before = sorted(prj.get(["weight", "delay"], format="list"))
        sim.run(50.0)
        for p in (prj, rec):
            assert p._held is not None and p._c_pre is None     # the core's arrays freed
        after = prj.get(["weight", "delay"], format="list")
        # the same connections, now ordered by presynaptic then postsynaptic index
        assert after == sorted(after, key=lambda c: (c[0], c[1]))
        assert sorted(after) == before
        assert len(prj) == 20_000
        sim.run(10.0)                       # reading back does not make a copy stay
        assert prj._c_pre is None
    finally:
        sim.end()


def test_read_back_does_not_depend_on_threads():
    out = []
    for threads in (1, 2):
        src, exc, prj, rec = _random_network(threads)
        try:
            sim.run(30.0)
            out.append((prj.get(["weight", "delay"], format="list"), _spike_count(exc)))
        finally:
            sim.end()
    assert out[0] == out[1]


def test_changes_after_hand_over_reach_the_engine():
    """set() after a run, and a projection added after a run (the engine is rebuilt from
    what it held), give what a network built that way from the start gives."""
    def build_and_run(late: bool):
        src, exc, prj, rec = _random_network(2)
        if not late:
            prj.set(weight=0.7)
            extra = sim.Projection(src, exc[:200], sim.OneToOneConnector(),
                                   sim.StaticSynapse(weight=0.3, delay=0.5))
        sim.run(20.0)
        if late:
            prj.set(weight=0.7)
            extra = sim.Projection(src, exc[:200], sim.OneToOneConnector(),
                                   sim.StaticSynapse(weight=0.3, delay=0.5))
        sim.reset()
        sim.run(40.0)
        got = (_spike_count(exc), prj.get("weight", format="list"), len(extra))
        sim.end()
        return got
    early, late = build_and_run(False), build_and_run(True)
    assert early[0] == late[0] and early[0] > 0
    assert sorted(early[1]) == sorted(late[1])


# -- large projections: packed at Projection() (host engine, PREPACK_MIN_CONNECTIONS) -------

@pytest.fixture
def pack_calls(monkeypatch):
    """The labels of the projections packed (pack_blocks), in order."""
    from spinnframe_host import engine as host
    calls = []
    original = host.pack_blocks

    def counting(*args, **kwargs):
        calls.append(args[1].label)
        return original(*args, **kwargs)

    monkeypatch.setattr(host, "pack_blocks", counting)
    return calls


@pytest.fixture
def prepack_small(monkeypatch, pack_calls):
    """Packs every eligible projection at Projection() and hands it over there, as it
    does for large ones, and counts the packings (pack_calls)."""
    from spinnframe_host import engine as host
    monkeypatch.setattr(host, "PREPACK_MIN_CONNECTIONS", 1)
    return pack_calls


@pytest.mark.parametrize("threads", [1, 2])
def test_large_projections_are_packed_when_made(prepack_small, threads):
    """The rows are the only copy from Projection() on; run() packs nothing; the results
    and the connections read back are those of a projection packed at run()."""
    src, exc, prj, rec = _random_network(threads)
    try:
        assert prj._held is not None and prj._c_pre is None
        assert rec._held is not None
        packed_when_made = len(prepack_small)
        assert packed_when_made == 2
        listed = prj.get(["weight", "delay"], format="list")
        sim.run(50.0)
        assert len(prepack_small) == packed_when_made          # nothing packed again
        got = (listed, prj.get(["weight", "delay"], format="list"), _spike_count(exc))
    finally:
        sim.end()
    from spinnframe_host import engine as host
    host.PREPACK_MIN_CONNECTIONS = 1 << 40                       # (monkeypatch restores)
    src, exc, prj, rec = _random_network(threads)
    try:
        assert prj._held is None
        sim.run(50.0)
        want = prj.get(["weight", "delay"], format="list")
        assert got == (want, want, _spike_count(exc))
    finally:
        sim.end()


def test_prepacked_projection_changed_before_the_first_run(prepack_small):
    src, exc, prj, rec = _random_network(2)
    try:
        prj.set(weight=0.7)
        assert set(prj.get("weight", format="list", with_address=False)) == {0.7}
        extra = sim.Projection(src, exc[:200], sim.OneToOneConnector(),   # a view: kept
                               sim.StaticSynapse(weight=0.3, delay=0.5))  # by the core
        assert extra._held is None
        sim.run(20.0)
        assert set(prj.get("weight", format="list", with_address=False)) == {0.7}
        n = _spike_count(exc)
    finally:
        sim.end()
    src, exc, prj, rec = _random_network(2)
    try:
        prj.set(weight=0.7)
        sim.Projection(src, exc[:200], sim.OneToOneConnector(),
                       sim.StaticSynapse(weight=0.3, delay=0.5))
        sim.run(20.0)
        assert _spike_count(exc) == n
    finally:
        sim.end()


@pytest.mark.parametrize("threads", [1, 2])
def test_small_projections_are_packed_when_made_but_kept_until_the_run(pack_calls,
                                                                       monkeypatch, threads):
    """Below PREPACK_MIN_CONNECTIONS the rows are packed at Projection() too, and the core
    keeps its arrays (get() lists them in creation order) until the first run, which
    packs nothing and hands the rows over; set() before the run makes them stale, and
    the run packs that projection again. The results are those of packing at run()."""
    from spinnframe_host import engine as host

    def build(change: bool):
        src, exc, prj, rec = _random_network(threads)
        assert len(prj) < host.PREPACK_MIN_CONNECTIONS
        listed = prj.get(["weight", "delay"], format="list")
        if change:
            prj.set(weight=0.6)
        made = len(pack_calls)
        sim.run(30.0)
        got = (listed, len(pack_calls) - made, prj._held is not None,
               sorted(prj.get(["weight", "delay"], format="list")), _spike_count(exc))
        sim.end()
        return got, made

    out = {}
    for change in (False, True):
        pack_calls.clear()
        got, made = build(change)
        assert made == 2                                    # both packed at Projection()
        assert got[1] == (1 if change else 0)               # only the changed one again
        assert got[2]                                       # handed over at the run
        out[change] = got
    monkeypatch.setattr(host, "prepack_projection", lambda parts, context: None)
    for change in (False, True):
        pack_calls.clear()
        got, made = build(change)
        assert made == 0 and got[1] == 2                    # packed at run() alone
        assert out[change][0] == got[0]                     # creation order before the run
        assert out[change][3:] == got[3:]                   # same connections, same spikes
    assert out[False][4] != out[True][4]                    # (the change did reach the engine)


def test_small_projections_kept_twice_within_a_budget(pack_calls, monkeypatch):
    """Past PREPARED_MAX_CONNECTIONS kept twice, small projections are packed at the first
    run instead; what was kept is counted off when it is handed over, or when it is
    dropped (set() before the run)."""
    import gc
    from spinnframe_host import engine as host
    gc.collect()
    base = host._prepared_held[0]
    # room for the first projection of _random_network (20 000 connections), not for both
    monkeypatch.setattr(host, "PREPARED_MAX_CONNECTIONS", base + 21_000)
    src, exc, prj, rec = _random_network(2)
    try:
        assert len(prj) + len(rec) > 21_000 >= len(prj)
        assert pack_calls == [prj.label]                 # rec: no room left
        assert host._prepared_held[0] == base + len(prj)
        sim.run(10.0)
        assert pack_calls == [prj.label, rec.label]      # rec packed at the run
        assert host._prepared_held[0] == base            # prj's rows handed over
        prj.set(weight=0.3)
        late = sim.Projection(exc, exc, sim.FixedProbabilityConnector(0.05),
                              sim.StaticSynapse(weight=0.05, delay=1.0))
        assert host._prepared_held[0] == base + len(late)
        late.set(weight=0.1)                             # its kept rows are stale now
        gc.collect()
        assert host._prepared_held[0] == base
        sim.run(10.0)
    finally:
        sim.end()


def test_engine_rebuilt_after_a_run_reuses_the_rows(prepack_small):
    """A population added after a run rebuilds the engine; the held rows, laid out for the
    same threads, are handed to it as they are."""
    src, exc, prj, rec = _random_network(2)
    try:
        sim.run(10.0)
        n_packed = len(prepack_small)
        sim.Population(10, sim.IF_curr_exp())
        sim.run(10.0)
        assert len(prepack_small) == n_packed
        assert len(prj.get("weight", format="list")) == 20_000
    finally:
        sim.end()


# -- coded delays: the delay of a static synapse costs no byte of its own ------------------

def _coded_network(threads: int, bins: bool):
    sim.setup(timestep=0.1, threads=threads, max_delay=25.0, host={"event_bins": bins})
    rng = sim.NumpyRNG(seed=5)
    src = sim.Population(400, sim.SpikeSourcePoisson(rate=30.0))
    exc = sim.Population(300, sim.IF_curr_exp(tau_refrac=2.0))
    exc.record(["spikes", "v"])
    wide = sim.RandomDistribution("uniform", (0.1, 20.0), rng=rng)   # gaps of > 3 steps
    narrow = sim.RandomDistribution("normal_clipped", (1.5, 0.75, 0.1, np.inf), rng=rng)
    mixed = np.random.default_rng(3).uniform(0.0, 0.02, (250, 300))
    mixed[::7, ::5] = -0.0
    few = np.random.default_rng(4).choice([0.01, 0.02, 0.03], (400, 300))
    prjs = [
        # float32 weights (> 65536 distinct), fillers of weight 0
        sim.Projection(src, exc, sim.FixedTotalNumberConnector(100_000, rng=rng),
                       sim.StaticSynapse(weight=sim.RandomDistribution(
                           "normal_clipped", (0.05, 0.01, 0.0, np.inf), rng=rng), delay=wide)),
        sim.Projection(src, exc, sim.FixedTotalNumberConnector(80_000, rng=rng),
                       sim.StaticSynapse(weight=sim.RandomDistribution(
                           "normal_clipped", (-0.02, 0.005, -np.inf, 0.0), rng=rng),
                           delay=narrow), receptor_type="inhibitory"),
        sim.Projection(src[:250], exc, sim.AllToAllConnector(),          # -0.0 among them
                       sim.StaticSynapse(weight=mixed, delay=narrow)),
        # a table of 3 weights without 0: the table gains 0 for the fillers
        sim.Projection(src, exc, sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=few * 0.1, delay=wide)),
        # one weight for all: coded only where no filler is needed
        sim.Projection(src[:100], exc, sim.FixedProbabilityConnector(0.5, rng=rng),
                       sim.StaticSynapse(weight=0.001, delay=wide)),
    ]
    return exc, prjs


def _run_storage(exc, prjs, ms: float):
    """Run; return (v, spike trains, every projection's sorted (i, j, weight, delay)), the
    engine's PackedBlocks and its bytes per synapse."""
    from spinnframe_host import engine as host
    sim.run(ms)
    seg = exc.get_data().segments[0]
    blocks = [x for x in state.backend.keep if isinstance(x, host.PackedBlock)]
    nbytes, n = state.backend.synapse_memory()
    assert n == sum(len(p) for p in prjs)
    return ((seg.filter(name="v")[0].magnitude.copy(),
             [np.asarray(st) for st in seg.spiketrains],
             [sorted(p.get(["weight", "delay"], format="list")) for p in prjs]),
            blocks, nbytes / n)


def _assert_same_runs(a, b) -> None:
    """Bitwise the same v and spikes (some of them), and the same connections."""
    assert np.array_equal(a[0], b[0])
    assert len(a[1]) == len(b[1]) and all(np.array_equal(x, y) for x, y in zip(a[1], b[1]))
    assert sum(len(x) for x in b[1]) > 50
    assert a[2] == b[2]


@pytest.mark.parametrize("threads, bins", [(1, False), (2, False), (2, True)])
def test_coded_delays_change_nothing(threads, bins, monkeypatch):
    from spinnframe_host import engine as host
    got = {}
    for coded in (False, True):
        monkeypatch.setattr(host, "CODE_DELAYS", coded)
        exc, prjs = _coded_network(threads, bins)
        try:
            got[coded], blocks, _ = _run_storage(exc, prjs, 120.0)
            n = sum(len(p) for p in prjs)
            if coded:
                fillers = sum(len(b.fillers) for b in blocks if b.fillers is not None)
                assert 0 < fillers < 0.1 * n     # wide delays (200 values, short rows)
                kinds = {(b.weight is not None, b.weight_index is not None,
                          b.row_delay is not None) for b in blocks}
                assert (True, False, True) in kinds and (False, True, True) in kinds
                assert (False, False, False) in kinds        # one weight, fillers needed
                assert all(b.delay is None for b in blocks if b.row_delay is not None)
                tables = [b.weight_table for b in blocks if b.weight_index is not None]
                assert all(0.0 in t for t in tables)
            else:
                assert all(b.row_delay is None for b in blocks)
        finally:
            sim.end()
    _assert_same_runs(got[False], got[True])


def test_coded_delays_read_back_exactly():
    """get() once the rows are the only copy returns every weight and delay as made."""
    exc, prjs = _coded_network(1, False)
    try:
        before = [sorted(p.get(["weight", "delay"], format="list")) for p in prjs]
        sim.run(1.0)
        assert prjs[0]._held is not None and prjs[3]._held is not None
        after = [sorted(p.get(["weight", "delay"], format="list")) for p in prjs]
        assert after == before
        # float32 weights: 2 + 4 bytes per synapse, plus fillers and row pointers
        from spinnframe_host import engine as host
        b0 = [x for x in state.backend.keep if isinstance(x, host.PackedBlock)][0]
        assert b0.nbytes() < 6.3 * b0.n_synapses
    finally:
        sim.end()


def test_a_population_made_after_packing_lays_the_rows_out_anew(prepack_small):
    """With several threads a population's part depends on every population's size, so one
    made after a projection was packed can move the projection's target to another thread:
    its rows are then laid out anew at the first run, with the results of one thread."""
    from spinnframe.simulator import state
    results = []
    for threads in (1, 2):
        src, exc, prj, rec = _random_network(threads)
        try:
            made = len(prepack_small)
            late = sim.Population(400, sim.IF_curr_exp(i_offset=0.2))    # the largest now
            sim.Projection(exc, late, sim.FixedProbabilityConnector(
                0.05, rng=sim.NumpyRNG(seed=3)), sim.StaticSynapse(weight=0.4, delay=0.5))
            late.record("spikes")
            sim.run(50.0)
            if threads == 2:
                assert state.backend.parts[1] == (0, 0, 300)    # exc moved to thread 1
                assert len(prepack_small) > made + 1             # and was packed again
            results.append((_spike_count(exc), _spike_count(late),
                            prj.get(["weight", "delay"], format="list")))
        finally:
            sim.end()
    assert results[0][0] > 0 and results[0][1] > 0
    assert results[1] == results[0]


def test_row_pointers_in_eight_bytes_give_the_same_results(monkeypatch):
    """Blocks of 2**32 synapses or more keep 8-byte row pointers (engine.h,
    sf_block_desc.row_ptr): the engine reads either width the same way."""
    from test_event_bins import _network, _results
    from spinnframe_host import engine as host
    runs = []
    for wide in (False, True):
        if wide:
            monkeypatch.setattr(host, "_narrow", lambda b: b)
        pops, prjs = _network(2, False)
        try:
            sim.run(60.0)
            ptrs = {b.row_ptr.dtype for b in state.backend.keep
                    if isinstance(b, host.PackedBlock)}
            assert ptrs == {np.dtype(np.uint64) if wide else np.dtype(np.uint32)}
            runs.append(_results(pops, prjs))
        finally:
            sim.end()
    assert sum(len(x) for x in runs[0][1::2]) > 50
    for x, y in zip(*runs):
        np.testing.assert_array_equal(x, y)


# -- compact weights: float32 weights in 3 bytes each (engine.h, sf_weights24) -------------

def _compact_network(threads: int, bins, compact):
    options = {"event_bins": bins, "compact_weights": compact}
    sim.setup(timestep=0.1, threads=threads, max_delay=50.0,
              host={k: v for k, v in options.items() if v is not None})
    rng = sim.NumpyRNG(seed=11)
    src = sim.Population(400, sim.SpikeSourcePoisson(rate=30.0))
    exc = sim.Population(300, sim.IF_curr_exp(tau_refrac=2.0))
    exc.record(["spikes", "v"])

    def normal(mean, sd):
        bounds = (0.0, np.inf) if mean > 0 else (-np.inf, 0.0)
        return sim.RandomDistribution("normal_clipped", (mean, sd) + bounds, rng=rng)
    wide = sim.RandomDistribution("uniform", (0.1, 20.0), rng=rng)    # fillers (code 0)
    narrow = sim.RandomDistribution("normal_clipped", (1.5, 0.75, 0.1, np.inf), rng=rng)
    long = sim.RandomDistribution("uniform", (0.1, 40.0), rng=rng)    # > 255 steps
    total = sim.FixedTotalNumberConnector
    prjs = [
        sim.Projection(src, exc, total(90_000, rng=rng),
                       sim.StaticSynapse(weight=normal(0.05, 0.01), delay=wide)),
        sim.Projection(src, exc, total(80_000, rng=rng),
                       sim.StaticSynapse(weight=normal(-0.1, 0.01), delay=narrow),
                       receptor_type="inhibitory"),
        sim.Projection(src, exc, total(70_000, rng=rng),
                       sim.StaticSynapse(weight=normal(0.03, 0.003), delay=long)),
        sim.Projection(src, exc, total(70_000, rng=rng),
                       sim.StaticSynapse(weight=normal(0.02, 0.002), delay=1.0)),
        # magnitudes 20x apart: their bit patterns span more than 2**24 values
        sim.Projection(src, exc, total(70_000, rng=rng),
                       sim.StaticSynapse(weight=sim.RandomDistribution(
                           "uniform", (0.001, 0.02), rng=rng), delay=narrow)),
    ]
    return exc, prjs


@pytest.mark.parametrize("threads, bins", [(1, False), (2, True)])
def test_compact_weights_change_nothing(threads, bins):
    got, bps = {}, {}
    for compact in (False, True):
        exc, prjs = _compact_network(threads, bins, compact)
        try:
            made = [sorted(p.get(["weight", "delay"], format="list")) for p in prjs[:1]]
            got[compact], blocks, bps[compact] = _run_storage(exc, prjs, 150.0)
            assert got[compact][2][:1] == made           # read back exactly
            kinds = {(b.weight24 is not None, b.weight is not None, b.row_delay is not None,
                      b.delay is not None) for b in blocks}
            if compact:
                assert (True, False, True, False) in kinds    # coded delays
                assert (True, False, False, True) in kinds    # 2-byte delays
                assert (True, False, False, False) in kinds   # one delay for all
                assert (False, True, True, False) in kinds    # does not fit: float32
                assert any(len(b.fillers) for b in blocks
                           if b.weight24 is not None and b.fillers is not None)
            else:
                assert all(k[0] is False for k in kinds)
        finally:
            sim.end()
    _assert_same_runs(got[False], got[True])
    assert bps[True] < bps[False] - 0.5              # a byte less where the weights fit


@pytest.mark.parametrize("span, fits", [(2 ** 24 - 2, True), (2 ** 24 - 1, False)])
def test_compact_weights_take_what_24_bits_hold_and_no_more(span, fits):
    """sf_weights24 codes bit patterns base + 1 .. base + 2**24 - 1 (code 0 is a weight of
    0), exactly; a block that spans more keeps its floats."""
    import ctypes
    from spinnframe_host import compiler, engine as host
    lib = host.engine_library(compiler.cache_dir(None))
    for lo in (0x3F800000, 0xBC000000, 0x00000001):      # 1.0, a negative, a denormal
        bits = (lo + np.linspace(0, span, 5000).astype(np.int64)).astype(np.uint32)
        np.random.default_rng(0).shuffle(bits)
        w = bits.view(np.float32)
        code = np.full(3 * len(w) + 1, 0xAA, np.uint8)
        base = ctypes.c_uint32(0)
        ok = lib.sf_weights24(len(w), host._ptr(w), host._ptr(code), ctypes.byref(base))
        assert bool(ok) == fits
        if fits:
            assert code[-1] == 0
            blk = host.PackedBlock(0, np.array([0, len(w)], np.uint32), np.zeros(len(w), np.uint16),
                                   None, 1, None, None, None, None, weight24=code,
                                   weight24_base=base.value)
            assert np.array_equal(blk.float_weights().view(np.uint32), bits)
        else:
            assert (code == 0xAA).all()


def test_compact_weights_by_default_where_the_rings_outgrow_the_cache(monkeypatch):
    """"auto" packs weights in 3 bytes exactly where the engine uses event bins: at
    Projection() when the rings of the populations made so far (one receptor each, the
    delays so far) already outgrow the cache, else at the build, from the real rings."""
    from spinnframe_host import engine as host
    monkeypatch.setattr(host, "PREPACK_MIN_CONNECTIONS", 1)
    seen = {}
    for llc in (1 << 40, 1 << 12):              # a huge cache: no bins; a tiny one: bins
        monkeypatch.setattr(host, "_LLC_BYTES", llc)
        exc, prjs = _compact_network(1, "auto", "auto")
        try:
            prepacked = [p._held is not None for p in prjs]
            sim.run(20.0)
            blocks = [x for x in state.backend.keep if isinstance(x, host.PackedBlock)]
            bins = bool(state.backend.lib.sf_engine_event_bins(state.backend.engine))
            prof = state.backend.profile()
            assert prof["event_bins"] == bins and prof["compact_weights"] == bins
            assert prof["synapses"] == sum(len(p) for p in prjs)
            assert f"compact weights {'on' if bins else 'off'})" in \
                state.backend.profile_report()
            seen[llc] = (bins, all(prepacked),
                         sum(b.weight24 is not None for b in blocks),
                         state.backend.synapse_memory()[0])
        finally:
            sim.end()
    assert seen[1 << 40][:3] == (False, True, 0)
    assert seen[1 << 12][:3] == (True, True, 3)     # 2 projections do not fit
    assert seen[1 << 12][3] < seen[1 << 40][3]
    for variable, value in (("SPINNFRAME_EVENT_BINS", "0"), ("SPINNFRAME_COMPACT_WEIGHTS", "0")):
        with monkeypatch.context() as m:                # bins off, or compact weights off
            m.setenv(variable, value)
            exc, prjs = _compact_network(1, None, None)
            try:
                sim.run(1.0)
                assert not any(x.weight24 is not None for x in state.backend.keep
                               if isinstance(x, host.PackedBlock))
            finally:
                sim.end()


def test_compact_weights_follow_set_and_rebuilds():
    """Weights set() after a run are packed compactly again, and a rebuilt engine (a
    projection added after a run) takes the compact rows: the same as with floats."""
    from spinnframe_host import engine as host
    out = {}
    for compact in (False, True):
        # (more connections than a table of weights takes)
        src, exc, prj, rec = _random_network(2, n=80_000, compact_weights=compact)
        try:
            sim.run(20.0)
            prj.set(weight=sim.RandomDistribution("normal", (0.6, 0.05),
                                                  rng=sim.NumpyRNG(seed=2)))
            extra = sim.Projection(src, exc[:200], sim.OneToOneConnector(),
                                   sim.StaticSynapse(weight=0.3, delay=0.5))
            sim.run(20.0)
            sim.reset()
            sim.run(30.0)
            blocks = [x for x in state.backend.keep if isinstance(x, host.PackedBlock)]
            assert any(b.weight24 is not None for b in blocks) == compact
            out[compact] = ([np.asarray(st) for st in exc.get_data().segments[-1].spiketrains],
                            prj.get(["weight", "delay"], format="list"), len(extra))
        finally:
            sim.end()
    assert sum(len(st) for st in out[True][0]) > 0
    assert all(np.array_equal(a, b) for a, b in zip(out[False][0], out[True][0]))
    assert out[False][1:] == out[True][1:]
