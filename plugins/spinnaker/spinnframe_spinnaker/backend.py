"""The SpiNNaker backend: spinnframe's Backend contract on top of sPyNNaker."""
from __future__ import annotations

import warnings

import attrs
import numpy as np

from . import config, data, session, translate
from .errors import MappingError, UnsupportedError
from .support import MODELS, check_network, unsupported


class VirtualBoardWarning(UserWarning):
    """A run on a virtual board maps the network but runs nothing: no data comes back."""


@attrs.frozen
class PopulationMapping:
    """Where one population went: its cores as (x, y, p, first atom, last atom)."""

    label: str
    size: int
    cores: tuple
    #: parameters and initial values as sPyNNaker holds them (spinnframe's names;
    #: initial values under "initial <name>")
    parameters: dict = attrs.field(eq=False, repr=False)
    #: what sPyNNaker records: {its variable name: (neuron indices, sampling interval in
    #: ms, or None for spikes)}
    recording: dict = attrs.field(factory=dict, eq=False, repr=False)
    #: current sources injected: [(sPyNNaker class, {parameter: value}, neuron indices)]
    current_sources: list = attrs.field(factory=list, eq=False, repr=False)

    @property
    def chips(self) -> frozenset:
        return frozenset((x, y) for x, y, *_ in self.cores)

    @property
    def n_cores(self) -> int:
        return len(self.cores)


@attrs.frozen
class ProjectionMapping:
    """One projection as sPyNNaker was given it."""

    label: str
    pre: str                      # population labels
    post: str
    receptor: str
    n_connections: int            # rows of its FromListConnector
    synapse: dict                 # translate.describe_synapse() of its synapse dynamics


@attrs.frozen
class MappingResult:
    """What the last run mapped: placements per population and the totals.

    ``n_cores``/``n_chips`` count the cores and chips the network's populations use;
    ``n_cores_total``/``n_chips_total`` add sPyNNaker's own system cores (monitors)."""

    machine: str
    virtual: bool
    populations: tuple            # PopulationMapping per population, in creation order
    projections: tuple            # ProjectionMapping per non-empty ProjectionIR
    n_cores_total: int
    n_chips_total: int
    machine_chips: int
    report_dir: str | None
    #: atoms per core the backend chose so that synaptic rows fit (population label ->
    #: atoms), for populations without a user's set_max_atoms_per_core
    atoms_per_core: dict = attrs.field(factory=dict)

    @property
    def n_cores(self) -> int:
        return sum(p.n_cores for p in self.populations)

    @property
    def chips(self) -> frozenset:
        return frozenset().union(*(p.chips for p in self.populations)) if self.populations \
            else frozenset()

    @property
    def n_chips(self) -> int:
        return len(self.chips)

    def population(self, label: str) -> PopulationMapping:
        for p in self.populations:
            if p.label == label:
                return p
        raise KeyError(f"no population labelled {label!r}; there are "
                       f"{[p.label for p in self.populations]}")


_last: MappingResult | None = None


def last_mapping() -> MappingResult | None:
    """The mapping of the most recent run of the spinnaker backend in this process (None
    before any); it stays available after end()."""
    return _last


def _caller_stacklevel() -> int:
    """The stacklevel of the first frame outside spinnframe, PyNN and this plugin (the
    script's run() call), for warnings."""
    import sys
    frame, level = sys._getframe(1), 1
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if not name.split(".")[0] in ("spinnframe", "spinnframe_spinnaker", "pyNN"):
            return level
        frame, level = frame.f_back, level + 1
    return 1


class SpinnakerBackend:
    """Runs spinnframe's network on SpiNNaker through sPyNNaker."""

    name = "spinnaker"

    def __init__(self, state):
        self.settings = config.settings(state.options)
        self.output = session.Output(self.settings)
        self.dt = state.dt
        self.sim = None                 # spynnaker.pyNN while a sPyNNaker simulation is up
        self.built: translate.Built | None = None
        self.mapping: MappingResult | None = None
        self._warned_virtual = False

    # -- the contract ------------------------------------------------------------------------
    def run(self, net, start_step: int, n_steps: int, sink) -> None:
        check_network(net)
        self._bring_up_to_date(net, start_step)
        with self.output(f"run {n_steps} steps from step {start_step}"):
            try:
                self.sim.run(n_steps * net.dt)
            except Exception as exc:
                raise session.failed("mapping and running the network", exc,
                                     self.output) from exc
        global _last
        self.mapping = _last = self._collect(net)
        if self.settings.virtual_board:
            if not self._warned_virtual:
                warnings.warn(f"backend 'spinnaker' maps onto {self.settings.describe()}: "
                              f"the network was mapped but nothing ran, so no data comes "
                              f"back", VirtualBoardWarning, stacklevel=_caller_stacklevel())
                self._warned_virtual = True
        else:
            self._fetch(net, start_step, n_steps, sink)
        sink.progress(n_steps, n_steps)

    def reset(self) -> None:
        if self.sim is not None and self.built is not None:
            with self.output("reset"):
                self.sim.reset()

    def end(self) -> None:
        if self.sim is not None:
            session.stop(self.sim, self.output)
        self.sim = None
        self.built = None

    # -- building ----------------------------------------------------------------------------
    def _bring_up_to_date(self, net, start_step: int) -> None:
        built = self.built
        if built is not None:
            structure = translate.structure_key(net) != built.key
            values = [p.params_version for p in net.populations] != built.params_versions
            state = not structure and any(not np.array_equal(p.state, built.initial[k])
                                          for k, p in enumerate(net.populations))
            if not (structure or values or state):
                return                    # the next run of the same network
            if start_step != 0 and (structure or state):
                # the same rule on a virtual board, so that what maps there runs on a machine
                raise unsupported([
                    "changing populations, projections, current sources, recording or "
                    "placement between runs without reset() (sPyNNaker maps the network "
                    "once per segment)" if structure else
                    "initialize() or set_state() between runs without reset()"])
            if self.settings.virtual_board or structure:
                self.end()                # map anew (on a virtual board nothing ran)
            else:
                with self.output("update"):   # Population.set(), or values after reset()
                    translate.update(built, net)
                return
        self.sim = session.start(self.settings, net.dt, net.min_delay, self.output)
        with self.output("build"):
            try:
                self.built = translate.build(self.sim, net)
            except UnsupportedError:
                raise
            except Exception as exc:
                raise session.failed("building the network", exc, self.output) from exc

    # -- results -----------------------------------------------------------------------------
    def _collect(self, net) -> MappingResult:
        from spynnaker.pyNN.data import SpynnakerDataView

        pops = []
        for pop, sp_pop in zip(net.populations, self.built.populations):
            cores = []
            for mv in sp_pop._vertex.machine_vertices:
                pl = SpynnakerDataView.get_placement_of_vertex(mv)
                sl = mv.vertex_slice
                cores.append((pl.x, pl.y, pl.p, int(sl.lo_atom), int(sl.hi_atom)))
            loaded = self.built.loaded[pop.index]
            pops.append(PopulationMapping(label=pop.label, size=pop.size,
                                          cores=tuple(sorted(cores)), **loaded))
        prjs = tuple(
            ProjectionMapping(
                label=prj.label, pre=net.populations[prj.pre].label,
                post=net.populations[prj.post].label, receptor=prj.receptor,
                n_connections=len(conn.conn_list), synapse=translate.describe_synapse(dyn))
            for prj, conn, dyn in zip(net.projections, self.built.connectors,
                                      self.built.dynamics) if conn is not None)
        placements = list(SpynnakerDataView.iterate_placemements()) if hasattr(
            SpynnakerDataView, "iterate_placemements") else \
            list(SpynnakerDataView.iterate_placements())
        try:
            report_dir = str(SpynnakerDataView.get_run_dir_path())
        except Exception:
            report_dir = None
        return MappingResult(
            machine=self.settings.describe(), virtual=self.settings.virtual_board,
            populations=tuple(pops), projections=prjs, n_cores_total=len(placements),
            n_chips_total=len({(p.x, p.y) for p in placements}),
            machine_chips=SpynnakerDataView.get_machine().n_chips, report_dir=report_dir,
            atoms_per_core={net.populations[k].label: a
                            for k, a in self.built.auto_atoms.items()})

    def _fetch(self, net, start_step: int, n_steps: int, sink) -> None:
        """Recorded data of this run from the machine to spinnframe's recorders."""
        for k, (pop, sp_pop) in enumerate(zip(net.populations, self.built.populations)):
            m = MODELS[pop.model.name]
            try:
                with self.output(f"data of {pop.label}"):
                    if pop.record_spikes is not None and pop.record_spikes.any():
                        steps, index = data.spikes_in_run(sp_pop.spinnaker_get_data("spikes"),
                                                          net.dt, start_step, n_steps)
                        if len(steps):
                            sink.spikes(k, steps, index)
                    for req in pop.samples:
                        if not len(req.indices):
                            continue
                        raw = sp_pop.spinnaker_get_data(m.record[req.variable])
                        first, values = data.samples_in_run(raw, net.dt, req.interval,
                                                            req.indices, start_step, n_steps)
                        if first is not None:
                            sink.samples(k, req.variable, first, req.interval, req.indices,
                                         values)
            except MappingError:
                raise
            except Exception as exc:
                raise session.failed(f"reading the data of {pop.label!r}", exc,
                                     self.output) from exc
