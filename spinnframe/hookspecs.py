"""The hooks a spinnframe plugin can implement: this module is the single list of them.

A plugin is a module (or object) named by an entry point in the group ``spinnframe``::

    [project.entry-points.spinnframe]
    my_model = "spinnframe_my_model"

and implements one or more of the functions below, decorated with
:data:`spinnframe.hookimpl`. Each hook returns small frozen descriptors from
:mod:`spinnframe.specs`; spinnframe collects them, checks them, and records which plugin
provided each one. Keep hook bodies cheap: import heavy dependencies inside the factories
the descriptors point to, not at module import.
"""
from __future__ import annotations

import pluggy

from .specs import BackendSpec, CurrentSourceSpec, NeuronModelSpec, StructureSpec

hookspec = pluggy.HookspecMarker("spinnframe")


@hookspec
def spinnframe_neuron_models() -> list[NeuronModelSpec]:
    """Return the neuron models (and spike sources) this plugin provides.

    Each :class:`~spinnframe.specs.NeuronModelSpec` declares the model's parameters
    (PyNN name, unit, default, valid range), its state variables (unit, initial value,
    whether recordable), the constants its kernel derives, its receptor types and the path
    of its C kernel. spinnframe generates the PyNN cell type (``sim.<name>``), the C
    structs and the numpy packing from it. Model names must be unique across all plugins;
    a clash is reported naming both plugins.
    """


@hookspec
def spinnframe_backends() -> list[BackendSpec]:
    """Return the simulation backends this plugin provides.

    A :class:`~spinnframe.specs.BackendSpec` names the backend (the value users pass as
    ``sim.setup(backend=...)``) and a factory. The factory is called once per simulation
    with the simulator state and returns an object with the methods of
    :class:`spinnframe.backend.Backend`; it receives the network as a
    :class:`spinnframe.ir.Network` and never touches Population internals.
    """


@hookspec
def spinnframe_current_sources() -> list[CurrentSourceSpec]:
    """Return the current sources (electrodes) this plugin provides.

    A :class:`~spinnframe.specs.CurrentSourceSpec` declares the source's parameters (PyNN
    names, units, defaults, valid ranges; ``kind="sequence"`` for lists such as the times
    and amplitudes of a step current), its internal state, and the path of its C kernel,
    which computes the amplitude injected during each time step. spinnframe generates the
    PyNN class users write (``sim.DCSource(amplitude=0.5)``) with ``inject_into``,
    parameter changes between runs, ``record()`` and ``get_data()``.
    """


@hookspec
def spinnframe_structures() -> list[StructureSpec]:
    """Return the spatial structures this plugin provides.

    A :class:`~spinnframe.specs.StructureSpec` names a structure class derived from
    :class:`pyNN.space.BaseStructure`; users get it as ``sim.<name>`` and pass an instance
    to ``Population(..., structure=...)``. Positions it generates are used by
    ``Population.positions``, ``nearest`` and distance-dependent connectors and weights.
    """
