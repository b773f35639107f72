"""The recording hub: hands the data a backend produces to the simulation's recorders.

One hub exists per simulation (``setup()`` makes it, as ``state.recording``). It holds
the recorders selected for the simulation (``setup(recorders=...)``,
``sim.add_recorder(...)``) and, unless ``setup(keep_in_memory=False)``, the bundled neo
recorder that fills the in-memory store behind ``get_data()``. The runner's sink passes
every piece of data through :meth:`RecordingHub.spikes` / :meth:`RecordingHub.samples`;
the hub cuts it into chunks of at most :data:`~spinnframe.recording.api.MAX_CHUNK_STEPS`
steps and calls each recorder (see :mod:`spinnframe.recording.api` for the order).

The hub keeps no data itself: memory stays bounded by one chunk unless a recorder keeps
more (the neo recorder keeps everything, which is what ``keep_in_memory`` switches off).

A recorder that raises is disabled at once (a :class:`RecorderWarning` says so) and the
run continues; :meth:`raise_errors`, called when run(), reset() or end() has finished,
then raises :class:`~spinnframe.errors.RecorderError`.
"""
from __future__ import annotations

import traceback
import warnings
from typing import Any

import numpy as np

from ..errors import PluginError, RecorderError
from .api import (MAX_CHUNK_STEPS, DataRecorder, PopulationInfo, RecorderContext, RunInfo,
                  SampleChunk, SegmentInfo, SpikeChunk, VariableInfo)

#: The recorder that keeps data in memory for get_data() (bundled plugin
#: spinnframe-neo-recorder).
MEMORY_RECORDER = "neo"


class RecorderWarning(UserWarning):
    """A recorder failed and was disabled; run() raises RecorderError when it ends."""


class _Entry:
    """One attached recorder and what the hub tracks for it."""

    def __init__(self, name: str, recorder: Any, plugin: str | None):
        self.name = name
        self.recorder = recorder
        self.plugin = plugin
        self.failed: str | None = None        # why it was disabled
        self.closed = False
        #: (population, variable) -> step of the last sample delivered
        self.last_sample: dict[tuple[int, str], int] = {}

    def has_sample(self, population: int, variable: str, step: int) -> bool:
        ask = getattr(self.recorder, "has_sample", None)
        if ask is not None:                  # the neo recorder: its store may be cleared
            return bool(ask(population, variable, step))
        return self.last_sample.get((population, variable)) == step

    def label(self) -> str:
        origin = f" (plugin {self.plugin!r})" if self.plugin else ""
        return f"recorder {self.name!r}{origin}"


def parse_selection(recorders) -> list[tuple[str, dict]]:
    """``setup(recorders=...)``: a name, a list of names, or {name: {option: value}}."""
    if recorders is None:
        return []
    if isinstance(recorders, str):
        recorders = [recorders]
    if isinstance(recorders, dict):
        items = list(recorders.items())
    elif isinstance(recorders, (list, tuple)):
        items = [(r, {}) for r in recorders]
    else:
        raise ValueError(f"recorders must be a recorder name, a list of names or a dict "
                         f"{{name: {{option: value}}}}, got {recorders!r}")
    out = []
    for name, options in items:
        if not isinstance(name, str):
            raise ValueError(f"recorders: a recorder is named by a string, got {name!r}")
        if options is None:
            options = {}
        if not isinstance(options, dict):
            raise ValueError(f"recorders: the options of {name!r} must be a dict, got "
                             f"{options!r}")
        out.append((name, dict(options)))
    return out


class RecordingHub:
    """The recorders of one simulation (see the module docstring)."""

    def __init__(self, state, keep_in_memory: bool = True):
        self.state = state
        self.generation = state.generation
        self.keep_in_memory = bool(keep_in_memory)
        self.entries: list[_Entry] = []
        self.memory: _Entry | None = None
        self.run: RunInfo | None = None
        self.errors: list[str] = []
        self.first_error: BaseException | None = None
        self.pending_annotations: dict = {}
        self.closed = False
        self._units: dict[int, dict[str, str]] = {}
        self._warned_nowhere = False

    # -- attaching ---------------------------------------------------------------------
    def _context(self, name: str) -> RecorderContext:
        state = self.state
        return RecorderContext(name=name, dt=state.dt, options=dict(state.options),
                               memory=lambda k: state.populations[k].recorder)

    def add(self, recorder, options: dict | None = None) -> Any:
        """Attach a recorder: the name of an installed one (built with ``options``) or an
        object with the methods of :class:`~spinnframe.recording.api.DataRecorder`."""
        options = dict(options or {})
        if isinstance(recorder, str):
            name = recorder
            if name == MEMORY_RECORDER:
                raise ValueError(
                    f"recorder {name!r} is the in-memory recorder behind get_data(); it is "
                    f"used unless setup(keep_in_memory=False), so it need not be named")
            obj, plugin = self._build(name, options)
        else:
            if options:
                raise ValueError("add_recorder(obj, ...): options are for recorders given "
                                 "by name; configure the object itself")
            missing = [m for m in ("start_run", "spikes", "samples", "end_run", "close")
                       if not callable(getattr(recorder, m, None))]
            if missing:
                raise TypeError(f"{type(recorder).__name__} is not a recorder: it lacks "
                                f"{', '.join(missing)} (derive it from "
                                f"spinnframe.recording.DataRecorder)")
            obj, plugin = recorder, None
            name = getattr(obj, "name", "") or type(obj).__name__
        if any(e.name == name for e in self.entries):
            raise ValueError(f"a recorder named {name!r} is already attached to this "
                             f"simulation")
        try:
            obj.name = name
        except AttributeError:
            pass
        self.entries.append(_Entry(name, obj, plugin))
        return obj

    def _build(self, name: str, options: dict):
        from ..plugins import get_manager

        mgr = get_manager()
        spec = mgr.recorder(name)
        plugin = mgr.provider("recorder", name).name
        try:
            obj = spec.factory(self._context(name), **options)
        except TypeError as exc:
            raise ValueError(f"recorder {name!r} (plugin {plugin!r}) does not accept the "
                             f"options {options}: {exc}") from exc
        return obj, plugin

    def _attach_memory(self) -> None:
        """The neo recorder, first in line, at the first run that records anything."""
        if self.memory is not None or not self.keep_in_memory:
            return
        from ..plugins import get_manager

        try:
            get_manager().recorder(MEMORY_RECORDER)
        except PluginError as exc:
            raise PluginError(
                f"recorded data is kept in memory for get_data() by the recorder "
                f"{MEMORY_RECORDER!r} (the bundled plugin spinnframe-neo-recorder), which is "
                f"not installed ({exc}). Install it, or call setup(keep_in_memory=False, "
                f"recorders=...) to send the data only to other recorders.") from None
        obj, plugin = self._build(MEMORY_RECORDER, {})
        obj.name = MEMORY_RECORDER
        self.memory = _Entry(MEMORY_RECORDER, obj, plugin)
        self.entries.insert(0, self.memory)

    @property
    def active(self) -> list[_Entry]:
        return [e for e in self.entries if e.failed is None]

    # -- calling -----------------------------------------------------------------------
    def _call(self, entry: _Entry, method: str, *args) -> None:
        if entry.failed is not None:
            return
        try:
            getattr(entry.recorder, method)(*args)
        except Exception as exc:       # a recorder must not take the run down with it
            where = f"at t = {self.state.t:g} ms" if self.run is None else \
                f"during the run from {self.run.t_start:g} to {self.run.t_stop:g} ms " \
                f"(segment {self.run.segment})"
            entry.failed = f"{method}() raised {type(exc).__name__}: {exc}"
            msg = (f"{entry.label()} failed {where}: {entry.failed}. It was disabled and "
                   f"gets no more data")
            self.errors.append(msg)
            if self.first_error is None:
                self.first_error = exc
            frames = traceback.extract_tb(exc.__traceback__)
            at = f" (at {frames[-1].filename}:{frames[-1].lineno})" if len(frames) > 1 else ""
            warnings.warn(msg + at + "; the simulation continues, and RecorderError is "
                          "raised when the current call (run, reset or end) returns",
                          RecorderWarning, stacklevel=2)

    def raise_errors(self) -> None:
        """Raise RecorderError for the failures since the last call, if any."""
        if not self.errors:
            return
        errors, cause = self.errors, self.first_error
        self.errors, self.first_error = [], None
        raise RecorderError("; ".join(errors) + ".") from cause

    # -- the run -----------------------------------------------------------------------
    def start_run(self, network, start_step: int, n_steps: int) -> None:
        info = self._run_info(network, start_step, n_steps)
        if info.recording:
            self._attach_memory()
            if not self.active and not self._warned_nowhere:
                self._warned_nowhere = True
                warnings.warn("setup(keep_in_memory=False) and no recorder: the recorded "
                              "data of this simulation is not kept anywhere", RecorderWarning,
                              stacklevel=4)
        self.run = info
        for e in self.active:
            self._call(e, "start_run", info)

    def _run_info(self, network, start_step: int, n_steps: int) -> RunInfo:
        pops = []
        for p_ir in network.populations:
            pop = self.state.populations[p_ir.index]
            units = self._units.get(p_ir.index)
            if units is None:
                units = {s.name: s.unit for s in p_ir.model.state}
                self._units[p_ir.index] = units
            spikes = (np.flatnonzero(p_ir.record_spikes) if p_ir.record_spikes is not None
                      else np.zeros(0, np.int64))
            rec = pop.recorder
            variables = {req.variable: VariableInfo(req.variable, units.get(req.variable, ""),
                                                    np.asarray(req.indices, np.int64),
                                                    int(req.interval), int(req.origin),
                                                    float(rec.sampling_interval))
                         for req in p_ir.samples if len(req.indices)}
            pops.append(PopulationInfo(
                index=p_ir.index, label=p_ir.label, size=p_ir.size,
                first_id=int(pop.first_id), celltype=p_ir.model.name,
                spikes=spikes.astype(np.int64), variables=variables,
                recording_start=rec.recording_start_ms(),
                annotations=dict(pop.annotations), description=pop.describe))
        return RunInfo(dt=self.state.dt, segment=self.state.segment_counter,
                       start_step=int(start_step), n_steps=int(n_steps),
                       populations=tuple(pops), simulator="spinnframe")

    def sample_now(self, network) -> None:
        """The sample at the current step, where the grid has one, to each recorder that
        has not had it (t = 0 after a reset; a variable whose recording just started; a
        recorder attached since the last run; the neo recorder after get_data(clear=True))."""
        step = self.state.step
        for p_ir in network.populations:
            for req in p_ir.samples:
                if not len(req.indices) or step < req.origin or \
                        (step - req.origin) % req.interval:
                    continue
                wanting = [e for e in self.active
                           if not e.has_sample(p_ir.index, req.variable, step)]
                if not wanting:
                    continue
                values = np.asarray(p_ir.state[req.variable][req.indices], dtype=float)[None, :]
                chunk = self._sample_chunk(p_ir.index, req.variable, step, req.interval,
                                           np.asarray(req.indices, np.int64), values)
                for e in wanting:
                    self._deliver_samples(e, chunk)

    def spikes(self, population: int, steps: np.ndarray, indices: np.ndarray) -> None:
        if not len(steps) or not self.active:
            return
        steps = np.asarray(steps, dtype=np.int64)
        indices = np.asarray(indices, dtype=np.int64)
        if len(steps) > 1 and (np.diff(steps) < 0).any():
            order = np.argsort(steps, kind="stable")
            steps, indices = steps[order], indices[order]
        label = self._label(population)
        first, last = int(steps[0]), int(steps[-1])
        bounds = [0, len(steps)]
        if last - first >= MAX_CHUNK_STEPS:
            edges = np.arange(first + MAX_CHUNK_STEPS, last + 1, MAX_CHUNK_STEPS)
            bounds = [0] + list(np.searchsorted(steps, edges)) + [len(steps)]
        for a, b in zip(bounds[:-1], bounds[1:]):
            if a == b:
                continue
            chunk = SpikeChunk(population, label, self.state.segment_counter, steps[a:b],
                               indices[a:b], self.state.dt)
            for e in self.active:
                self._call(e, "spikes", chunk)

    def samples(self, population: int, variable: str, first_step: int, interval: int,
                indices: np.ndarray, values: np.ndarray) -> None:
        if not len(values) or not self.active:
            return
        indices = np.asarray(indices, dtype=np.int64)
        values = np.asarray(values)
        rows = max(1, MAX_CHUNK_STEPS // max(int(interval), 1))
        for a in range(0, len(values), rows):
            chunk = self._sample_chunk(population, variable, int(first_step) + a * interval,
                                       int(interval), indices, values[a:a + rows])
            for e in self.active:
                self._deliver_samples(e, chunk)

    def _sample_chunk(self, population, variable, first_step, interval, indices, values):
        unit = self._units.get(population, {}).get(variable, "")
        return SampleChunk(population, self._label(population), self.state.segment_counter,
                           variable, unit, int(first_step), int(interval), indices, values,
                           self.state.dt)

    def _deliver_samples(self, entry: _Entry, chunk: SampleChunk) -> None:
        self._call(entry, "samples", chunk)
        entry.last_sample[(chunk.population, chunk.variable)] = \
            chunk.first_step + (len(chunk.values) - 1) * chunk.interval

    def _label(self, population: int) -> str:
        if self.run is not None and population < len(self.run.populations):
            return self.run.populations[population].label
        return self.state.populations[population].label

    def flush(self, step: int) -> None:
        for e in self.active:
            if hasattr(e.recorder, "flush"):
                self._call(e, "flush", int(step), step * self.state.dt)

    def end_run(self) -> None:
        run, self.run = self.run, None
        if run is None:
            return
        for e in self.active:
            self._call(e, "end_run", run)

    # -- segments and the end ----------------------------------------------------------
    def reset(self, segment: int, t_stop: float) -> None:
        """reset(): segment ``segment`` ended at ``t_stop``."""
        info = SegmentInfo(int(segment), float(t_stop), dict(self.pending_annotations))
        self.pending_annotations = {}
        for e in self.active:
            if hasattr(e.recorder, "reset"):
                self._call(e, "reset", info)
            e.last_sample.clear()

    def close(self) -> None:
        """end(): close every recorder (disabled ones too), once."""
        if self.closed:
            return
        self.closed = True
        for e in self.entries:
            if e.closed:
                continue
            e.closed = True
            failed, e.failed = e.failed, None
            self._call(e, "close")
            if e.failed is None:
                e.failed = failed or "closed"

    # -- what get_data() says ----------------------------------------------------------
    def memory_problem(self) -> str | None:
        """Why the in-memory store lacks data (None: it has everything recorded)."""
        others = [f"{e.name!r} ({self._destination(e)}"
                  + (f"; disabled after an error: {e.failed})" if e.failed not in
                     (None, "closed") else ")")
                  for e in self.entries if e is not self.memory]
        went = (f"it went to the recorder{'s' if len(others) > 1 else ''} "
                f"{', '.join(others)}" if others else "no recorder was selected, so it was "
                "not kept anywhere")
        if not self.keep_in_memory:
            return (f"this simulation was set up with keep_in_memory=False, so recorded "
                    f"data is not kept in memory; {went}")
        if self.memory is not None and self.memory.failed not in (None, "closed"):
            return (f"the in-memory recorder failed ({self.memory.failed}) and its data is "
                    f"incomplete; {went}")
        return None

    @staticmethod
    def _destination(entry: _Entry) -> str:
        try:
            return str(entry.recorder.destination())
        except Exception:
            return f"recorder {entry.name!r}"


def hub_for(state) -> RecordingHub:
    """The hub of the current simulation (made with defaults if setup() made none)."""
    hub = getattr(state, "recording", None)
    if hub is None or hub.generation != state.generation:
        hub = RecordingHub(state)
        state.recording = hub
    return hub


__all__ = ["RecordingHub", "RecorderWarning", "hub_for", "parse_selection", "DataRecorder"]
