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

from .specs import (BackendSpec, CurrentSourceSpec, NeuronModelSpec, RecorderSpec,
                    StructureSpec)

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


@hookspec
def spinnframe_recorders() -> list[RecorderSpec]:
    """Return the recorders this plugin provides: destinations for recorded data that
    receive it while the simulation runs.

    A :class:`~spinnframe.specs.RecorderSpec` names the recorder (the name scripts select
    it by: ``sim.setup(recorders={"name": {option: value}})`` or
    ``sim.add_recorder("name", **options)``) and a factory. The factory is called once
    per simulation as ``factory(context, **options)`` (``context``: a
    :class:`~spinnframe.recording.api.RecorderContext` with the name, ``dt`` and the
    setup options) and returns a :class:`~spinnframe.recording.api.DataRecorder`. Its
    methods are called in this order: ``start_run(run)`` at each run (a ``RunInfo``: dt,
    segment number, first step and length, and every population with its label, size,
    first ID and what it records: spiking neurons, sampled variables with their indices,
    interval and unit); then, as the backend produces it, ``spikes(chunk)`` (population,
    neuron indices, times in ms) and ``samples(chunk)`` (population, variable, unit,
    times, indices, a samples x neurons matrix of values) in chunks of at most 10 000
    time steps, with ``flush(step, t)`` after each chunk; ``end_run(run)`` when the run
    has finished; ``reset(segment)`` when ``reset()`` ends a segment; ``close()`` at
    ``end()``. A recorder that writes each chunk out records runs of any length in
    bounded memory (with ``setup(keep_in_memory=False)`` the core keeps nothing).
    A recorder that raises is disabled with a warning, the run goes on to its end, and
    then ``run()`` raises :class:`~spinnframe.errors.RecorderError`.
    The bundled recorders are ``neo`` (the in-memory store behind ``get_data()`` and
    ``write_data()``) and ``streaming`` (files written as the run goes).
    """
