"""Projections: connectors, synaptic values, get/set, views and assemblies, delays.

Where it matters, the tests check what the *engine* does, not only what Projection.get
reports: sources spike at distinct times, the postsynaptic neurons record ``isyn_exc``
every step, and the input each neuron received from each spike is recovered exactly from
the trace (an IF_curr_exp synaptic current decays by exp(-dt/tau_syn) per step and takes
up the arriving weights). That gives the effective weight matrix in root-population
coordinates, which is compared with one built independently from the test's own index
maps.
"""
from __future__ import annotations

import numpy as np
import pytest
from pyNN import errors
from pyNN.space import Grid2D, Line, Space

import spinnframe.pyNN as sim

DT = 0.1
TAU_SYN = 5.0            # IF_curr_exp default tau_syn_E / tau_syn_I
DECAY = np.exp(-DT / TAU_SYN)


@pytest.fixture(autouse=True)
def simulation():
    sim.setup(timestep=DT)
    yield
    sim.end()


# -- helpers ------------------------------------------------------------------------------
def sources(times):
    """A SpikeSourceArray population, one list of spike times per neuron."""
    if len(times) == 1:
        # a flat list: spinnframe/populations/population.py fails on per-neuron lists
        # ([[t, ...]]) for a population of size 1 (TypeError: iteration over a 0-d array)
        return sim.Population(1, sim.SpikeSourceArray(spike_times=list(times[0])))
    return sim.Population(len(times), sim.SpikeSourceArray(spike_times=[list(t) for t in times]))


def neurons(n, **kw):
    return sim.Population(n, sim.IF_curr_exp(), **kw)


def trace(pop, var="isyn_exc"):
    """(samples x neurons, times in ms) of a recorded variable, columns in index order."""
    sig = pop.get_data(var).segments[-1].filter(name=var)[0]
    order = np.argsort(sig.array_annotations["channel_index"])
    t = np.asarray(sig.times.rescale("ms").magnitude)
    assert t[0] == 0.0 and np.allclose(np.diff(t), DT)
    return np.asarray(sig.magnitude)[:, order], t


def arrivals(pop, var="isyn_exc"):
    """Synaptic input that arrived at each sample: I[n] - I[n-1] * exp(-dt/tau_syn)."""
    current, t = trace(pop, var)
    jumps = current.copy()
    jumps[1:] -= current[:-1] * DECAY
    jumps[np.abs(jumps) < 1e-12] = 0.0
    return jumps, t


def observed_matrix(spike_times, posts, delay, var="isyn_exc"):
    """Effective weights the engine used: row k = input that the spike at spike_times[k]
    delivered ``delay`` later to every neuron of ``posts`` (columns concatenated)."""
    parts = [arrivals(p, var) for p in posts]
    jumps = np.hstack([j for j, _ in parts])
    return np.array([jumps[int(round((ts + delay) / DT))] for ts in spike_times])


def first_input_time(pop, var="isyn_exc"):
    """Per neuron, the first sample time at which ``var`` is non-zero (NaN if never)."""
    current, t = trace(pop, var)
    out = np.full(current.shape[1], np.nan)
    for j in range(current.shape[1]):
        nz = np.flatnonzero(current[:, j] != 0)
        if nz.size:
            out[j] = t[nz[0]]
    return out


def pairs(prj):
    return [(c.presynaptic_index, c.postsynaptic_index) for c in prj]


# -- connectors ---------------------------------------------------------------------------
def test_all_to_all():
    pre, post = neurons(3), neurons(4)
    prj = sim.Projection(pre, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.5))
    assert len(prj) == 12
    assert sorted(pairs(prj)) == [(i, j) for i in range(3) for j in range(4)]
    assert np.all(prj.get("weight", format="array") == 0.5)


def test_all_to_all_self_connections():
    pop = neurons(5)
    with_self = sim.Projection(pop, pop, sim.AllToAllConnector(allow_self_connections=True))
    without = sim.Projection(pop, pop, sim.AllToAllConnector(allow_self_connections=False))
    assert len(with_self) == 25
    assert sorted(pairs(without)) == [(i, j) for i in range(5) for j in range(5) if i != j]
    # views of one population: a "self connection" is the same cell, not the same position
    a, b = pop[0:3], pop[1:4]           # cells 0,1,2 and 1,2,3
    prj = sim.Projection(a, b, sim.AllToAllConnector(allow_self_connections=False))
    assert sorted(pairs(prj)) == sorted(
        {(i, j) for i in range(3) for j in range(3)} - {(1, 0), (2, 1)})


@pytest.mark.parametrize("n", [1, 2, 7])
def test_one_to_one(n):
    src = sources([[1.0 + k] for k in range(n)])
    post = neurons(n)
    post.record("isyn_exc")
    prj = sim.Projection(src, post, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.25))
    assert pairs(prj) == [(i, i) for i in range(n)]
    sim.run(n + 3.0)
    w = observed_matrix([1.0 + k for k in range(n)], [post], delay=DT)
    np.testing.assert_allclose(w, 0.25 * np.eye(n), atol=1e-12)


def test_fixed_probability_reproducible_and_statistics():
    pre, post = neurons(200), neurons(200)
    p = 0.1

    def build(seed, **kw):
        return sim.Projection(pre, post, sim.FixedProbabilityConnector(
            p, rng=sim.NumpyRNG(seed=seed), **kw))

    a, b, c = build(42), build(42), build(43)
    assert pairs(a) == pairs(b)
    assert pairs(a) != pairs(c)
    n = 200 * 200
    for prj in (a, c):
        assert abs(len(prj) - p * n) < 4 * np.sqrt(n * p * (1 - p))
    # no self connections: i -> i removed, the rest unchanged in distribution
    pop = neurons(200)
    no_self = sim.Projection(pop, pop, sim.FixedProbabilityConnector(
        p, allow_self_connections=False, rng=sim.NumpyRNG(seed=5)))
    pre_i, post_i = np.array(pairs(no_self)).T
    assert not np.any(pre_i == post_i)
    m = 200 * 199
    assert abs(len(no_self) - p * m) < 4 * np.sqrt(m * p * (1 - p))


def test_fixed_probability_edge_cases():
    pre, post = neurons(10), neurons(8)
    assert len(sim.Projection(pre, post, sim.FixedProbabilityConnector(0.0))) == 0
    assert len(sim.Projection(pre, post, sim.FixedProbabilityConnector(1.0))) == 80
    pop = neurons(15)
    prj = sim.Projection(pop[0:10], pop[5:15], sim.FixedProbabilityConnector(
        1.0, allow_self_connections=False))
    assert len(prj) == 100 - 5          # cells 5..9 are in both views
    assert all(i - j != 5 for i, j in pairs(prj))


def test_empty_projection_runs():
    src, post = sources([[1.0]]), neurons(3)
    prj = sim.Projection(src, post, sim.FixedProbabilityConnector(0.0))
    assert len(prj) == 0 and list(prj) == []
    assert prj.get("weight", format="list") == []
    assert np.all(np.isnan(prj.get("weight", format="array")))
    sim.run(5.0)


def test_from_list_without_values():
    pre, post = neurons(3), neurons(3)
    conn = [(0, 1), (2, 0), (1, 1)]
    prj = sim.Projection(pre, post, sim.FromListConnector(conn),
                         sim.StaticSynapse(weight=0.3, delay=1.5))
    assert prj.get(["weight", "delay"], format="list") == [
        (0, 1, 0.3, 1.5), (2, 0, 0.3, 1.5), (1, 1, 0.3, 1.5)]
    default = sim.Projection(pre, post, sim.FromListConnector(conn))
    assert default.get("delay", format="list", with_address=False) == [DT] * 3   # min_delay
    assert default.get("weight", format="list", with_address=False) == [0.0] * 3


def test_from_list_with_values():
    pre, post = neurons(3), neurons(4)
    conn = [(0, 3, 0.1, 1.0), (2, 1, 0.2, 2.5), (1, 0, 0.3, 0.7)]
    prj = sim.Projection(pre, post, sim.FromListConnector(conn))
    assert prj.get(["weight", "delay"], format="list") == conn
    # one value column, named; the other from the synapse type
    prj2 = sim.Projection(pre, post, sim.FromListConnector(
        [(0, 0, 0.4), (1, 2, 0.6)], column_names=["weight"]), sim.StaticSynapse(delay=2.0))
    assert prj2.get(["weight", "delay"], format="list") == [(0, 0, 0.4, 2.0), (1, 2, 0.6, 2.0)]
    # columns in another order
    prj3 = sim.Projection(pre, post, sim.FromListConnector(
        [(2, 3, 1.2, 0.9)], column_names=["delay", "weight"]))
    assert prj3.get(["weight", "delay"], format="list") == [(2, 3, 0.9, 1.2)]
    # integer arrays work as well as lists of tuples
    prj4 = sim.Projection(pre, post, sim.FromListConnector(np.array([[0, 1], [2, 2]])))
    assert pairs(prj4) == [(0, 1), (2, 2)]


def test_fallback_connector_uses_pynn_algorithm():
    pre, post = neurons(5), neurons(4)
    prj = sim.Projection(pre, post, sim.FixedNumberPreConnector(2, rng=sim.NumpyRNG(seed=3)),
                         sim.StaticSynapse(weight=0.2, delay=1.0))
    post_idx = np.array([j for _, j in pairs(prj)])
    assert np.bincount(post_idx, minlength=4).tolist() == [2, 2, 2, 2]
    assert set(prj.get("weight", format="list", with_address=False)) == {0.2}


# -- weights and delays -------------------------------------------------------------------
def test_weights_scalar_and_array():
    pre, post = neurons(4), neurons(3)
    w = np.arange(1, 13, dtype=float).reshape(4, 3) / 10
    prj = sim.Projection(pre, post, sim.FixedProbabilityConnector(0.6, rng=sim.NumpyRNG(seed=1)),
                         sim.StaticSynapse(weight=w, delay=w * 10))
    got_w, got_d = prj.get(["weight", "delay"], format="array")
    mask = ~np.isnan(got_w)
    assert 0 < mask.sum() < 12
    np.testing.assert_array_equal(got_w[mask], w[mask])
    np.testing.assert_allclose(got_d[mask], (w * 10)[mask])
    for c in prj:
        assert c.weight == w[c.presynaptic_index, c.postsynaptic_index]


def test_weights_random_distribution():
    pre, post = neurons(6), neurons(5)
    dist = sim.RandomDistribution("uniform", (0.1, 0.5), rng=sim.NumpyRNG(seed=7))
    prj = sim.Projection(pre, post, sim.FixedProbabilityConnector(0.5, rng=sim.NumpyRNG(seed=2)),
                         sim.StaticSynapse(weight=dist))
    got = np.array(prj.get("weight", format="list", with_address=False))
    # one draw per connection, in connection order
    expected = np.random.RandomState(7).uniform(0.1, 0.5, size=len(prj))
    np.testing.assert_array_equal(got, expected)
    # same seed, same weights
    prj2 = sim.Projection(pre, post, sim.FixedProbabilityConnector(0.5, rng=sim.NumpyRNG(seed=2)),
                          sim.StaticSynapse(weight=sim.RandomDistribution(
                              "uniform", (0.1, 0.5), rng=sim.NumpyRNG(seed=7))))
    assert prj2.get("weight", format="list") == prj.get("weight", format="list")


def _line_distances(n_pre, n_post, periodic=None):
    x_pre = 10.0 * np.arange(n_pre)                # Line(dx=10)
    x_post = 2.0 + 5.0 * np.arange(n_post)         # Line(dx=5, x0=2)
    d = np.abs(x_pre[:, None] - x_post[None, :])
    if periodic is not None:
        d = np.minimum(d, periodic - d)
    return d


@pytest.mark.parametrize("weight", ["0.1 + 0.01*d", lambda d: 0.1 + 0.01 * d])
def test_weights_function_of_distance(weight):
    pre = neurons(4, structure=Line(dx=10.0))
    post = neurons(3, structure=Line(dx=5.0, x0=2.0))
    prj = sim.Projection(pre, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=weight))
    np.testing.assert_allclose(prj.get("weight", format="array"),
                               0.1 + 0.01 * _line_distances(4, 3), rtol=1e-12)


def test_distance_respects_space():
    pre = neurons(4, structure=Line(dx=10.0))
    post = neurons(3, structure=Line(dx=5.0, x0=2.0))
    space = Space(periodic_boundaries=((0, 40), None, None))
    prj = sim.Projection(pre, post, sim.AllToAllConnector(),
                         sim.StaticSynapse(weight="0.5*d"), space=space)
    np.testing.assert_allclose(prj.get("weight", format="array"),
                               0.5 * _line_distances(4, 3, periodic=40.0), rtol=1e-12)
    # 2-D grid, sparse connectivity: compare with PyNN's own distance matrix
    g1 = neurons(9, structure=Grid2D(dx=1.0, dy=2.0))
    g2 = neurons(6, structure=Grid2D(aspect_ratio=1.5, dx=1.5, dy=1.0, x0=0.3))
    prj = sim.Projection(g1, g2, sim.FixedProbabilityConnector(0.5, rng=sim.NumpyRNG(seed=9)),
                         sim.StaticSynapse(weight=lambda d: np.exp(-d)))
    ref = Space().distances(g1.positions.T, g2.positions.T).reshape(9, 6)
    a = g1.positions.T[:, None, :2] - g2.positions.T[None, :, :2]
    np.testing.assert_allclose(ref, np.hypot(a[..., 0], a[..., 1]))
    got = prj.get("weight", format="array")
    mask = ~np.isnan(got)
    np.testing.assert_allclose(got[mask], np.exp(-ref)[mask], rtol=1e-12)


def test_delay_function_of_distance_is_rounded_to_grid():
    pre = neurons(4, structure=Line(dx=10.0))
    post = neurons(3, structure=Line(dx=5.0, x0=2.0))
    prj = sim.Projection(pre, post, sim.AllToAllConnector(),
                         sim.StaticSynapse(weight=0.1, delay="0.5 + 0.04*d"))
    raw = 0.5 + 0.04 * _line_distances(4, 3)
    steps = np.round(raw / DT)                       # never a half step for these d
    assert np.all(np.abs(raw / DT - steps) > 0.1)
    np.testing.assert_allclose(prj.get("delay", format="array"), steps * DT, atol=1e-12)


def test_receptor_types():
    src = sources([[1.0]])
    post = neurons(2)
    post.record(["isyn_exc", "isyn_inh"])
    exc = sim.Projection(src, post[0:1], sim.AllToAllConnector(), sim.StaticSynapse(weight=0.5),
                         receptor_type="excitatory")
    inh = sim.Projection(src, post[1:2], sim.AllToAllConnector(),
                         sim.StaticSynapse(weight=-0.7), receptor_type="inhibitory")
    assert (exc.receptor_type, inh.receptor_type) == ("excitatory", "inhibitory")
    # a negative weight and no receptor type: PyNN picks 'inhibitory'
    guess = sim.Projection(src, post[1:2], sim.AllToAllConnector(),
                           sim.StaticSynapse(weight=-0.1))
    assert guess.receptor_type == "inhibitory"
    sim.run(5.0)
    w_exc = observed_matrix([1.0], [post], DT, "isyn_exc")
    w_inh = observed_matrix([1.0], [post], DT, "isyn_inh")
    np.testing.assert_allclose(w_exc, [[0.5, 0.0]], atol=1e-12)
    np.testing.assert_allclose(w_inh, [[0.0, -0.8]], atol=1e-12)
    current, _ = trace(post, "isyn_exc")
    assert np.all(current[:, 1] == 0)
    current, _ = trace(post, "isyn_inh")
    assert np.all(current[:, 0] == 0) and np.all(current[:, 1] <= 0)


# -- get / set ------------------------------------------------------------------------------
@pytest.fixture
def listed():
    """A FromList projection in an order that is not sorted, with a repeated pair."""
    pre, post = neurons(3), neurons(3)
    conn = [(2, 0, 0.5, 1.0), (0, 0, 0.1, 1.0), (1, 2, 0.4, 3.0), (0, 0, 0.3, 2.0),
            (0, 0, 0.2, 1.5)]
    return sim.Projection(pre, post, sim.FromListConnector(conn)), conn


def test_get_list_formats(listed):
    prj, conn = listed
    assert prj.get("weight", format="list") == [(i, j, w) for i, j, w, _ in conn]
    assert prj.get("weight", format="list", with_address=False) == [w for _, _, w, _ in conn]
    assert prj.get("delay", format="list", with_address=False) == [d for _, _, _, d in conn]
    assert prj.get(["weight", "delay"], format="list") == conn
    assert prj.get(["weight", "delay"], format="list", with_address=False) == [
        (w, d) for _, _, w, d in conn]
    assert prj.get(["delay", "weight"], format="list") == [(i, j, d, w) for i, j, w, d in conn]
    first = prj.get("weight", format="list")[0]
    assert isinstance(first[0], int) and isinstance(first[1], int)


@pytest.mark.parametrize("how, weight, delay", [
    ("sum", 0.1 + 0.3 + 0.2, 1.0 + 2.0 + 1.5), ("first", 0.1, 1.0), ("last", 0.2, 1.5),
    ("min", 0.1, 1.0), ("max", 0.3, 2.0)])
def test_get_array_multiple_synapses(listed, how, weight, delay):
    prj, _ = listed
    w, d = prj.get(["weight", "delay"], format="array", multiple_synapses=how)
    assert w[0, 0] == pytest.approx(weight) and d[0, 0] == pytest.approx(delay)
    assert (w[2, 0], w[1, 2], d[1, 2]) == (0.5, 0.4, 3.0)
    absent = [(0, 1), (0, 2), (1, 0), (1, 1), (2, 1), (2, 2)]
    assert all(np.isnan(w[i, j]) and np.isnan(d[i, j]) for i, j in absent)
    single = prj.get("weight", format="array", multiple_synapses=how)
    np.testing.assert_array_equal(single, w)


def test_len_getitem_iteration(listed):
    prj, conn = listed
    assert len(prj) == prj.size() == 5
    c = prj[3]
    assert (c.presynaptic_index, c.postsynaptic_index, c.weight, c.delay) == conn[3]
    assert prj[-1].weight == conn[-1][2]
    assert prj[np.int64(2)].delay == 3.0
    with pytest.raises(IndexError):
        prj[5]
    assert [(c.presynaptic_index, c.postsynaptic_index, c.weight, c.delay)
            for c in prj] == conn
    assert [c.as_tuple("weight", "delay") for c in prj] == [(w, d) for _, _, w, d in conn]


def test_set_scalar_array_random_and_list(listed):
    prj, conn = listed
    prj.set(weight=0.7, delay=2.0)
    assert prj.get(["weight", "delay"], format="list", with_address=False) == [(0.7, 2.0)] * 5
    # 2-D array: every connection of a pair gets that pair's value
    w = np.arange(9, dtype=float).reshape(3, 3) / 10 + 0.05
    prj.set(weight=w)
    assert prj.get("weight", format="list", with_address=False) == [
        w[i, j] for i, j, _, _ in conn]
    # RandomDistribution: one draw per connection, in connection order
    prj.set(weight=sim.RandomDistribution("uniform", (0.2, 0.4), rng=sim.NumpyRNG(seed=11)))
    np.testing.assert_array_equal(prj.get("weight", format="list", with_address=False),
                                  np.random.RandomState(11).uniform(0.2, 0.4, size=5))
    # a list fills the connection matrix row by row (PyNN's meaning): the values go to the
    # connections ordered by (presynaptic, postsynaptic) index, whatever the list order
    prj.set(weight=[1.0, 2.0, 3.0, 4.0, 5.0], delay=np.array([0.5, 0.6, 0.7, 0.8, 0.9]))
    # (a stable sort: connections of the same pair keep their order)
    ranked = sorted(range(len(conn)), key=lambda k: (conn[k][0], conn[k][1]))
    rank = {k: r for r, k in enumerate(ranked)}
    assert prj.get(["weight", "delay"], format="list") == [
        (i, j, 1.0 + rank[k], pytest.approx(0.5 + 0.1 * rank[k]))
        for k, (i, j, _, _) in enumerate(conn)]


def test_set_function_of_distance():
    pre = neurons(4, structure=Line(dx=10.0))
    post = neurons(3, structure=Line(dx=5.0, x0=2.0))
    prj = sim.Projection(pre, post, sim.AllToAllConnector())
    prj.set(weight="0.2 + 0.5*d")
    np.testing.assert_allclose(prj.get("weight", format="array"),
                               0.2 + 0.5 * _line_distances(4, 3), rtol=1e-12)
    prj.set(weight=lambda d: 2.0 * d)
    np.testing.assert_allclose(prj.get("weight", format="array"),
                               2.0 * _line_distances(4, 3), rtol=1e-12)


def test_failed_set_changes_nothing(listed):
    prj, conn = listed
    before = prj.get(["weight", "delay"], format="list")
    with pytest.raises(errors.ConnectionError, match="-0.5"):
        prj.set(weight=[0.1, 0.2, -0.5, 0.3, 0.4], delay=1.0)
    with pytest.raises(errors.InvalidDimensionsError, match="4 values"):
        prj.set(weight=[0.1, 0.2, 0.3, 0.4])
    with pytest.raises(errors.InvalidDimensionsError, match=r"\(2, 3\)"):
        prj.set(weight=np.ones((2, 3)))
    assert prj.get(["weight", "delay"], format="list") == before


# -- views and assemblies: indices and where the spikes go ----------------------------------
def test_view_to_population():
    times = [[1.0 + k] for k in range(6)]
    src = sources(times)
    post = neurons(4)
    post.record("isyn_exc")
    view = src[[4, 0, 2]]     # PyNN sorts view selectors: positions 0, 1, 2 -> cells 0, 2, 4
    conn = [(0, 1, 0.1), (1, 3, 0.2), (2, 0, 0.3), (0, 2, 0.4)]
    prj = sim.Projection(view, post, sim.FromListConnector(conn, column_names=["weight"]))
    assert prj.get("weight", format="list") == conn
    assert prj.shape == (3, 4)
    sim.run(9.0)
    expected = np.zeros((6, 4))
    cell = [0, 2, 4]
    for i, j, w in conn:
        expected[cell[i], j] = w
    np.testing.assert_allclose(observed_matrix([t[0] for t in times], [post], DT), expected,
                               atol=1e-12)


def test_population_to_view_of_view():
    src = sources([[1.0], [2.0], [3.0]])
    post = neurons(8)
    post.record("isyn_exc")
    inner = post[1:7]                              # cells 1..6
    view = inner[[5, 0, 3]]                        # sorted: inner 0, 3, 5 -> cells 1, 4, 6
    w = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]])
    prj = sim.Projection(src, view, sim.OneToOneConnector(), sim.StaticSynapse(weight=w))
    assert prj.get("weight", format="list") == [(0, 0, 0.1), (1, 1, 0.5), (2, 2, 0.9)]
    sim.run(6.0)
    expected = np.zeros((3, 8))
    expected[0, 1], expected[1, 4], expected[2, 6] = 0.1, 0.5, 0.9
    np.testing.assert_allclose(observed_matrix([1.0, 2.0, 3.0], [post], DT), expected,
                               atol=1e-12)


def test_assembly_to_population():
    a = sources([[1.0], [2.0]])
    b = sources([[3.0], [4.0], [5.0]])
    post = neurons(3)
    post.record("isyn_exc")
    pre = a + b                                    # positions 0,1 -> a; 2,3,4 -> b
    w = (np.arange(15, dtype=float).reshape(5, 3) + 1) / 20
    prj = sim.Projection(pre, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=w))
    assert prj.shape == (5, 3)
    np.testing.assert_array_equal(prj.get("weight", format="array"), w)
    sim.run(8.0)
    np.testing.assert_allclose(observed_matrix([1.0, 2.0, 3.0, 4.0, 5.0], [post], DT), w,
                               atol=1e-12)


def test_population_to_assembly():
    src = sources([[1.0], [2.0], [3.0], [4.0]])
    x, y = neurons(2), neurons(4)
    for p in (x, y):
        p.record("isyn_exc")
    post = sim.Assembly(x, y)                      # positions 0,1 -> x; 2..5 -> y
    prj = sim.Projection(src, post, sim.FixedProbabilityConnector(0.5, rng=sim.NumpyRNG(seed=4)),
                         sim.StaticSynapse(weight=sim.RandomDistribution(
                             "uniform", (0.1, 1.0), rng=sim.NumpyRNG(seed=8))))
    expected = np.zeros((4, 6))
    for i, j, w in prj.get("weight", format="list"):
        expected[i, j] += w
    assert 0 < len(prj) < 24
    sim.run(7.0)
    np.testing.assert_allclose(observed_matrix([1.0, 2.0, 3.0, 4.0], [x, y], DT), expected,
                               atol=1e-12)


def test_assembly_to_assembly_with_views():
    a = sources([[1.0], [2.0]])
    b = sources([[3.0], [4.0], [5.0]])
    x, y = neurons(3), neurons(4)
    for p in (x, y):
        p.record("isyn_exc")
    pre = sim.Assembly(a, b[[2, 0]])               # 0,1 -> a0,a1; 2 -> b0; 3 -> b2
    post = sim.Assembly(x, y[1:3])                 # 0,1,2 -> x0..x2; 3 -> y1; 4 -> y2
    conn = [(0, 4, 0.1), (1, 0, 0.2), (2, 3, 0.3), (3, 2, 0.4), (2, 1, 0.5), (3, 4, 0.6)]
    prj = sim.Projection(pre, post, sim.FromListConnector(conn, column_names=["weight"]))
    assert prj.shape == (4, 5)
    assert prj.get("weight", format="list") == conn
    sim.run(8.0)
    src_row = {0: 0, 1: 1, 2: 2, 3: 4}             # rows: a0 a1 b0 b1 b2 (spike order)
    post_col = {0: 0, 1: 1, 2: 2, 3: 4, 4: 5}      # columns: x0 x1 x2 y0 y1 y2 y3
    expected = np.zeros((5, 7))
    for i, j, w in conn:
        expected[src_row[i], post_col[j]] = w
    np.testing.assert_allclose(observed_matrix([1.0, 2.0, 3.0, 4.0, 5.0], [x, y], DT),
                               expected, atol=1e-12)


def test_exactly_the_connected_neurons_fire():
    src = sources([[1.0], [2.0], [3.0], [4.0], [5.0]])
    post = neurons(6)
    post.record("spikes")
    # view positions 0, 1 are src cells 1, 3 (spikes at 2 and 4 ms) and post cells 0, 4;
    # (0, 1): src 1 -> post 4, (1, 0): src 3 -> post 0
    sim.Projection(src[[3, 1]], post[[4, 0]], sim.FromListConnector([(0, 1), (1, 0)]),
                   sim.StaticSynapse(weight=20.0, delay=1.0))
    sim.run(20.0)
    spikes = post.get_data("spikes").segments[-1].spiketrains
    fired = {j for j, st in enumerate(spikes) if len(st)}
    assert fired == {0, 4}
    assert 3.0 < spikes[4][0] < 5.0 < spikes[0][0] < 7.0


def test_set_weight_between_runs_takes_effect():
    src = sources([[1.0, 11.0], [2.0, 12.0], [3.0, 13.0]])
    post = neurons(3)
    post.record("isyn_exc")
    conn = [(2, 0, 0.5), (0, 2, 0.25), (1, 1, 0.75)]
    prj = sim.Projection(src, post, sim.FromListConnector(conn, column_names=["weight"]),
                         sim.StaticSynapse(delay=1.0))
    sim.run(10.0)
    prj.set(weight=[0.125, 2.0, 1.5])             # row by row: (0,2), (1,1), (2,0)
    sim.run(10.0)
    first = observed_matrix([1.0, 2.0, 3.0], [post], 1.0)
    second = observed_matrix([11.0, 12.0, 13.0], [post], 1.0)
    np.testing.assert_allclose(first, [[0, 0, 0.25], [0, 0.75, 0], [0.5, 0, 0]], atol=1e-12)
    np.testing.assert_allclose(second, [[0, 0, 0.125], [0, 2.0, 0], [1.5, 0, 0]], atol=1e-12)
    # a third run with a 2-D array and a scalar
    prj.set(weight=0.3)
    src.set(spike_times=[[21.0], [22.0], [23.0]])
    sim.run(10.0)
    third = observed_matrix([21.0, 22.0, 23.0], [post], 1.0)
    np.testing.assert_allclose(third, [[0, 0, 0.3], [0, 0.3, 0], [0.3, 0, 0]], atol=1e-12)


# -- delays ---------------------------------------------------------------------------------
def test_delay_timing_rounding_and_max_delay():
    sim.setup(timestep=DT, max_delay=5.0)
    delays = [0.1, 1.0, 2.3, 1.04, 1.06, 5.0, 0.26]
    effective = [0.1, 1.0, 2.3, 1.0, 1.1, 5.0, 0.3]
    n = len(delays)
    src = sources([[2.0]] * n)
    post = neurons(n)
    post.record("isyn_exc")
    conn = [(k, k, 0.5, d) for k, d in enumerate(delays)]
    prj = sim.Projection(src, post, sim.FromListConnector(conn))
    np.testing.assert_allclose(prj.get("delay", format="list", with_address=False), effective,
                               atol=1e-12)
    assert prj.get("delay", format="list", with_address=False)[2] == 2.3   # kept as given
    sim.run(10.0)
    np.testing.assert_allclose(first_input_time(post), 2.0 + np.array(effective), atol=1e-9)


def test_delay_change_between_runs():
    src = sources([[2.0, 12.0, 22.0]])
    post = neurons(1)
    post.record("isyn_exc")
    prj = sim.Projection(src, post, sim.OneToOneConnector(),
                         sim.StaticSynapse(weight=1.0, delay=1.0))
    sim.run(10.0)
    prj.set(delay=4.0)                 # longer than any delay so far
    sim.run(10.0)
    prj.set(delay=0.5)
    sim.run(10.0)
    jumps, t = arrivals(post)
    arrived = t[np.flatnonzero(jumps[:, 0])]
    np.testing.assert_allclose(arrived, [3.0, 16.0, 22.5], atol=1e-9)
    np.testing.assert_allclose(jumps[jumps[:, 0] != 0, 0], [1.0, 1.0, 1.0], atol=1e-12)


def test_repeated_pairs_are_all_delivered():
    src = sources([[1.0]])
    post = neurons(2)
    post.record("isyn_exc")
    prj = sim.Projection(src, post, sim.FromListConnector(
        [(0, 0, 0.1, 1.0), (0, 0, 0.3, 2.0), (0, 0, 0.2, 1.5), (0, 1, 0.4, 1.0)]))
    assert len(prj) == 4
    sim.run(6.0)
    jumps, t = arrivals(post)
    steps = [int(round(x / DT)) for x in (2.0, 2.5, 3.0)]
    np.testing.assert_allclose(jumps[steps, 0], [0.1, 0.2, 0.3], atol=1e-12)
    assert np.count_nonzero(jumps[:, 0]) == 3
    np.testing.assert_allclose(jumps[:, 1].sum(), 0.4, atol=1e-12)


def test_random_weights_and_delays_from_one_generator_are_independent():
    """Weights and delays drawn from the same generator continue one stream: they are
    uncorrelated, and a second projection gets new values (a bug once replayed them)."""
    rng = sim.NumpyRNG(seed=4242)
    a, b = sim.Population(60, sim.IF_curr_exp()), sim.Population(60, sim.IF_curr_exp())

    def syn():
        return sim.StaticSynapse(
            weight=sim.RandomDistribution("normal_clipped", (0.1, 0.01, 0.0, np.inf), rng=rng),
            delay=sim.RandomDistribution("normal_clipped", (1.5, 0.5, 0.1, np.inf), rng=rng))
    p1 = sim.Projection(a, b, sim.AllToAllConnector(), syn())
    p2 = sim.Projection(b, a, sim.AllToAllConnector(), syn())
    w1, d1 = np.array(p1.get(["weight", "delay"], format="list", with_address=False)).T
    w2 = np.array(p2.get("weight", format="list", with_address=False))
    assert abs(np.corrcoef(w1, d1)[0, 1]) < 4 / np.sqrt(len(w1))
    assert not np.isin(w1, w2).any()
    # and they are the draws numpy makes from that seed, weights first
    ref = np.random.RandomState(4242)
    expected_w = ref.normal(0.1, 0.01, size=len(w1))
    np.testing.assert_allclose(np.sort(w1[w1 > 0])[:10], np.sort(expected_w[expected_w > 0])[:10])
