"""Vectorised connection generation for PyNN's connectors.

Each builder returns ``(pre, post, columns)``: positions in the projection's pre and post
collections (int64 arrays) and optionally per-connection values that the connector itself
supplies (e.g. the weight column of a FromListConnector). Connectors without a builder here
run PyNN's own algorithm through ``Projection._convergent_connect``.
"""
from __future__ import annotations

import numpy as np
from pyNN import connectors, errors
from pyNN.random import NativeRNG

#: Upper bound on random numbers drawn per block, to bound memory on large projections.
_BLOCK = 1 << 22


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
        super().__init__(p, allow_self_connections, location_selector, rng, safe, callback)


def _ids(collection) -> np.ndarray:
    return np.asarray(collection.all_cells, dtype=np.int64)


def _drop_self(prj, pre, post):
    same = _ids(prj.pre)[pre] == _ids(prj.post)[post]
    return pre[~same], post[~same]


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


def fixed_probability(prj, connector):
    p = float(connector.p_connect)
    if not 0.0 <= p <= 1.0:
        raise errors.ConnectionError(
            f"FixedProbabilityConnector: p_connect must be a probability between 0 and 1, "
            f"got {p:g}")
    rng = numpy_generator(connector.rng, prj._fallback_seed())
    n_pre, n_post = prj.pre.size, prj.post.size
    rows = max(1, _BLOCK // max(n_post, 1))
    pres, posts = [], []
    for start in range(0, n_pre, rows):
        stop = min(n_pre, start + rows)
        hit = rng.uniform(size=(stop - start, n_post)) < p
        i, j = np.nonzero(hit)
        pres.append(i.astype(np.int64) + start)
        posts.append(j.astype(np.int64))
    pre = np.concatenate(pres) if pres else np.zeros(0, np.int64)
    post = np.concatenate(posts) if posts else np.zeros(0, np.int64)
    if not connector.allow_self_connections:
        pre, post = _drop_self(prj, pre, post)
    return pre, post, {}


def from_list(prj, connector):
    try:
        conn = np.asarray(connector.conn_list, dtype=float)
    except (TypeError, ValueError) as exc:
        raise errors.ConnectionError(
            f"FromListConnector: every row must be numbers (pre index, post index, "
            f"values...): {exc}") from None
    if conn.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), {}
    if conn.ndim != 2 or conn.shape[1] < 2:
        raise errors.ConnectionError(
            f"FromListConnector needs rows of (pre, post, ...), got an array of shape "
            f"{conn.shape}")
    names = list(connector.column_names or [])
    if conn.shape[1] - 2 != len(names):
        raise errors.ConnectionError(
            f"FromListConnector rows have {conn.shape[1] - 2} value columns but "
            f"column_names is {names}")
    for col, size, which in ((0, prj.pre.size, "presynaptic"), (1, prj.post.size, "postsynaptic")):
        vals = conn[:, col]
        bad = np.flatnonzero((vals != np.floor(vals)) | (vals < 0) | (vals >= size))
        if bad.size:
            r = bad[0]
            raise errors.ConnectionError(
                f"FromListConnector row {r}: {which} index {conn[r, col]:g} is not a valid "
                f"index; allowed 0..{size - 1} (the {which} collection has {size} cells)")
    pre = conn[:, 0].astype(np.int64)
    post = conn[:, 1].astype(np.int64)
    return pre, post, {name: conn[:, 2 + k] for k, name in enumerate(names)}


BUILDERS = {
    connectors.AllToAllConnector: all_to_all,
    connectors.OneToOneConnector: one_to_one,
    connectors.FixedProbabilityConnector: fixed_probability,
    FixedProbabilityConnector: fixed_probability,
    connectors.FromListConnector: from_list,
}


def builder_for(connector):
    """The vectorised builder for a connector instance (exact type match), or None."""
    if getattr(connector, "allow_self_connections", True) == "NoMutual":
        return None     # PyNN's own algorithm handles 'NoMutual'
    return BUILDERS.get(type(connector))
