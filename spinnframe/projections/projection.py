"""Projection: connections between populations, views and assemblies, held as arrays.

Connections are stored as parallel arrays (pre position, post position, weight, delay)
in the projection's own index space (positions in ``pre`` and ``post``); the IR maps them
to root populations. get/set of weights and delays are vectorised.
"""
from __future__ import annotations

from copy import deepcopy

import numpy as np
from pyNN import common, errors
from pyNN.space import Space
from pyNN.standardmodels import build_translations
from pyNN.standardmodels import synapses as std_synapses
from pyNN.standardmodels.base import excitatory_receptor_types, inhibitory_receptor_types

from .. import ir, simulator
from ..populations.indexing import Segments
from ..simulator import live, state
from . import connect


class StaticSynapse(std_synapses.StaticSynapse):
    __doc__ = std_synapses.StaticSynapse.__doc__
    translations = build_translations(("weight", "weight"), ("delay", "delay"))

    def _get_minimum_delay(self):
        return state.min_delay

#: Synapse types this build supports, for error messages.
SUPPORTED_SYNAPSES = ("StaticSynapse",)


class Connection:
    """One connection of a Projection (PyNN's ``prj[i]``)."""

    def __init__(self, projection, i):
        self.projection = projection
        self.i = i

    @property
    def presynaptic_index(self):
        return int(self.projection._pre[self.i])

    @property
    def postsynaptic_index(self):
        return int(self.projection._post[self.i])

    @property
    def weight(self):
        return float(self.projection._weight[self.i])

    @property
    def delay(self):
        return float(self.projection._delay[self.i])

    def as_tuple(self, *names):
        return tuple(getattr(self, n) for n in names)


class Projection(common.Projection):
    __doc__ = common.Projection.__doc__
    _simulator = simulator
    _static_synapse_class = StaticSynapse

    def __init__(self, presynaptic_population, postsynaptic_population, connector,
                 synapse_type=None, source=None, receptor_type=None, space=Space(),
                 label=None):
        state.check("Projection()", mutating=True)
        for obj in (presynaptic_population, postsynaptic_population):
            gen = getattr(obj, "_generation", None)
            if gen is not None:
                state.check("Projection()", generation=gen)
        if synapse_type is not None and type(synapse_type).__name__ not in SUPPORTED_SYNAPSES:
            raise errors.ConnectionError(
                f"synapse type {type(synapse_type).__name__} is not supported yet; "
                f"supported: {', '.join(SUPPORTED_SYNAPSES)}")
        super().__init__(presynaptic_population, postsynaptic_population, connector,
                         synapse_type, source, receptor_type, space, label)
        self._generation = state.generation
        if any(p._spec.is_source for p in Segments(self.post).pops):
            raise errors.ConnectionError(
                f"cannot connect to {self.post.label!r}: spike sources take no input")
        self._version = 0
        self._ir_cache = None
        builder = connect.builder_for(connector)
        if builder is not None:
            pre, post, columns = builder(self, connector)
            for name in columns:
                if name not in ("weight", "delay"):
                    raise errors.ConnectionError(
                        f"FromListConnector column {name!r} is not a parameter of "
                        f"{type(self.synapse_type).__name__} (which has: weight, delay)")
        else:
            self._chunks = []
            connector.connect(self)
            pre, post, columns = self._collect_chunks()
        self._pre = pre
        self._post = post
        ps = self._parameter_space()
        weight = columns.get("weight")
        delay = columns.get("delay")
        self._weight = self._values(ps, "weight", pre, post) if weight is None else weight
        self._delay = self._values(ps, "delay", pre, post) if delay is None else delay
        self._weight = np.asarray(self._weight, dtype=float)
        self._delay = np.asarray(self._delay, dtype=float)
        self._check(self._weight, self._delay)
        state.projections.append(self)
        state.structure_version += 1

    # -- building ---------------------------------------------------------------------------
    def _fallback_seed(self) -> int:
        return (state.seed * 1000003 + len(state.projections)) % (2 ** 32)

    def _parameter_space(self):
        ps = deepcopy(self.synapse_type.native_parameters)
        ps.shape = (self.pre.size, self.post.size)
        return self._handle_distance_expressions(ps)

    def _values(self, ps, name, pre, post) -> np.ndarray:
        value = ps[name]
        if value.base_value is None:        # PyNN's "default delay": the minimum delay
            return np.full(len(pre), state.min_delay)
        if len(pre) == 0:
            return np.zeros(0)
        if value.is_homogeneous:
            return np.full(len(pre), float(value[0, 0]) if value.shape else float(value.base_value))
        try:
            out = value[pre, post]
        except (TypeError, ValueError) as exc:
            raise errors.InvalidParameterValueError(
                f"could not evaluate {name} for projection {self.label!r}: {exc}") from None
        return np.broadcast_to(np.asarray(out, dtype=float), (len(pre),)).copy()

    def _convergent_connect(self, presynaptic_indices, postsynaptic_index,
                            location_selector=None, **connection_parameters):
        """Called by PyNN's connector algorithms (the connectors without a vectorised
        builder); collects the connections of one postsynaptic cell."""
        pre = np.atleast_1d(np.asarray(presynaptic_indices, dtype=np.int64))
        n = len(pre)
        cols = {k: np.broadcast_to(np.asarray(v, dtype=float), (n,)).copy()
                for k, v in connection_parameters.items() if k in ("weight", "delay")}
        self._chunks.append((pre, np.full(n, int(postsynaptic_index), np.int64), cols))

    def _collect_chunks(self):
        chunks, self._chunks = self._chunks, []
        if not chunks:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), {}
        pre = np.concatenate([c[0] for c in chunks])
        post = np.concatenate([c[1] for c in chunks])
        names = set.intersection(*[set(c[2]) for c in chunks])
        cols = {k: np.concatenate([c[2][k] for c in chunks]) for k in names}
        order = np.lexsort((post, pre))
        return pre[order], post[order], {k: v[order] for k, v in cols.items()}

    def _check(self, weight: np.ndarray, delay: np.ndarray) -> None:
        """PyNN's rules: excitatory and conductance weights >= 0, current-based inhibitory
        weights <= 0; delays within [min_delay, max_delay]."""
        if weight.size:
            bad = ~np.isfinite(weight)
            if bad.any():
                raise errors.ConnectionError(
                    f"weights must be finite numbers, got {weight[bad][0]}")
            conductance = self.post.conductance_based
            if conductance or self.receptor_type in excitatory_receptor_types:
                neg = weight < 0
                if neg.any():
                    raise errors.ConnectionError(
                        f"weights must be >= 0 for {'conductance-based' if conductance else 'excitatory'}"
                        f" synapses (receptor_type={self.receptor_type!r}), got {weight[neg][0]:g}."
                        f" Inhibition is expressed with receptor_type='inhibitory'.")
            elif self.receptor_type in inhibitory_receptor_types:
                pos = weight > 0
                if pos.any():
                    raise errors.ConnectionError(
                        f"weights must be <= 0 for current-based inhibitory synapses "
                        f"(PyNN's convention), got {weight[pos][0]:g}; use negative weights "
                        f"(sPyNNaker scripts with positive inhibitory weights need them negated)")
        if delay.size:
            dt = state.dt
            lo = state.min_delay
            hi = state.max_delay_setting
            tol = 1e-9 * max(1.0, dt)
            bad = ~np.isfinite(delay) | (delay < lo - tol)
            if hi is not None:
                bad |= delay > hi + tol
            if bad.any():
                d = delay[bad][0]
                upper = f"{hi:g}" if hi is not None else "unbounded"
                raise errors.ConnectionError(
                    f"delay {d:g} ms is out of range: delays must lie in [min_delay, max_delay]"
                    f" = [{lo:g}, {upper}] ms (set them with sim.setup(min_delay=..., "
                    f"max_delay=...); the time step is {dt:g} ms)")
            state.note_delay(float(delay.max()))

    # -- PyNN API ---------------------------------------------------------------------------
    def __len__(self):
        return len(self._pre)

    def __getitem__(self, i):
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"connection index {i} out of range for {n} connections")
        return Connection(self, i % n)

    def _get_attributes_as_list(self, names):
        cols = []
        for name in names:
            cols.append({"presynaptic_index": self._pre, "postsynaptic_index": self._post,
                         "weight": self._weight, "delay": self._delay}[name])
        rows = np.column_stack(cols) if cols else np.zeros((len(self), 0))
        return [tuple(r) for r in rows.tolist()]

    def _get_attributes_as_arrays(self, names, multiple_synapses="sum"):
        ops = {"sum": np.add, "min": np.fmin, "max": np.fmax}
        out = []
        for name in names:
            if name.endswith("s"):
                name = name[:-1]
            values = {"weight": self._weight, "delay": self._delay}[name]
            arr = np.full((self.pre.size, self.post.size), np.nan)
            if multiple_synapses in ("first", "last"):
                order = np.arange(len(values))
                if multiple_synapses == "first":
                    order = order[::-1]
                arr[self._pre[order], self._post[order]] = values[order]
            else:
                ufunc = ops[multiple_synapses]
                filled = np.zeros_like(arr, dtype=bool)
                filled[self._pre, self._post] = True
                init = 0.0 if multiple_synapses == "sum" else np.nan
                arr[filled] = init
                ufunc.at(arr, (self._pre, self._post), values)
            out.append(arr)
        return out

    @live("Projection.get")
    def get(self, attribute_names, format, gather=True, with_address=True,
            multiple_synapses="sum"):
        return super().get(attribute_names, format, gather, with_address, multiple_synapses)

    @live("Projection.set", mutating=True)
    def set(self, **attributes):
        for name in attributes:
            if name not in ("weight", "delay"):
                raise errors.NonExistentParameterError(name, self.synapse_type,
                                                       ["weight", "delay"])
        return super().set(**attributes)

    def _set_attributes(self, parameter_space):
        new = {}
        for name in parameter_space.keys():
            new[name] = self._values(parameter_space, name, self._pre, self._post)
        weight = new.get("weight", self._weight)
        delay = new.get("delay", self._delay)
        self._check(weight, delay)
        self._weight, self._delay = np.asarray(weight, float), np.asarray(delay, float)
        self._version += 1
        self._ir_cache = None

    # -- IR ---------------------------------------------------------------------------------
    def _ir_parts(self, pop_index: dict, first_index: int) -> list[ir.ProjectionIR]:
        """This projection as one ProjectionIR per (pre root, post root) pair."""
        if self._ir_cache is not None and self._ir_cache[0] == first_index:
            return self._ir_cache[1]
        pre_seg, post_seg = Segments(self.pre), Segments(self.post)
        pre_no, pre_base = pre_seg.locate(self._pre)
        post_no, post_base = post_seg.locate(self._post)
        parts = []
        pairs = np.unique(np.column_stack([pre_no, post_no]), axis=0) if len(self) else []
        for a, b in pairs:
            sel = (pre_no == a) & (post_no == b)
            pre_pop, post_pop = pre_seg.pops[a], post_seg.pops[b]
            receptors = list(post_pop.celltype.receptor_types)
            parts.append(ir.ProjectionIR(
                index=first_index + len(parts), label=self.label or "", pre=pop_index[id(pre_pop)],
                post=pop_index[id(post_pop)], receptor=self.receptor_type,
                receptor_index=receptors.index(self.receptor_type),
                pre_index=pre_base[sel], post_index=post_base[sel],
                weight=self._weight[sel], delay=self._delay[sel], synapse="static",
                version=self._version))
        self._ir_cache = (first_index, parts)
        return parts
