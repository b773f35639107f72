"""The contract between the core and a simulation backend.

A backend plugin returns a :class:`~spinnframe.specs.BackendSpec` whose factory builds an
object with these methods. The core calls them in this order: ``run`` (any number of
times), ``reset`` (back to t = 0), ``end``.
"""
from __future__ import annotations

from typing import Protocol

import numpy as np

from .ir import Network


class DataSink(Protocol):
    """Where a backend delivers recorded data while it runs."""

    def spikes(self, population: int, steps: np.ndarray, indices: np.ndarray) -> None:
        """Spikes of population number ``population``: the step at whose end each spike
        was stamped (time = step * dt), and the neuron index."""

    def samples(self, population: int, variable: str, first_step: int, interval: int,
                indices: np.ndarray, values: np.ndarray) -> None:
        """Samples of ``variable`` (n_samples x len(indices)) taken at steps
        ``first_step + k * interval``."""

    def weights(self, projection: int, values: np.ndarray) -> None:
        """Plastic weights of ProjectionIR number ``projection`` (in its connection order)
        at the end of a run."""

    def current(self, source: int, first_step: int, values: np.ndarray) -> None:
        """Recorded amplitudes (nA) of current source number ``source``, one per step from
        ``first_step``."""

    def progress(self, done_steps: int, total_steps: int) -> None:
        """Called between chunks so that a progress display can update."""


class Backend(Protocol):
    name: str

    def run(self, network: Network, start_step: int, n_steps: int, sink: DataSink) -> None:
        """Advance the network from ``start_step`` by ``n_steps`` time steps. The network
        description may have changed since the last call (parameters, state, recording,
        new populations or projections); the backend brings itself up to date first."""

    def reset(self) -> None:
        """Forget spikes in flight; the next run starts at step 0. (The core restores the
        state arrays to their initial values itself.)"""

    def end(self) -> None:
        """Release resources."""


def _installed_spec(state):
    """The BackendSpec of the simulation's backend, or None when it is not installed."""
    from .plugins import get_manager

    mgr = get_manager()
    mgr.load()
    provided = mgr.backends.get(state.backend_name)
    return None if provided is None else provided.spec


def prepare_model(state, spec) -> None:
    """Let the simulation's backend prepare neuron model ``spec`` now (see
    :attr:`spinnframe.specs.BackendSpec.prepare`): ``Population()`` calls this, so that a
    kernel that is missing, does not compile or does not match its declaration is an error
    there rather than at ``run()``. Backends without ``prepare`` are not asked; a backend
    that is not installed is reported by ``run()``, where it is needed."""
    backend = _installed_spec(state)
    if backend is not None and backend.prepare is not None:
        backend.prepare(spec, dict(state.options))


def prepare_projection(state, prj) -> None:
    """Let the simulation's backend see projection ``prj`` as soon as its connections exist
    (see :attr:`spinnframe.specs.BackendSpec.prepare_projection`): ``Projection()`` calls
    this. Backends without ``prepare_projection`` are not asked."""
    backend = _installed_spec(state)
    if backend is None or backend.prepare_projection is None:
        return
    index = {id(p): k for k, p in enumerate(state.populations)}
    # the parts' numbers in the network: exact unless an earlier projection has several
    # parts (assemblies), in which case the next build_network renumbers them (cheaply)
    parts = prj._ir_parts(index, len(state.projections) - 1)
    backend.prepare_projection(parts, {
        "sizes": {k: p.size for k, p in enumerate(state.populations)},
        "receptors": {k: len(p.celltype.receptor_types)
                      for k, p in enumerate(state.populations)},
        "threads": state.threads, "options": dict(state.options)})
