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
    pre_index: np.ndarray     # int64
    post_index: np.ndarray    # int64
    weight: np.ndarray        # float64 (nA or uS)
    delay: np.ndarray         # float64, ms
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
