"""The vectorised connection builders of spinnframe/projections/connect.py.

For each connector: exact expectations where the connector is deterministic (Array,
Clone, FromFile, distance thresholds, SmallWorld without rewiring), and otherwise the
invariants it promises (exact in- or out-degrees, total counts, no self connections, no
repeated pairs) plus statistics over many seeds (each pair as likely as the connector
says, within sampling error). Where PyNN's own algorithm is cheap on a small network it
is run too (through Projection._convergent_connect, with the builder switched off) and
must pass the same statistical checks. Tiny block sizes exercise the blockwise code.
"""
from __future__ import annotations

import contextlib
import sys
import time
import types

import numpy as np
import pytest
from pyNN import connectors as pynn_connectors
from pyNN import errors
from pyNN.core import IndexBasedExpression
from pyNN.random import NumpyRNG, RandomDistribution
from pyNN.recording.files import PickleFile
from pyNN.space import Space

import spinnframe.pyNN as sim
from spinnframe.projections import connect


@pytest.fixture(autouse=True)
def simulation():
    sim.setup(timestep=0.1)
    yield
    sim.end()


# -- helpers ----------------------------------------------------------------------------------
def cells(n, **kw):
    return sim.Population(n, sim.IF_curr_exp(), **kw)


def pairs(prj) -> np.ndarray:
    """(n, 2) array of (pre, post) indices, in connection order."""
    conns = prj.get("weight", format="list")
    return np.array(conns, dtype=float)[:, :2].astype(int).reshape(-1, 2)


def matrix(prj) -> np.ndarray:
    """Number of connections per (pre, post) pair."""
    m = np.zeros(prj.shape, int)
    p = pairs(prj)
    np.add.at(m, (p[:, 0], p[:, 1]), 1)
    return m


def assert_grouped_by_pre(prj):
    p = pairs(prj)
    assert (np.diff(p[:, 0]) >= 0).all()


@contextlib.contextmanager
def pynn_algorithm():
    """Projections made inside run PyNN's own connector algorithm."""
    saved = connect.builder_for
    connect.builder_for = lambda connector: None
    try:
        yield
    finally:
        connect.builder_for = saved


def frequencies(make, seeds):
    """Summed connection-count matrices of projections made with each seed."""
    total = None
    for seed in seeds:
        m = matrix(make(seed))
        total = m if total is None else total + m
    return total


def assert_uniform(counts, expected, allowed=None, sigmas=5.0):
    """Pearson's chi-square of ``counts`` (pairs where ``allowed``) against a constant
    expectation stays within ``sigmas`` standard deviations of its mean."""
    allowed = np.ones(counts.shape, bool) if allowed is None else allowed
    c = counts[allowed].astype(float)
    chi2 = ((c - expected) ** 2 / expected).sum()
    dof = c.size - 1
    assert chi2 < dof + sigmas * np.sqrt(2 * dof), (chi2, dof)


# -- FixedNumberPreConnector / FixedNumberPostConnector -------------------------------------------
@pytest.mark.parametrize("with_replacement", [False, True])
@pytest.mark.parametrize("allow_self", [True, False])
@pytest.mark.parametrize("kind", ["Pre", "Post"])
def test_fixed_number_exact_degrees(kind, with_replacement, allow_self):
    p = cells(30)
    cls = getattr(sim, f"FixedNumber{kind}Connector")
    prj = sim.Projection(p, p, cls(8, with_replacement=with_replacement,
                                   allow_self_connections=allow_self, rng=NumpyRNG(1)))
    m = matrix(prj)
    degree = m.sum(axis=0) if kind == "Pre" else m.sum(axis=1)
    assert (degree == 8).all()                      # every cell has exactly n partners
    assert len(prj) == 8 * 30
    if not allow_self:
        assert np.diag(m).sum() == 0
    if not with_replacement:
        assert m.max() == 1                          # no pair twice
    assert_grouped_by_pre(prj)


def test_fixed_number_pre_between_different_populations_and_post_sorted_within_pre():
    pre, post = cells(50), cells(20)
    prj = sim.Projection(pre, post, sim.FixedNumberPreConnector(5, rng=NumpyRNG(2)))
    m = matrix(prj)
    assert (m.sum(axis=0) == 5).all() and m.max() == 1
    p = pairs(prj)
    assert (np.diff(p[:, 0] * 1000 + p[:, 1]) > 0).all()    # sorted by (pre, post)


@pytest.mark.parametrize("kind", ["Pre", "Post"])
def test_fixed_number_more_than_available_takes_full_sets_first(kind):
    """Without replacement, n > available: every candidate once per full set, the rest
    distinct (PyNN's rule)."""
    p = cells(6)
    cls = getattr(sim, f"FixedNumber{kind}Connector")
    prj = sim.Projection(p, p, cls(12, allow_self_connections=False, rng=NumpyRNG(3)))
    m = matrix(prj)
    m = m if kind == "Pre" else m.T                  # rows: candidates, cols: chooser
    assert (m.sum(axis=0) == 12).all()
    off = ~np.eye(6, dtype=bool)
    # 12 = 2 full sets of the 5 others, and 2 more distinct ones
    assert set(np.unique(m[off])) <= {2, 3} and (np.diag(m) == 0).all()
    assert ((m == 3).sum(axis=0) == 2).all()


def test_fixed_number_all_but_self_is_deterministic():
    p = cells(9)
    prj = sim.Projection(p, p, sim.FixedNumberPreConnector(8, allow_self_connections=False,
                                                           rng=NumpyRNG(4)))
    np.testing.assert_array_equal(matrix(prj), 1 - np.eye(9, dtype=int))


@pytest.mark.parametrize("kind", ["Pre", "Post"])
def test_fixed_number_with_a_random_distribution(kind):
    pre, post = cells(40), cells(25)
    n = RandomDistribution("poisson", lambda_=4.0, rng=NumpyRNG(seed=77))
    cls = getattr(sim, f"FixedNumber{kind}Connector")
    prj = sim.Projection(pre, post, cls(n, rng=NumpyRNG(5)))
    m = matrix(prj)
    degree = m.sum(axis=0) if kind == "Pre" else m.sum(axis=1)
    # independent: the same distribution with the same seed, one draw per cell (after
    # the 100 draws with which PyNN's constructor checks the distribution)
    size = post.size if kind == "Pre" else pre.size
    expected = np.random.RandomState(77).poisson(4.0, size=100 + size)[100:]
    np.testing.assert_array_equal(degree, expected)
    assert m.max() == 1


def test_fixed_number_rejects_non_integer_and_impossible_numbers():
    p = cells(10)
    n = RandomDistribution("normal", mu=5.0, sigma=1.0, rng=NumpyRNG(1))
    with pytest.raises(errors.ConnectionError, match="whole number >= 0"):
        sim.Projection(p, p, sim.FixedNumberPreConnector(n))
    single = cells(1)
    with pytest.raises(errors.ConnectionError, match="no cell it may connect to"):
        sim.Projection(single, single, sim.FixedNumberPostConnector(
            1, allow_self_connections=False, with_replacement=True))


@pytest.mark.parametrize("kind", ["Pre", "Post"])
@pytest.mark.parametrize("with_replacement", [False, True])
def test_fixed_number_pairs_are_uniform_like_pynns_algorithm(kind, with_replacement):
    """Over many seeds every allowed pair is equally likely, with our builder and with
    PyNN's own algorithm."""
    n_cells, n, seeds = 8, 3, range(300)
    cls = getattr(sim, f"FixedNumber{kind}Connector")
    p = cells(n_cells)

    def make(seed):
        return sim.Projection(p, p, cls(n, with_replacement=with_replacement,
                                        allow_self_connections=False, rng=NumpyRNG(seed)))

    allowed = ~np.eye(n_cells, dtype=bool)
    expected = len(seeds) * n / (n_cells - 1)
    ours = frequencies(make, seeds)
    assert np.diag(ours).sum() == 0
    assert_uniform(ours, expected, allowed)
    axis = 0 if kind == "Pre" else 1
    assert (ours.sum(axis=axis) == 300 * n).all()
    if with_replacement:
        # PyNN's algorithm fails with replacement and without self connections (an
        # IndexError in FixedNumberConnector._rng_uniform_int_exclude): compare with
        # self connections allowed, on both sides
        def make(seed):  # noqa: F811
            return sim.Projection(p, p, cls(n, with_replacement=True, rng=NumpyRNG(seed)))
        allowed = np.ones((n_cells, n_cells), bool)
        assert_uniform(frequencies(make, seeds), len(seeds) * n / n_cells)
    with pynn_algorithm():
        theirs = frequencies(make, seeds[:150])
    assert_uniform(theirs, 150 * n / allowed.sum(axis=axis)[0], allowed)
    # the same in-degree (Pre) / out-degree (Post) totals
    assert (theirs.sum(axis=axis) == 150 * n).all()


def test_self_connections_are_excluded_by_cell_identity_for_views_and_assemblies():
    p = cells(20)
    a, b = p[0:12], p[6:20]                       # overlapping views: cells 6..11 in both
    for connector in (sim.FixedNumberPreConnector(10, allow_self_connections=False),
                      sim.FixedNumberPostConnector(10, allow_self_connections=False,
                                                   with_replacement=True),
                      sim.FixedTotalNumberConnector(100, allow_self_connections=False),
                      sim.DistanceDependentProbabilityConnector(
                          "1", allow_self_connections=False)):
        prj = sim.Projection(a, b, connector)
        pre_ids = np.asarray(a.all_cells)[pairs(prj)[:, 0]]
        post_ids = np.asarray(b.all_cells)[pairs(prj)[:, 1]]
        assert len(prj) and not (pre_ids == post_ids).any(), type(connector).__name__
    assembly = p[0:5] + cells(5)
    prj = sim.Projection(assembly, p[0:10], sim.FixedNumberPreConnector(
        9, allow_self_connections=False))
    ids = np.asarray(assembly.all_cells)[pairs(prj)[:, 0]], \
        np.asarray(p[0:10].all_cells)[pairs(prj)[:, 1]]
    assert not (ids[0] == ids[1]).any() and len(prj) == 90


def test_same_seed_same_connections_other_seed_other_connections():
    p, q = cells(40), cells(30)
    for make in (lambda s: sim.FixedNumberPreConnector(5, rng=NumpyRNG(s)),
                 lambda s: sim.FixedNumberPostConnector(5, with_replacement=True,
                                                        rng=NumpyRNG(s)),
                 lambda s: sim.FixedTotalNumberConnector(200, rng=NumpyRNG(s)),
                 lambda s: sim.FixedTotalNumberConnector(200, with_replacement=False,
                                                         rng=NumpyRNG(s)),
                 lambda s: sim.DistanceDependentProbabilityConnector("0.3", rng=NumpyRNG(s)),
                 lambda s: sim.SmallWorldConnector(5, 0.5, rng=NumpyRNG(s))):
        first = pairs(sim.Projection(p, q, make(11)))
        np.testing.assert_array_equal(first, pairs(sim.Projection(p, q, make(11))))
        assert not np.array_equal(first, pairs(sim.Projection(p, q, make(12))))


# -- FixedTotalNumberConnector ------------------------------------------------------------------
@pytest.mark.parametrize("with_replacement", [True, False])
@pytest.mark.parametrize("allow_self", [True, False])
def test_fixed_total_number_count(with_replacement, allow_self):
    p = cells(25)
    prj = sim.Projection(p, p, sim.FixedTotalNumberConnector(
        400, with_replacement=with_replacement, allow_self_connections=allow_self,
        rng=NumpyRNG(6)))
    m = matrix(prj)
    assert len(prj) == 400 and m.sum() == 400
    if not allow_self:
        assert np.diag(m).sum() == 0
    if not with_replacement:
        assert m.max() == 1
    assert_grouped_by_pre(prj)


def test_fixed_total_number_without_replacement_all_pairs_and_too_many():
    pre, post = cells(7), cells(5)
    prj = sim.Projection(pre, post, sim.FixedTotalNumberConnector(35, with_replacement=False))
    np.testing.assert_array_equal(matrix(prj), np.ones((7, 5), int))
    p = cells(5)
    prj = sim.Projection(p, p, sim.FixedTotalNumberConnector(
        20, with_replacement=False, allow_self_connections=False))
    np.testing.assert_array_equal(matrix(prj), 1 - np.eye(5, dtype=int))
    with pytest.raises(errors.ConnectionError, match="only 20 pairs"):
        sim.Projection(p, p, sim.FixedTotalNumberConnector(
            21, with_replacement=False, allow_self_connections=False))
    assert len(sim.Projection(p, p, sim.FixedTotalNumberConnector(0))) == 0


def test_fixed_total_number_with_a_random_distribution():
    pre, post = cells(10), cells(10)
    n = RandomDistribution("uniform_int", low=50, high=60, rng=NumpyRNG(seed=5))
    prj = sim.Projection(pre, post, sim.FixedTotalNumberConnector(n, rng=NumpyRNG(1)))
    expected = RandomDistribution("uniform_int", low=50, high=60, rng=NumpyRNG(seed=5))
    expected.next(100)          # PyNN's constructor checks the distribution with 100 draws
    assert len(prj) == int(expected.next(1)[0])


@pytest.mark.parametrize("with_replacement", [True, False])
def test_fixed_total_number_pairs_are_uniform_like_pynns_algorithm(with_replacement):
    pre, post = cells(6), cells(5)
    n, seeds = 12, range(400)

    def make(seed):
        return sim.Projection(pre, post, sim.FixedTotalNumberConnector(
            n, with_replacement=with_replacement, rng=NumpyRNG(seed)))

    ours = frequencies(make, seeds)
    assert_uniform(ours, len(seeds) * n / 30)
    # out-degrees: n draws over 6 rows (binomial with replacement, hypergeometric without)
    out = np.array([matrix(make(s)).sum(axis=1) for s in range(200)])
    p = 1 / 6
    var = n * p * (1 - p) * ((30 - n) / 29 if not with_replacement else 1.0)
    assert abs(out.mean() - n * p) < 5 * np.sqrt(var / out.size)
    assert 0.75 * var < out.var() < 1.3 * var
    if with_replacement:            # PyNN's own algorithm draws with replacement
        with pynn_algorithm():
            theirs = frequencies(make, seeds[:200])
        assert theirs.sum() == 200 * n
        assert_uniform(theirs, 200 * n / 30)


def test_fixed_total_number_without_replacement_is_uniform_with_self_excluded():
    p = cells(6)
    seeds = range(300)
    ours = frequencies(lambda s: sim.Projection(p, p, sim.FixedTotalNumberConnector(
        20, with_replacement=False, allow_self_connections=False, rng=NumpyRNG(s))), seeds)
    allowed = ~np.eye(6, dtype=bool)
    assert np.diag(ours).sum() == 0
    assert_uniform(ours, 300 * 20 / 30, allowed)


# -- probability connectors ------------------------------------------------------------------------
def _distances(pre, post):
    return np.sqrt(((pre.positions.T[:, None, :] - post.positions.T[None, :, :]) ** 2).sum(-1))


def test_distance_dependent_threshold_is_exact():
    pre = cells(16, structure=sim.Grid2D(dx=1.0, dy=1.0))
    post = cells(10, structure=sim.Line(dx=0.7, x0=-1.0, y=1.5))
    prj = sim.Projection(pre, post, sim.DistanceDependentProbabilityConnector("d < 2.2"))
    np.testing.assert_array_equal(matrix(prj), (_distances(pre, post) < 2.2).astype(int))


def test_distance_dependent_uses_the_projection_space():
    pre = cells(10, structure=sim.Line(dx=1.0))
    post = cells(10, structure=sim.Line(dx=1.0, y=5.0))
    space = Space(axes="x", periodic_boundaries=((0, 10), None, None))
    prj = sim.Projection(pre, post, sim.DistanceDependentProbabilityConnector("d < 1.5"),
                         space=space)
    d = np.abs(np.arange(10)[:, None] - np.arange(10)[None, :])
    d = np.minimum(d, 10 - d)                    # periodic in x, y ignored
    np.testing.assert_array_equal(matrix(prj), (d < 1.5).astype(int))
    scaled = sim.Projection(pre, post, sim.DistanceDependentProbabilityConnector("d < 0.5"),
                            space=Space(axes="x", scale_factor=2.0, offset=-1.0))
    # post x scaled: 2 * (j - 1); connected where |i - 2(j - 1)| < 0.5
    expected = (np.abs(np.arange(10)[:, None] - 2 * (np.arange(10)[None, :] - 1)) < 0.5)
    np.testing.assert_array_equal(matrix(scaled), expected.astype(int))


def test_distance_dependent_probability_matches_the_expression_like_pynns_algorithm():
    pre = cells(100, structure=sim.Grid2D(dx=1.0, dy=1.0))
    post = cells(64, structure=sim.Grid2D(dx=1.2, dy=1.2, x0=0.3))
    p = np.exp(-_distances(pre, post) / 3.0)
    mean, sd = p.sum(), np.sqrt((p * (1 - p)).sum())

    def make(seed):
        return sim.Projection(pre, post, sim.DistanceDependentProbabilityConnector(
            "exp(-d/3.0)", rng=NumpyRNG(seed)))

    counts = [len(make(seed)) for seed in range(10)]
    assert all(abs(c - mean) < 5 * sd for c in counts)
    assert abs(np.mean(counts) - mean) < 5 * sd / np.sqrt(10)
    # pairwise: the frequency of each pair over seeds follows its probability
    freq = frequencies(make, range(60)) / 60
    z = (freq - p) / np.sqrt(p * (1 - p) / 60 + 1e-12)
    assert np.abs(z).max() < 6 and abs(z.mean()) < 0.1
    with pynn_algorithm():
        theirs = [len(make(seed)) for seed in range(3)]
    assert all(abs(c - mean) < 5 * sd for c in theirs)


def test_distance_dependent_no_self_connections():
    p = cells(25, structure=sim.Grid2D())
    prj = sim.Projection(p, p, sim.DistanceDependentProbabilityConnector(
        "d < 1.5", allow_self_connections=False))
    expected = (_distances(p, p) < 1.5) & ~np.eye(25, dtype=bool)
    np.testing.assert_array_equal(matrix(prj), expected.astype(int))


def test_distance_expression_weights_and_delays():
    pre = cells(5, structure=sim.Line(dx=1.0))
    post = cells(4, structure=sim.Line(dx=2.0, y=1.0))
    prj = sim.Projection(pre, post, sim.AllToAllConnector(),
                         sim.StaticSynapse(weight="0.1 + 0.01*d", delay="1.0 + d"))
    d = _distances(pre, post)
    w = prj.get("weight", format="array")
    np.testing.assert_allclose(w, 0.1 + 0.01 * d, rtol=1e-12)
    np.testing.assert_allclose(prj.get("delay", format="array"),
                               np.round((1.0 + d) / 0.1) * 0.1, atol=1e-9)


def test_displacement_dependent_probability():
    pre = cells(16, structure=sim.Grid2D(dx=1.0, dy=1.0))
    post = cells(9, structure=sim.Grid2D(dx=1.5, dy=1.5))
    disp = post.positions.T[None, :, :] - pre.positions.T[:, None, :]    # post - pre
    expected = ((np.abs(disp[..., 0]) < 1.2) & (disp[..., 1] >= 0)).astype(int)
    prj = sim.Projection(pre, post, sim.DisplacementDependentProbabilityConnector(
        lambda d: (np.abs(d[0]) < 1.2) & (d[1] >= 0)))
    np.testing.assert_array_equal(matrix(prj), expected)
    # PyNN documents the argument as an expression of d: a string works too
    prj = sim.Projection(pre, post, sim.DisplacementDependentProbabilityConnector(
        "(abs(d[0]) < 1.2) * (d[1] >= 0)"))
    np.testing.assert_array_equal(matrix(prj), expected)
    with pynn_algorithm():
        theirs = sim.Projection(pre, post, sim.DisplacementDependentProbabilityConnector(
            lambda d: (np.abs(d[0]) < 1.2) & (d[1] >= 0)))
    np.testing.assert_array_equal(matrix(theirs), expected)
    # probabilistic
    big_pre = cells(400, structure=sim.Grid2D())
    big_post = cells(100, structure=sim.Grid2D())
    prj = sim.Projection(big_pre, big_post, sim.DisplacementDependentProbabilityConnector(
        lambda d: 0.25 * (d[2] == 0), rng=NumpyRNG(3)))
    assert abs(len(prj) - 10000) < 5 * np.sqrt(40000 * 0.25 * 0.75)


class _Checkerboard(IndexBasedExpression):
    def __call__(self, i, j):
        return ((i + j) % 2 == 0).astype(float)


class _Triangle(IndexBasedExpression):
    def __call__(self, i, j):
        return 0.4 * (i < j)


def test_index_based_probability():
    pre, post = cells(12), cells(10)
    prj = sim.Projection(pre, post, sim.IndexBasedProbabilityConnector(_Checkerboard()))
    i, j = np.indices((12, 10))
    np.testing.assert_array_equal(matrix(prj), ((i + j) % 2 == 0).astype(int))
    big = cells(300)
    counts = [len(sim.Projection(big, big, sim.IndexBasedProbabilityConnector(
        _Triangle(), rng=NumpyRNG(s)))) for s in range(3)]
    n_pairs = 300 * 299 / 2
    for c in counts:
        assert abs(c - 0.4 * n_pairs) < 5 * np.sqrt(n_pairs * 0.24)
    prj = sim.Projection(big, big, sim.IndexBasedProbabilityConnector(_Triangle(),
                                                                      rng=NumpyRNG(9)))
    assert (pairs(prj)[:, 0] < pairs(prj)[:, 1]).all()


def test_probability_connector_errors():
    p = cells(4, structure=sim.Line())
    with pytest.raises(errors.ConnectionError, match="could not evaluate"):
        sim.Projection(p, p, sim.DisplacementDependentProbabilityConnector(lambda d: d[7]))
    with pytest.raises(errors.ConnectionError, match="NaN"):
        sim.Projection(p, p, sim.DisplacementDependentProbabilityConnector(
            lambda d: np.full(d.shape[1], np.nan)))


# -- ArrayConnector, CloneConnector, FromFileConnector ------------------------------------
def test_array_connector_is_exact():
    pre, post = cells(8), cells(6)
    arr = np.random.RandomState(0).uniform(size=(8, 6)) < 0.4
    prj = sim.Projection(pre, post, sim.ArrayConnector(arr))
    np.testing.assert_array_equal(matrix(prj), arr.astype(int))
    assert (np.diff(pairs(prj)[:, 0] * 10 + pairs(prj)[:, 1]) > 0).all()
    prj = sim.Projection(pre, post, sim.ArrayConnector(arr.astype(int)))    # 0/1 numbers
    np.testing.assert_array_equal(matrix(prj), arr.astype(int))
    with pytest.raises(errors.ConnectionError, match=r"shape \(6, 8\).*\(8, 6\)"):
        sim.Projection(pre, post, sim.ArrayConnector(arr.T))
    with pytest.raises(errors.ConnectionError, match="booleans .* or 0/1, got the value 2"):
        sim.Projection(pre, post, sim.ArrayConnector(arr * 2))


def test_clone_connector_copies_the_connection_map():
    pre, post = cells(15), cells(12)
    ref = sim.Projection(pre, post, sim.FixedProbabilityConnector(0.3, rng=NumpyRNG(1)),
                         sim.StaticSynapse(weight=0.5))
    clone = sim.Projection(pre, post, sim.CloneConnector(ref), sim.StaticSynapse(weight=2.0),
                           receptor_type="excitatory")
    np.testing.assert_array_equal(pairs(clone), pairs(ref))
    assert set(np.asarray(clone.get("weight", format="list"))[:, 2]) == {2.0}
    # PyNN clones the map: a pair connected several times in the reference is one
    multi = sim.Projection(pre, post, sim.FixedTotalNumberConnector(500, rng=NumpyRNG(2)))
    assert matrix(multi).max() > 1
    clone = sim.Projection(pre, post, sim.CloneConnector(multi))
    np.testing.assert_array_equal(matrix(clone), (matrix(multi) > 0).astype(int))
    # a view with the same cells is the same collection
    same = sim.Projection(pre[:], post, sim.CloneConnector(ref))
    np.testing.assert_array_equal(pairs(same), pairs(ref))
    with pytest.raises(errors.ConnectionError, match="presynaptic cells must be those"):
        sim.Projection(cells(15), post, sim.CloneConnector(ref))
    with pytest.raises(errors.ConnectionError, match="postsynaptic cells must be those"):
        sim.Projection(pre, post[0:11], sim.CloneConnector(ref))


def test_from_file_reads_what_projection_save_writes(tmp_path):
    pre, post = cells(20), cells(15)
    rng = NumpyRNG(4)
    synapse = sim.StaticSynapse(weight=RandomDistribution("uniform", (0.1, 1.0), rng=rng),
                                delay=RandomDistribution("uniform", (0.1, 5.0), rng=rng))
    ref = sim.Projection(pre, post, sim.FixedProbabilityConnector(0.2, rng=rng), synapse)
    path = tmp_path / "conns.txt"
    ref.save("all", str(path))
    prj = sim.Projection(pre, post, sim.FromFileConnector(str(path)))
    expected = np.array(ref.get(["weight", "delay"], format="list"))
    got = np.array(prj.get(["weight", "delay"], format="list"))
    np.testing.assert_array_equal(got[:, :2], expected[:, :2])
    np.testing.assert_allclose(got[:, 2:], expected[:, 2:], rtol=1e-15)


def test_from_file_columns_like_from_list(tmp_path):
    pre, post = cells(4), cells(3)
    rows = np.array([[0, 1, 0.5, 1.0], [3, 2, 0.25, 2.0], [2, 0, 1.5, 0.5]])
    np.savetxt(tmp_path / "four.txt", rows)                          # no header: weight, delay
    prj = sim.Projection(pre, post, sim.FromFileConnector(str(tmp_path / "four.txt")))
    got = np.array(prj.get(["weight", "delay"], format="list"))
    np.testing.assert_allclose(got[np.lexsort((got[:, 1], got[:, 0]))],
                               rows[np.lexsort((rows[:, 1], rows[:, 0]))])
    np.savetxt(tmp_path / "two.txt", rows[:, :2])                    # no header: no values
    prj = sim.Projection(pre, post, sim.FromFileConnector(str(tmp_path / "two.txt")),
                         sim.StaticSynapse(weight=0.3))
    assert sorted(map(tuple, pairs(prj))) == [(0, 1), (2, 0), (3, 2)]
    assert set(np.asarray(prj.get("weight", format="list"))[:, 2]) == {0.3}
    # a header naming the columns, in another order
    (tmp_path / "named.txt").write_text('# columns = ["i", "j", "delay"]\n0 1 2.5\n1 2 0.5\n')
    prj = sim.Projection(pre, post, sim.FromFileConnector(str(tmp_path / "named.txt")),
                         sim.StaticSynapse(weight=0.7))
    np.testing.assert_allclose(np.array(prj.get(["weight", "delay"], format="list")),
                               [[0, 1, 0.7, 2.5], [1, 2, 0.7, 0.5]])
    np.savetxt(tmp_path / "three.txt", rows[:, :3])
    with pytest.raises(errors.ConnectionError, match="3 columns and no '# columns"):
        sim.Projection(pre, post, sim.FromFileConnector(str(tmp_path / "three.txt")))
    (tmp_path / "bad.txt").write_text('# columns = ["i", "j", "U"]\n0 1 0.5\n')
    with pytest.raises(errors.ConnectionError, match="column 'U' is not a parameter"):
        sim.Projection(pre, post, sim.FromFileConnector(str(tmp_path / "bad.txt")))
    (tmp_path / "range.txt").write_text("0 1\n4 0\n")
    with pytest.raises(errors.ConnectionError, match="row 1: presynaptic index 4"):
        sim.Projection(pre, post, sim.FromFileConnector(str(tmp_path / "range.txt")))
    with pytest.raises(errors.ConnectionError, match="cannot read"):
        sim.Projection(pre, post, sim.FromFileConnector(str(tmp_path / "missing.txt")))


def test_from_file_distributed_and_pickle_files(tmp_path):
    pre, post = cells(4), cells(3)
    (tmp_path / "conns.txt.0").write_text("0 0 0.5 1.0\n1 2 0.5 1.0\n")
    (tmp_path / "conns.txt").write_text("3 0 0.5 1.0\n")
    prj = sim.Projection(pre, post, sim.FromFileConnector(str(tmp_path / "conns.txt"),
                                                          distributed=True))
    assert sorted(map(tuple, pairs(prj))) == [(0, 0), (1, 2)]          # rank 0's file
    assert (tmp_path / "conns.txt").exists()                           # nothing deleted
    f = PickleFile(str(tmp_path / "conns.pkl"), mode="wb")
    f.write(np.array([[2.0, 1.0, 0.25, 0.5]]), {"columns": ["i", "j", "weight", "delay"]})
    f.close()
    prj = sim.Projection(pre, post, sim.FromFileConnector(PickleFile(str(tmp_path / "conns.pkl"),
                                                                     mode="rb")))
    np.testing.assert_allclose(prj.get(["weight", "delay"], format="list"), [[2, 1, 0.25, 0.5]])


# -- SmallWorldConnector, CSAConnector ------------------------------------------------------------
def test_small_world_without_rewiring_connects_the_neighbourhood():
    p = cells(36, structure=sim.Grid2D(dx=1.0, dy=1.0))
    prj = sim.Projection(p, p, sim.SmallWorldConnector(degree=1.5, rewiring=0.0))
    d = _distances(p, p)
    np.testing.assert_array_equal(matrix(prj), (d < 1.5).astype(int))
    prj = sim.Projection(p, p, sim.SmallWorldConnector(degree=1.5, rewiring=0.0,
                                                        allow_self_connections=False))
    np.testing.assert_array_equal(matrix(prj), ((d < 1.5) & (d > 0)).astype(int))
    # PyNN's own class (degree kept only in d_expression) works the same
    prj = sim.Projection(p, p, pynn_connectors.SmallWorldConnector(1.5, 0.0))
    np.testing.assert_array_equal(matrix(prj), (d < 1.5).astype(int))
    # describe() works (PyNN's class lists 'degree' as a parameter but does not keep it)
    assert sim.SmallWorldConnector(1.5, 0.1).describe(template=None)["parameters"] == {
        "allow_self_connections": True, "degree": 1.5, "rewiring": 0.1, "n_connections": None}


def test_small_world_rewiring():
    p = cells(400, structure=sim.Grid2D(dx=1.0, dy=1.0))
    local = _distances(p, p) < 2.5
    np.fill_diagonal(local, False)
    for rewiring in (0.2, 1.0):
        prj = sim.Projection(p, p, sim.SmallWorldConnector(
            2.5, rewiring, allow_self_connections=False, rng=NumpyRNG(8)))
        m = matrix(prj)
        # every presynaptic cell keeps its number of connections; only targets move
        np.testing.assert_array_equal(m.sum(axis=1), local.sum(axis=1))
        assert np.diag(m).sum() == 0
        n = local.sum()
        moved_out = m[~local].sum()                # rewired onto a non-neighbour
        p_out = rewiring * (1 - local.sum(axis=1).mean() / 399)
        assert abs(moved_out - n * p_out) < 5 * np.sqrt(n * p_out * (1 - p_out))
        assert_grouped_by_pre(prj)


def test_small_world_n_connections():
    p = cells(49, structure=sim.Grid2D(dx=1.0, dy=1.0))
    prj = sim.Projection(p, p, sim.SmallWorldConnector(1.1, 0.0, n_connections=3,
                                                        allow_self_connections=False,
                                                        rng=NumpyRNG(2)))
    m = matrix(prj)
    neighbours = (_distances(p, p) < 1.1) & (_distances(p, p) > 0)
    assert (m.sum(axis=1) == 3).all()
    assert ((m > 0) <= neighbours).all()
    # cells with 3 or more neighbours: 3 distinct ones; corner cells (2): both, one twice
    has = neighbours.sum(axis=1)
    assert (m[has >= 3].max(axis=1) == 1).all() and (m[has == 2].max(axis=1) == 2).all()
    # more than a cell has: all of them, then again (corner cells have 2 neighbours)
    prj = sim.Projection(p, p, sim.SmallWorldConnector(1.1, 0.0, n_connections=5,
                                                        allow_self_connections=False))
    m = matrix(prj)
    assert (m.sum(axis=1) == 5).all() and m[0].max() == 3


@pytest.mark.parametrize("args, match", [
    ((1.0, 1.5), "rewiring must be a probability"),
    ((-1.0, 0.1), "degree .* must be a finite number >= 0"),
    (("x", 0.1), "must be numbers"),
])
def test_small_world_argument_errors(args, match):
    with pytest.raises(ValueError, match=match):
        sim.SmallWorldConnector(*args)


@pytest.mark.skipif(pynn_connectors.haveCSA, reason="csa is installed")
def test_csa_connector_without_csa_gives_a_clear_error():
    with pytest.raises(ImportError, match=r"needs the Connection Set Algebra package 'csa'.*"
                                          r"pip install csa"):
        sim.CSAConnector(None)
    with pytest.raises(RuntimeError):           # what PyNN raises, for scripts that catch it
        sim.CSAConnector(None)


def test_csa_connector_builder_with_a_stand_in_csa(monkeypatch):
    """The builder against csa's API as PyNN uses it: cross() * cset, arity(), iteration
    over (i, j) or (i, j, weight, delay)."""
    class Set:
        def __init__(self, items, arity, bounds=None):
            self.items, self.arity, self.bounds = items, arity, bounds

        def __rmul__(self, other):      # cross(...) * cset: cut to the finite part
            (a0, a1), (b0, b1) = other
            return Set([t for t in self.items if a0 <= t[0] <= a1 and b0 <= t[1] <= b1],
                       self.arity)

        def __iter__(self):
            return iter(self.items)

    fake = types.ModuleType("csa")
    fake.cross = lambda a, b: (a, b)
    fake.arity = lambda s: s.arity
    monkeypatch.setitem(sys.modules, "csa", fake)
    monkeypatch.setattr(pynn_connectors, "haveCSA", True)
    pre, post = cells(4), cells(3)

    def connector(cset):
        c = connect.CSAConnector.__new__(connect.CSAConnector)
        pynn_connectors.Connector.__init__(c)
        c.cset = cset
        return c

    mask = Set([(3, 0), (0, 2), (1, 1), (9, 0)], 0)
    prj = sim.Projection(pre, post, connector(mask))
    np.testing.assert_array_equal(pairs(prj), [[0, 2], [1, 1], [3, 0]])
    valued = Set([(2, 1, 0.5, 1.5), (0, 0, 0.25, 2.0)], 2)
    prj = sim.Projection(pre, post, connector(valued))
    np.testing.assert_allclose(prj.get(["weight", "delay"], format="list"),
                               [[0, 0, 0.25, 2.0], [2, 1, 0.5, 1.5]])


# -- blockwise building --------------------------------------------------------------------
def test_results_do_not_depend_on_the_block_size(monkeypatch):
    """Probability connectors draw the same numbers in the same order whatever the block
    size, so tiny blocks give identical connections; the sampling connectors keep their
    invariants with tiny blocks (several blocks, and the sorted-array path of the
    distinct sampler instead of the bitmap)."""
    pre = cells(60, structure=sim.Line(dx=0.5))
    post = cells(50, structure=sim.Line(dx=0.7))

    def build():
        return {
            "ddpc": pairs(sim.Projection(pre, post, sim.DistanceDependentProbabilityConnector(
                "exp(-d/4)", rng=NumpyRNG(1)))),
            "fp": pairs(sim.Projection(pre, post, sim.FixedProbabilityConnector(
                0.2, rng=NumpyRNG(2)))),
            "sw": pairs(sim.Projection(pre, post, sim.SmallWorldConnector(
                3.0, 0.0, rng=NumpyRNG(3)))),
            "total": pairs(sim.Projection(pre, post, sim.FixedTotalNumberConnector(
                700, rng=NumpyRNG(4)))),
        }

    default = build()
    monkeypatch.setattr(connect, "_BLOCK", 16)
    small = build()
    for key in default:
        np.testing.assert_array_equal(small[key], default[key], err_msg=key)
    p = cells(40)
    for connector, check in (
            (sim.FixedNumberPreConnector(7, allow_self_connections=False, rng=NumpyRNG(5)),
             lambda m: (m.sum(axis=0) == 7).all() and m.max() == 1 and not np.diag(m).any()),
            (sim.FixedNumberPostConnector(30, allow_self_connections=False, rng=NumpyRNG(5)),
             lambda m: (m.sum(axis=1) == 30).all() and m.max() == 1 and not np.diag(m).any()),
            (sim.FixedNumberPostConnector(45, rng=NumpyRNG(5)),
             lambda m: (m.sum(axis=1) == 45).all() and set(np.unique(m)) == {1, 2}),
            (sim.FixedTotalNumberConnector(900, with_replacement=False,
                                           allow_self_connections=False, rng=NumpyRNG(6)),
             lambda m: m.sum() == 900 and m.max() == 1 and not np.diag(m).any()),
            (sim.FixedTotalNumberConnector(1500, with_replacement=False, rng=NumpyRNG(6)),
             lambda m: m.sum() == 1500 and m.max() == 1),
            (sim.SmallWorldConnector(100.0, 0.5, n_connections=3, rng=NumpyRNG(7)),
             lambda m: (m.sum(axis=1) == 3).all())):
        prj = sim.Projection(p, p, connector)
        assert check(matrix(prj)), type(connector).__name__
        assert_grouped_by_pre(prj)


def test_distinct_sampler_both_paths_are_uniform(monkeypatch):
    """The bitmap path and the sorted-array path of the distinct sampler both choose
    every k-subset with equal probability (each value equally often)."""
    gen = np.random.RandomState(0)
    for block in (connect._BLOCK, 2):
        monkeypatch.setattr(connect, "_BLOCK", block)
        counts = np.zeros((3, 10))
        for _ in range(2000):
            cand = connect._Candidates(np.full(3, 10))
            g, v = connect._distinct(gen, np.array([2, 5, 8]), cand)
            assert np.array_equal(np.bincount(g, minlength=3), [2, 5, 8])
            np.add.at(counts, (g, v), 1)
        for row, k in zip(counts, (2, 5, 8)):
            assert_uniform(row, 2000 * k / 10)


# -- timing ---------------------------------------------------------------------------------------
def test_timing_fixed_total_number_30_million_connections(capsys):
    """Printed, not asserted: the microcircuit benchmark needs FixedTotalNumberConnector
    with tens of millions of connections."""
    a, b = cells(8000), cells(8000)
    connector = sim.FixedTotalNumberConnector(30_000_000, rng=NumpyRNG(42))
    t0 = time.perf_counter()
    prj = sim.Projection(a, b, connector, sim.StaticSynapse(weight=0.1, delay=1.0))
    t1 = time.perf_counter()
    assert len(prj) == 30_000_000
    stub = types.SimpleNamespace(pre=a, post=b, _fallback_seed=lambda: 1)
    t2 = time.perf_counter()
    pre, post, _ = connect.fixed_total_number(stub, sim.FixedTotalNumberConnector(
        30_000_000, rng=NumpyRNG(42)))
    t3 = time.perf_counter()
    assert len(pre) == 30_000_000 and (np.diff(pre) >= 0).all()
    with capsys.disabled():
        print(f"\nFixedTotalNumberConnector, 30 000 000 connections, 8000 -> 8000 cells: "
              f"builder {t3 - t2:.2f} s, whole Projection {t1 - t0:.2f} s")


# -- the engine runs what the builders make ------------------------------------------------------
def test_engine_delivers_every_connection_including_repeated_pairs():
    """Each presynaptic source spikes once, at its own time; the synaptic input each
    postsynaptic cell receives at each arrival equals weight x the number of connections
    from that source (pairs drawn several times count several times)."""
    n_pre, n_post, w = 12, 9, 0.01
    src = sim.Population(n_pre, sim.SpikeSourceArray(
        spike_times=[[1.0 + 2.0 * i] for i in range(n_pre)]))
    tgt = cells(n_post)
    tgt.record("isyn_exc")
    prjs = [sim.Projection(src, tgt, connector, sim.StaticSynapse(weight=w, delay=1.0))
            for connector in (
                sim.FixedNumberPreConnector(20, rng=NumpyRNG(1)),        # full sets + rest
                sim.FixedNumberPostConnector(6, with_replacement=True, rng=NumpyRNG(2)),
                sim.FixedTotalNumberConnector(150, rng=NumpyRNG(3)),
                sim.SmallWorldConnector(4.0, 0.5, rng=NumpyRNG(4)))]
    counts = sum(matrix(prj) for prj in prjs)
    sim.run(2.0 * n_pre + 3.0)
    sig = tgt.get_data("isyn_exc").segments[0].filter(name="isyn_exc")[0]
    order = np.argsort(sig.array_annotations["channel_index"])
    current = np.asarray(sig.magnitude)[:, order]
    jumps = current[1:] - current[:-1] * np.exp(-0.1 / 5.0)
    t = np.asarray(sig.times.rescale("ms").magnitude)[1:]
    for i in range(n_pre):
        # source i spikes at 1 + 2i ms (stamped at the end of its step), arrives 1 ms later
        window = (t > 1.0 + 2.0 * i + 0.5) & (t < 1.0 + 2.0 * i + 1.95)
        np.testing.assert_allclose(jumps[window].sum(axis=0), w * counts[i], atol=1e-9)
