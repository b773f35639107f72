"""Projection: connections between populations, views and assemblies, held as arrays.

Connections are stored as parallel arrays (pre position, post position, weight, delay)
in the projection's own index space (positions in ``pre`` and ``post``); the IR maps them
to root populations. get/set of weights and delays are vectorised.

Parameter values (scalars, ``(n_pre, n_post)`` arrays, RandomDistribution, functions of
distance given as a string of ``d`` or a callable, IndexBasedExpression) are evaluated
*per connection*, never as a full ``n_pre x n_post`` matrix: random values are drawn once
per connection, in connection order (the order of ``get(..., format='list')``).
Delays are rounded to the time grid when they are stored, so ``get('delay')`` reports the
delay the engine uses.
"""
from __future__ import annotations

import functools
import numbers
import reprlib
import operator

import attrs
import numpy as np
from lazyarray import larray
from pyNN import common, core, errors
from pyNN.parameters import LazyArray
from pyNN.space import Space
from pyNN.standardmodels import build_translations
from pyNN.standardmodels import synapses as std_synapses
from pyNN.standardmodels.base import excitatory_receptor_types, inhibitory_receptor_types

from .. import ir, simulator
from ..backend import prepare_projection
from ..progress import BuildProgress
from ..progress import enabled as progress_enabled
from ..ir import steps_to_ms, weights_as_float
from ..populations.indexing import Segments
from ..simulator import live, state
from . import connect
from .storage import MAX_DELAY_STEPS, delay_steps, is_uniform, store_weights
from .synapses import SUPPORTED, StaticSynapse, dynamics_of


#: Synapse types this build supports, for error messages.
SUPPORTED_SYNAPSES = tuple(cls.__name__ for cls in SUPPORTED)
#: Connection attributes every synapse type has.
ATTRIBUTES = ("weight", "delay")
_MULTI = ("sum", "first", "last", "min", "max")


class Connection(common.Connection):
    """One connection of a Projection (PyNN's ``prj[i]``); its weight and delay can be
    read and set."""

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
    def presynaptic_cell(self):
        return self.projection.pre[self.presynaptic_index]

    @property
    def postsynaptic_cell(self):
        return self.projection.post[self.postsynaptic_index]

    @property
    def weight(self):
        prj = self.projection
        return float(weights_as_float(prj._w_values[self.i:self.i + 1], prj._w_table)[0])

    @weight.setter
    def weight(self, value):
        self.projection._set_one(self.i, weight=value)

    @property
    def delay(self):
        return float(steps_to_ms(self.projection._dsteps[self.i:self.i + 1], state.dt)[0])

    @delay.setter
    def delay(self, value):
        self.projection._set_one(self.i, delay=value)

    def as_tuple(self, *names):
        return tuple(getattr(self, n) for n in names)

    def __repr__(self):
        return (f"Connection({self.presynaptic_index} -> {self.postsynaptic_index}, "
                f"weight={self.weight:g}, delay={self.delay:g})")


def _check_collection(prefix: str, obj) -> None:
    """pre/post must be spinnframe Populations, PopulationViews or Assemblies of them."""
    if not isinstance(obj, (common.BasePopulation, common.Assembly)):
        raise errors.ConnectionError(
            f"{prefix}synaptic_neurons must be a Population, PopulationView or Assembly, "
            f"not {type(obj).__name__} {obj!r}"[:300])
    try:
        Segments(obj)
    except TypeError:
        raise errors.ConnectionError(
            f"{prefix}synaptic_neurons {getattr(obj, 'label', obj)!r} is not (or contains "
            f"something that is not) a spinnframe Population, PopulationView or Assembly "
            f"({type(obj).__module__}.{type(obj).__name__}); populations of other PyNN "
            f"backends cannot be connected here") from None


def _check_shapes(synapse_type, n_pre: int, n_post: int) -> None:
    """Weight/delay arrays given to the synapse type must have shape (n_pre, n_post)."""
    for name in ATTRIBUTES:
        try:
            base = synapse_type.parameter_space[name].base_value
        except (KeyError, AttributeError):
            continue
        if isinstance(base, np.ndarray) and base.size != 1 and base.shape != (n_pre, n_post):
            raise errors.InvalidDimensionsError(
                f"StaticSynapse {name} array has shape {base.shape}; a projection from "
                f"{n_pre} to {n_post} cells needs shape (n_pre, n_post) = ({n_pre}, {n_post})")


def _locate(collection, segments, positions):
    """(population number, base index) of positions in a collection; for a whole
    Population every position is in population 0 at its own index (no copies)."""
    from ..populations import Population
    if isinstance(collection, Population):
        return None, positions
    return segments.locate(positions)


def _source_populations(collection) -> list:
    """Root populations of ``collection`` that are spike sources (take no input)."""
    return [p for p in Segments(collection).pops
            if getattr(getattr(p, "_spec", None), "is_source", False)]


class _OwnColumns(ir.ConnectionSource):
    """The IR's view of a projection's own columns (no reference to the arrays, so they
    can be freed when a backend takes them over)."""

    def __init__(self, prj: "Projection"):
        self._prj = prj
        self.n = prj._n
        self.delay_steps_range = prj._drange

    def read(self) -> tuple:
        p = self._prj
        return p._pre, p._post, p._w_values, p._w_table, p._dsteps


def _held_column(name: str) -> property:
    """A connection column (``_pre``, ``_post``, ``_w_values``, ``_w_table``, ``_dsteps``),
    read back from the backend when the projection handed its arrays over (_hand_over)."""
    key = "_c" + name

    def get(self):
        if self._held is not None and self._c_pre is None:
            (self._c_pre, self._c_post, self._c_w_values, self._c_w_table,
             self._c_dsteps) = self._held.read()
        return getattr(self, key)

    def put(self, value):
        setattr(self, key, value)
    return property(get, put)


class Projection(common.Projection):
    __doc__ = common.Projection.__doc__
    _simulator = simulator
    _static_synapse_class = StaticSynapse
    _pre = _held_column("_pre")
    _post = _held_column("_post")
    _w_values = _held_column("_w_values")
    _w_table = _held_column("_w_table")
    _dsteps = _held_column("_dsteps")
    _c_pre = _c_post = _c_w_values = _c_w_table = _c_dsteps = None
    #: the backend's copy of the connections, once handed over (ir.ConnectionSource)
    _held = None
    _held_ir = None

    def __init__(self, presynaptic_population, postsynaptic_population, connector,
                 synapse_type=None, source=None, receptor_type=None, space=Space(),
                 label=None):
        state.check("Projection()", mutating=True)
        for obj in (presynaptic_population, postsynaptic_population):
            gen = getattr(obj, "_generation", None)
            if gen is not None:
                state.check("Projection()", generation=gen)
        if synapse_type is not None and not isinstance(synapse_type, SUPPORTED):
            cls = type(synapse_type)
            hint = (" (it is not spinnframe's: use sim.StaticSynapse from spinnframe.pyNN)"
                    if cls.__name__ in SUPPORTED_SYNAPSES else "")
            raise errors.ConnectionError(
                f"synapse type {cls.__module__}.{cls.__name__} is not supported{hint}; "
                f"supported: {', '.join(SUPPORTED_SYNAPSES)}")
        for prefix, obj in (("pre", presynaptic_population), ("post", postsynaptic_population)):
            _check_collection(prefix, obj)
        if synapse_type is not None:
            _check_shapes(synapse_type, presynaptic_population.size,
                          postsynaptic_population.size)
        # before PyNN looks for a receptor type (spike sources have none)
        sources = _source_populations(postsynaptic_population)
        if sources:
            src = sources[0]
            what = (f"{postsynaptic_population.label!r} ({src.celltype.__class__.__name__})"
                    if src is postsynaptic_population else
                    f"{postsynaptic_population.label!r}: it contains "
                    f"{src.celltype.__class__.__name__} population {src.label!r}")
            raise errors.ConnectionError(
                f"cannot connect to {what}; spike sources take no synaptic input")
        super().__init__(presynaptic_population, postsynaptic_population, connector,
                         synapse_type, source, receptor_type, space, label)
        self._generation = state.generation
        self._version = 0
        self._ir_cache = None
        label = self.label or f"{self.pre.label} -> {self.post.label}"
        with BuildProgress(f"Projection {label!r}",
                           _expected_connections(connector, self.pre.size, self.post.size),
                           show=progress_enabled(state.options.get("progress"))) as bar:
            self._make(connector)
            bar.done(len(self))

    def _make(self, connector) -> None:
        """Make the connections and their values, and register the projection."""
        builder = connect.builder_for(connector)
        if builder is not None:
            pre, post, columns = builder(self, connector)
            for name in columns:
                if name not in self._attribute_names():
                    raise errors.ConnectionError(
                        f"FromListConnector column {name!r} is not a parameter of "
                        f"{type(self.synapse_type).__name__} (which has: "
                        f"{', '.join(self._attribute_names())})")
        else:
            self._chunks = []
            connector.connect(self)
            pre, post, columns = self._collect_chunks()
        # positions fit in 32 bits for any population spinnframe can hold: half the memory
        index_type = np.int32 if max(self.pre.size, self.post.size) < 2 ** 31 else np.int64
        self._pre = np.ascontiguousarray(pre, dtype=index_type)
        self._post = np.ascontiguousarray(post, dtype=index_type)
        self._n = len(self._pre)
        self._dynamics = dynamics_of(self.synapse_type)
        ps = None
        values = {}
        for name in self._attribute_names():
            if name in columns:
                values[name] = np.array(columns[name], dtype=float)
            else:
                if ps is None:
                    # the synapse type's own values (translations are the identity), not
                    # a copy: random distributions then draw from the script's generator,
                    # each continuing where the last draw stopped (weights and delays of
                    # one generator are independent; so are successive projections)
                    ps = self.synapse_type.parameter_space
                values[name] = self._evaluate(name, ps[name])
        self._dyn = {k: v for k, v in values.items() if k not in ATTRIBUTES}
        self._check_dynamics(self._dyn)
        if self._dynamics == "tsodyks":
            name = {"excitatory": "tau_syn_E", "inhibitory": "tau_syn_I"}.get(self.receptor_type)
            for pop in Segments(self.post).pops:
                if name not in {p.name for p in pop._spec.parameters}:
                    raise errors.ConnectionError(
                        f"TsodyksMarkramSynapse takes the decay of its postsynaptic response "
                        f"from the target's {name or 'tau_syn'} (as NEST does), but "
                        f"{pop.celltype.__class__.__name__} ({pop.label!r}) has none")
                tau_psc = np.asarray(pop._params[name], dtype=float)
                if np.any(np.isin(tau_psc, np.unique(self._dyn["tau_rec"]))):
                    raise errors.InvalidParameterValueError(
                        f"TsodyksMarkramSynapse tau_rec must differ from the target's {name} "
                        f"(NEST's formula divides by their difference); both are "
                        f"{np.intersect1d(tau_psc, self._dyn['tau_rec'])[0]:g} ms")
        self._store(values["weight"], values["delay"])
        self._remember_initial_weights()
        self._initial_state = {
            name: np.full(len(self), float(value))
            for name, value in getattr(self.synapse_type, "default_initial_values", {}).items()}
        state.projections.append(self)
        state.structure_version += 1
        prepare_projection(state, self)    # a backend may take the connections over now

    def _attribute_names(self) -> list[str]:
        """weight, delay and the parameters of the synapse dynamics (per connection)."""
        names = [n for n in self.synapse_type.get_parameter_names()
                 if n != "dendritic_delay_fraction"]
        return ["weight", "delay"] + [n for n in names if n not in ATTRIBUTES]

    def _check_dynamics(self, dyn: dict) -> None:
        """The engine takes the dynamics' parameters per projection: they must be equal for
        every connection; values are checked as NEST checks them."""
        kind = self._dynamics
        for name, values in dyn.items():
            if kind in ("tsodyks", "stochastic"):
                self._check_range(kind, name, values)
                continue                  # these may differ between connections
            if len(values) and not np.all(values == values[0]):
                raise errors.InvalidParameterValueError(
                    f"{type(self.synapse_type).__name__} parameter {name!r} must be the same "
                    f"for every connection of a projection in spinnframe; got values from "
                    f"{values.min():g} to {values.max():g}")
        v = {k: float(a[0]) for k, a in dyn.items() if len(a)}
        if not v:
            return
        def bad(name, allowed):
            raise errors.InvalidParameterValueError(
                f"{type(self.synapse_type).__name__} parameter {name!r} must be {allowed}, "
                f"got {v[name]:g}")
        if kind in ("stdp", "vogels"):
            for name in ("tau_plus", "tau_minus", "tau"):
                if name in v and not v[name] > 0:
                    bad(name, "> 0 ms")
            if "w_min" in v and v["w_min"] != 0.0:
                bad("w_min", "0 (as in NEST, weights are bounded below by 0)")
            if "w_max" in v and not v["w_max"] > 0:
                bad("w_max", "> 0")
            for name in ("A_plus", "A_minus", "eta", "rho", "mu_plus", "mu_minus"):
                if name in v and not v[name] >= 0:
                    bad(name, ">= 0")

    _RANGES = {("tsodyks", "U"): (lambda x: (x >= 0) & (x <= 1), "in [0, 1]"),
               ("tsodyks", "tau_rec"): (lambda x: x > 0, "> 0 ms"),
               ("tsodyks", "tau_facil"): (lambda x: x >= 0, ">= 0 ms"),
               ("stochastic", "p"): (lambda x: (x >= 0) & (x <= 1), "a probability in [0, 1]")}

    def _check_range(self, kind: str, name: str, values: np.ndarray) -> None:
        rule = self._RANGES.get((kind, name))
        if rule is None or not len(values):
            return
        ok = rule[0](values)
        if not ok.all():
            raise errors.InvalidParameterValueError(
                f"{type(self.synapse_type).__name__} parameter {name!r} must be {rule[1]}, "
                f"got {values[~ok][0]:g}")

    def _set_initial_value_array(self, variable, initial_values):
        """Projection.initialize(u=...) for TsodyksMarkramSynapse."""
        if variable not in self._initial_state:
            raise errors.NonExistentParameterError(variable, type(self.synapse_type).__name__,
                                                   sorted(self._initial_state))
        values = self._evaluate(variable, initial_values)
        if variable == "u" and ((values < 0) | (values > 1)).any():
            raise errors.InvalidParameterValueError(
                f"initial u must lie in [0, 1], got {values[(values < 0) | (values > 1)][0]:g}")
        self._initial_state[variable] = values
        self._version += 1
        self._ir_cache = None

    def _fixed_dynamics(self) -> dict:
        """Constants a synapse type implies: the exponents of the STDP weight dependences
        (additive 0/0, multiplicative 1/1, additive potentiation & multiplicative
        depression 0/1; Guetig's are parameters)."""
        wd = getattr(self.synapse_type, "weight_dependence", None)
        mu = getattr(wd, "mu", None)
        return {} if mu is None else {"mu_plus": mu[0], "mu_minus": mu[1]}

    def _reset_plasticity(self) -> None:
        """reset(): plastic weights back to their initial values."""
        if self._dynamics in ("stdp", "vogels"):
            self._w_values = self._initial_weight.copy()
        if self._dynamics != "static":
            self._version += 1
            self._ir_cache = None

    def _update_weights(self, connection_index, weights: np.ndarray) -> None:
        """Plastic weights after a run, from the backend (does not count as a change);
        ``connection_index`` None means every connection, in order."""
        if connection_index is None:
            self._w_values[:] = weights
        else:
            self._w_values[connection_index] = weights
        self._ir_cache = None

    # -- building ---------------------------------------------------------------------------
    def _fallback_seed(self) -> int:
        return (state.seed * 1000003 + len(state.projections)) % (2 ** 32)

    def _convergent_connect(self, presynaptic_indices, postsynaptic_index,
                            location_selector=None, **connection_parameters):
        """Called by PyNN's connector algorithms (the connectors without a vectorised
        builder); collects the connections of one postsynaptic cell."""
        pre = np.atleast_1d(np.asarray(presynaptic_indices, dtype=np.int64))
        n = len(pre)
        cols = {k: np.broadcast_to(np.asarray(v, dtype=float), (n,)).copy()
                for k, v in connection_parameters.items() if k in self._attribute_names()}
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

    # -- per-connection evaluation of parameter values ----------------------------------------
    def _evaluate(self, name: str, value) -> np.ndarray:
        """The values of attribute ``name`` for every connection, in connection order."""
        n = len(self._pre)
        base = value.base_value if isinstance(value, larray) else value
        if base is None:
            if name == "delay":         # PyNN's "default delay": the minimum delay
                return np.broadcast_to(np.float64(state.min_delay), (n,))
            raise errors.InvalidParameterValueError(f"{name} has no value")
        try:
            x = self._pointwise(value, self._pre, self._post)
            x = np.asarray(x, dtype=float)
        except (errors.InvalidParameterValueError, errors.InvalidDimensionsError):
            raise
        except (TypeError, ValueError, IndexError, ZeroDivisionError, NameError) as exc:
            raise errors.InvalidParameterValueError(
                f"could not evaluate {name} for the connections of projection "
                f"{self.label!r}: {type(exc).__name__}: {exc}") from None
        if x.ndim == 0:             # one value for all: a read-only view, no memory
            return np.broadcast_to(np.float64(x), (n,))
        if x.shape != (n,):
            raise errors.InvalidDimensionsError(
                f"{name} evaluated to an array of shape {x.shape}; expected one value per "
                f"connection ({n})")
        return x

    def _pointwise(self, value, pre: np.ndarray, post: np.ndarray):
        """Evaluate a lazy array (or plain value) at the pairs ``(pre[k], post[k])``."""
        if isinstance(value, larray):
            base, ops = value.base_value, value.operations
        else:
            base, ops = value, []
        n = len(pre)
        if isinstance(base, larray):
            x = self._pointwise(base, pre, post)
        elif isinstance(base, (numbers.Number, np.number)):
            x = float(base)
        elif isinstance(base, np.ndarray):
            if base.size == 1:
                x = float(base.ravel()[0])
            elif base.shape == self.shape:
                x = base[pre, post]
            else:
                raise errors.InvalidDimensionsError(
                    f"an array of shape {base.shape} does not fit projection "
                    f"{self.label!r}: give a scalar, an array of shape (n_pre, n_post) = "
                    f"{self.shape}, or a list of one value per connection ({len(self)})")
        elif isinstance(base, core.IndexBasedExpression):
            base.projection = self
            x = base(pre, post)
        elif hasattr(base, "next"):      # RandomDistribution: one draw per connection
            x = np.asarray(base.next(n), dtype=float) if n else np.zeros(0)
        elif callable(base):             # a function of distance (or a string of d)
            x = base(self._distances(pre, post))
        else:
            raise errors.InvalidParameterValueError(
                f"unsupported value {base!r}: use a number, an array, a RandomDistribution "
                f"or a function of distance")
        for f, arg in ops:
            if arg is None:
                x = f(x)
            elif isinstance(arg, larray):
                x = f(x, self._pointwise(arg, pre, post))
            else:
                x = f(x, arg)
        return x

    def _distances(self, pre: np.ndarray, post: np.ndarray) -> np.ndarray:
        """Distance between pre cell ``pre[k]`` and post cell ``post[k]``, for every k,
        with the projection's Space (axes, scale_factor, offset, periodic boundaries)
        exactly as ``Space.distances`` computes it."""
        space = self.space
        a = np.asarray(self.pre.positions, dtype=float).T[pre]
        b = np.asarray(self.post.positions, dtype=float).T[post]
        b = space.scale_factor * (b + space.offset)
        d2 = np.zeros(len(pre))
        for axis in np.atleast_1d(space.axes):
            diff = a[:, axis] - b[:, axis]
            if space.periodic_boundaries is not None:
                bounds = space.periodic_boundaries[axis]
                if bounds is not None:
                    extent = bounds[1] - bounds[0]
                    ad = np.abs(diff)
                    diff = np.minimum(ad, extent - ad)
            d2 += diff * diff
        return np.sqrt(d2)

    # -- storage and checks -----------------------------------------------------------------
    def _store(self, weight, delay) -> None:
        """Check and keep weights and delays in their compact forms (storage.py): delays
        as time steps (what every engine uses), weights exactly or, for static synapses
        with more distinct weights than a table holds, in single precision."""
        weight = np.asarray(weight, dtype=float).reshape(-1)
        delay = np.asarray(delay, dtype=float).reshape(-1)
        self._check(weight, delay)
        self._pre                             # read back what a backend holds, then own it
        self._held = self._held_ir = None
        self._w_values, self._w_table = store_weights(weight, self._dynamics)
        self._dsteps = delay_steps(delay, state.dt)
        self._drange = ((int(self._dsteps.min()), int(self._dsteps.max())) if self._n
                        else (1, 1))

    @property
    def _weight(self) -> np.ndarray:
        """Weights as float64, one per connection (read-only use)."""
        return weights_as_float(self._w_values, self._w_table)

    @property
    def _delay(self) -> np.ndarray:
        """Delays in ms, one per connection (read-only use)."""
        return steps_to_ms(self._dsteps, state.dt)

    def _remember_initial_weights(self) -> None:
        """Plastic weights return to these on reset()."""
        plastic = self._dynamics in ("stdp", "vogels")
        self._initial_weight = self._w_values.copy() if plastic else None

    def _check(self, weight: np.ndarray, delay: np.ndarray) -> None:
        """PyNN's rules: excitatory and conductance weights >= 0, current-based inhibitory
        weights <= 0; delays within [min_delay, max_delay]."""
        # one value for all connections: checking the first checks them all
        weight = weight[:1] if is_uniform(weight) else weight
        delay = delay[:1] if is_uniform(delay) else delay
        if weight.size:
            bad = ~np.isfinite(weight)
            if bad.any():
                raise errors.ConnectionError(
                    f"weights must be finite numbers, got {weight[bad][0]} (connection "
                    f"{np.flatnonzero(bad)[0]} of projection {self.label!r})")
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
                        f"(receptor_type={self.receptor_type!r}, PyNN's convention), got "
                        f"{weight[pos][0]:g}; use negative weights (sPyNNaker scripts with "
                        f"positive inhibitory weights need them negated)")
        if delay.size:
            dt = state.dt
            lo = state.min_delay
            hi = state.max_delay_setting
            tol = 1e-9 * max(1.0, dt)
            bad = ~np.isfinite(delay) | (delay < lo - tol)
            if hi is not None:
                bad |= delay > hi + tol
            # engines store delays as 16-bit step counts
            longest = MAX_DELAY_STEPS * dt
            bad |= delay > longest + tol
            if hi is None and (delay > longest + tol).any():
                hi = longest
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
        return self._n

    @property
    def connections(self):
        """Every connection, as Connection objects (PyNN's ``prj.connections``)."""
        return (Connection(self, i) for i in range(len(self)))

    @live("Connection.weight/delay", mutating=True)
    def _set_one(self, i: int, weight=None, delay=None) -> None:
        w, d = np.array(self._weight), np.array(self._delay)
        if weight is not None:
            w[i] = float(weight)
        if delay is not None:
            d[i] = float(delay)
        self._store(w, d)
        if weight is not None:
            self._remember_initial_weights()
        self._version += 1
        self._ir_cache = None

    def __getitem__(self, i):
        try:
            i = operator.index(i)
        except TypeError:
            raise TypeError(f"connection indices must be integers, got {i!r}") from None
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"connection index {i} out of range for {n} connections")
        return Connection(self, i % n)

    def _column(self, name: str) -> np.ndarray:
        if name in self._dyn:
            return self._dyn[name]
        return {"presynaptic_index": self._pre, "postsynaptic_index": self._post,
                "weight": self._weight, "delay": self._delay}[name]

    def _get_attributes_as_list(self, names):
        cols = [self._column(name).tolist() for name in names]
        return list(zip(*cols))

    def _get_attributes_as_arrays(self, names, multiple_synapses="sum"):
        ops = {"sum": np.add, "min": np.fmin, "max": np.fmax}
        out = []
        for name in names:
            values = self._column(name)
            arr = np.full(self.shape, np.nan)
            if multiple_synapses in ("first", "last"):
                order = np.arange(len(values))
                if multiple_synapses == "first":
                    order = order[::-1]     # the first one is written last
                arr[self._pre[order], self._post[order]] = values[order]
            else:
                ufunc = ops[multiple_synapses]
                if multiple_synapses == "sum":
                    arr[self._pre, self._post] = 0.0
                ufunc.at(arr, (self._pre, self._post), values)
            out.append(arr)
        return out

    @live("Projection.get")
    def get(self, attribute_names, format, gather=True, with_address=True,
            multiple_synapses="sum"):
        names = [attribute_names] if isinstance(attribute_names, str) else list(attribute_names)
        for name in names:
            if name not in self._attribute_names():
                raise errors.NonExistentParameterError(
                    name, type(self.synapse_type).__name__, self._attribute_names())
        if format not in ("list", "array"):
            raise ValueError(f"format must be 'list' or 'array', got {format!r}")
        if format == "array" and multiple_synapses not in _MULTI:
            raise ValueError(f"multiple_synapses must be one of {', '.join(_MULTI)}; got "
                             f"{multiple_synapses!r}")
        return super().get(attribute_names, format, gather, with_address, multiple_synapses)

    @live("Projection.set", mutating=True)
    def set(self, **attributes):
        """Set connection attributes (``weight``, ``delay``) of every connection.

        Each value may be a number, a RandomDistribution (one draw per connection, in
        connection order), an array of shape (n_pre, n_post) like ``get(format='array')``
        returns, a list or 1-D array with one value per connection, ordered by presynaptic
        then postsynaptic index (filling the connection matrix row by row, as PyNN
        defines), or a function of distance (a string
        of ``d`` such as ``"0.1 + 0.01*d"``, or a callable). Where a projection has several
        connections between one pair of cells, a 2-D array sets all of them.
        The new values take effect at the next run().
        """
        new = {}
        for name, value in attributes.items():
            if name not in self._attribute_names():
                raise errors.NonExistentParameterError(
                    name, type(self.synapse_type).__name__, self._attribute_names())
            new[name] = self._set_values(name, value)
        if not new:
            return
        dyn = {k: new.get(k, v) for k, v in self._dyn.items()}
        self._check_dynamics(dyn)
        self._store(new.get("weight", self._weight), new.get("delay", self._delay))
        self._dyn = dyn
        if "weight" in new:
            self._remember_initial_weights()
        self._version += 1
        self._ir_cache = None

    def _set_values(self, name: str, value) -> np.ndarray:
        n = len(self)
        if isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray)
                                                and value.ndim == 1):
            try:
                arr = np.asarray(value, dtype=float)
            except (TypeError, ValueError):
                raise errors.InvalidParameterValueError(
                    f"Projection.set({name}=...): values must be numbers, got "
                    f"{reprlib.repr(value)}") from None
            if arr.ndim == 1:
                if arr.shape != (n,):
                    raise errors.InvalidDimensionsError(
                        f"Projection.set({name}=...) got a list of {arr.size} values, but "
                        f"projection {self.label!r} has {n} connections; give one value per "
                        f"connection (ordered by presynaptic, then postsynaptic index), a "
                        f"number, a RandomDistribution or an array of shape (n_pre, n_post) "
                        f"= {self.shape}")
                # PyNN's meaning: the values fill the connection matrix row by row
                order = np.lexsort((self._post, self._pre))
                out = np.empty(n)
                out[order] = arr
                return out
            value = arr
        if isinstance(value, bool) or value is None:
            raise errors.InvalidParameterValueError(
                f"Projection.set({name}={value!r}): expected a number, array, "
                f"RandomDistribution or function of distance")
        if isinstance(value, np.ndarray) and value.size != 1 and value.shape != self.shape:
            raise errors.InvalidDimensionsError(
                f"Projection.set({name}=...) got an array of shape {value.shape}; expected "
                f"shape (n_pre, n_post) = {self.shape}, or a 1-D list of {n} values (one "
                f"per connection)")
        try:
            lazy = LazyArray(value, shape=self.shape, dtype=float)
        except (TypeError, ValueError, errors.InvalidParameterValueError) as exc:
            raise errors.InvalidParameterValueError(
                f"Projection.set({name}={reprlib.repr(value)}): {exc}") from None
        # a RandomDistribution draws from the script's generator (see __init__)
        return self._evaluate(name, lazy)

    # -- IR ---------------------------------------------------------------------------------
    def _ir_parts(self, pop_index: dict, first_index: int) -> list[ir.ProjectionIR]:
        """This projection as one ProjectionIR per (pre root, post root) pair."""
        if self._held is not None:
            # the backend keeps the connections: drop what get() etc. read back
            self._c_pre = self._c_post = self._c_w_values = self._c_w_table = None
            self._c_dsteps = None
            if self._held_ir.index != first_index:
                self._held_ir = attrs.evolve(self._held_ir, index=first_index)
            return [self._held_ir]
        if self._ir_cache is not None and self._ir_cache[0] == first_index:
            return self._ir_cache[1]
        pre_seg, post_seg = Segments(self.pre), Segments(self.post)
        pre_no, pre_base = _locate(self.pre, pre_seg, self._pre)
        post_no, post_base = _locate(self.post, post_seg, self._post)
        parts = []
        n_post_pops = len(post_seg.pops)
        if len(pre_seg.pops) == 1 and n_post_pops == 1:
            pairs = [(0, 0)] if len(self) else []       # the common case: no search needed
        else:
            n = len(self)
            pre_no = np.zeros(n, np.int32) if pre_no is None else pre_no
            post_no = np.zeros(n, np.int32) if post_no is None else post_no
            pair_id = pre_no.astype(np.int64) * n_post_pops + post_no
            pairs = [divmod(int(k), n_post_pops)
                     for k in np.flatnonzero(np.bincount(pair_id) if len(self) else [])]
        for a, b in pairs:
            sel = slice(None) if len(pairs) == 1 else (pre_no == a) & (post_no == b)
            pre_pop, post_pop = pre_seg.pops[a], post_seg.pops[b]
            receptors = list(post_pop.celltype.receptor_types)
            parts.append(ir.ProjectionIR(
                index=first_index + len(parts), label=self.label or "", pre=pop_index[id(pre_pop)],
                post=pop_index[id(post_pop)], receptor=self.receptor_type,
                receptor_index=receptors.index(self.receptor_type),
                pre_index=pre_base[sel], post_index=post_base[sel],
                weight_values=self._w_values[sel], weight_table=self._w_table,
                delay_steps=self._dsteps[sel], dt=state.dt, synapse=self._dynamics,
                version=self._version,
                dynamics={**{k: float(v[0]) for k, v in self._dyn.items() if len(v)},
                          **self._fixed_dynamics()},
                dynamics_per_connection={k: v[sel] for k, v in self._dyn.items()
                                         if len(v) and not np.all(v == v[0])},
                initial={k: v[sel] for k, v in self._initial_state.items()},
                connection_index=None if isinstance(sel, slice) else np.flatnonzero(sel)))
        if (len(parts) == 1 and self._dynamics == "static" and pre_no is None
                and post_no is None):
            # whole populations, static synapses: a backend may keep the only copy, so
            # the IR reads the arrays through the projection instead of holding them
            parts[0] = attrs.evolve(parts[0], pre_index=None, post_index=None,
                                    weight_values=None, weight_table=None, delay_steps=None,
                                    source=_OwnColumns(self), hand_over=functools.partial(
                                        self._hand_over, self._version, first_index))
        self._ir_cache = (first_index, parts)
        return parts

    def _hand_over(self, version: int, first_index: int, held: ir.ConnectionSource) -> None:
        """A backend now holds the connections of the ProjectionIR built at ``version``:
        free the arrays (they are read back from ``held`` when asked for). From then on
        the connections are listed by presynaptic, then postsynaptic index."""
        if version != self._version or self._ir_cache is None or held.n != self._n:
            return                  # changed since: the backend gets the new arrays next run
        part = self._ir_cache[1][0]
        self._held_ir = attrs.evolve(part, source=held, hand_over=None)
        self._held = held
        self._ir_cache = None
        self._c_pre = self._c_post = self._c_w_values = self._c_w_table = None
        self._c_dsteps = None


def _expected_connections(connector, n_pre: int, n_post: int) -> float | None:
    """About how many connections ``connector`` makes between n_pre and n_post cells
    (None when that is not known beforehand): for the build's progress line."""
    name = type(connector).__name__
    try:
        if name == "AllToAllConnector":
            return float(n_pre) * n_post
        if name == "FixedProbabilityConnector":
            return float(connector.p_connect) * n_pre * n_post
        if name == "FixedTotalNumberConnector":
            return float(connector.n)
        if name == "FixedNumberPreConnector":
            return float(connector.n) * n_post
        if name == "FixedNumberPostConnector":
            return float(connector.n) * n_pre
        if name == "OneToOneConnector":
            return float(min(n_pre, n_post))
        if name == "FromListConnector":
            return float(len(connector.conn_list))
    except (TypeError, ValueError, AttributeError):
        return None
    return None
