"""spinnframe's network description (spinnframe.ir.Network) as sPyNNaker objects.

One sPyNNaker Population per PopulationIR (views and assemblies are already resolved to
root populations and indices in the IR), one sPyNNaker Projection per ProjectionIR with
its connections as a FromListConnector list (the IR holds the concrete connections, so
every PyNN connector gives the same connections as on the host), synapse dynamics, current
sources (one sPyNNaker source per target population: sPyNNaker injects a source into one
population only), recording requests, placement constraints and atoms per core.
"""
from __future__ import annotations

import attrs
import numpy as np

from .support import CURRENT_SOURCES, MODELS, WEIGHT_DEPENDENCES, unsupported

#: Largest time (ms) sPyNNaker takes for a Poisson source's duration: it counts time
#: steps in 32 bits. spinnframe's default duration (1e10 ms, "for ever") becomes None.
_FOREVER_STEPS = 2 ** 31 - 1


def _values(arr):
    """A parameter array as sPyNNaker takes it: a float when homogeneous, else a list."""
    a = np.asarray(arr, dtype=float).ravel()
    if a.size and np.all(a == a[0]):
        return float(a[0])
    return a.tolist()


def _sequence(value) -> list:
    return np.asarray(getattr(value, "value", value), dtype=float).ravel().tolist()


def model_parameters(pop, dt: float) -> dict:
    """The parameters of PopulationIR ``pop`` in sPyNNaker's names and forms."""
    m = MODELS[pop.model.name]
    out = {}
    for name, sp_name in m.parameters.items():
        values = pop.parameters[name]
        if pop.model.parameter(name).kind == "sequence":
            lists = [_sequence(v) for v in values]
            out[sp_name] = lists[0] if all(x == lists[0] for x in lists) else lists
        else:
            out[sp_name] = _values(values)
    if pop.model.name == "SpikeSourcePoisson":
        start = np.asarray(pop.parameters["start"], dtype=float)
        dur = np.asarray(pop.parameters["duration"], dtype=float)
        limit = _FOREVER_STEPS * dt - start
        forever = dur >= limit
        if forever.all():
            out["duration"] = None
        elif forever.any():
            out["duration"] = np.where(forever, np.floor(limit), dur).tolist()
    return out


def initial_values(pop) -> dict:
    """The state at the start (PopulationIR.state) in sPyNNaker's initial value names."""
    m = MODELS[pop.model.name]
    return {sp: _values(pop.state[name]) for name, sp in m.state.items()}


def connection_list(prj) -> np.ndarray:
    """The connections of ProjectionIR ``prj`` as FromListConnector rows (pre, post,
    weight, delay). sPyNNaker takes inhibitory weights as magnitudes (PyNN's negative
    current-based inhibitory weights become positive)."""
    pre, post = prj.columns()[:2]
    w = np.asarray(prj.weight, dtype=float)
    if prj.receptor == "inhibitory":
        w = np.abs(w)
    return np.column_stack([np.asarray(pre, dtype=float), np.asarray(post, dtype=float), w,
                            np.asarray(prj.delay, dtype=float)])


def synapse_type(sim, prj):
    """The sPyNNaker synapse type of ProjectionIR ``prj`` (weights and delays come from
    the connection list)."""
    if prj.synapse == "static":
        return sim.StaticSynapse()
    v = prj.dynamics
    mu = (float(v.get("mu_plus", 0.0)), float(v.get("mu_minus", 0.0)))
    weight_dep = getattr(sim, WEIGHT_DEPENDENCES[mu])(w_min=float(v.get("w_min", 0.0)),
                                                     w_max=float(v["w_max"]))
    timing = sim.SpikePairRule(tau_plus=float(v["tau_plus"]), tau_minus=float(v["tau_minus"]),
                               A_plus=float(v["A_plus"]), A_minus=float(v["A_minus"]))
    return sim.STDPMechanism(timing_dependence=timing, weight_dependence=weight_dep)


def source_parameters(src) -> dict:
    """The parameters of CurrentSourceIR ``src`` in sPyNNaker's names."""
    out = {}
    for name, sp_name in CURRENT_SOURCES[src.model.name].items():
        value = src.parameters[name][0]
        if src.model.parameter(name).kind == "sequence":
            out[sp_name] = _sequence(value)
        else:
            out[sp_name] = float(value)
    return out


def _cells(sp_pop, size, indices):
    """The whole sPyNNaker population, or a view of ``indices`` of it."""
    indices = np.asarray(indices, dtype=np.int64)
    if len(indices) == size and np.array_equal(indices, np.arange(size)):
        return sp_pop
    return sp_pop[indices.tolist()]


@attrs.define
class Built:
    """The sPyNNaker objects made from one Network, and what they were made from."""

    populations: list
    projections: list            # sPyNNaker Projection per ProjectionIR (None: empty)
    dynamics: list               # its sPyNNaker synapse dynamics (None: empty)
    connectors: list             # its sPyNNaker FromListConnector (None: empty)
    sources: list                # [sPyNNaker sources] per CurrentSourceIR
    params_versions: list
    initial: list                # state arrays as loaded (copies)
    key: tuple                   # what needs a rebuild when it changes
    loaded: list                 # read_back() of each population, before the first run
    auto_atoms: dict             # population index -> atoms per core the backend chose


def structure_key(net) -> tuple:
    """What the backend cannot change in a mapped network without mapping it again:
    populations, projections, current sources and recording requests."""
    rec = tuple((None if p.record_spikes is None else np.flatnonzero(p.record_spikes).tobytes(),
                 tuple((s.variable, np.asarray(s.indices).tobytes(), s.interval)
                       for s in p.samples)) for p in net.populations)
    sources = tuple((s.model.name, s.params_version, tuple((k, len(i)) for k, i in s.targets))
                    for s in net.current_sources)
    return (net.structure_version, tuple(p.version for p in net.projections), sources, rec,
            tuple((p.placement, p.max_atoms_per_core) for p in net.populations))


def record(sp_pop, pop, dt: float) -> None:
    """The recording requests of PopulationIR ``pop`` on its sPyNNaker population."""
    m = MODELS[pop.model.name]
    if pop.record_spikes is not None and pop.record_spikes.any():
        _cells(sp_pop, pop.size, np.flatnonzero(pop.record_spikes)).record("spikes")
    for req in pop.samples:
        if len(req.indices):
            _cells(sp_pop, pop.size, req.indices).record(
                m.record[req.variable], sampling_interval=req.interval * dt)


def build(sim, net) -> Built:
    """Make the sPyNNaker populations, projections and current sources of ``net``."""
    pops = []
    for pop in net.populations:
        m = MODELS[pop.model.name]
        cls = getattr(sim, m.spynnaker)
        params = model_parameters(pop, net.dt)
        extra = {"seed": int(pop.seed % (2 ** 32))} \
            if pop.model.name == "SpikeSourcePoisson" else None
        sp_pop = sim.Population(pop.size, cls(**params),
                                label=pop.label or f"population{pop.index}",
                                additional_parameters=extra)
        init = initial_values(pop)
        if init:
            sp_pop.initialize(**init)
        if pop.placement is not None:
            x, y, *p = pop.placement
            sp_pop.add_placement_constraint(int(x), int(y), None if not p or p[0] is None
                                            else int(p[0]))
        if pop.max_atoms_per_core is not None:
            n = pop.max_atoms_per_core
            sp_pop.set_max_atoms_per_core(tuple(int(a) for a in n) if isinstance(n, tuple)
                                          else int(n))
        record(sp_pop, pop, net.dt)
        pops.append(sp_pop)
    prjs, dynamics, connectors = [], [], []
    for prj in net.projections:
        if not len(prj):
            prjs.append(None)
            dynamics.append(None)
            connectors.append(None)
            continue
        connector = sim.FromListConnector(connection_list(prj), column_names=["weight", "delay"])
        connectors.append(connector)
        dynamics.append(synapse_type(sim, prj))
        prjs.append(sim.Projection(pops[prj.pre], pops[prj.post], connector,
                                   synapse_type=dynamics[-1], receptor_type=prj.receptor,
                                   label=f"{prj.label or 'projection'}#{prj.index}"))
    auto = fit_atoms_per_core(net, pops, dynamics)
    sources = []
    for src in net.current_sources:
        made = []
        for k, idx in src.targets:
            if not len(idx):
                continue
            s = getattr(sim, src.model.name)(**source_parameters(src))
            _cells(pops[k], net.populations[k].size, idx).inject(s)
            made.append(s)
        sources.append(made)
    return Built(populations=pops, projections=prjs, sources=sources, dynamics=dynamics,
                 connectors=connectors,
                 params_versions=[p.params_version for p in net.populations],
                 initial=[np.array(p.state, copy=True) for p in net.populations],
                 key=structure_key(net),
                 loaded=[read_back(sp, p) for sp, p in zip(pops, net.populations)],
                 auto_atoms=auto)


def longest_row(pre, post, atoms: int) -> int:
    """The most connections from one presynaptic neuron to one core's slice of ``atoms``
    postsynaptic neurons (a synaptic row on SpiNNaker)."""
    if not len(pre):
        return 0
    key = np.asarray(pre, np.int64) * (int(np.max(post)) // atoms + 1) + \
        np.asarray(post, np.int64) // atoms
    return int(np.unique(key, return_counts=True)[1].max())


def fit_atoms_per_core(net, pops, dynamics) -> dict:
    """Atoms per core for the populations whose incoming synaptic rows would not fit.

    SpiNNaker keeps the synapses from one presynaptic neuron to one core in a row of at
    most POP_TABLE_MAX_ROW_LENGTH words (256 static synapses, fewer plastic ones), and
    sPyNNaker refuses a network with a longer row. Networks scaled down with their
    in-degree kept (e.g. the microcircuit at scale 0.05) have many more synapses per row
    than the full-size ones, so for every population without a user's
    set_max_atoms_per_core the backend lowers its atoms per core until every incoming row
    fits. Rows are counted over all delays (sPyNNaker splits them further by delay), so
    the choice is safe, if at times smaller than needed. Returns {population index:
    atoms per core} for the populations it changed."""
    from spynnaker.pyNN.utilities.constants import POP_TABLE_MAX_ROW_LENGTH

    incoming: dict = {}
    for prj, dyn in zip(net.projections, dynamics):
        if dyn is not None:
            limit = int(dyn.get_max_synapses(POP_TABLE_MAX_ROW_LENGTH))
            incoming.setdefault(prj.post, []).append((prj, limit))
    chosen = {}
    for k, prjs_in in incoming.items():
        pop = net.populations[k]
        if pop.max_atoms_per_core is not None:
            continue                      # the user's choice; sPyNNaker judges it
        sp_pop = pops[k]
        atoms = int(type(sp_pop.celltype).get_model_max_atoms_per_dimension_per_core()[0])
        atoms = start = min(atoms, pop.size)
        while True:
            worst = max(((longest_row(*p.columns()[:2], atoms) / limit, p.index, limit)
                         for p, limit in prjs_in), key=lambda w: w[:2])
            if worst[0] <= 1.0:
                break
            if atoms == 1:
                p, limit = net.projections[worst[1]], worst[2]
                raise unsupported([
                    f"projection {p.label or p.index!r} connects one pair of neurons with "
                    f"more synapses than a SpiNNaker synaptic row holds ({limit})"])
            atoms = max(1, min(atoms - 1, int(atoms / worst[0])))
        if atoms < start:
            sp_pop.set_max_atoms_per_core(atoms)
            chosen[k] = atoms
    return chosen


def update(built: Built, net) -> None:
    """Bring an already mapped network up to date with parameter and initial value
    changes (sPyNNaker regenerates the data it needs)."""
    for k, pop in enumerate(net.populations):
        sp_pop = built.populations[k]
        changed = False
        if pop.params_version != built.params_versions[k]:
            sp_pop.set(**model_parameters(pop, net.dt))
            built.params_versions[k] = pop.params_version
            changed = True
        if not np.array_equal(pop.state, built.initial[k]):
            init = initial_values(pop)
            if init:
                sp_pop.initialize(**init)
            built.initial[k] = np.array(pop.state, copy=True)
            changed = True
        if changed:
            built.loaded[k] = read_back(sp_pop, pop)


def read_back(sp_pop, pop) -> dict:
    """What sPyNNaker holds for population ``pop`` (what the mapping loads onto the
    machine), in spinnframe's names: ``parameters`` (initial values as "initial <name>"),
    ``recording`` ({sPyNNaker variable: (neuron indices, sampling interval in ms, None
    for spikes)}) and
    ``current_sources`` ([(class name, {parameter: value}, neuron indices)])."""
    from pacman.model.graphs.common import Slice

    m = MODELS[pop.model.name]
    params = {}
    for name, sp_name in m.parameters.items():
        value = sp_pop.get(sp_name)
        if pop.model.parameter(name).kind == "sequence":
            params[name] = [list(map(float, v)) for v in value]
        else:
            params[name] = _per_neuron(value, pop.size)
    init = sp_pop.initial_values if m.state else {}
    for name, sp_name in m.state.items():
        params[f"initial {name}"] = _per_neuron(init[sp_name], pop.size)
    vertex = sp_pop._vertex
    whole = Slice(0, pop.size - 1)
    recording = {}
    for var in vertex.get_recording_variables():
        ids = vertex.get_neurons_recording(var, whole)
        ids = range(pop.size) if ids is None else ids
        # spikes are recorded as they happen (and spike sources report their interval in
        # microseconds): no interval for them
        interval = None if var == "spikes" else float(vertex.get_sampling_interval_ms(var))
        recording[var] = (tuple(int(i) for i in ids), interval)
    sources = []
    for src, selector in getattr(vertex, "current_source_id_list", {}).items():
        ids = np.arange(pop.size)[selector] if selector is not None else np.arange(pop.size)
        values = {k: (v.tolist() if hasattr(v, "tolist") else v)
                  for k, v in src.parameters.items()}
        sources.append((type(src).__name__, values, tuple(int(i) for i in np.atleast_1d(ids))))
    return {"parameters": params, "recording": recording, "current_sources": sources}


def _per_neuron(value, n: int) -> np.ndarray:
    """A value sPyNNaker hands out (a ParameterHolder, list or number) as n floats;
    None (e.g. a Poisson source's unlimited duration) becomes inf."""
    try:
        items = list(value)
    except TypeError:
        items = [value]
    # a Poisson source's parameters come as one array per neuron (rates can change in time)
    items = [np.asarray(np.inf if v is None else v, dtype=float).ravel() for v in items]
    if any(v.size != 1 for v in items):
        return [v.tolist() for v in items]
    a = np.array([v[0] for v in items], dtype=float)
    return np.broadcast_to(a, (n,)).copy() if a.size == 1 else a


def describe_synapse(dyn) -> dict:
    """A sPyNNaker synapse dynamics object as plain data: its class and, for STDP, its
    timing and weight rules with their parameters."""
    out = {"dynamics": type(dyn).__name__}
    timing = getattr(dyn, "timing_dependence", None)
    weight = getattr(dyn, "weight_dependence", None)
    if timing is not None:
        out["timing_dependence"] = type(timing).__name__
        out["weight_dependence"] = type(weight).__name__
        for name in ("tau_plus", "tau_minus"):
            out[name] = float(getattr(timing, name))
        for name in ("A_plus", "A_minus", "w_min", "w_max"):
            out[name] = float(getattr(weight, name))
    return out
