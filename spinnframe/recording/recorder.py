"""Recorded data of one Population, and its conversion to neo (through PyNN's Recorder).

Backends deliver data in chunks as the run progresses (spikes as step/index arrays,
sampled variables as sample matrices); this class keeps the chunks of the current segment
and assembles them on request. PyNN's Recorder turns them into neo Segments with PyNN's
conventions (one Segment per reset, SpikeTrains annotated with source ids, AnalogSignals
with units and channel_index).

The chunks arrive through the bundled neo recorder (plugin spinnframe-neo-recorder), one
of the simulation's recorders (see :mod:`spinnframe.recording.hub`); with
``setup(keep_in_memory=False)`` it is not attached, nothing is kept here, and reading the
data raises a RecordingError that says where the data went.

Segments of earlier runs (before a reset) are kept as neo objects in PyNN's cache. Every
``get`` hands out new neo objects (sharing the data arrays, not the metadata), cut to the
cells asked for, so that callers (views, assemblies, users) may annotate, merge or
re-index them without changing what later calls return.
"""
from __future__ import annotations

import contextlib
import gc
from datetime import datetime

import attrs
import neo
import numpy as np
from neo.core.spiketrainlist import SpikeTrainList
from pyNN import recording

from .. import simulator
from ..errors import RecordingError


@attrs.define
class SignalChunk:
    first_step: int           # time step of the first sample (steps since reset)
    interval: int             # steps between samples
    indices: np.ndarray       # base indices of the sampled neurons (sorted)
    values: np.ndarray        # n_samples x len(indices)


@attrs.define
class SegmentStore:
    spike_index: list = attrs.field(factory=list)
    spike_step: list = attrs.field(factory=list)
    signals: dict = attrs.field(factory=dict)   # variable -> [SignalChunk]

    def spikes(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.spike_index:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        if len(self.spike_index) > 1:   # consolidate, so repeated reads stay cheap
            self.spike_index = [np.concatenate(self.spike_index)]
            self.spike_step = [np.concatenate(self.spike_step)]
        return self.spike_index[0], self.spike_step[0]


class Recorder(recording.Recorder):
    """Recorder for a spinnframe Population."""

    _simulator = simulator

    def __init__(self, population, file=None):
        super().__init__(population, file)
        self.store = SegmentStore()
        self.config_version = 0
        self._indices = {}      # name -> ((config_version, count), sorted indices)

    # -- configuration (called by PyNN's Recorder.record / reset) ----------------------------
    def _record(self, variable, new_ids, sampling_interval=None):
        if sampling_interval is not None:
            self.sampling_interval = float(sampling_interval)
        self.config_version += 1

    def _reset(self):
        self.config_version += 1

    @property
    def interval_steps(self) -> int:
        return max(1, int(round(self.sampling_interval / self._simulator.state.dt)))

    def recorded_indices(self, name: str) -> np.ndarray:
        """Sorted base indices of the cells recording ``name`` (read-only; made again only
        after record() or reset(), which change config_version: every run asks for them,
        and sorting the IDs in Python cost 0.2-0.3 ms per population of 3 200 cells)."""
        for var, ids in self.recorded.items():
            if var.name == name:
                key = (self.config_version, len(ids))
                kept = self._indices.get(name)
                if kept is not None and kept[0] == key:
                    return kept[1]
                out = np.fromiter(ids, dtype=np.int64, count=len(ids))
                out.sort()
                out -= int(self.population.first_id)
                out.flags.writeable = False
                self._indices[name] = (key, out)
                return out
        return np.zeros(0, dtype=np.int64)

    def recording_start_ms(self) -> float:
        """When recording (re)started, ms (PyNN keeps it as a quantity in ms; parsing the
        unit for a rescale costs ~70 us, at every run and population)."""
        start = self._recording_start_time
        if start.dimensionality.string == "ms":
            return float(start.magnitude)
        return float(start.rescale("ms").magnitude)

    def recorded_names(self) -> list[str]:
        return sorted(v.name for v, ids in self.recorded.items() if ids)

    # -- data in ---------------------------------------------------------------------------
    def add_spikes(self, steps: np.ndarray, indices: np.ndarray) -> None:
        if len(steps):
            self.store.spike_step.append(np.asarray(steps, dtype=np.int64))
            self.store.spike_index.append(np.asarray(indices, dtype=np.int64))

    def add_samples(self, variable: str, chunk: SignalChunk) -> None:
        if len(chunk.values):
            self.store.signals.setdefault(variable, []).append(chunk)

    def last_sample_step(self, variable: str) -> int | None:
        chunks = self.store.signals.get(variable)
        if not chunks:
            return None
        c = chunks[-1]
        return c.first_step + (len(c.values) - 1) * c.interval

    def new_segment(self) -> None:
        self.store = SegmentStore()

    # -- data out, for PyNN's Recorder -------------------------------------------------------
    def _check_in_memory(self) -> None:
        """Raise if the data is not (all) in memory, saying where it went."""
        hub = getattr(self._simulator.state, "recording", None)
        problem = hub.memory_problem() if hub is not None else None
        if problem:
            raise RecordingError(
                f"the recorded data of population {self.population.label!r} cannot be read "
                f"with get_data(), write_data(), get_spike_counts() or spinnaker_get_data(): "
                f"{problem}.")

    def store_to_cache(self, annotations=None):
        """reset(): keep the segment that ends as a neo Segment (nothing to keep when the
        data is not kept in memory)."""
        hub = getattr(self._simulator.state, "recording", None)
        if hub is not None and not hub.keep_in_memory:
            self.clear_flag = False
            self._recording_start_time = 0.0 * self._recording_start_time.units
            return
        super().store_to_cache(annotations)

    def write(self, variables, file=None, gather=False, filter_ids=None, clear=False,
              annotations=None, locations=None):
        """write_data(): as PyNN's, and NWB files get the session start time NWB requires
        (when the data was written, unless ``annotations`` give one)."""
        io = recording.get_io(file) if isinstance(file, str) else (file or self.file)
        if isinstance(io, neo.io.NWBIO):
            annotations = {"session_start_time": datetime.now().astimezone(),
                           **(annotations or {})}
        return super().write(variables, io, gather, filter_ids, clear, annotations,
                             locations)

    def _first_id(self) -> int:
        return int(self.population.first_id)

    def _get_spiketimes(self, ids, clear=False):
        index, steps = self.store.spikes()
        wanted = np.array([int(i) for i in ids], dtype=np.int64) - self._first_id()
        mask = np.isin(index, wanted)
        times = steps[mask].astype(float) * self._simulator.state.dt
        id_array = index[mask] + self._first_id()
        order = np.argsort(times, kind="stable")
        return id_array[order], times[order]

    def _local_count(self, variable, filter_ids):
        """Spike counts of the recorded cells (among ``filter_ids``), keyed by ID."""
        self._check_in_memory()
        index, _ = self.store.spikes()
        counts = np.bincount(index, minlength=self.population.size)
        ids = np.fromiter(self.filter_recorded(variable, filter_ids), dtype=np.int64)
        ids.sort()
        # whole arrays to Python ints at once (a cell at a time: 0.5 us each)
        return dict(zip(ids.tolist(), counts[ids - self._first_id()].tolist()))

    def get(self, variables, gather=False, filter_ids=None, clear=False, annotations=None,
            locations=None):
        """The recorded data as a neo Block: one Segment per reset, the current one last.

        Unlike PyNN's Recorder, cached segments are cut to ``filter_ids`` too (a view gets
        only its cells from runs before a reset) and are handed out as copies; before the
        first run the Block holds one empty Segment rather than none.
        """
        self._check_in_memory()
        wanted = "all" if variables == "all" else self._localize_variables(variables,
                                                                            locations)
        with _gc_paused():
            segments = [_select(seg, wanted, filter_ids) for seg in self.cache]
        if self._simulator.state.running or not segments:
            segments.append(self._get_current_segment(filter_ids=filter_ids,
                                                      variables=wanted, clear=clear))
        data = neo.Block(name=self.population.label,
                         description=self.population.describe(),
                         rec_datetime=segments[0].rec_datetime)
        for segment in segments:
            data.segments.append(segment)
            segment.block = data
        data.annotate(**self.metadata)
        if annotations:
            data.annotate(**annotations)
        if clear:
            self.clear()
        return data

    def _get_current_segment(self, *args, **kwargs) -> neo.Segment:
        """PyNN's segment builder (for get_data and for the cache at reset), with spike
        trains built by slicing (see _SlicedSpikeTrainList)."""
        segment = super()._get_current_segment(*args, **kwargs)
        _fast_spiketrains(segment)
        return segment

    def signal_matrix(self, variable: str, indices: np.ndarray) -> tuple[np.ndarray, int, int]:
        """(values n_samples x len(indices), first step, interval) on the sampling grid
        from the start of recording to now; NaN where a neuron was not being sampled."""
        dt = self._simulator.state.dt
        interval = self.interval_steps
        start = int(round(self.recording_start_ms() / dt))
        now = self._simulator.state.step
        chunks = self.store.signals.get(variable, [])
        # no sample taken yet (nothing run since recording started): no samples, not NaN
        n_samples = (now - start) // interval + 1 if now >= start and chunks else 0
        out = np.full((n_samples, len(indices)), np.nan)
        for c in chunks:
            rows = (c.first_step - start) // c.interval + np.arange(len(c.values))
            keep = (rows >= 0) & (rows < n_samples)
            pos = np.searchsorted(c.indices, indices)
            pos = np.clip(pos, 0, max(len(c.indices) - 1, 0))
            present = (c.indices[pos] == indices) if len(c.indices) else np.zeros(
                len(indices), bool)
            if present.any():
                out[np.ix_(rows[keep], np.flatnonzero(present))] = \
                    c.values[keep][:, pos[present]]
        return out, start, interval

    def _get_all_signals(self, variable, ids, clear=False):
        indices = np.array([int(i) for i in ids], dtype=np.int64) - self._first_id()
        values, start, interval = self.signal_matrix(variable.name, indices)
        times = (start + interval * np.arange(len(values))) * self._simulator.state.dt
        return values, times

    def _clear_simulator(self):
        self.store = SegmentStore()

    # -- plain numpy (spinnaker_get_data) ----------------------------------------------------
    def numpy_data(self, variable: str, indices: np.ndarray, as_matrix: bool) -> np.ndarray:
        self._check_in_memory()
        dt = self._simulator.state.dt
        indices = np.asarray(indices, dtype=np.int64)
        if variable == "spikes":
            index, steps = self.store.spikes()
            mask = np.isin(index, indices)
            out = np.column_stack([index[mask].astype(float), steps[mask] * dt])
            return out[np.lexsort((out[:, 1], out[:, 0]))] if len(out) else out.reshape(0, 2)
        values, start, interval = self.signal_matrix(variable, indices)
        if as_matrix:
            return values
        times = (start + interval * np.arange(len(values))) * dt
        n_s, n_i = values.shape
        return np.column_stack([np.tile(indices.astype(float), n_s), np.repeat(times, n_i),
                                values.ravel()])


# -- neo objects handed out from the cache --------------------------------------------------

def _copy_signal(signal: neo.AnalogSignal, columns=None) -> neo.AnalogSignal:
    """A new AnalogSignal with ``signal``'s data (the columns ``columns``; default all),
    units and timing, and its own copy of the annotations: ``channel_ids`` and the
    ``channel_index`` array annotation cut to the same columns."""
    ann = dict(signal.annotations)
    index = np.asarray(signal.array_annotations["channel_index"])
    data = signal.magnitude
    if columns is not None:
        data = data[:, columns]
        index = index[columns]
        ann["channel_ids"] = np.asarray(ann["channel_ids"])[columns]
    return neo.AnalogSignal(data, units=signal.units, t_start=signal.t_start,
                            sampling_period=signal.sampling_period, name=signal.name,
                            array_annotations={"channel_index": index}, **ann)


@contextlib.contextmanager
def _gc_paused():
    """Python's cyclic garbage collector runs every few hundred new container objects and
    then walks the live ones: building 20 000 spike trains took 2-3x as long with it on.
    The objects made here are collected by a later pass as usual."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


class _SlicedSpikeTrainList(SpikeTrainList):
    """neo's SpikeTrainList, which builds its SpikeTrains (when first iterated) as slices
    of one SpikeTrain of every spike sorted by cell, instead of constructing each through
    neo's full constructor (whose unit checks cost about 0.2 ms per cell: 3.5 s for 20 000
    cells). The trains are equal to neo's: same times, units, t_start/t_stop, annotations.
    """

    def _spiketrains_from_array(self):
        times = self._spike_time_array
        if times is None or not hasattr(times, "units"):
            return super()._spiketrains_from_array()
        ids = np.asarray(self._channel_id_array)
        all_ids = np.asarray(self._all_channel_ids)
        order = np.argsort(ids, kind="stable")       # keeps each cell's spikes in time order
        sorted_ids = ids[order]
        everything = neo.SpikeTrain(times[order], **self._spiketrain_metadata)
        lo = np.searchsorted(sorted_ids, all_ids, "left")
        hi = np.searchsorted(sorted_ids, all_ids, "right")
        n = len(all_ids)
        per_cell = {name for name, value in self._annotations.items()
                    if not isinstance(value, str) and hasattr(value, "__len__")
                    and len(value) == n}
        items = []
        with _gc_paused():
            for i, channel_id in enumerate(all_ids):
                train = everything[lo[i]:hi[i]]
                train.t_start = everything.t_start.copy()
                train.t_stop = everything.t_stop.copy()
                train.annotations = {name: value[i] if name in per_cell else value
                                     for name, value in self._annotations.items()}
                train.annotations["channel_id"] = channel_id
                train.segment = self.segment
                items.append(train)
        self._items = items


def _fast_spiketrains(segment: neo.Segment) -> None:
    """Let ``segment``'s spike trains be built by slicing (see _SlicedSpikeTrainList)."""
    trains = segment.spiketrains
    if (type(trains) is SpikeTrainList and getattr(trains, "_items", ()) is None
            and all(hasattr(trains, name) for name in _NEO_LAZY_FIELDS)):
        trains.__class__ = _SlicedSpikeTrainList


#: What _SlicedSpikeTrainList reads of neo's lazy SpikeTrainList (neo 0.13-0.14); with
#: another layout neo builds the trains itself.
_NEO_LAZY_FIELDS = ("_spike_time_array", "_channel_id_array", "_all_channel_ids",
                    "_spiketrain_metadata", "_annotations")


def _copy_spiketrain(train: neo.SpikeTrain) -> neo.SpikeTrain:
    """A new SpikeTrain sharing ``train``'s times, with its own metadata (a slice: neo's
    constructor would check the units again, about 0.2 ms per train)."""
    new = train[:]
    new.t_start = train.t_start.copy()
    new.t_stop = train.t_stop.copy()
    new.annotations = dict(train.annotations)
    new.segment = None
    return new


def _select(segment: neo.Segment, variables, filter_ids) -> neo.Segment:
    """A new Segment with the data of ``segment`` for ``variables`` ('all' or PyNN
    Variables) and the cells ``filter_ids`` (None: every cell)."""
    names = None if variables == "all" else {v.name for v in variables}
    ids = None if filter_ids is None else {int(i) for i in filter_ids}
    new = neo.Segment(name=segment.name, description=segment.description,
                      rec_datetime=segment.rec_datetime, **dict(segment.annotations))
    if names is None or "spikes" in names:
        # one assignment: neo's append checks every train already there (quadratic)
        new.spiketrains = SpikeTrainList(
            items=[_copy_spiketrain(train) for train in segment.spiketrains
                   if ids is None or int(train.annotations["channel_id"]) in ids],
            parent=new)
    for signal in segment.analogsignals:
        if names is not None and signal.name not in names:
            continue
        columns = None
        if ids is not None:
            columns = np.flatnonzero(np.isin(signal.annotations["channel_ids"], list(ids)))
            if not len(columns):
                continue
        new.analogsignals.append(_copy_signal(signal, columns))
    for obj in list(new.spiketrains) + list(new.analogsignals):
        obj.segment = new
    return new
