"""What a recorder plugin receives: the recorder interface and the events it is given.

A recorder plugin returns a :class:`~spinnframe.specs.RecorderSpec` from the hook
``spinnframe_recorders``; its factory builds a :class:`DataRecorder` for one simulation
(``factory(context, **options)``, with the options the script gave). While the simulation
runs, spinnframe calls the recorder's methods in this order::

    start_run(run)                      at the start of every run() (and run_until())
        samples(chunk) ...              the sample at the current time, where due
        spikes(chunk) / samples(chunk)  as the backend produces data, chunk by chunk
        flush(step, t)                  after each chunk: everything up to ``step`` is in
    end_run(run)                        when run() has finished
    reset(segment)                      at reset(): that segment is over, a new one begins
    close()                             at end(), or when setup() starts a new simulation

Chunks cover at most :data:`MAX_CHUNK_STEPS` time steps each, so a recorder that writes
each chunk out (and keeps nothing) records a run of any length in bounded memory. Within
one population and variable, chunks arrive in time order; chunks of different
populations may interleave. Arrays in chunks are the core's and read-only: copy what you
keep beyond the call.

All calls come from the thread that called ``run()``. A recorder that raises is
disabled for the rest of the simulation (it gets no more data, but ``close()`` is still
called); the run itself goes on to its end, so the network and the other recorders stay
consistent, and then ``run()`` (or ``reset()``/``end()``) raises
:class:`~spinnframe.errors.RecorderError` naming the recorder and the cause.
"""
from __future__ import annotations

from typing import Any

import attrs
import numpy as np

#: Most time steps one chunk of data covers (the host backend runs in chunks of at most
#: this many steps; data a backend delivers in longer pieces is cut to this length).
MAX_CHUNK_STEPS = 10_000


@attrs.frozen(eq=False)
class VariableInfo:
    """A sampled variable of one population during a run.

    ``indices``: the sampled neurons (sorted indices into the population);
    ``interval``: steps between samples; ``origin``: the step the sampling grid starts at
    (samples are taken at ``origin + k * interval``); ``unit``: e.g. ``"mV"``;
    ``sampling_interval``: ms, as given to ``record()`` (``interval * dt`` up to rounding).
    """

    name: str
    unit: str
    indices: np.ndarray
    interval: int
    origin: int
    sampling_interval: float = 0.0


@attrs.frozen(eq=False)
class PopulationInfo:
    """One population as a recorder sees it at the start of a run.

    ``index`` is the number used in chunks (``chunk.population``); ``first_id`` the ID of
    its first cell (cell IDs are ``first_id + index``); ``spikes``: the indices of the
    neurons whose spikes are recorded (sorted, maybe empty); ``variables``: the sampled
    variables by name; ``recording_start``: the time (ms) recording of this population
    starts from in the current segment (0, or when it was created or its data cleared).
    ``annotations`` are the population's annotations; ``description`` its
    ``describe()`` text.
    """

    index: int
    label: str
    size: int
    first_id: int
    celltype: str
    spikes: np.ndarray
    variables: dict[str, VariableInfo]
    recording_start: float = 0.0
    annotations: dict = attrs.field(factory=dict)
    #: the describe() text, or a function that makes it (made only when asked for)
    _description: Any = attrs.field(default="", repr=False, alias="description")

    @property
    def description(self) -> str:
        d = self._description
        return d() if callable(d) else d

    @property
    def recorded(self) -> tuple[str, ...]:
        """Names of what is recorded: ``spikes`` (if any neuron records them) first."""
        return (("spikes",) if len(self.spikes) else ()) + tuple(sorted(self.variables))


@attrs.frozen(eq=False)
class RunInfo:
    """A run: ``dt`` (ms); the segment (``segment``, counted from 0, one per reset);
    the steps ``start_step`` .. ``start_step + n_steps`` (times ``t_start`` ..
    ``t_stop``, ms); every population of the network, recording or not."""

    dt: float
    segment: int
    start_step: int
    n_steps: int
    populations: tuple[PopulationInfo, ...]
    simulator: str = "spinnframe"

    @property
    def t_start(self) -> float:
        return self.start_step * self.dt

    @property
    def t_stop(self) -> float:
        return (self.start_step + self.n_steps) * self.dt

    @property
    def recording(self) -> tuple[PopulationInfo, ...]:
        """The populations that record something."""
        return tuple(p for p in self.populations if p.recorded)


@attrs.frozen(eq=False)
class SpikeChunk:
    """Spikes of population ``population`` (its ``label``): neuron ``indices[i]`` fired
    at ``times[i]`` ms, which is the end of step ``steps[i] - 1`` (``times = steps * dt``).
    Sorted by time."""

    population: int
    label: str
    segment: int
    steps: np.ndarray       # int64
    indices: np.ndarray     # int64
    dt: float

    @property
    def times(self) -> np.ndarray:
        return self.steps * self.dt

    def __len__(self) -> int:
        return len(self.steps)


@attrs.frozen(eq=False)
class SampleChunk:
    """Samples of ``variable`` (``unit``) of population ``population``: ``values[k, j]``
    is neuron ``indices[j]`` at step ``first_step + k * interval`` (``times[k]`` ms)."""

    population: int
    label: str
    segment: int
    variable: str
    unit: str
    first_step: int
    interval: int
    indices: np.ndarray     # int64, sorted
    values: np.ndarray      # float64, n_samples x len(indices)
    dt: float

    @property
    def steps(self) -> np.ndarray:
        return self.first_step + self.interval * np.arange(len(self.values), dtype=np.int64)

    @property
    def times(self) -> np.ndarray:
        return self.steps * self.dt

    def __len__(self) -> int:
        return len(self.values)


@attrs.frozen
class SegmentInfo:
    """A segment that ``reset()`` has ended: its number, the time it reached (ms), and the
    annotations given to ``reset(annotations)``; the next run records segment
    ``number + 1``."""

    number: int
    t_stop: float
    annotations: dict = attrs.field(factory=dict)


@attrs.frozen(eq=False)
class RecorderContext:
    """What a recorder factory is given besides its options: its ``name``, the time step
    ``dt`` (ms) and the ``options`` given to ``setup()`` (``cache_dir`` ...).
    ``memory`` is the core's in-memory store behind ``get_data()`` (only the bundled neo
    recorder, which fills it, needs it): ``memory(population_index)`` returns the
    population's :class:`spinnframe.recording.Recorder`."""

    name: str
    dt: float
    options: dict
    memory: Any = attrs.field(default=None, repr=False)


class DataRecorder:
    """Base class of recorders: every method does nothing, so a recorder overrides only
    what it needs. spinnframe calls them as described in :mod:`spinnframe.recording.api`.

    ``name`` is set by spinnframe to the name the recorder was selected by.
    """

    name: str = ""

    def start_run(self, run: RunInfo) -> None:
        """A run begins: what is recorded, from which step, for how many steps."""

    def spikes(self, chunk: SpikeChunk) -> None:
        """Spikes produced during the run (one population, at most one chunk of steps)."""

    def samples(self, chunk: SampleChunk) -> None:
        """Samples of one variable of one population."""

    def flush(self, step: int, t: float) -> None:
        """Everything up to ``step`` (time ``t`` ms) has been delivered (a chunk
        boundary): a recorder that buffers should write out now."""

    def end_run(self, run: RunInfo) -> None:
        """The run described by ``run`` has finished (the time is ``run.t_stop``)."""

    def reset(self, segment: SegmentInfo) -> None:
        """``reset()``: segment ``segment.number`` is over; the next run starts the next
        segment at t = 0."""

    def close(self) -> None:
        """``end()`` (or a new ``setup()``): write out and release everything. Called once,
        also for a recorder disabled by an error."""

    def destination(self) -> str:
        """Where the data goes, in words (for messages such as get_data()'s when the
        data is not kept in memory), e.g. ``"files in /data/run1"``."""
        return f"recorder {self.name!r}"
