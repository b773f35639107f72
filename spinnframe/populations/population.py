"""Population, PopulationView, Assembly and cell IDs.

PyNN's common classes provide the API behaviour (selectors, views of views, assemblies,
get/set/initialize with scalars, arrays, random distributions and functions, describe,
get_data as neo). Here we add what a simulator supplies: parameter and state storage laid
out from the model declaration, value checks, the simulator lifecycle, and sPyNNaker's
extras (placement constraints, atoms per core, spinnaker_get_data, set_state,
current_values, index_to_id).

Storage lives on the root Population: ``_params`` (name -> full-size array),
``_state`` (the kernel's state block, field by field: ``_state[name]`` is one variable's
array; the engine updates it in place during a run) and ``_initial`` (name -> array, restored on reset). Views read and write through
:func:`base_indices`.
"""
from __future__ import annotations

import logging
import os
import warnings
from typing import Any

import neo
import numpy as np
from neo.io.baseio import BaseIO
from lazyarray import larray
from pyNN import common, descriptions, errors
from pyNN.parameters import LazyArray, ParameterSpace, Sequence
from pyNN.parameters import simplify as _simplify_numbers
from pyNN.random import RandomDistribution

from .. import models
from ..backend import prepare_model
from ..errors import RecordingError
from ..recording.recorder import Recorder
from ..simulator import ID as _BaseID
from ..simulator import live, state
from .. import simulator
from .indexing import base_indices, resolve

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


# -- helpers shared by populations, views and assemblies ----------------------------------

class ReceptorTypes(tuple):
    """Receptor types, a tuple that calling returns: PyNN has ``receptor_types`` as a
    property, sPyNNaker as a method, so ``p.receptor_types`` and ``p.receptor_types()``
    both work."""

    def __call__(self):
        return self


def _simplify(values):
    """A homogeneous array as its single value (PyNN's ``get(..., simplify=True)``);
    also for arrays of Sequences (spike times), which PyNN's helper cannot compare."""
    arr = np.asarray(values)
    if arr.ndim != 1 or len(arr) == 0:
        return values
    if arr.dtype != object:
        return _simplify_numbers(arr)
    first = arr[0]
    return first if all(bool(np.all(v == first)) for v in arr[1:]) else values


def _python_value(value):
    """A numpy scalar as the Python number; other values (e.g. Sequence) as they are."""
    return value.item() if isinstance(value, np.generic) else value


def _positions_of_ids(cells, ids, where: str):
    """Positions in the ID array ``cells`` of ``ids``: an int for one ID, an array for an
    iterable (a PopulationView stands for its cells). IndexError names an ID not there."""
    if isinstance(ids, (common.BasePopulation, common.Assembly)):
        ids = ids.all_cells
    scalar = not np.iterable(ids)
    wanted = np.atleast_1d(np.asarray(ids if scalar else list(ids), dtype=np.int64))
    cells = np.asarray(cells, dtype=np.int64)
    order = np.argsort(cells, kind="stable")
    ordered = cells[order]
    pos = np.clip(np.searchsorted(ordered, wanted), 0, max(len(cells) - 1, 0))
    found = ordered[pos] == wanted if len(cells) else np.zeros(len(wanted), bool)
    if not found.all():
        raise IndexError(f"ID {wanted[~found][0]} is not in {where} (its IDs: "
                         f"{_describe_ids(cells)})")
    result = order[pos]
    return int(result[0]) if scalar else result


def _describe_ids(cells) -> str:
    cells = np.sort(np.asarray(cells, dtype=np.int64))
    if len(cells) and cells[-1] - cells[0] + 1 == len(cells):
        return f"{cells[0]}..{cells[-1]}"
    return ", ".join(str(c) for c in cells[:10]) + (", ..." if len(cells) > 10 else "")


def _ids_at(obj, index):
    """``obj.all_cells`` at ``index`` (an int or an iterable of ints, 0 <= index < size)."""
    scalar = not np.iterable(index)
    idx = np.atleast_1d(np.asarray(index if scalar else list(index)))
    if idx.size and idx.dtype.kind not in "iu":
        raise TypeError(f"indices must be integers, got {index!r}")
    idx = idx.astype(np.int64)
    bad = (idx < 0) | (idx >= obj.size)
    if bad.any():
        raise IndexError(f"index {idx[bad][0]} is out of range for {obj.label!r}, which has "
                         f"{obj.size} cells (indices 0..{obj.size - 1})")
    cells = obj.all_cells
    return cells[int(idx[0])] if scalar else cells[idx]


def _check_sample_size(obj, n) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= obj.size:
        raise ValueError(f"sample(n): n must be an integer from 1 to {obj.size} (the size of "
                         f"{obj.label!r}), got {n!r}")
    return int(n)


#: File name extensions record(to_file=...) and write_data can write (neo IO classes).
_DATA_FILE_EXTENSIONS = (".pkl", ".pickle", ".nix", ".h5", ".nwb", ".mat")


def _data_destination(dest, what: str, required: bool = False):
    """Where write_data or record(to_file=...) writes: a file name with an extension neo
    can write, or a neo IO; None for none (None, or PyNN 0.7's True/False) unless
    ``required``. Checked when given rather than when written (at end(), when the run's
    data would be lost)."""
    if (dest is None or isinstance(dest, bool)) and not required:
        return None
    if isinstance(dest, BaseIO):
        return dest
    if isinstance(dest, str):
        if os.path.splitext(dest)[1] not in _DATA_FILE_EXTENSIONS:
            raise ValueError(f"{what}: neo cannot write {dest!r}; use a file name ending in "
                             f"{', '.join(_DATA_FILE_EXTENSIONS)}")
        return dest
    raise ValueError(f"{what} must be a file name or a neo IO, got {dest!r}")


def _check_clear(clear: bool, what: str) -> None:
    if clear:
        state.check(f"{what}(clear=True)", mutating=True)


def _inject(obj, current_source):
    """inject(): PyNN's spike-source check, then the source's inject_into."""
    for p in getattr(obj, "populations", [obj]):
        if not p.celltype.injectable:
            raise TypeError(f"cannot inject current into {p.label!r}: "
                            f"{p.celltype.__class__.__name__} is a spike source")
    if not hasattr(current_source, "inject_into"):
        raise TypeError(f"inject() takes a current source (e.g. sim.DCSource(...)), not "
                        f"{type(current_source).__name__}")
    current_source.inject_into(obj)


def _whole_population_only(view, what: str):
    raise errors.InvalidParameterValueError(
        f"{what} applies to whole Populations; call it on {view.grandparent.label!r}")


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
            # (for a single cell PyNN may evaluate to a 0-d array)
            arr = np.broadcast_to(np.asarray(values), (self.size,))
            if p.kind == "sequence":
                arr = np.array([v if isinstance(v, Sequence) else Sequence(v) for v in arr],
                               dtype=object)
            models.check_values(spec, name, arr, indices=self._index_array())
            staged[name] = arr
        if spec.validate is not None:   # rules between parameters, on the values to be
            merged = {k: v.copy() for k, v in root._params.items()}
            for name, arr in staged.items():
                merged[name][self._indices] = arr
            spec.validate(merged)
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

    # -- PyNN API with lifecycle checks ---------------------------------------------------
    @live("set", mutating=True)
    def set(self, **parameters):
        return common.BasePopulation.set(self, **parameters)

    @live("initialize", mutating=True)
    def initialize(self, **initial_values):
        return common.BasePopulation.initialize(self, **initial_values)

    @live("get")
    def get(self, parameter_names, gather=True, simplify=True):
        """Values of one parameter (a name) or several (a list of names: a list of
        values), one per cell; with ``simplify`` a homogeneous parameter is one value."""
        values = common.BasePopulation.get(self, parameter_names, gather, simplify)
        if not simplify:
            return values
        if isinstance(parameter_names, str):
            return _simplify(values)
        return [_simplify(v) for v in values]

    @property
    def initial_values(self) -> dict[str, LazyArray]:
        """Initial values of the public state variables (a dict of LazyArrays): the values
        given to initialize() (or the defaults), which reset() restores."""
        state.check("initial_values", generation=self._root._generation)
        root = self._root
        return {name: _lazy_values(values[self._indices])
                for name, values in root._initial.items()}

    @initial_values.setter
    def initial_values(self, value):
        pass  # PyNN's constructor assigns {}; the storage is Population._initial

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

    @property
    def receptor_types(self) -> ReceptorTypes:
        """The receptor types (synapse targets) of the cell type."""
        return ReceptorTypes(self.celltype.receptor_types)

    def index_to_id(self, index):
        """The ID of the cell at ``index`` (an int), or the IDs at several (an array)."""
        return _ids_at(self, index)

    def id_to_local_index(self, id):
        """As id_to_index: every cell is local (one process)."""
        return self.id_to_index(id)

    def is_local(self, id) -> bool:
        """Whether the cell ``id`` (which must belong here) is on this MPI node: always."""
        return bool(self._mask_local[self.id_to_index(id)])

    def sample(self, n, rng=None):
        """A PopulationView of ``n`` distinct cells drawn at random (with ``rng``, a
        NumpyRNG, for a reproducible choice)."""
        return common.BasePopulation.sample(self, _check_sample_size(self, n), rng)

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
        to_file = _data_destination(to_file, "record(to_file=...)")
        common.BasePopulation.record(self, variables, None, sampling_interval, locations)
        if to_file is not None and variables is not None:
            state.write_on_end.append((self, variables, to_file))

    @live("get_data")
    def get_data(self, variables="all", gather=True, clear=False, *, annotations=None,
                 locations=None):
        _check_clear(clear, "get_data")
        _check_recorded(self, variables)
        return self.recorder.get(variables, gather, self._record_filter, clear,
                                 annotations=annotations)

    @live("write_data")
    def write_data(self, io, variables="all", gather=True, clear=False, annotations=None,
                   locations=None):
        _check_clear(clear, "write_data")
        _check_recorded(self, variables)
        _data_destination(io, "write_data(io)", required=True)
        return common.BasePopulation.write_data(self, io, variables, gather, clear,
                                                annotations)

    @live("get_spike_counts")
    def get_spike_counts(self, gather=True):
        """Spike counts of the cells recording spikes, a dict keyed by cell ID."""
        _check_recorded(self, "spikes")
        return common.BasePopulation.get_spike_counts(self, gather)

    @live("spinnaker_get_data")
    def spinnaker_get_data(self, variable: str, as_matrix: bool = False,
                           view_indexes=None) -> np.ndarray:
        """Recorded data as plain numpy (the current segment).

        Spikes: an (n, 2) array of ``[neuron index, time (ms)]`` rows.
        Other variables: ``[neuron index, time, value]`` rows, or with ``as_matrix=True``
        an (n_samples, n_neurons) matrix with one column per cell of this population or
        view. Neuron indices are indices in the Population (for a view too, as
        sPyNNaker). ``view_indexes`` restricts the data to those cells (indices in
        this population or view).
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
        """Inject a current source (e.g. ``sim.DCSource(amplitude=0.5)``) into every cell;
        TypeError for a spike source."""
        _inject(self, current_source)


def _lazy_values(values) -> LazyArray:
    """Per-cell values as a LazyArray, homogeneous ones as one value (as PyNN keeps them,
    so that ``evaluate(simplify=True)`` gives that value)."""
    arr = np.array(values, dtype=float)
    if arr.size and (arr == arr.flat[0]).all():
        return LazyArray(float(arr.flat[0]), shape=arr.shape, dtype=float)
    return LazyArray(arr)


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
    """RecordingError unless every one of ``variables`` ('all', a name or a list) is
    being recorded."""
    if variables == "all":
        return
    names = [variables] if isinstance(variables, str) else list(variables)
    recorded = {v.name for v, ids in obj.recorder.recorded.items() if ids}
    missing = [v for v in names if v not in recorded]
    if missing:
        raise RecordingError(
            f"{missing[0]!r} was not recorded from {obj.label!r} (recorded: "
            f"{', '.join(sorted(recorded)) or 'nothing'}); call record() before run()")


class Assembly(common.Assembly):
    __doc__ = common.Assembly.__doc__
    _simulator = simulator

    def __init__(self, *populations, **kwargs):
        if not populations:
            state.check("Assembly()")
        for p in populations:     # after end(): an assembly of its populations, to read
            state.check("Assembly()", generation=getattr(p, "_generation", None))
        self._generation = state.generation
        super().__init__(*populations, **kwargs)

    # -- values given for the whole assembly ---------------------------------------------
    def _member_values(self, values: dict, sequences: bool = False) -> list[dict]:
        """Per member, the keyword arguments for set/initialize/set_state.

        A value given for the whole assembly (a list or array with one value per cell, a
        function of the cell's position in the assembly, a RandomDistribution) is
        evaluated once over the assembly and cut into the members' parts; a single value
        goes to every member as it is. With ``sequences``, parameters whose values are
        sequences (spike_times) are cut only when given one sequence per cell.
        """
        out = [{} for _ in self.populations]
        for name, value in values.items():
            per_cell = None
            if sequences and self._is_sequence_parameter(name):
                if (isinstance(value, (list, tuple, np.ndarray)) and len(value) == self.size
                        and all(np.ndim(v) > 0 or isinstance(v, Sequence) for v in value)):
                    per_cell = np.empty(self.size, dtype=object)
                    per_cell[:] = [v if isinstance(v, Sequence) else Sequence(v)
                                   for v in value]
            elif isinstance(value, (RandomDistribution, list, tuple, np.ndarray)) or \
                    callable(value):
                if np.ndim(value) > 0 and len(value) != self.size:
                    raise errors.InvalidParameterValueError(
                        f"{name}: {len(value)} values were given for {self.label!r}, which "
                        f"has {self.size} cells")
                per_cell = LazyArray(value, shape=(self.size,), dtype=float).evaluate(
                    simplify=False)
            offset = 0
            for kwargs, p in zip(out, self.populations):
                kwargs[name] = value if per_cell is None else per_cell[offset:offset + p.size]
                offset += p.size
        return out

    def _is_sequence_parameter(self, name: str) -> bool:
        return any(q.name == name and q.kind == "sequence"
                   for p in self.populations for q in p._root._spec.parameters)

    @live("Assembly.set", mutating=True)
    def set(self, **parameters):
        """Set parameters of every member: single values, or values for the whole
        assembly (see _member_values)."""
        for p, kwargs in zip(self.populations, self._member_values(parameters, True)):
            p.set(**kwargs)

    @live("Assembly.initialize", mutating=True)
    def initialize(self, **initial_values):
        for p, kwargs in zip(self.populations, self._member_values(initial_values)):
            p.initialize(**kwargs)

    @live("Assembly.set_state", mutating=True)
    def set_state(self, **values):
        """Set current values of state variables on every member."""
        for p, kwargs in zip(self.populations, self._member_values(values)):
            p.set_state(**kwargs)

    @live("Assembly.get")
    def get(self, parameter_names, gather=True, simplify=True):
        return super().get(parameter_names, gather, simplify)

    def _state_values(self, per_member) -> dict[str, np.ndarray]:
        """A dict of member state dicts joined over the assembly (variables every member
        has)."""
        dicts = [per_member(p) for p in self.populations]
        common_names = [n for n in dicts[0] if all(n in d for d in dicts[1:])]
        return {n: np.concatenate([np.asarray(d[n], dtype=float) for d in dicts])
                for n in common_names}

    @property
    def initial_values(self) -> dict[str, LazyArray]:
        """Initial values of the state variables every member has, over the assembly."""
        values = self._state_values(
            lambda p: {k: v.evaluate(simplify=False) for k, v in p.initial_values.items()})
        return {k: _lazy_values(v) for k, v in values.items()}

    @property
    def current_values(self) -> dict[str, np.ndarray]:
        """Current values of the state variables every member has, over the assembly."""
        return self._state_values(lambda p: p.current_values)

    # -- indexing ---------------------------------------------------------------------------
    def __getitem__(self, index):
        if isinstance(index, (int, np.integer)) and not isinstance(index, bool):
            i = int(index) + (self.size if index < 0 else 0)
            if not 0 <= i < self.size:
                raise IndexError(f"index {index} is out of range for {self.label!r}, which "
                                 f"has {self.size} cells")
            index = i
        return super().__getitem__(index)

    def id_to_index(self, id):
        """Position(s) in the assembly of the cell(s) ``id`` (an int, or an array)."""
        return _positions_of_ids(self.all_cells, id, repr(self.label))

    def id_to_local_index(self, id):
        return self.id_to_index(id)

    def index_to_id(self, index):
        """The ID at position ``index`` in the assembly (an int), or the IDs (an array)."""
        return _ids_at(self, index)

    def sample(self, n, rng=None):
        """An Assembly of ``n`` distinct cells drawn at random."""
        return super().sample(_check_sample_size(self, n), rng)

    nearest = common.BasePopulation.nearest

    @property
    def receptor_types(self) -> ReceptorTypes:
        """Receptor types every member has (``a.receptor_types`` or
        ``a.receptor_types()``)."""
        members = [set(p.celltype.receptor_types) for p in self.populations]
        return ReceptorTypes(r for r in self.populations[0].celltype.receptor_types
                             if all(r in m for m in members))

    def find_units(self, variable) -> str:
        units = {p.find_units(variable) for p in self.populations}
        if len(units) > 1:
            raise ValueError(f"the members of {self.label!r} give {variable!r} different "
                             f"units: {', '.join(sorted(units))}")
        return units.pop()

    # -- recording ----------------------------------------------------------------------------
    @live("Assembly.record", mutating=True)
    def record(self, variables, to_file=None, sampling_interval=None, locations=None):
        """Record from every member; with ``to_file`` the whole assembly is written to
        that one file at end()."""
        to_file = _data_destination(to_file, "record(to_file=...)")
        for p in self.populations:
            p.record(variables, None, sampling_interval, locations)
        if to_file is not None and variables is not None:
            state.write_on_end.append((self, variables, to_file))

    def annotate(self, **annotations):
        self.annotations.update(annotations)

    @live("Assembly.get_data")
    def get_data(self, variables="all", gather=True, clear=False, annotations=None):
        """The members' data in one neo Block: per segment, the members' spike trains and
        one AnalogSignal per variable whose ``channel_index`` is the cell's position in the
        assembly (members sampled on different grids keep separate signals)."""
        _check_clear(clear, "get_data")
        # clear afterwards: two views of one population share its recorder
        blocks = [p.get_data(variables, gather) for p in self.populations]
        if clear:
            for recorder in {id(p.recorder): p.recorder for p in self.populations}.values():
                recorder.clear()
        segments: dict[str, neo.Segment] = {}
        signals: dict[tuple, list] = {}
        for block in blocks:
            for seg in block.segments:
                merged = segments.get(seg.name)
                if merged is None:
                    merged = segments[seg.name] = neo.Segment(
                        name=seg.name, rec_datetime=seg.rec_datetime,
                        description=f"{seg.name} of assembly {self.label!r}",
                        **dict(seg.annotations))
                for train in seg.spiketrains:
                    merged.spiketrains.append(train)
                for sig in seg.analogsignals:
                    key = (seg.name, sig.name, float(sig.t_start.rescale("ms")),
                           float(sig.sampling_period.rescale("ms")), sig.shape[0])
                    signals.setdefault(key, []).append(sig)
        for (seg_name, *_), parts in signals.items():
            segments[seg_name].analogsignals.append(self._joined_signal(parts))
        data = neo.Block(name=self.label, description=self.describe())
        for seg in segments.values():
            data.segments.append(seg)
            seg.block = data
            for obj in list(seg.spiketrains) + list(seg.analogsignals):
                obj.segment = seg
        data.annotate(label=self.label, size=self.size, simulator=simulator.name,
                      dt=state.dt, populations=[p.label for p in self.populations])
        if annotations:
            data.annotate(**annotations)
        return data

    def _joined_signal(self, parts: list) -> neo.AnalogSignal:
        """One AnalogSignal from the members' signals of one variable on one time grid."""
        ids = np.concatenate([np.asarray(s.annotations["channel_ids"]) for s in parts])
        labels = list(dict.fromkeys(s.annotations.get("source_population") for s in parts))
        first = parts[0]
        return neo.AnalogSignal(np.hstack([s.magnitude for s in parts]), units=first.units,
                                t_start=first.t_start, sampling_period=first.sampling_period,
                                name=first.name, channel_ids=ids,
                                source_population=";".join(str(x) for x in labels),
                                array_annotations={"channel_index": self.id_to_index(ids)})

    @live("Assembly.write_data")
    def write_data(self, io, variables="all", gather=True, clear=False, annotations=None):
        _check_clear(clear, "write_data")
        _data_destination(io, "write_data(io)", required=True)
        return super().write_data(io, variables, gather, clear, annotations)

    @live("Assembly.get_spike_counts")
    def get_spike_counts(self, gather=True):
        """Spike counts of the cells recording spikes in every member, keyed by ID."""
        counts, recording = {}, False
        for p in self.populations:
            if any(v.name == "spikes" and ids for v, ids in p.recorder.recorded.items()):
                recording = True
                counts.update(p.get_spike_counts(gather))
        if not recording:
            raise RecordingError(f"'spikes' was not recorded from any member of "
                                 f"{self.label!r}; call record('spikes') before run()")
        return counts

    def spinnaker_get_data(self, variable, as_matrix=False):
        """Recorded data of every member, stacked (see Population.spinnaker_get_data).
        Neuron indices are positions in the assembly."""
        parts, offset = [], 0
        for p in self.populations:
            d = p.spinnaker_get_data(variable, as_matrix)
            if not as_matrix and d.size:
                root, base = resolve(p)[0]
                position = np.full(root.size, -1, dtype=np.int64)
                position[base] = np.arange(p.size)
                d = d.copy()
                d[:, 0] = position[d[:, 0].astype(np.int64)] + offset
            parts.append(d)
            offset += p.size
        return np.hstack(parts) if as_matrix else np.vstack(parts)

    @live("Assembly.inject", mutating=True)
    def inject(self, current_source):
        _inject(self, current_source)


class PopulationView(_StorageMixin, common.PopulationView):
    __doc__ = common.PopulationView.__doc__
    _simulator = simulator
    _assembly_class = Assembly

    def __init__(self, parent, selector, label=None):
        state.check("PopulationView()", generation=getattr(parent, "_generation", None))
        self._generation = state.generation
        super().__init__(parent, _checked_selector(parent, selector), label)

    @property
    def _root(self):
        return self.grandparent

    @property
    def _indices(self):
        return base_indices(self)

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)

    def id_to_index(self, id):
        """Index (indices) in this view of the cell(s) ``id``: ``pv.id_to_index(pv[3]) ==
        3``. IndexError for a cell not in the view."""
        return _positions_of_ids(self.all_cells, id, f"view {self.label!r}")

    def add_placement_constraint(self, x: int, y: int, p: int | None = None) -> None:
        _whole_population_only(self, "add_placement_constraint")

    def set_max_atoms_per_core(self, max_atoms_per_core) -> None:
        _whole_population_only(self, "set_max_atoms_per_core")


def _checked_selector(parent, selector):
    """The selector of a view, checked against its parent: an int (one cell), a slice, a
    boolean mask of the parent's size, or a list/array of distinct indices."""
    n = parent.size
    if isinstance(selector, tuple):
        selector = list(selector)
    if isinstance(selector, (int, np.integer)) and not isinstance(selector, bool):
        i = int(selector) + (n if selector < 0 else 0)
        if not 0 <= i < n:
            raise IndexError(f"index {selector} is out of range for {parent.label!r}, which "
                             f"has {n} cells")
        return slice(i, i + 1)
    if isinstance(selector, slice):
        if not len(range(*selector.indices(n))):
            raise ValueError(f"{selector} selects no cells of {parent.label!r} (size {n})")
        return selector
    arr = np.asarray(selector)
    if arr.dtype == object and all(isinstance(v, (int, np.integer)) for v in arr.flat):
        arr = arr.astype(np.int64)
    if arr.dtype == bool:
        if arr.shape != (n,):
            raise ValueError(f"a boolean mask must have one entry per cell of "
                             f"{parent.label!r} ({n}), got {arr.shape[0] if arr.ndim else 0}")
        if not arr.any():
            raise ValueError(f"the boolean mask selects no cells of {parent.label!r}")
        return arr
    if arr.size == 0:
        raise ValueError(f"an empty selector selects no cells of {parent.label!r}")
    if arr.dtype.kind not in "iu" or arr.ndim != 1:
        raise TypeError(f"a view selector must be an int, slice, boolean mask or 1-D array "
                        f"of ints, got {selector!r}")
    bad = (arr < -n) | (arr >= n)
    if bad.any():
        raise IndexError(f"index {arr[bad][0]} is out of range for {parent.label!r}, which "
                         f"has {n} cells")
    return np.where(arr < 0, arr + n, arr)


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
        prepare_model(state, spec)     # a broken kernel fails here, not at run()
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
                # (PyNN evaluates a one-element list for a one-cell population to a 0-d
                # array)
                values = np.array(np.broadcast_to(np.asarray(values, dtype=float), (n,)))
            models.check_values(spec, p.name, values)
            self._params[p.name] = values
        if spec.validate is not None:
            spec.validate(self._params)
        _, _, state_dtype = models.dtypes(spec)
        self._state = models.state_array(state_dtype, n, spec.state_layout == "arrays")
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

    def _cell_parameters(self, index: int) -> dict:
        """Every parameter of the cell at ``index`` (Python numbers; Sequences)."""
        return {p.name: _python_value(self._params[p.name][index])
                for p in self._spec.parameters}

    @staticmethod
    def create(cellclass, cellparams=None, n=1):
        """Create ``n`` cells of one type (sPyNNaker/PyNN 0.7 style)."""
        return Population(n, cellclass, cellparams)

    def describe(self, template="population_default.txt", engine="default"):
        """A human-readable description (``template=None``: the template context, a
        dict). PyNN 0.13 leaves the first cell's parameters out ({}); they are filled
        in here."""
        context = common.Population.describe(self, template=None)
        if len(self.local_cells):
            context["cell_parameters"] = _CellParameters(
                self._cell_parameters(self.id_to_index(self.local_cells[0])))
        return descriptions.render(engine, template, context)

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
        is_tuple = isinstance(max_atoms_per_core, tuple)
        vals = max_atoms_per_core if is_tuple else (max_atoms_per_core,)
        if not vals or any(isinstance(v, bool) or not isinstance(v, (int, np.integer))
                           or v < 1 for v in vals):
            raise errors.InvalidParameterValueError(
                f"max_atoms_per_core must be a positive integer (or a non-empty tuple of "
                f"them), got {max_atoms_per_core!r}")
        self._max_atoms_per_core = tuple(int(v) for v in vals) if is_tuple else int(vals[0])
        state.structure_version += 1

    @property
    def placement_constraint(self):
        """(x, y, p) given to add_placement_constraint, or None."""
        return self._placement

    @property
    def max_atoms_per_core(self):
        """The value given to set_max_atoms_per_core, or None."""
        return self._max_atoms_per_core


class _CellParameters(dict):
    """A cell's parameters for describe(): a dict, shown as ``name: value`` lines."""

    def __str__(self):
        return "\n      ".join(
            f"{k}: {np.asarray(v.value).tolist() if isinstance(v, Sequence) else v}"
            for k, v in self.items())


class NoSuchCellParameter(errors.NonExistentParameterError, AttributeError):
    """``cell.name`` where the cell type has no parameter ``name``: PyNN's error, and an
    AttributeError, so that ``hasattr`` and ``getattr(cell, name, default)`` work."""


class _ID(_BaseID):
    """A cell. Besides PyNN's IDMixin it offers sPyNNaker's single-cell view API."""

    def __getattr__(self, name):
        # PyNN's IDMixin looks every unknown attribute up as a parameter; private and
        # special names (probed by numpy, copy, pickle) are plain missing attributes
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return super().__getattr__(name)
        except errors.NonExistentParameterError as exc:
            raise NoSuchCellParameter(exc.parameter_name, exc.model_name,
                                      exc.valid_parameter_names) from None

    def _live_index(self, what: str) -> int:
        """The cell's index in its population, after the lifecycle check for ``what``."""
        pop = self.parent
        state.check(what, generation=pop._generation)
        return int(self) - int(pop.first_id)

    @property
    def id(self) -> int:
        return int(self)

    def get_parameters(self) -> dict:
        """Every parameter of this cell, a dict."""
        return self.parent._cell_parameters(self._live_index("cell.get_parameters()"))

    @property
    def initial_values(self) -> dict[str, float]:
        i = self._live_index("cell.initial_values")
        return {k: float(v[i]) for k, v in self.parent._initial.items()}

    def get_initial_value(self, variable):
        values = self.initial_values
        if variable not in values:
            raise errors.NonExistentParameterError(variable, self.celltype, sorted(values))
        return values[variable]

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

    def inject(self, current_source, location=None):
        return self.as_view().inject(current_source)
