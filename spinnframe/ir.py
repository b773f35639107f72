"""The network IR: a backend-neutral description of what a script built.

Backends receive a :class:`Network` and never reach into Population or Projection objects.
Arrays in the IR are shared with the core, not copied: ``PopulationIR.state`` is the
population's state array in its kernel layout, which a backend may update in place during
a run (that is how ``get('v')``, ``current_values`` and ``set_state`` see the engine's
state without a copy). Everything else is read-only for backends.
"""
from __future__ import annotations

import attrs
import numpy as np

from .specs import CurrentSourceSpec, NeuronModelSpec


@attrs.frozen(eq=False)
class SampleRequest:
    """Record ``variable`` of the neurons ``indices`` every ``interval`` steps, on the grid
    that starts at step ``origin``."""

    variable: str
    indices: np.ndarray
    interval: int
    origin: int


@attrs.frozen(eq=False)
class PopulationIR:
    index: int
    label: str
    model: NeuronModelSpec
    size: int
    parameters: dict          # name -> array (sequences: object arrays of pyNN Sequence)
    params_version: int
    state: np.ndarray         # structured array, kernel layout, shared with the core
    record_spikes: np.ndarray | None   # bool mask, or None
    samples: tuple[SampleRequest, ...]
    seed: int
    placement: tuple | None = None          # (x, y, p) from add_placement_constraint
    max_atoms_per_core: int | tuple | None = None


@attrs.frozen(eq=False)
class ProjectionIR:
    """Connections from one population to another onto one receptor type.

    A Projection between views or assemblies becomes one ProjectionIR per pair of root
    populations it touches; indices are into those root populations.
    """

    index: int
    label: str
    pre: int                  # PopulationIR.index
    post: int
    receptor: str
    receptor_index: int
    #: connection arrays; all None when ``source`` is set: read them with columns()
    pre_index: np.ndarray     # int32 or int64
    post_index: np.ndarray    # int32 or int64
    #: weights (nA or uS) as the core stores them: float64 per connection, float32 per
    #: connection (static synapses with more distinct weights than a table holds), or a
    #: uint16 index per connection into ``weight_table``; any of them may be a read-only
    #: zero-stride view (one value for every connection). ``weight`` gives float64 values.
    weight_values: np.ndarray
    weight_table: np.ndarray | None
    #: delays in time steps (uint16; may be a zero-stride view); ``delay`` gives ms
    delay_steps: np.ndarray
    dt: float
    synapse: str = "static"   # static | tsodyks | stdp | vogels | stochastic
    version: int = 0
    #: parameters of the synapse dynamics (PyNN names): the value of the first connection
    dynamics: dict = attrs.field(factory=dict)
    #: those parameters that differ between connections, per connection (same order)
    dynamics_per_connection: dict = attrs.field(factory=dict)
    #: initial values of synaptic state variables (e.g. Tsodyks-Markram u), per connection
    initial: dict = attrs.field(factory=dict)
    #: position of each connection in its Projection (to return plastic weights); None when
    #: the ProjectionIR holds all of the Projection's connections, in order
    connection_index: np.ndarray | None = None
    #: where the connection arrays come from when the fields above are None: the core's
    #: own columns, or a backend's copy (ConnectionSource)
    source: "ConnectionSource | None" = None
    #: set by the core where a backend may keep the only copy of the connections: the
    #: backend calls ``hand_over(source)`` with a ConnectionSource reading its copy, and
    #: the core frees its arrays; until the projection changes, its ProjectionIRs then
    #: carry that source
    hand_over: object | None = None

    @property
    def weight(self) -> np.ndarray:
        """Weights (nA or uS) as float64, one per connection."""
        return weights_as_float(*self.columns()[2:4])

    @property
    def delay(self) -> np.ndarray:
        """Delays in ms, one per connection (float64)."""
        return steps_to_ms(self.columns()[4], self.dt)

    def columns(self) -> tuple:
        """(pre_index, post_index, weight_values, weight_table, delay_steps), read back
        from the backend's copy when the core handed its arrays over."""
        if self.source is not None:
            return self.source.read()
        return (self.pre_index, self.post_index, self.weight_values, self.weight_table,
                self.delay_steps)

    def delay_steps_range(self) -> tuple[int, int]:
        """(shortest, longest) delay in steps; (1, 1) without connections."""
        if self.source is not None:
            return self.source.delay_steps_range
        if len(self) == 0:
            return (1, 1)
        return (int(self.delay_steps.min()), int(self.delay_steps.max()))

    def __len__(self) -> int:
        return self.source.n if self.source is not None else len(self.pre_index)


class ConnectionSource:
    """The connection arrays of a ProjectionIR, read on demand. ``read()`` returns the
    columns as the core stores them: (pre, post, weight_values, weight_table,
    delay_steps). A backend that keeps a projection's connections gives the core one of
    these (ProjectionIR.hand_over); its ``read()`` orders them by presynaptic, then
    postsynaptic index, in an order that does not depend on the backend's thread count
    (connections between the same pair of cells in an order the backend defines)."""

    #: the backend that holds the connections (None: the core)
    owner: object = None
    #: what a backend made of these connections ahead of the run without taking them over
    #: (the host engine packs the rows of small projections at Projection()), for that
    #: backend alone to read; the core makes a new source whenever the connections
    #: change, so it never outlives them
    prepared: object = None
    n: int
    delay_steps_range: tuple[int, int]

    def read(self) -> tuple:          # pragma: no cover - interface
        raise NotImplementedError


def weights_as_float(values: np.ndarray, table: np.ndarray | None) -> np.ndarray:
    """float64 weights from a stored weight column (see ProjectionIR.weight_values)."""
    if values.strides == (0,) and len(values):     # one value for all: stays a view
        one = table[int(values[0])] if table is not None else values[0]
        return np.broadcast_to(np.float64(one), values.shape)
    if table is not None:
        return table[values]
    return values.astype(np.float64, copy=False)


def steps_to_ms(steps: np.ndarray, dt: float) -> np.ndarray:
    """Delays in ms from step counts, rounded to 12 decimals (3 steps of 0.1 ms is 0.3)."""
    if steps.strides == (0,) and len(steps):
        return np.broadcast_to(np.round(float(steps[0]) * dt, 12), steps.shape)
    return np.round(steps * dt, 12)


@attrs.frozen(eq=False)
class CurrentSourceIR:
    """A current source and the neurons it injects into."""

    index: int
    label: str
    model: "CurrentSourceSpec"
    parameters: dict          # name -> 1-element array (sequences: pyNN Sequence objects)
    params_version: int
    state: np.ndarray         # structured array of one element, kernel layout, shared
    targets: tuple            # ((population number, base indices), ...)
    record: bool
    seed: int


@attrs.frozen(eq=False)
class Network:
    dt: float
    min_delay: float
    max_delay: float
    threads: int
    seed: int
    segment: int
    structure_version: int
    populations: tuple[PopulationIR, ...]
    projections: tuple[ProjectionIR, ...]
    current_sources: tuple[CurrentSourceIR, ...] = ()
    options: dict = attrs.field(factory=dict)
