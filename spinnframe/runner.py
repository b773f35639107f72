"""Running a simulation: build the IR, drive the backend, route recorded data back."""
from __future__ import annotations

import hashlib

import numpy as np

from . import ir
from .errors import EngineError
from .plugins import get_manager
from .progress import Progress
from .progress import enabled as progress_enabled
from .recording.recorder import SignalChunk


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
        origin = state.to_steps(float(rec._recording_start_time.rescale("ms").magnitude))
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
    """Routes data from the backend to the populations' recorders."""

    def __init__(self, state, network, progress=None):
        self.state = state
        self.network = network
        self.bar = progress

    def spikes(self, population, steps, indices):
        self.state.populations[population].recorder.add_spikes(steps, indices)

    def samples(self, population, variable, first_step, interval, indices, values):
        self.state.populations[population].recorder.add_samples(
            variable, SignalChunk(first_step, interval, np.asarray(indices), values))

    def weights(self, projection, values):
        """Plastic weights of ProjectionIR number ``projection`` (in its order) after a run."""
        part = self.network.projections[projection]
        self.state.ir_owners[projection]._update_weights(part.connection_index, values)

    def current(self, source, first_step, values):
        self.state.current_sources[source]._add_record(first_step, values)

    def progress(self, done_steps, total_steps):
        if self.bar is not None:
            self.bar.update(done_steps)


def _sample_now(state, network: ir.Network) -> None:
    """Take the sample at the current step where the grid has one and nobody took it yet
    (t = 0 after a reset, or right after record() / get_data(clear=True))."""
    step = state.step
    for p_ir in network.populations:
        rec = state.populations[p_ir.index].recorder
        for req in p_ir.samples:
            if (step - req.origin) % req.interval or step < req.origin:
                continue
            if rec.last_sample_step(req.variable) == step or not len(req.indices):
                continue
            values = np.asarray(p_ir.state[req.variable][req.indices], dtype=float)[None, :]
            rec.add_samples(req.variable, SignalChunk(step, req.interval, req.indices, values))


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
    _sample_now(state, network)
    with state._run_lock:
        state._in_run = True
        try:
            bar = Progress(n_steps, "run", state.dt, "ms",
                           show=progress_enabled(state.options.get("progress")))
            try:
                backend.run(network, state.step, n_steps, _Sink(state, network, bar))
            finally:
                bar.close()
        except EngineError:
            raise
        finally:
            state._in_run = False
    state.t = target * state.dt
    state.running = True


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
    state.t = 0.0
    state.running = False
    state.segment_counter += 1
