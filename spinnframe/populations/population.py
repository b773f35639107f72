"""Population, PopulationView, Assembly and cell IDs.

PyNN's common classes provide the API behaviour (selectors, views of views, assemblies,
get/set/initialize with scalars, arrays, random distributions and functions, describe,
get_data as neo). Here we add what a simulator supplies: parameter and state storage laid
out from the model declaration, value checks, the simulator lifecycle, and sPyNNaker's
extras (placement constraints, atoms per core, spinnaker_get_data, set_state,
current_values).

Storage lives on the root Population: ``_params`` (name -> full-size array),
``_state`` (structured array in the kernel's layout; the engine updates it in place during
a run) and ``_initial`` (name -> array, restored on reset). Views read and write through
:func:`base_indices`.
"""
from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np
from lazyarray import larray
from pyNN import common, errors
from pyNN.parameters import ParameterSpace, Sequence, simplify

from .. import models
from ..errors import RecordingError
from ..recording.recorder import Recorder
from ..simulator import ID as _BaseID
from ..simulator import live, state
from .. import simulator
from .indexing import base_indices

logger = logging.getLogger("spinnframe")

_SPINNAKER_PARAMS = ("seed",)


def _spec_or_error(celltype):
    spec = models.spec_of(celltype)
    if spec is None:
        raise errors.InvalidModelError(
            f"cell type {type(celltype).__name__} is not a spinnframe model. Use the cell "
            f"types from spinnframe.pyNN (e.g. sim.IF_curr_exp); installed models are listed "
            f"by `spinnframe plugins`.")
    return spec


class _StorageMixin:
    """Parameter/state access shared by Population and PopulationView."""

    # subclasses provide: _root (the Population) and _indices (base indices or slice)

    def _evaluate(self, value: larray, name: str):
        try:
            return value.evaluate(simplify=False)
        except (TypeError, ValueError) as exc:
            raise errors.InvalidParameterValueError(
                f"could not evaluate {name} for {self.label}: {exc}") from None

    def _get_parameters(self, *names):
        root = self._root
        spec = root._spec
        known = {p.name for p in spec.parameters}
        out = {}
        for name in names:
            if name not in known:
                raise errors.NonExistentParameterError(name, self.celltype,
                                                       sorted(known))
            out[name] = root._params[name][self._indices]
        return ParameterSpace(out, shape=(self.size,))

    def _set_parameters(self, parameter_space):
        root = self._root
        spec = root._spec
        parameter_space.shape = (self.size,)
        parameter_space.evaluate(simplify=False)
        staged = {}
        for name, values in parameter_space.items():
            p = spec.parameter(name)
            arr = np.asarray(values)
            if p.kind == "sequence":
                arr = np.array([v if isinstance(v, Sequence) else Sequence(v) for v in arr],
                               dtype=object)
            models.check_values(spec, name, arr, indices=self._index_array())
            staged[name] = arr
        for name, arr in staged.items():
            root._params[name][self._indices] = arr
        root._params_version += 1

    def _set_initial_value_array(self, variable, initial_values):
        self._write_state(variable, initial_values, initial=True)

    def _write_state(self, variable: str, value, initial: bool) -> None:
        root = self._root
        public = {s.name: s for s in root._spec.public_state}
        if variable not in public:
            raise errors.NonExistentParameterError(
                variable, self.celltype, sorted(public))
        if not isinstance(value, larray):
            value = larray(value, shape=(self.size,), dtype=float)
        elif value.shape is None:
            value.shape = (self.size,)
        arr = np.asarray(self._evaluate(value, variable), dtype=float)
        arr = np.broadcast_to(arr, (self.size,))
        if not np.all(np.isfinite(arr)):
            bad = np.flatnonzero(~np.isfinite(arr))[0]
            raise errors.InvalidParameterValueError(
                f"{root._spec.name} state variable {variable!r} must be finite, got "
                f"{arr[bad]} for neuron index {self._index_array()[bad]}")
        if initial:
            root._initial[variable][self._indices] = arr
        root._state[variable][self._indices] = arr
        root._state_version += 1

    def _index_array(self) -> np.ndarray:
        return np.arange(self._root.size)[self._indices]

    # -- sPyNNaker / PyNN extras shared by populations and views -------------------------
    @live("set_state", mutating=True)
    def set_state(self, **values: Any) -> None:
        """Set the *current* values of state variables (scalars, arrays,
        RandomDistribution or functions of the cell index); unlike initialize(), a later
        reset() does not return to these values."""
        for variable, value in values.items():
            self._write_state(variable, value, initial=False)

    @property
    def current_values(self) -> dict[str, np.ndarray]:
        """Current values of the public state variables (a dict of arrays)."""
        state.check("current_values", generation=self._root._generation)
        root = self._root
        return {s.name: np.array(root._state[s.name][self._indices], dtype=float)
                for s in root._spec.public_state}

    def find_units(self, variable) -> str:
        """Units of a variable or parameter, e.g. ``'mV'``."""
        name = getattr(variable, "name", variable)
        units = self.celltype.units
        if name == "spikes":
            return "ms"
        if name not in units:
            raise errors.NonExistentParameterError(name, self.celltype, sorted(units))
        return units[name]

    def can_record(self, variable, location=None) -> bool:
        return variable in self.celltype.recordable

    @live("record", mutating=True)
    def record(self, variables, to_file=None, sampling_interval=None, locations=None):
        if variables is not None:
            names = [variables] if isinstance(variables, str) else list(variables)
            if names == ["all"]:
                names = list(self.celltype.recordable)
            bad = [v for v in names if v not in self.celltype.recordable]
            if bad:
                raise RecordingError(
                    f"cannot record {bad[0]!r} from {self.celltype.__class__.__name__}; "
                    f"recordable variables: {', '.join(self.celltype.recordable)}")
            variables = names
            if sampling_interval is not None:
                _check_sampling_interval(sampling_interval)
        return common.BasePopulation.record(self, variables, to_file, sampling_interval,
                                            locations)

    @live("get_data")
    def get_data(self, variables="all", gather=True, clear=False, *, annotations=None,
                 locations=None):
        _check_recorded(self, variables)
        block = self.recorder.get(variables, gather, self._record_filter, clear,
                                  annotations=annotations)
        return block

    @live("write_data")
    def write_data(self, io, variables="all", gather=True, clear=False, annotations=None,
                   locations=None):
        _check_recorded(self, variables)
        return common.BasePopulation.write_data(self, io, variables, gather, clear,
                                                annotations)

    @live("get_spike_counts")
    def get_spike_counts(self, gather=True):
        return common.BasePopulation.get_spike_counts(self, gather)

    @live("spinnaker_get_data")
    def spinnaker_get_data(self, variable: str, as_matrix: bool = False,
                           view_indexes=None) -> np.ndarray:
        """Recorded data as plain numpy (the current segment).

        Spikes: an (n, 2) array of ``[neuron index, time (ms)]`` rows.
        Other variables: ``[neuron index, time, value]`` rows, or with ``as_matrix=True``
        an (n_samples, n_neurons) matrix.
        """
        if not isinstance(variable, str):
            raise TypeError("spinnaker_get_data takes a single variable name, got "
                            f"{variable!r}")
        _check_recorded(self, [variable])
        indices = self._index_array()
        if view_indexes is not None:
            view_indexes = np.asarray(view_indexes, dtype=int)
            if view_indexes.size and (view_indexes.min() < 0 or view_indexes.max() >= self.size):
                raise IndexError(f"view_indexes must lie in 0..{self.size - 1}, got "
                                 f"{view_indexes.min()}..{view_indexes.max()}")
            indices = indices[view_indexes]
        return self._root.recorder.numpy_data(variable, indices, as_matrix)

    @live("inject", mutating=True)
    def inject(self, current_source):
        return common.BasePopulation.inject(self, current_source)


def _check_sampling_interval(sampling_interval):
    dt = state.dt
    try:
        si = float(sampling_interval)
    except (TypeError, ValueError):
        raise ValueError(f"sampling_interval must be a number of ms, got {sampling_interval!r}")
    ratio = si / dt
    if si <= 0 or abs(ratio - round(ratio)) > 1e-6:
        raise ValueError(f"sampling_interval must be a positive multiple of the time step "
                         f"({dt} ms), got {sampling_interval}")


def _check_recorded(obj, variables):
    names = obj.celltype.recordable if variables == "all" else (
        [variables] if isinstance(variables, str) else list(variables))
    recorded = {v.name for v in obj.recorder.recorded}
    if variables != "all":
        missing = [v for v in names if v not in recorded]
        if missing:
            raise RecordingError(
                f"{missing[0]!r} was not recorded from {obj.label!r} (recorded: "
                f"{', '.join(sorted(recorded)) or 'nothing'}); call record() before run()")


class Assembly(common.Assembly):
    __doc__ = common.Assembly.__doc__
    _simulator = simulator

    def __init__(self, *populations, **kwargs):
        state.check("Assembly()")
        self._generation = state.generation
        super().__init__(*populations, **kwargs)

    @live("Assembly.get_data")
    def get_data(self, variables="all", gather=True, clear=False, annotations=None):
        for p in self.populations:
            if variables != "all":
                _check_recorded(p, variables)
        return super().get_data(variables, gather, clear, annotations)

    @live("Assembly.record", mutating=True)
    def record(self, variables, to_file=None, sampling_interval=None, locations=None):
        return super().record(variables, to_file, sampling_interval, locations)

    @live("Assembly.set", mutating=True)
    def set(self, **parameters):
        return super().set(**parameters)

    @live("Assembly.initialize", mutating=True)
    def initialize(self, **initial_values):
        return super().initialize(**initial_values)

    def set_state(self, **values):
        """Set current values of state variables on every member."""
        for name, value in values.items():
            arr = larray(value, shape=(self.size,), dtype=float).evaluate(simplify=False)
            offset = 0
            for p in self.populations:
                p.set_state(**{name: np.broadcast_to(arr, (self.size,))[offset:offset + p.size]})
                offset += p.size

    def spinnaker_get_data(self, variable, as_matrix=False):
        """Recorded data of every member, stacked (see Population.spinnaker_get_data).
        Neuron indices are positions in the assembly."""
        parts, offset = [], 0
        for p in self.populations:
            d = p.spinnaker_get_data(variable, as_matrix)
            if not as_matrix and d.size:
                d = d.copy()
                d[:, 0] += offset
            parts.append(d)
            offset += p.size
        return np.hstack(parts) if as_matrix else np.vstack(parts)


class PopulationView(_StorageMixin, common.PopulationView):
    __doc__ = common.PopulationView.__doc__
    _simulator = simulator
    _assembly_class = Assembly

    def __init__(self, parent, selector, label=None):
        state.check("PopulationView()", generation=getattr(parent, "_generation", None))
        self._generation = state.generation
        if isinstance(selector, (int, np.integer)):
            selector = slice(selector, selector + 1)
        super().__init__(parent, selector, label)

    @property
    def _root(self):
        return self.grandparent

    @property
    def _indices(self):
        return base_indices(self)

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)

    @live("PopulationView.set", mutating=True)
    def set(self, **parameters):
        return common.BasePopulation.set(self, **parameters)

    @live("PopulationView.initialize", mutating=True)
    def initialize(self, **initial_values):
        return common.BasePopulation.initialize(self, **initial_values)

    @live("PopulationView.get")
    def get(self, parameter_names, gather=False, simplify=True):
        return common.BasePopulation.get(self, parameter_names, gather, simplify)

    @property
    def initial_values(self):
        return {name: larray(self._root._initial[name][self._indices])
                for name in self._root._initial}

    def add_placement_constraint(self, x: int, y: int, p: int | None = None) -> None:
        raise errors.InvalidParameterValueError(
            "placement constraints apply to whole Populations; call "
            f"add_placement_constraint on {self.grandparent.label!r}")


class Population(_StorageMixin, common.Population):
    __doc__ = common.Population.__doc__
    _simulator = simulator
    _recorder_class = Recorder
    _assembly_class = Assembly

    def __init__(self, size, cellclass, cellparams=None, structure=None, initial_values={},
                 label=None, additional_parameters: dict | None = None,
                 **additional_kwargs):
        state.check("Population()", mutating=True)
        if isinstance(size, float) and size.is_integer():
            size = int(size)
        if isinstance(size, (int, np.integer)) and size < 1:
            raise ValueError(f"Population size must be a positive integer, got {size}")
        if isinstance(size, bool) or not isinstance(size, (int, np.integer, tuple)):
            raise ValueError(f"Population size must be a positive integer, got {size!r}")
        if isinstance(cellclass, type) and cellparams is None:
            cellparams = {}
        extra = dict(additional_parameters or {})
        extra.update(additional_kwargs)
        self.additional_parameters = extra
        unknown = sorted(set(extra) - set(_SPINNAKER_PARAMS))
        if unknown:
            warnings.warn(f"Population {label or ''}: additional parameters {unknown} are not "
                          f"used by spinnframe (it understands: {', '.join(_SPINNAKER_PARAMS)})",
                          stacklevel=2)
        self._generation = state.generation
        self._placement = None
        self._max_atoms_per_core = None
        super().__init__(size, cellclass, cellparams, structure, initial_values, label)
        state.populations.append(self)
        state.structure_version += 1

    # -- storage -------------------------------------------------------------------------
    @property
    def _root(self):
        return self

    @property
    def _indices(self):
        return slice(None)

    def _create_cells(self):
        spec = _spec_or_error(self.celltype)
        self._spec = spec
        n = self.size
        first = state.id_counter
        self.all_cells = np.array([_ID(i) for i in range(first, first + n)], dtype=_ID)
        self._mask_local = np.ones((n,), bool)
        for cell in self.all_cells:
            cell.parent = self
        state.id_counter += n
        ps = self.celltype.native_parameters
        ps.shape = (n,)
        ps.evaluate(simplify=False)
        self._params = {}
        for p in spec.parameters:
            values = np.asarray(ps[p.name])
            if p.kind == "sequence":
                values = np.array([v if isinstance(v, Sequence) else Sequence(v)
                                   for v in values], dtype=object)
            else:
                values = np.array(values, dtype=float)
            models.check_values(spec, p.name, values)
            self._params[p.name] = values
        _, _, state_dtype = models.dtypes(spec)
        self._state = np.zeros(n, dtype=state_dtype)
        self._initial = {s.name: np.zeros(n) for s in spec.public_state}
        self._params_version = 0
        self._state_version = 0
        # a state whose initial value names a parameter starts at that parameter's value
        for s in spec.public_state:
            if isinstance(s.initial, str):
                self._initial[s.name][:] = self._params[s.initial]
                self._state[s.name] = self._params[s.initial]

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)

    # -- PyNN API with lifecycle checks ---------------------------------------------------
    @live("Population.set", mutating=True)
    def set(self, **parameters):
        return common.BasePopulation.set(self, **parameters)

    @live("Population.initialize", mutating=True)
    def initialize(self, **initial_values):
        return common.BasePopulation.initialize(self, **initial_values)

    @live("Population.get")
    def get(self, parameter_names, gather=True, simplify=True):
        return common.BasePopulation.get(self, parameter_names, gather, simplify)

    @staticmethod
    def create(cellclass, cellparams=None, n=1):
        """Create ``n`` cells of one type (sPyNNaker/PyNN 0.7 style)."""
        return Population(n, cellclass, cellparams)

    def id_to_local_index(self, id):
        return self.id_to_index(id)

    # -- sPyNNaker extras --------------------------------------------------------------------
    @live("add_placement_constraint", mutating=True)
    def add_placement_constraint(self, x: int, y: int, p: int | None = None) -> None:
        """Ask hardware backends to place this population on chip (x, y), optionally on
        processor p. The host engine ignores it."""
        for nm, v in (("x", x), ("y", y)) + ((("p", p),) if p is not None else ()):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
                raise errors.InvalidParameterValueError(
                    f"placement constraint {nm} must be a non-negative integer, got {v!r}")
        self._placement = (int(x), int(y), None if p is None else int(p))
        state.structure_version += 1

    @live("set_max_atoms_per_core", mutating=True)
    def set_max_atoms_per_core(self, max_atoms_per_core) -> None:
        """Limit how many neurons a hardware backend puts on one core (an int, or a tuple
        per dimension for structured populations). The host engine ignores it."""
        vals = max_atoms_per_core if isinstance(max_atoms_per_core, tuple) else (
            max_atoms_per_core,)
        for v in vals:
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise errors.InvalidParameterValueError(
                    f"max_atoms_per_core must be a positive integer (or a tuple of them), "
                    f"got {max_atoms_per_core!r}")
        self._max_atoms_per_core = (int(vals[0]) if not isinstance(max_atoms_per_core, tuple)
                                    else tuple(int(v) for v in vals))
        state.structure_version += 1

    @property
    def placement_constraint(self):
        """(x, y, p) given to add_placement_constraint, or None."""
        return self._placement

    @property
    def max_atoms_per_core(self):
        return self._max_atoms_per_core

    @property
    def initial_values(self):
        return {name: larray(arr.copy()) for name, arr in self._initial.items()}

    @initial_values.setter
    def initial_values(self, value):
        pass  # PyNN's constructor assigns {}; storage is self._initial


class _ID(_BaseID):
    """A cell. Besides PyNN's IDMixin it offers sPyNNaker's single-cell view API."""

    @property
    def id(self) -> int:
        return int(self)

    @property
    def initial_values(self) -> dict[str, float]:
        pop = self.parent
        i = int(self) - int(pop.first_id)
        return {k: float(v[i]) for k, v in pop._initial.items()}

    def get_initial_value(self, variable):
        return self.initial_values[variable]

    def set_initial_value(self, variable, value):
        self.as_view().initialize(**{variable: value})

    @property
    def positions(self) -> np.ndarray:
        return self.position.reshape(3, 1)

    @property
    def position_generator(self):
        return self.as_view().position_generator

    @property
    def structure(self):
        return self.parent.structure

    def record(self, variables, to_file=None, sampling_interval=None):
        return self.as_view().record(variables, to_file, sampling_interval)

    def get_data(self, variables="all", gather=True, clear=False, annotations=None):
        return self.as_view().get_data(variables, gather, clear, annotations=annotations)

    def set_state(self, **values):
        return self.as_view().set_state(**values)
