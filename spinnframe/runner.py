"""Running a simulation: build the IR, drive the backend, route recorded data back."""
from __future__ import annotations

import hashlib

import numpy as np

from . import ir
from .errors import EngineError
from .plugins import get_manager
from .progress import Progress
from .progress import enabled as progress_enabled
from .recording.hub import hub_for


def _mix_seed(*parts: int) -> int:
    h = hashlib.blake2b(digest_size=8)
    for p in parts:
        h.update(int(p).to_bytes(8, "little", signed=False))
    return int.from_bytes(h.digest(), "little")


def build_network(state) -> ir.Network:
    """The IR for the current network (cheap: arrays are shared, not copied)."""
    pops = []
    for k, pop in enumerate(state.populations):
        rec = pop.recorder
        spike_idx = rec.recorded_indices("spikes")
        mask = None
        if len(spike_idx):
            mask = np.zeros(pop.size, dtype=bool)
            mask[spike_idx] = True
        origin = state.to_steps(rec.recording_start_ms())
        samples = tuple(
            ir.SampleRequest(name, rec.recorded_indices(name), rec.interval_steps, origin)
            for name in rec.recorded_names() if name != "spikes")
        seed = pop.additional_parameters.get("seed")
        seed = _mix_seed(state.seed, k, state.segment_counter) if seed is None else \
            _mix_seed(int(seed), state.segment_counter)
        pops.append(ir.PopulationIR(
            index=k, label=pop.label, model=pop._spec, size=pop.size,
            parameters=pop._params, params_version=pop._params_version, state=pop._state,
            record_spikes=mask, samples=samples, seed=seed,
            placement=pop._placement, max_atoms_per_core=pop._max_atoms_per_core))
    index = {id(p): k for k, p in enumerate(state.populations)}
    prjs = []
    owners = []             # ProjectionIR index -> Projection (for plastic weights)
    for prj in state.projections:
        parts = prj._ir_parts(index, len(prjs))
        prjs.extend(parts)
        owners.extend([prj] * len(parts))
    state.ir_owners = owners
    sources = []
    for k, src in enumerate(state.current_sources):
        seed = src._seed
        seed = _mix_seed(state.seed, 1 << 32, k, state.segment_counter) if seed is None else \
            _mix_seed(int(seed), state.segment_counter)
        sources.append(ir.CurrentSourceIR(
            index=k, label=type(src).__name__, model=src.spinnframe_spec,
            parameters={n: np.array([v], dtype=object if not isinstance(v, float) else float)
                        for n, v in src._params.items()},
            params_version=src._version, state=src._state, targets=tuple(src.targets()),
            record=src._recording, seed=seed))
    return ir.Network(dt=state.dt, min_delay=state.min_delay, max_delay=state.max_delay,
                      threads=state.threads, seed=state.seed, segment=state.segment_counter,
                      structure_version=state.structure_version, populations=tuple(pops),
                      projections=tuple(prjs), current_sources=tuple(sources),
                      options=dict(state.options))


class _Sink:
    """Where the backend delivers data while it runs (the DataSink of backend.py).

    Spikes and samples go to the simulation's recorders through the recording hub (the
    bundled neo recorder among them keeps them in memory for get_data(), unless
    setup(keep_in_memory=False)); plastic weights go to their projections, recorded
    currents to their current sources. ``progress`` marks the end of a chunk: the
    recorders are told that everything up to that step has been delivered.
    """

    def __init__(self, state, network, progress=None, hub=None, start_step=0):
        self.state = state
        self.network = network
        self.bar = progress
        self.hub = hub if hub is not None else hub_for(state)
        self.start_step = start_step

    def spikes(self, population, steps, indices):
        self.hub.spikes(population, steps, indices)

    def samples(self, population, variable, first_step, interval, indices, values):
        self.hub.samples(population, variable, first_step, interval, indices, values)

    def weights(self, projection, values):
        """Plastic weights of ProjectionIR number ``projection`` (in its order) after a run."""
        part = self.network.projections[projection]
        self.state.ir_owners[projection]._update_weights(part.connection_index, values)

    def current(self, source, first_step, values):
        self.state.current_sources[source]._add_record(first_step, values)

    def progress(self, done_steps, total_steps):
        self.hub.flush(self.start_step + done_steps)
        if self.bar is not None:
            self.bar.update(done_steps)


def get_backend(state):
    if state.backend is None:
        spec = get_manager().backend(state.backend_name)
        state.backend = spec.factory(state)
    return state.backend


def run_until(state, tstop: float) -> None:
    state.check("run()", mutating=True)
    target = state.to_steps(tstop)
    n_steps = target - state.step
    if n_steps < 0:
        raise ValueError(f"cannot run until {tstop} ms: the current time is {state.t} ms")
    if n_steps == 0:
        state.running = True
        return
    network = build_network(state)
    backend = get_backend(state)
    hub = hub_for(state)
    start = state.step
    hub.start_run(network, start, n_steps)
    # the sample at the current step (t = 0 after a reset, a variable whose recording
    # just started), where the sampling grid has one and a recorder lacks it
    hub.sample_now(network)
    with state._run_lock:
        state._in_run = True
        try:
            bar = Progress(n_steps, "run", state.dt, "ms",
                           show=progress_enabled(state.options.get("progress")))
            try:
                backend.run(network, start, n_steps,
                            _Sink(state, network, bar, hub, start))
            finally:
                bar.close()
        except EngineError:
            raise
        finally:
            state._in_run = False
    state.t = target * state.dt
    state.running = True
    hub.end_run()
    hub.raise_errors()        # a recorder failed during the run: say so now


def reset(state) -> None:
    state.check("reset()", mutating=True)
    for pop in state.populations:
        pop._state[...] = 0
        for name, values in pop._initial.items():
            pop._state[name] = values
        pop._state_version += 1
        pop.recorder.new_segment()
    for src in state.current_sources:
        src._state[...] = 0
        src._new_segment()
    for prj in state.projections:
        prj._reset_plasticity()
    if state.backend is not None:
        state.backend.reset()
    hub = hub_for(state)
    hub.reset(state.segment_counter, state.t)
    state.t = 0.0
    state.running = False
    state.segment_counter += 1
    hub.raise_errors()
