"""Vectorised connection generation for PyNN's connectors.

Each builder returns ``(pre, post, columns)``: positions in the projection's pre and post
collections (int64 arrays) and optionally per-connection values that the connector itself
supplies (e.g. the weight column of a FromListConnector). Connectors without a builder here
run PyNN's own algorithm through ``Projection._convergent_connect``.

Rules every builder follows:

- numpy only: no Python loop per connection or per cell (loops run over blocks of rows or
  over rejection rounds whose sizes shrink geometrically);
- bounded working memory: random numbers and probability matrices are made for blocks of
  at most ``_BLOCK`` candidate pairs, never an ``n_pre x n_post`` matrix at once (the
  result itself is of course as large as the number of connections);
- connections come grouped by presynaptic position, ascending (the order of the engine's
  CSR rows, so its stable sort by presynaptic cell has nothing to do). Within a
  presynaptic cell's group they are sorted by postsynaptic position, except for
  FixedTotalNumberConnector with replacement and FixedNumberPostConnector with
  replacement, which keep the order the targets were drawn in (sorting 30 million
  connections would cost more than drawing them);
- the same seed gives the same connections: all randomness comes from the connector's
  RNG (``numpy_generator``), drawn in a fixed order;
- "self connections" are pairs whose pre and post cells are the same cell (same ID), so
  ``allow_self_connections=False`` also works between views or assemblies that overlap.
"""
from __future__ import annotations

import ast
import io
import numbers
import os
from copy import copy

import numpy as np
from lazyarray import larray
from pyNN import connectors, errors
from pyNN.random import NativeRNG, RandomDistribution
from pyNN.recording import files

#: Upper bound on random numbers drawn per block, to bound memory on large projections.
_BLOCK = 1 << 22
_EMPTY = np.zeros(0, np.int64)


def numpy_generator(rng, fallback_seed: int) -> np.random.RandomState:
    """The numpy generator behind a PyNN RNG (NumpyRNG), or a seeded one for NativeRNG/None,
    so that the same seed always gives the same network."""
    inner = getattr(rng, "rng", None)
    if isinstance(inner, (np.random.RandomState, np.random.Generator)):
        return inner
    if rng is None or isinstance(rng, NativeRNG):
        seed = getattr(rng, "seed", None)
        return np.random.RandomState((fallback_seed if seed is None else seed) % (2 ** 32))
    raise errors.ConnectionError(f"unsupported random number generator {rng!r}; use "
                                 f"pyNN.random.NumpyRNG")


# -- connector classes spinnframe.pyNN exports in place of PyNN's ------------------------------

class FixedProbabilityConnector(connectors.FixedProbabilityConnector):
    """PyNN's FixedProbabilityConnector with a clear error for a p_connect outside [0, 1]
    (PyNN's own constructor only does ``assert 0 <= p_connect``)."""

    __doc__ = connectors.FixedProbabilityConnector.__doc__

    def __init__(self, p_connect, allow_self_connections=True, location_selector=None,
                 rng=None, safe=True, callback=None):
        try:
            p = float(p_connect)
        except (TypeError, ValueError):
            p = None
        if isinstance(p_connect, bool) or p is None or not 0.0 <= p <= 1.0:
            raise ValueError(f"FixedProbabilityConnector: p_connect must be a probability "
                             f"between 0 and 1, got {p_connect!r}")
        _check_self("FixedProbabilityConnector", allow_self_connections)
        super().__init__(p, allow_self_connections, location_selector, rng, safe, callback)


def _check_self(connector: str, value, no_mutual: bool = True) -> None:
    """PyNN's connectors only ``assert`` this."""
    allowed = "True, False or 'NoMutual'" if no_mutual else "True or False"
    if not (isinstance(value, bool) or (no_mutual and value == "NoMutual")):
        raise ValueError(f"{connector}: allow_self_connections must be {allowed}, "
                         f"got {value!r}")


def _check_count(connector: str, n):
    """The n of PyNN's FixedNumber and FixedTotalNumber connectors (which only ``assert``
    n >= 0 and check a distribution's first 100 draws with an assert), as PyNN takes it: a
    numpy integer becomes an int (PyNN refuses anything but int and RandomDistribution)."""
    if isinstance(n, RandomDistribution):
        return n        # PyNN's constructor checks 100 draws (_count_drawn), as it always has
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{connector}: n must be an integer >= 0 or a RandomDistribution, "
                        f"got {n!r}")
    if n < 0:
        raise ValueError(f"{connector}: n must be an integer >= 0 or a RandomDistribution, "
                         f"got {n!r}")
    return int(n)


def _count_drawn(connector: str, n, init) -> None:
    """init() (PyNN's constructor), with a clear error where its check of a distribution's
    first 100 draws fails (an assert)."""
    try:
        init()
    except AssertionError:
        if not isinstance(n, RandomDistribution):
            raise
        raise ValueError(f"{connector}: n = RandomDistribution({n.name!r}, {n.parameters}) "
                         f"draws negative numbers; the number of connections must be "
                         f">= 0") from None


class AllToAllConnector(connectors.AllToAllConnector):
    """PyNN's AllToAllConnector with a clear error for a bad allow_self_connections."""

    __doc__ = connectors.AllToAllConnector.__doc__

    def __init__(self, allow_self_connections=True, location_selector=None, safe=True,
                 callback=None):
        _check_self("AllToAllConnector", allow_self_connections, no_mutual=False)
        super().__init__(allow_self_connections, location_selector, safe, callback)


class DistanceDependentProbabilityConnector(connectors.DistanceDependentProbabilityConnector):
    """PyNN's DistanceDependentProbabilityConnector with clear errors for an expression
    that is not a string or function of the distance, cannot be evaluated, or gives a
    negative probability."""

    __doc__ = connectors.DistanceDependentProbabilityConnector.__doc__

    def __init__(self, d_expression, allow_self_connections=True, location_selector=None,
                 rng=None, safe=True, callback=None):
        name = "DistanceDependentProbabilityConnector"
        if not (isinstance(d_expression, str) or callable(d_expression)):
            raise TypeError(f"{name}: d_expression must be a string in the distance d (e.g. "
                            f"'exp(-d/10)') or a function of d, got {d_expression!r}")
        _check_self(name, allow_self_connections)
        try:
            super().__init__(d_expression, allow_self_connections, location_selector, rng,
                             safe, callback)
        except AssertionError as err:   # PyNN's check at d = 0 and d = 1e12
            raise ValueError(f"{name}: d_expression {d_expression!r} gives a negative "
                             f"probability ({err}) at d = 0 or d = 1e12; it must give "
                             f"values >= 0") from None
        except (NameError, SyntaxError, TypeError) as err:
            raise ValueError(f"{name}: d_expression {d_expression!r} cannot be evaluated "
                             f"({type(err).__name__}: {err}); it is a Python expression in "
                             f"the distance d (um, the projection's Space), with numpy's "
                             f"functions such as exp, sqrt, sin") from None


class IndexBasedProbabilityConnector(connectors.IndexBasedProbabilityConnector):
    """PyNN's IndexBasedProbabilityConnector with a clear error for an index expression
    that is not a pyNN.core.IndexBasedExpression (PyNN only asserts it)."""

    __doc__ = connectors.IndexBasedProbabilityConnector.__doc__

    def __init__(self, index_expression, allow_self_connections=True,
                 location_selector=None, rng=None, safe=True, callback=None):
        from pyNN.core import IndexBasedExpression
        if not isinstance(index_expression, IndexBasedExpression):
            raise TypeError(
                f"IndexBasedProbabilityConnector: index_expression must be an instance of a "
                f"subclass of pyNN.core.IndexBasedExpression (its __call__(i, j) takes the "
                f"arrays of pre and post indices and returns the probabilities), got "
                f"{index_expression!r}")
        _check_self("IndexBasedProbabilityConnector", allow_self_connections)
        super().__init__(index_expression, allow_self_connections, location_selector, rng,
                         safe, callback)


class _CheckedFixedNumber:
    """PyNN's FixedNumberPre/PostConnector with clear errors for a bad n or
    allow_self_connections (PyNN only asserts them), and n a numpy integer taken."""

    def __init__(self, n, allow_self_connections=True, with_replacement=False,
                 location_selector=None, rng=None, safe=True, callback=None):
        name = type(self).__name__
        n = _check_count(name, n)
        _check_self(name, allow_self_connections)
        _count_drawn(name, n, lambda: super(_CheckedFixedNumber, self).__init__(
            n, allow_self_connections, with_replacement, location_selector, rng, safe,
            callback))


class FixedNumberPreConnector(_CheckedFixedNumber, connectors.FixedNumberPreConnector):
    __doc__ = connectors.FixedNumberPreConnector.__doc__


class FixedNumberPostConnector(_CheckedFixedNumber, connectors.FixedNumberPostConnector):
    __doc__ = connectors.FixedNumberPostConnector.__doc__


class FixedTotalNumberConnector(connectors.FixedTotalNumberConnector):
    """PyNN's FixedTotalNumberConnector with clear errors for a bad n or
    allow_self_connections."""

    __doc__ = connectors.FixedTotalNumberConnector.__doc__

    def __init__(self, n, allow_self_connections=True, with_replacement=True,
                 location_selector=None, rng=None, safe=True, callback=None):
        n = _check_count("FixedTotalNumberConnector", n)
        _check_self("FixedTotalNumberConnector", allow_self_connections)
        _count_drawn("FixedTotalNumberConnector", n, lambda: super(
            FixedTotalNumberConnector, self).__init__(
            n, allow_self_connections, with_replacement, location_selector, rng, safe,
            callback))


class SmallWorldConnector(connectors.SmallWorldConnector):
    """PyNN's SmallWorldConnector, made to work (PyNN's own ``connect`` raises
    NotImplementedError): every pair of cells closer than ``degree`` (in the projection's
    Space) is connected, each of these connections is rewired with probability
    ``rewiring`` to a postsynaptic cell drawn uniformly at random, and with
    ``n_connections`` every presynaptic cell keeps exactly that many of its connections
    (all of them, repeatedly, where it has fewer; none where it has none), as PyNN 0.7 and
    sPyNNaker define it. Unlike PyNN's class it keeps ``degree`` exactly (PyNN stores it
    rounded to 6 digits in ``d_expression``) and checks its arguments."""

    def __init__(self, degree, rewiring, allow_self_connections=True, n_connections=None,
                 location_selector=None, rng=None, safe=True, callback=None):
        try:
            degree_f, rewiring_f = float(degree), float(rewiring)
        except (TypeError, ValueError):
            raise ValueError(f"SmallWorldConnector: degree and rewiring must be numbers, got "
                             f"degree={degree!r}, rewiring={rewiring!r}") from None
        if not degree_f >= 0 or not np.isfinite(degree_f):
            raise ValueError(f"SmallWorldConnector: degree (the distance within which cells "
                             f"are connected) must be a finite number >= 0, got {degree!r}")
        if not 0.0 <= rewiring_f <= 1.0:
            raise ValueError(f"SmallWorldConnector: rewiring must be a probability between 0 "
                             f"and 1, got {rewiring!r}")
        if n_connections is not None and (
                isinstance(n_connections, bool) or not isinstance(n_connections, numbers.Integral)
                or n_connections < 0):
            raise ValueError(f"SmallWorldConnector: n_connections must be None or an integer "
                             f">= 0, got {n_connections!r}")
        _check_self("SmallWorldConnector", allow_self_connections)
        super().__init__(degree_f, rewiring_f, allow_self_connections, n_connections,
                         location_selector, rng, safe, callback)
        self.degree = degree_f


class CSAConnector(connectors.CSAConnector):
    """PyNN's CSAConnector, with a clear error when the ``csa`` package is missing."""

    __doc__ = connectors.CSAConnector.__doc__

    def __init__(self, cset, location_selector=None, safe=True, callback=None):
        _require_csa()
        super().__init__(cset, location_selector=location_selector, safe=safe,
                         callback=callback)


class MissingDependencyError(ImportError, RuntimeError):
    """A connector needs a package that is not installed (an ImportError, and a
    RuntimeError as PyNN raises for a missing csa)."""


def _require_csa():
    if not connectors.haveCSA:
        raise MissingDependencyError(
            "CSAConnector needs the Connection Set Algebra package 'csa', which is not "
            "installed (pip install csa); or describe the connectivity with another "
            "connector, e.g. ArrayConnector, FromListConnector or IndexBasedProbabilityConnector")


# -- helpers ------------------------------------------------------------------------------------

def _ids(collection) -> np.ndarray:
    return np.asarray(collection.all_cells, dtype=np.int64)


def _drop_self(prj, pre, post):
    same = _ids(prj.pre)[pre] == _ids(prj.post)[post]
    return pre[~same], post[~same]


def _rng(prj, connector):
    return numpy_generator(getattr(connector, "rng", None), prj._fallback_seed())


def _name(connector) -> str:
    return type(connector).__name__


def _randint(gen, high, size, out=None):
    """Uniform integers in ``[0, high)`` (``high`` a number or an array broadcasting to
    ``size``) from uniform doubles: cheaper than ``randint`` and allows per-element
    bounds. The bias of ``floor(u * high)`` is below 2**-53 per value."""
    u = gen.uniform(size=size)
    u *= high
    v = np.empty(size, np.int64) if out is None else out
    v[...] = u                      # truncation: floor, as u >= 0
    if np.isscalar(high):
        np.minimum(v, int(high) - 1, out=v)
    else:
        np.minimum(v, np.asarray(high, dtype=np.int64) - 1, out=v)
    return v


def _row_blocks(n_rows: int, row_len: int):
    rows = max(1, _BLOCK // max(row_len, 1))
    for start in range(0, n_rows, rows):
        yield start, min(n_rows, start + rows)


def _cat(parts) -> np.ndarray:
    return np.concatenate(parts).astype(np.int64, copy=False) if parts else _EMPTY.copy()


def _same_cell_counts(group_ids: np.ndarray, value_ids: np.ndarray) -> np.ndarray | None:
    """For each group cell (ID in ``group_ids``), how many of the candidate cells
    (``value_ids``) are the same cell; None where no cell is in both."""
    if not len(group_ids) or not len(value_ids):
        return None
    if group_ids.max() < value_ids.min() or value_ids.max() < group_ids.min():
        return None
    ordered = np.sort(value_ids)
    counts = (np.searchsorted(ordered, group_ids, "right")
              - np.searchsorted(ordered, group_ids, "left"))
    return counts if counts.any() else None


def _stable_order(keys: np.ndarray, n: int) -> np.ndarray:
    """Stable argsort of small non-negative integers ``keys < n`` (radix sort for n <= 2**16)."""
    if n <= 1 << 16:
        return np.argsort(keys.astype(np.uint16), kind="stable")
    if n <= 1 << 31:
        return np.argsort(keys.astype(np.int32), kind="stable")
    return np.argsort(keys, kind="stable")


def _counts(connector, size: int, what: str) -> np.ndarray:
    """The numbers of connections per cell of a FixedNumber connector: ``n`` (an int) for
    every cell, or one draw per cell from ``n`` (a RandomDistribution)."""
    n = connector.n
    if isinstance(n, RandomDistribution):
        values = np.atleast_1d(np.asarray(n.next(size), dtype=float))
        label = f"{_name(connector)}: n = {n!r} drew"
    elif isinstance(n, numbers.Integral) and not isinstance(n, bool):
        values = np.full(size, float(n))
        label = f"{_name(connector)}: n ="
    else:
        raise errors.ConnectionError(f"{_name(connector)}: n must be an integer or a "
                                     f"RandomDistribution, got {n!r}")
    bad = ~np.isfinite(values) | (values < 0) | (values != np.floor(values))
    if bad.any():
        raise errors.ConnectionError(
            f"{label} {values[bad][0]!r}; the number of {what} must be a whole number >= 0 "
            f"(use an integer distribution such as 'poisson', 'binomial' or 'uniform_int')")
    return values.astype(np.int64)


# -- sampling: groups of values, with and without replacement ----------------------------------

class _Candidates:
    """Per group g (0..G-1), the candidate values ``range(m[g])``, less the values where
    ``bad(g, v)`` is True (``n_bad[g]`` of them)."""

    def __init__(self, m, bad=None, n_bad=None):
        self.m = np.asarray(m, dtype=np.int64)
        self.bad = bad
        self.n_bad = np.zeros_like(self.m) if n_bad is None else np.asarray(n_bad, np.int64)
        self.available = self.m - self.n_bad
        # one bound for every group (the common case) saves an index array per draw
        self._same_m = len(self.m) > 0 and bool((self.m == self.m[0]).all())

    def subset(self, groups: np.ndarray) -> "_Candidates":
        bad = None
        if self.bad is not None:
            outer = self.bad
            bad = lambda g, v: outer(groups[g], v)  # noqa: E731
        return _Candidates(self.m[groups], bad, self.n_bad[groups])

    def draw(self, gen, group: np.ndarray, out=None) -> np.ndarray:
        """One allowed value, uniformly at random, for each entry of ``group``."""
        values = _randint(gen, self._bound(group), len(group), out)
        if self.bad is not None:
            redo = np.flatnonzero(self.bad(group, values))
            while redo.size:
                values[redo] = _randint(gen, self._bound(group[redo]), len(redo))
                redo = redo[self.bad(group[redo], values[redo])]
        return values

    def _bound(self, group):
        return int(self.m[0]) if self._same_m else self.m[group]

    def all_allowed(self, groups: np.ndarray):
        """Every allowed (group, value), ordered by group then value."""
        m = self.m[groups]
        g = np.repeat(groups, m)
        start = np.cumsum(m) - m
        v = np.arange(len(g), dtype=np.int64) - np.repeat(start, m)
        if self.bad is not None:
            keep = ~self.bad(g, v)
            g, v = g[keep], v[keep]
        return g, v


def _with_replacement(gen, k: np.ndarray, cand: _Candidates):
    """``k[g]`` values per group drawn independently and uniformly from the allowed
    candidates; ordered by group, in the order drawn within a group."""
    if (k[cand.available <= 0] > 0).any():
        raise _NoCandidates(int(np.flatnonzero((cand.available <= 0) & (k > 0))[0]))
    groups = _repeat_index(k)
    values = np.empty(len(groups), np.int64)
    for start in range(0, len(groups), _BLOCK):
        stop = min(len(groups), start + _BLOCK)
        cand.draw(gen, groups[start:stop], out=values[start:stop])
    return groups, values


def _repeat_index(k: np.ndarray) -> np.ndarray:
    """``np.repeat(arange(len(k)), k)`` in two cheap passes (a scatter of the group
    starts, then a cumulative sum)."""
    total = int(k.sum())
    out = np.zeros(total, np.int64)
    starts = np.cumsum(k)[:-1]
    np.add.at(out, starts[starts < total], 1)
    return np.cumsum(out, out=out)


def _group_blocks(sizes: np.ndarray):
    """Consecutive ranges of groups whose sizes add up to about ``_BLOCK`` (at least one
    group per range)."""
    ends = np.cumsum(sizes)
    start = 0
    while start < len(sizes):
        before = ends[start] - sizes[start]
        stop = int(np.searchsorted(ends, before + _BLOCK, "right"))
        stop = min(max(stop, start + 1), len(sizes))
        yield start, stop
        start = stop


class _NoCandidates(Exception):
    def __init__(self, group: int):
        self.group = group


def _distinct(gen, k: np.ndarray, cand: _Candidates):
    """``k[g]`` distinct allowed values per group (``k <= available``), each k-subset
    equally likely; ordered by group, then value.

    Groups asking for at most half of their candidates draw with replacement and redraw
    the repeats (each round redraws at most about half as many, so few rounds); the
    others choose the candidates to leave out that way and take the rest. Every value of
    group g is a key ``offsets[g] + v``. Where all the keys of a call fit in a bitmap of
    at most ``2 * _BLOCK`` entries, the chosen ones are marked in it; otherwise (few
    values wanted from very many) they are kept as a sorted array. Callers pass blocks of
    groups, so the working memory stays bounded.
    """
    G = len(k)
    if G == 0 or not k.any():
        return _EMPTY.copy(), _EMPTY.copy()
    avail = cand.available
    if (k > avail).any():
        raise _NoCandidates(int(np.flatnonzero(k > avail)[0]))
    dense = 2 * k > avail
    wanted = np.where(dense, avail - k, k)
    offsets = np.cumsum(cand.m) - cand.m
    total = int(cand.m.sum())
    if total <= 2 * _BLOCK:
        taken = np.zeros(total, bool)
        _sparse_keys(gen, wanted, cand, offsets, taken)
        if dense.any():
            # dense groups: every allowed value that was not chosen to be left out
            in_dense = np.repeat(dense, cand.m)
            np.logical_xor(taken, in_dense, out=taken)
            if cand.bad is not None:
                keys = np.flatnonzero(taken & in_dense)
                g, v = _split_keys(keys, offsets)
                taken[keys[cand.bad(g, v)]] = False
        return _split_keys(np.flatnonzero(taken), offsets)
    keys = _sparse_keys(gen, wanted, cand, offsets)
    if not dense.any():
        return _split_keys(keys, offsets)
    dg = np.flatnonzero(dense)
    g_all, v_all = cand.all_allowed(dg)
    key_all = offsets[g_all] + v_all
    in_dense = dense[_group_of(keys, offsets)]
    keep = np.ones(len(key_all), bool)
    keep[np.searchsorted(key_all, keys[in_dense])] = False
    merged = np.concatenate([keys[~in_dense], key_all[keep]])
    merged.sort(kind="stable")                       # a merge of two sorted runs
    return _split_keys(merged, offsets)


def _group_of(keys, offsets):
    return np.searchsorted(offsets, keys, "right") - 1


def _split_keys(keys, offsets):
    g = _group_of(keys, offsets)
    return g.astype(np.int64), keys - offsets[g]


def _unique_sorted(a: np.ndarray) -> np.ndarray:
    a = np.sort(a)
    return a[np.concatenate(([True], a[1:] != a[:-1]))] if len(a) > 1 else a


def _sparse_keys(gen, k, cand: _Candidates, offsets, taken=None):
    """Keys ``offsets[g] + v`` of ``k[g]`` distinct allowed values per group, for groups
    with ``k <= available / 2``: draw with replacement, redraw the repeats. With a
    bitmap ``taken`` the chosen keys are marked there; without, returned sorted."""
    missing = k.copy()
    keys = _EMPTY.copy()
    count = np.zeros_like(k)
    # with the bitmap, repeats among one round's draws are found without sorting: every
    # draw writes its number at its key, and the draw whose number stays there is kept
    stamp = np.empty(len(taken), np.int32) if taken is not None else None
    while missing.any():
        g = _repeat_index(missing)
        new = offsets[g] + cand.draw(gen, g)
        if taken is not None:
            new = new[~taken[new]]
            order = np.arange(len(new), dtype=np.int32)
            stamp[new] = order
            new = new[stamp[new] == order]
            taken[new] = True
        else:
            new = _unique_sorted(new)
            if len(keys):
                pos = np.minimum(np.searchsorted(keys, new), len(keys) - 1)
                new = new[keys[pos] != new]
                keys = np.concatenate([keys, new])
                keys.sort(kind="stable")             # a merge of two sorted runs
            else:
                keys = new
        count += np.bincount(_group_of(new, offsets), minlength=len(k))
        missing = k - count
    return keys


def _with_full_sets(gen, k: np.ndarray, cand: _Candidates):
    """PyNN's sampling without replacement: where ``k[g]`` exceeds the allowed candidates,
    every candidate is taken ``k // available`` times and the remainder are distinct ones
    drawn at random. Ordered by group, then value."""
    avail = cand.available
    if (k[avail <= 0] > 0).any():
        raise _NoCandidates(int(np.flatnonzero((avail <= 0) & (k > 0))[0]))
    safe = np.maximum(avail, 1)
    full = np.where(avail > 0, k // safe, 0)
    rest = k - full * safe
    out_g, out_v = [], []
    for start, stop in _group_blocks(rest + full * avail):
        groups = np.arange(start, stop, dtype=np.int64)
        sub = cand.subset(groups)
        g, v = _distinct(gen, rest[groups], sub)
        g = groups[g]
        if full[groups].any():
            fg = groups[full[groups] > 0]
            ag, av = cand.all_allowed(fg)
            times = full[ag]
            g = np.concatenate([g, np.repeat(ag, times)])
            v = np.concatenate([v, np.repeat(av, times)])
            order = np.lexsort((v, g))
            g, v = g[order], v[order]
        out_g.append(g)
        out_v.append(v)
    return _cat(out_g), _cat(out_v)


# -- builders ---------------------------------------------------------------------------------

def all_to_all(prj, connector):
    n_pre, n_post = prj.pre.size, prj.post.size
    pre = np.repeat(np.arange(n_pre, dtype=np.int64), n_post)
    post = np.tile(np.arange(n_post, dtype=np.int64), n_pre)
    if not connector.allow_self_connections:
        pre, post = _drop_self(prj, pre, post)
    return pre, post, {}


def one_to_one(prj, connector):
    if prj.pre.size != prj.post.size:
        raise errors.ConnectionError(
            f"OneToOneConnector needs pre and post of the same size; got {prj.pre.size} "
            f"(pre {prj.pre.label!r}) and {prj.post.size} (post {prj.post.label!r})")
    idx = np.arange(prj.pre.size, dtype=np.int64)
    return idx, idx.copy(), {}


def _probability_blocks(prj, connector, probability):
    """Connections where a uniform draw is below ``probability(start, stop)``, the
    connection probabilities of pre rows ``start:stop`` (an array broadcasting to
    ``(stop - start, n_post)``), evaluated and drawn one block of rows at a time."""
    rng = _rng(prj, connector)
    n_pre, n_post = prj.pre.size, prj.post.size
    no_self = not connector.allow_self_connections
    if no_self:
        pre_ids, post_ids = _ids(prj.pre), _ids(prj.post)
        no_self = _same_cell_counts(post_ids, pre_ids) is not None
    pres, posts = [], []
    for start, stop in _row_blocks(n_pre, n_post):
        p = probability(start, stop)
        hit = rng.uniform(size=(stop - start, n_post)) < p
        if no_self:
            hit &= pre_ids[start:stop, None] != post_ids[None, :]
        i, j = np.nonzero(hit)
        pres.append(i.astype(np.int64) + start)
        posts.append(j.astype(np.int64))
    return _cat(pres), _cat(posts), {}


#: Below this probability, FixedProbability draws the gaps between connections (one random
#: number per connection) instead of one uniform number per pair of cells.
SPARSE_P = 0.2


def _bernoulli_positions(rng, n_total: int, p: float) -> np.ndarray:
    """Sorted positions in [0, n_total), each chosen independently with probability p. The
    gaps between chosen positions are geometric, so only one random number is drawn per
    chosen position (8 M draws instead of 400 M for the 20 000-cell VA network)."""
    found, last = [], -1
    log_q = np.log1p(-p)
    while True:
        expected = (n_total - 1 - last) * p
        k = int(expected + 6.0 * np.sqrt(expected) + 16)
        # geometric gaps (>= 1) from uniforms: ceil(log(u) / log(1 - p)), u in (0, 1]
        gaps = np.ceil(np.log(1.0 - rng.random_sample(k)) / log_q)
        cand = last + np.cumsum(np.maximum(gaps, 1.0).astype(np.int64))
        found.append(cand[cand < n_total])
        if cand[-1] >= n_total:
            break
        last = int(cand[-1])
    return np.concatenate(found)


def fixed_probability(prj, connector):
    p = float(connector.p_connect)
    if not 0.0 <= p <= 1.0:
        raise errors.ConnectionError(
            f"FixedProbabilityConnector: p_connect must be a probability between 0 and 1, "
            f"got {p:g}")
    if not 0.0 < p < SPARSE_P:
        return _probability_blocks(prj, connector, lambda start, stop: p)
    rng = _rng(prj, connector)
    n_pre, n_post = prj.pre.size, prj.post.size
    pos = _bernoulli_positions(rng, n_pre * n_post, p)
    pre = pos // n_post
    post = pos - pre * n_post
    if not connector.allow_self_connections:
        if prj.pre is prj.post:                    # the common case, without lookups
            keep = pre != post
        else:
            pre_ids, post_ids = _ids(prj.pre), _ids(prj.post)
            keep = pre_ids[pre] != post_ids[post]
        pre, post = pre[keep], post[keep]
    return pre, post, {}


def _positions(collection) -> np.ndarray:
    """Cell positions as an (n, 3) array."""
    return np.asarray(collection.positions, dtype=float).T


def _distance_block(space, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distances between the points ``a`` (rows) and ``b`` (columns), ``(len(a), len(b))``,
    as ``pyNN.space.Space.distances`` computes them: only the Space's axes, post positions
    offset then scaled, periodic boundaries."""
    b = space.scale_factor * (b + space.offset)
    d2 = np.zeros((len(a), len(b)))
    for axis in np.atleast_1d(space.axes):
        diff = a[:, None, axis] - b[None, :, axis]
        if space.periodic_boundaries is not None:
            bounds = space.periodic_boundaries[axis]
            if bounds is not None:
                extent = bounds[1] - bounds[0]
                ad = np.abs(diff)
                diff = np.minimum(ad, extent - ad)
        d2 += diff * diff
    return np.sqrt(d2)


def _probabilities(connector, p, shape, what: str) -> np.ndarray:
    if isinstance(p, larray):
        p = p.evaluate()
    try:
        p = np.broadcast_to(np.asarray(p, dtype=float), shape)
    except (TypeError, ValueError) as exc:
        raise errors.ConnectionError(
            f"{_name(connector)}: {what} must give one probability per pair of cells "
            f"({shape[0]} x {shape[1]} here): {exc}") from None
    if np.isnan(p).any():
        raise errors.ConnectionError(f"{_name(connector)}: {what} gave NaN as a connection "
                                     f"probability")
    return p


def distance_dependent_probability(prj, connector):
    f = connector.distance_function
    a, b = _positions(prj.pre), _positions(prj.post)

    def probability(start, stop):
        d = _distance_block(prj.space, a[start:stop], b)
        try:
            p = f(d)
        except Exception as exc:
            raise errors.ConnectionError(
                f"DistanceDependentProbabilityConnector: could not evaluate "
                f"{connector.d_expression!r} for the distances: {type(exc).__name__}: "
                f"{exc}") from None
        return _probabilities(connector, p, d.shape, f"d_expression {connector.d_expression!r}")

    return _probability_blocks(prj, connector, probability)


def index_based_probability(prj, connector):
    """IndexBasedProbabilityConnector and DisplacementDependentProbabilityConnector: the
    expression is called with flat arrays ``i, j`` (one entry per pair of a block)."""
    expression = copy(connector.index_expression)   # PyNN copies it, not to alter the connector
    expression.projection = prj
    described = repr(connector.index_expression)
    disp = getattr(expression, "_disp_function", None)
    if disp is not None:
        described = repr(disp)
        if isinstance(disp, str):
            # PyNN documents disp_function as an expression of the displacement d (a 3 x N
            # array, d[0] the x components) but calls it: compile it as PyNN compiles
            # distance expressions
            expression._disp_function = _compile(connector, disp)
    n_post = prj.post.size

    def probability(start, stop):
        rows = stop - start
        i = np.repeat(np.arange(start, stop, dtype=np.int64), n_post)
        j = np.tile(np.arange(n_post, dtype=np.int64), rows)
        try:
            p = expression(i, j)
        except Exception as exc:
            raise errors.ConnectionError(
                f"{_name(connector)}: could not evaluate the connection probability "
                f"{described}: {type(exc).__name__}: {exc}") from None
        return _probabilities(connector, p, (rows * n_post,), "the expression").reshape(
            rows, n_post)

    return _probability_blocks(prj, connector, probability)


def _compile(connector, expression: str):
    try:
        # the names PyNN offers in its expressions (exp, sqrt, pi, ...) are those of
        # pyNN.connectors
        return eval(f"lambda d: {expression}", vars(connectors))
    except SyntaxError as exc:
        raise errors.ConnectionError(f"{_name(connector)}: {expression!r} is not a valid "
                                     f"expression of d: {exc}") from None


def _no_candidates(connector, role: str, index: int) -> errors.ConnectionError:
    return errors.ConnectionError(
        f"{_name(connector)}: {role} cell {index} has no cell it may connect to "
        f"(allow_self_connections=False and the only candidate is the cell itself); it "
        f"cannot get the connections it needs")


def _fixed_number(prj, connector, groups_are_post: bool):
    """FixedNumberPre (a group per post cell choosing pre cells) and FixedNumberPost (a
    group per pre cell choosing post cells)."""
    rng = _rng(prj, connector)
    group_coll, value_coll = (prj.post, prj.pre) if groups_are_post else (prj.pre, prj.post)
    n_groups, n_values = group_coll.size, value_coll.size
    k = _counts(connector, n_groups, "presynaptic partners of each postsynaptic cell"
                if groups_are_post else "postsynaptic partners of each presynaptic cell")
    bad = n_bad = None
    if not connector.allow_self_connections:
        group_ids, value_ids = _ids(group_coll), _ids(value_coll)
        n_bad = _same_cell_counts(group_ids, value_ids)
        if n_bad is not None:
            bad = lambda g, v: group_ids[g] == value_ids[v]  # noqa: E731
    cand = _Candidates(np.full(n_groups, n_values), bad, n_bad)
    try:
        if connector.with_replacement:
            g, v = _with_replacement(rng, k, cand)
        else:
            g, v = _with_full_sets(rng, k, cand)
    except _NoCandidates as exc:
        raise _no_candidates(connector, "postsynaptic" if groups_are_post else "presynaptic",
                             exc.group) from None
    if not groups_are_post:
        return g, v, {}
    order = _stable_order(v, n_values)      # group by pre; post order stays ascending
    return v[order], g[order], {}


def fixed_number_pre(prj, connector):
    return _fixed_number(prj, connector, groups_are_post=True)


def fixed_number_post(prj, connector):
    return _fixed_number(prj, connector, groups_are_post=False)


def fixed_total_number(prj, connector):
    """``n`` connections drawn uniformly among the allowed pairs: with replacement
    (PyNN's default) independently, without replacement ``n`` distinct pairs."""
    rng = _rng(prj, connector)
    n = connector.n
    if isinstance(n, RandomDistribution):
        n = np.asarray(n.next(1), dtype=float).ravel()[0]
        if not np.isfinite(n) or n < 0 or n != np.floor(n):
            raise errors.ConnectionError(f"FixedTotalNumberConnector: n = {connector.n!r} drew "
                                         f"{n!r}; the number of connections must be a whole "
                                         f"number >= 0")
    elif isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
        raise errors.ConnectionError(f"FixedTotalNumberConnector: n must be an integer >= 0 "
                                     f"or a RandomDistribution, got {n!r}")
    n = int(n)
    n_pre, n_post = prj.pre.size, prj.post.size
    pre_ids, post_ids = _ids(prj.pre), _ids(prj.post)
    n_self = None
    if not connector.allow_self_connections:
        n_self = _same_cell_counts(pre_ids, post_ids)          # per pre row
    row_allowed = np.full(n_pre, n_post, dtype=np.int64)
    if n_self is not None:
        row_allowed -= n_self
    total = int(row_allowed.sum())
    if n and total == 0:
        raise errors.ConnectionError("FixedTotalNumberConnector: there is no pair of cells "
                                     "to connect (allow_self_connections=False)")
    if n == 0:
        return _EMPTY.copy(), _EMPTY.copy(), {}
    if connector.with_replacement:
        counts = rng.multinomial(n, row_allowed / total)
        bad = None
        if n_self is not None:
            bad = lambda g, v: pre_ids[g] == post_ids[v]  # noqa: E731
        cand = _Candidates(np.full(n_pre, n_post), bad, n_self)
        pre, post = _with_replacement(rng, counts, cand)
        return pre, post, {}
    if n > total:
        raise errors.ConnectionError(
            f"FixedTotalNumberConnector: {n} distinct connections were asked for "
            f"(with_replacement=False), but there are only {total} pairs of cells to connect")
    # blocks of rows as groups of flat pair indices; the number of connections per block
    # follows the multivariate hypergeometric distribution (drawn one block at a time)
    bounds = list(_row_blocks(n_pre, n_post))
    block_allowed = np.array([row_allowed[a:b].sum() for a, b in bounds], dtype=np.int64)
    k = np.zeros(len(bounds), dtype=np.int64)
    left, rest = n, total
    for b, good in enumerate(block_allowed):
        if left == 0:
            break
        k[b] = left if rest == good else rng.hypergeometric(good, rest - good, left)
        left -= k[b]
        rest -= good
    first_row = np.array([a for a, _ in bounds], dtype=np.int64)
    m = np.array([(b - a) * n_post for a, b in bounds], dtype=np.int64)
    bad = None
    if n_self is not None:
        bad = lambda g, v: pre_ids[first_row[g] + v // n_post] == post_ids[v % n_post]  # noqa: E731
    block_self = None if n_self is None else m - block_allowed
    pre, post = np.empty(n, np.int64), np.empty(n, np.int64)
    at = 0
    for b in np.flatnonzero(k):      # one block of rows (at most _BLOCK pairs) at a time
        sub = _Candidates(m[b:b + 1], None if bad is None else (
            lambda g, v, b=b: bad(g + b, v)), None if block_self is None else block_self[b:b + 1])
        _, flat = _distinct(rng, k[b:b + 1], sub)
        np.floor_divide(flat, n_post, out=pre[at:at + len(flat)])
        pre[at:at + len(flat)] += first_row[b]
        np.remainder(flat, n_post, out=post[at:at + len(flat)])
        at += len(flat)
    return pre, post, {}


def _check_matrix(prj, connector, values, what: str) -> np.ndarray:
    """A (n_pre, n_post) connection matrix as booleans (numbers must be 0 or 1)."""
    if isinstance(values, larray):
        values = values.evaluate()
    arr = np.asarray(values)
    if arr.shape != prj.shape:
        raise errors.ConnectionError(
            f"{_name(connector)}: the {what} has shape {arr.shape}; a projection from "
            f"{prj.pre.size} to {prj.post.size} cells needs shape (n_pre, n_post) = "
            f"{prj.shape}")
    if arr.dtype != bool:
        try:
            num = arr.astype(float)
        except (TypeError, ValueError):
            raise errors.ConnectionError(f"{_name(connector)}: the {what} must hold booleans "
                                         f"(True: connect), got {arr.dtype}") from None
        if not np.isin(num, (0.0, 1.0)).all():
            raise errors.ConnectionError(
                f"{_name(connector)}: the {what} must hold booleans (True: connect) or 0/1, "
                f"got the value {num[~np.isin(num, (0.0, 1.0))][0]:g}")
        arr = num != 0
    return arr


def array(prj, connector):
    i, j = np.nonzero(_check_matrix(prj, connector, connector.array, "array"))
    return i.astype(np.int64), j.astype(np.int64), {}


def clone(prj, connector):
    ref = connector.reference_projection
    if not hasattr(ref, "_pre") or not hasattr(ref, "_post"):
        raise errors.ConnectionError(
            f"CloneConnector: the reference projection must be a spinnframe Projection, got "
            f"{type(ref).__module__}.{type(ref).__name__}")
    for side in ("pre", "post"):
        mine, theirs = getattr(prj, side), getattr(ref, side)
        if mine is not theirs and not np.array_equal(_ids(mine), _ids(theirs)):
            raise errors.ConnectionError(
                f"CloneConnector: the {side}synaptic cells must be those of the reference "
                f"projection {ref.label!r} ({theirs.label!r}, {theirs.size} cells), got "
                f"{mine.label!r} ({mine.size} cells)")
    # PyNN clones the connection map: one connection per connected pair
    key = ref._pre * prj.post.size + ref._post
    if len(key) > 1 and (np.diff(key) <= 0).any():
        key = np.sort(key)
        key = key[np.concatenate(([True], key[1:] != key[:-1]))]
    return key // prj.post.size, key % prj.post.size, {}


def _from_array(prj, connector, conn, names, what: str):
    """Connections from rows ``(pre, post, values...)``; ``names`` the value columns."""
    if conn.size == 0:
        return _EMPTY.copy(), _EMPTY.copy(), {}
    if conn.ndim != 2 or conn.shape[1] < 2:
        raise errors.ConnectionError(
            f"{what} needs rows of (pre, post, ...), got an array of shape {conn.shape}")
    if conn.shape[1] - 2 != len(names):
        raise errors.ConnectionError(
            f"{what} rows have {conn.shape[1] - 2} value columns but the column names are "
            f"{list(names)}")
    for col, size, which in ((0, prj.pre.size, "presynaptic"), (1, prj.post.size, "postsynaptic")):
        vals = conn[:, col]
        bad = np.flatnonzero((vals != np.floor(vals)) | (vals < 0) | (vals >= size))
        if bad.size:
            r = bad[0]
            raise errors.ConnectionError(
                f"{what} row {r}: {which} index {conn[r, col]:g} is not a valid "
                f"index; allowed 0..{size - 1} (the {which} collection has {size} cells)")
    pre = conn[:, 0].astype(np.int64)
    post = conn[:, 1].astype(np.int64)
    return pre, post, {name: conn[:, 2 + k] for k, name in enumerate(names)}


def from_list(prj, connector):
    try:
        conn = np.asarray(connector.conn_list, dtype=float)
    except (TypeError, ValueError) as exc:
        raise errors.ConnectionError(
            f"FromListConnector: every row must be numbers (pre index, post index, "
            f"values...): {exc}") from None
    return _from_array(prj, connector, conn, list(connector.column_names or []),
                       "FromListConnector")


def _parse_table(text: str, where: str):
    """The ``# name = value`` header lines (values that Python literals spell; others are
    kept as text) and the table of numbers of a connection file."""
    header = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        name, sep, value = line[1:].partition("=")
        if not sep:
            continue
        try:
            header[name.strip()] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            header[name.strip()] = value.strip()
    try:
        conn = np.loadtxt(io.StringIO(text), comments="#", ndmin=2, dtype=float)
    except ValueError as exc:
        raise errors.ConnectionError(f"{where} is not a table of numbers (pre, post, "
                                     f"values...): {exc}") from None
    return header, conn


def from_file(prj, connector):
    """FromFileConnector: the file is read with numpy. A ``# columns = ["i", "j", "weight",
    "delay"]`` header (as ``Projection.save`` writes) names the columns; without one the
    columns are those FromListConnector assumes (2 columns: none; 4: weight, delay)."""
    what = "FromFileConnector"
    file = connector.file
    if isinstance(file, (str, os.PathLike, files.StandardTextFile)):
        path = os.fspath(file.name if isinstance(file, files.StandardTextFile) else file)
        if connector.distributed:   # one file per MPI rank: name.<rank>
            path = f"{path}.{prj._simulator.state.mpi_rank}"
        try:
            with open(path) as fh:
                text = fh.read()
        except OSError as exc:
            raise errors.ConnectionError(f"{what}: cannot read {path!r}: {exc}") from None
        header, conn = _parse_table(text, f"{what}: {path!r}")
    elif hasattr(file, "get_metadata") and hasattr(file, "read"):
        # another PyNN file type (e.g. PickleFile): its own reader
        path = getattr(file, "name", repr(file))
        try:
            header = dict(file.get_metadata())
            conn = np.asarray(file.read(), dtype=float)
        except Exception as exc:
            raise errors.ConnectionError(f"{what}: cannot read {path!r}: "
                                         f"{type(exc).__name__}: {exc}") from None
        if conn.ndim == 1 and conn.size:
            conn = conn.reshape(1, -1)
    elif hasattr(file, "read"):     # an open text file
        path = getattr(file, "name", repr(file))
        header, conn = _parse_table(file.read(), f"{what}: {path!r}")
    else:
        raise errors.ConnectionError(f"{what}: file must be a file name, an open file or a "
                                     f"pyNN.recording.files file, got {file!r}")
    what = f"{what} ({path})"
    columns = header.get("columns")
    if columns is not None:
        if not isinstance(columns, (list, tuple)) or not all(isinstance(c, str) for c in columns):
            raise errors.ConnectionError(f"{what}: the columns header must be a list of "
                                         f"names, got {columns!r}")
        names = [c for c in columns if c not in ("i", "j")]
    elif conn.size == 0 or conn.shape[1] == 2:
        names = []
    elif conn.shape[1] == 4:
        names = ["weight", "delay"]
    else:
        raise errors.ConnectionError(
            f"{what}: the file has {conn.shape[1]} columns and no '# columns = [...]' header "
            f"naming them; add one, e.g. # columns = [\"i\", \"j\", \"weight\", \"delay\"]")
    known = prj.synapse_type.get_parameter_names()
    for name in names:
        if name not in known:
            raise errors.ConnectionError(
                f"{what}: column {name!r} is not a parameter of "
                f"{type(prj.synapse_type).__name__} (which has: {', '.join(known)})")
    return _from_array(prj, connector, conn, names, what)


def small_world(prj, connector):
    degree = getattr(connector, "degree", None)
    if degree is None:      # PyNN's class keeps only d_expression = "d < <degree>"
        degree = float(connector.d_expression.split("<", 1)[1])
    rewiring = float(connector.rewiring)
    n_connections = connector.n_connections
    rng = _rng(prj, connector)
    n_pre, n_post = prj.pre.size, prj.post.size
    pre_ids, post_ids = _ids(prj.pre), _ids(prj.post)
    a, b = _positions(prj.pre), _positions(prj.post)
    no_self = (not connector.allow_self_connections
               and _same_cell_counts(pre_ids, post_ids) is not None)
    n_self = _same_cell_counts(pre_ids, post_ids) if no_self else None
    bad = (lambda g, v: pre_ids[g] == post_ids[v]) if no_self else None  # noqa: E731
    cand = _Candidates(np.full(n_pre, n_post), bad, n_self)
    pres, posts = [], []
    for start, stop in _row_blocks(n_pre, n_post):
        local = _distance_block(prj.space, a[start:stop], b) < degree
        if no_self:
            local &= pre_ids[start:stop, None] != post_ids[None, :]
        i, j = np.nonzero(local)
        i = i.astype(np.int64) + start
        j = j.astype(np.int64)
        if rewiring > 0 and len(i):
            moved = np.flatnonzero(rng.uniform(size=len(i)) < rewiring)
            j[moved] = cand.draw(rng, i[moved])
            order = np.lexsort((j, i))
            i, j = i[order], j[order]
        pres.append(i)
        posts.append(j)
    pre, post = _cat(pres), _cat(posts)
    if n_connections is None:
        return pre, post, {}
    # each presynaptic cell keeps exactly n_connections of its connections
    have = np.bincount(pre, minlength=n_pre)
    k = np.where(have > 0, int(n_connections), 0)
    first = np.cumsum(have) - have
    g, slot = _with_full_sets(rng, k, _Candidates(have))
    picked = first[g] + slot
    return pre[picked], post[picked], {}


def csa_connect(prj, connector):
    """CSAConnector (needs the ``csa`` package). A connection set is a Python iterator of
    csa's own, so this runs at csa's speed; a mask (arity 0) gives one connection per
    pair it contains, a set of arity 2 also gives each connection's weight and delay."""
    _require_csa()
    import csa

    n_pre, n_post = prj.pre.size, prj.post.size
    cset = csa.cross((0, n_pre - 1), (0, n_post - 1)) * connector.cset
    arity = csa.arity(connector.cset)
    if arity not in (0, 2):
        raise errors.ConnectionError(f"CSAConnector: connection sets of arity {arity} are "
                                     f"not supported (only masks, arity 0, and arity 2: "
                                     f"weight and delay)")
    width = 2 + arity
    rows = np.array([tuple(c) for c in cset], dtype=float).reshape(-1, width)
    order = np.lexsort((rows[:, 1], rows[:, 0]))
    rows = rows[order]
    columns = {"weight": rows[:, 2], "delay": rows[:, 3]} if arity == 2 else {}
    return rows[:, 0].astype(np.int64), rows[:, 1].astype(np.int64), columns


BUILDERS = {
    connectors.AllToAllConnector: all_to_all,
    AllToAllConnector: all_to_all,
    connectors.OneToOneConnector: one_to_one,
    connectors.FixedProbabilityConnector: fixed_probability,
    FixedProbabilityConnector: fixed_probability,
    connectors.FromListConnector: from_list,
    connectors.FromFileConnector: from_file,
    connectors.FixedNumberPreConnector: fixed_number_pre,
    FixedNumberPreConnector: fixed_number_pre,
    connectors.FixedNumberPostConnector: fixed_number_post,
    FixedNumberPostConnector: fixed_number_post,
    connectors.FixedTotalNumberConnector: fixed_total_number,
    FixedTotalNumberConnector: fixed_total_number,
    connectors.DistanceDependentProbabilityConnector: distance_dependent_probability,
    DistanceDependentProbabilityConnector: distance_dependent_probability,
    connectors.IndexBasedProbabilityConnector: index_based_probability,
    IndexBasedProbabilityConnector: index_based_probability,
    connectors.DisplacementDependentProbabilityConnector: index_based_probability,
    connectors.ArrayConnector: array,
    connectors.CloneConnector: clone,
    connectors.SmallWorldConnector: small_world,
    SmallWorldConnector: small_world,
    connectors.CSAConnector: csa_connect,
    CSAConnector: csa_connect,
}


def builder_for(connector):
    """The vectorised builder for a connector instance (exact type match), or None."""
    if getattr(connector, "allow_self_connections", True) == "NoMutual":
        return None     # PyNN's own algorithm handles 'NoMutual'
    return BUILDERS.get(type(connector))
