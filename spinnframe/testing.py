"""Testing helpers for plugin authors: pytest fixtures and a reference comparison.

This module is a pytest plugin, registered through the ``pytest11`` entry point of the
``spinnframe`` distribution, so wherever spinnframe is installed its fixtures are available
to every test without an import or a conftest.py (``pytest -p no:spinnframe`` turns it off):

``spinnframe_sim``
    ``spinnframe.pyNN``, set up before the test (``timestep=0.1``) and ended after it, even
    when the test fails. Give other ``setup()`` arguments with a marker::

        @pytest.mark.spinnframe_setup(timestep=0.01, min_delay=0.1)
        def test_fine_steps(spinnframe_sim):
            sim = spinnframe_sim
            ...

``spinnframe_plugins``
    the loaded :class:`spinnframe.plugins.PluginManager`: ``spinnframe_plugins.neuron_models``,
    ``spinnframe_plugins.provider("neuron_model", "MyModel")``, ...

:func:`compare_with_reference` runs one model in a small network with a given input
(:class:`Drive`: an injected step/DC current and timed input spikes per receptor),
records its variables, runs the author's own implementation of the same equations on
exactly the input the neuron received (:class:`Inputs`), and fails with a message that
says which variable differs, by how much, when, and which input came just before::

    from spinnframe.testing import Drive, compare_with_reference

    def reference(inputs):            # the model's equations, written independently
        ...
        return {"v": v, "spikes": spike_times}

    def test_matches_reference():
        compare_with_reference(
            "MyModel", {"tau_m": 10.0},
            Drive(duration=200.0, current=[(20.0, 0.5), (150.0, 0.0)],
                  spikes={"excitatory": [(50.0, 0.4)], "inhibitory": [(80.0, -0.4)]}),
            reference, tolerance=1e-9)

Importing this module is cheap (it does not import spinnframe.pyNN, numpy or neo until a
fixture or function is used), since pytest imports it at start-up.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

__all__ = ["Drive", "Inputs", "Comparison", "ReferenceMismatch", "compare_with_reference"]


class ReferenceMismatch(AssertionError):
    """The simulated model and the reference implementation disagree (an AssertionError,
    so pytest reports it as a test failure with the full message)."""


@dataclass(frozen=True)
class Drive:
    """What :func:`compare_with_reference` feeds the model.

    duration:  ms of simulated time.
    current:   an injected current as steps ``[(time_ms, amplitude_nA), ...]``: from each
               time on, the amplitude holds until the next step (0 before the first), like
               ``sim.StepCurrentSource``. A DC current from 0 is ``[(0.0, amplitude)]``; a
               pulse is ``[(start, amplitude), (stop, 0.0)]``. Times are rounded to the
               nearest time step. Empty: no current source (the model's own parameters,
               e.g. ``i_offset``, still apply). Needs the current-sources plugin.
    spikes:    input spikes per receptor type: ``{"excitatory": [(time_ms, weight), ...]}``.
               Each spike leaves a SpikeSourceArray at ``time`` (a time off the grid is
               moved up to the next grid point, as SpikeSourceArray does) and arrives
               ``delay`` later. Weights are as in a Projection (nA for current-based
               receptors, inhibitory ones negative; uS for conductance-based ones).
    delay:     synaptic delay of the input spikes, ms (None: one time step).
    """

    duration: float = 100.0
    current: Sequence[tuple[float, float]] = ()
    spikes: Mapping[str, Sequence[tuple[float, float]]] = field(default_factory=dict)
    delay: float | None = None

    @classmethod
    def dc(cls, amplitude: float, start: float = 0.0, stop: float | None = None,
           duration: float = 100.0, **kwargs) -> "Drive":
        """A constant current ``amplitude`` (nA) from ``start`` to ``stop`` (ms)."""
        steps = [(start, amplitude)] + ([] if stop is None else [(stop, 0.0)])
        return cls(duration=duration, current=steps, **kwargs)


@dataclass(frozen=True)
class Inputs:
    """Everything one neuron received, as the reference implementation needs it.

    Step ``m`` runs from ``m * dt`` to ``(m + 1) * dt``; the reference returns values at
    the ``n_steps + 1`` sample times ``t`` (``t[0] = 0``, the initial values).

    i_inj:   (n_steps,) current injected by the drive during step m, nA (the model's own
             parameters, such as ``i_offset``, are not included: read them from ``params``).
    syn:     receptor -> (n_steps,) summed weight of the spikes arriving at the end of
             step m, i.e. at t = (m + 1) * dt (the kernel sees it as ``in->syn[r]``).
    spikes:  receptor -> [(arrival_time_ms, weight), ...], the same spikes as events.
    params:  every parameter of this neuron (declared defaults filled in).
    initial: the initial value of every public state variable.
    index:   which neuron (position in the ``params`` list given to compare_with_reference).
    """

    dt: float
    n_steps: int
    t: Any
    i_inj: Any
    syn: dict
    spikes: dict
    params: dict
    initial: dict
    index: int = 0


@dataclass
class Comparison:
    """What :func:`compare_with_reference` ran and found (also returned when it passes,
    e.g. for plotting). ``simulated[var]`` and ``reference[var]`` are (samples x neurons)
    arrays at times ``t``; ``max_error[var]`` the largest absolute difference;
    ``spikes_simulated`` / ``spikes_reference`` one array of spike times per neuron;
    ``problems`` the failure messages (empty if everything agrees)."""

    model: str
    t: Any
    inputs: list
    simulated: dict
    reference: dict
    spikes_simulated: list
    spikes_reference: list
    max_error: dict
    tolerance: dict
    problems: list

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        lines = [f"{self.model} vs reference over {len(self.t) - 1} steps of "
                 f"{self.inputs[0].dt:g} ms, {len(self.inputs)} neuron(s):"]
        for var, err in self.max_error.items():
            lines.append(f"  {var}: max |simulated - reference| = {err:.3g} "
                         f"(tolerance {self.tolerance[var]:g})")
        if self.spikes_reference is not None:
            lines.append(f"  spikes: {sum(len(s) for s in self.spikes_simulated)} simulated, "
                         f"{sum(len(s) for s in self.spikes_reference)} in the reference")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------
# compare_with_reference
# --------------------------------------------------------------------------------------
def _cell_type(sim, model):
    if isinstance(model, str):
        return getattr(sim, model)
    if isinstance(model, type) and hasattr(model, "spinnframe_spec"):
        return model
    if hasattr(model, "spinnframe_spec"):            # an instance: use its class
        return type(model)
    raise TypeError(f"model must be a cell type name such as 'IF_curr_exp' or a class from "
                    f"spinnframe.pyNN, got {model!r}")


def _step_of_spike(t: float, dt: float) -> int:
    """The grid point a SpikeSourceArray time is moved to (its first one at or after t)."""
    return math.ceil(t / dt - 1e-6)


def _per_step_inputs(spec, drive: Drive, dt: float, n_steps: int):
    """(i_inj, syn, spike events) for the reference, computed from the drive itself."""
    import numpy as np

    i_inj = np.zeros(n_steps)
    for time, amplitude in sorted(drive.current, key=lambda x: x[0]):
        first = max(0, int(np.rint(time / dt)))
        i_inj[first:] = amplitude          # later steps override earlier ones
    d = 1 if drive.delay is None else max(1, int(math.floor(drive.delay / dt + 0.5)))
    syn = {r: np.zeros(n_steps) for r in spec.receptors}
    events = {r: [] for r in spec.receptors}
    for receptor, spikes in drive.spikes.items():
        for time, weight in spikes:
            stamp = _step_of_spike(time, dt)      # emitted at the end of step stamp - 1
            k = stamp - 1 + d                     # arrives at the end of step k
            if k < n_steps:
                syn[receptor][k] += weight
                events[receptor].append(((k + 1) * dt, weight))
    for r in events:
        events[r].sort()
    return i_inj, syn, events


def _check_drive(spec, drive: Drive, dt: float) -> None:
    if not (isinstance(drive.duration, (int, float)) and drive.duration > 0):
        raise ValueError(f"Drive.duration must be a positive number of ms, got "
                         f"{drive.duration!r}")
    unknown = sorted(set(drive.spikes) - set(spec.receptors))
    if unknown:
        raise ValueError(f"Drive.spikes names receptor types {unknown} that {spec.name} does "
                         f"not have; its receptor types: {list(spec.receptors) or 'none'}")
    for receptor, spikes in drive.spikes.items():
        for item in spikes:
            if len(item) != 2:
                raise ValueError(f"Drive.spikes[{receptor!r}] must hold (time_ms, weight) "
                                 f"pairs, got {item!r}")
            if _step_of_spike(item[0], dt) < 1:
                raise ValueError(f"input spike time {item[0]!r} ms: a SpikeSourceArray "
                                 f"cannot emit at t <= 0; use times >= the time step "
                                 f"({dt:g} ms)")
    for item in drive.current:
        if len(item) != 2 or item[0] < 0:
            raise ValueError(f"Drive.current must hold (time_ms >= 0, amplitude_nA) pairs, "
                             f"got {item!r}")


def _run(sim, cls, param_sets, drive, variables, initial_values, dt):
    """Build and run the small network; (samples per variable, spike times per neuron)."""
    import numpy as np

    spec = cls.spinnframe_spec
    n = len(param_sets)
    names = sorted(set().union(*param_sets))
    if n == 1:
        values = dict(param_sets[0])
    else:
        values = {k: [ps.get(k, cls.default_parameters[k]) for ps in param_sets]
                  for k in names}
    cells = sim.Population(n, cls(**values), initial_values=dict(initial_values or {}),
                           label=f"{spec.name} under test")
    delay = dt if drive.delay is None else drive.delay
    for receptor, spikes in drive.spikes.items():
        if not spikes:
            continue
        times = [sim.Sequence([float(t)]) for t, _ in spikes]     # one source per spike
        src = sim.Population(len(spikes), sim.SpikeSourceArray(
            spike_times=times if len(times) > 1 else times[0]), label=f"{receptor} input")
        conns = [(i, j, float(w), delay) for i, (_, w) in enumerate(spikes) for j in range(n)]
        sim.Projection(src, cells, sim.FromListConnector(conns, column_names=["weight",
                                                                              "delay"]),
                       sim.StaticSynapse(), receptor_type=receptor)
    if drive.current:
        try:
            step_source = sim.StepCurrentSource
        except AttributeError:
            raise RuntimeError(
                "Drive.current needs the current-sources plugin (StepCurrentSource), which "
                "is not installed: install spinnframe-current-sources, or drive the model "
                "through its parameters (e.g. i_offset) instead") from None
        steps = sorted(drive.current, key=lambda x: x[0])
        # StepCurrentSource times must increase strictly: of several steps at one time
        # step, the last counts (as in the reference inputs)
        by_step = {}
        for t, a in steps:
            by_step[int(np.rint(t / dt))] = (t, a)
        steps = [by_step[k] for k in sorted(by_step)]
        source = step_source(times=[float(t) for t, _ in steps],
                             amplitudes=[float(a) for _, a in steps])
        source.inject_into(cells)
    cells.record(["spikes"] + list(variables))
    sim.run(drive.duration)
    segment = cells.get_data().segments[-1]
    samples = {}
    for var in variables:
        signal = segment.filter(name=var)[0]
        order = np.argsort(np.asarray(signal.array_annotations["channel_index"]))
        samples[var] = np.asarray(signal.magnitude)[:, order]
    spikes = [np.zeros(0)] * n
    for st in segment.spiketrains:
        spikes[int(st.annotations["source_index"])] = np.asarray(st.rescale("ms").magnitude)
    return samples, spikes


def _first_input_before(inp: Inputs, t: float) -> str:
    """The last change of input at or before time t, as a person reads it."""
    import numpy as np

    notes = []
    dt = inp.dt
    m = min(int(math.floor(t / dt + 1e-9)), inp.n_steps) - 1
    if m >= 0 and len(inp.i_inj):
        changes = np.flatnonzero(np.diff(np.r_[0.0, inp.i_inj[:m + 1]]))
        if len(changes):
            c = changes[-1]
            notes.append(f"injected current became {inp.i_inj[c]:g} nA at {c * dt:g} ms")
    for r, events in inp.spikes.items():
        before = [(ta, w) for ta, w in events if ta <= t + 1e-9]
        if before:
            ta, w = before[-1]
            notes.append(f"last {r} input arrived at {ta:g} ms (weight {w:g})")
    return "; ".join(notes) if notes else "no input before it"


def _fmt_times(times, limit: int = 8) -> str:
    items = [f"{x:g}" for x in times[:limit]]
    return "[" + ", ".join(items) + (", ..." if len(times) > limit else "") + "]"


def compare_with_reference(model, params: Mapping | Sequence[Mapping] | None,
                           drive: Drive | None, reference_fn: Callable[[Inputs], Mapping],
                           tolerance: float | Mapping[str, float], *,
                           variables: Sequence[str] | None = None, timestep: float = 0.1,
                           initial_values: Mapping | None = None,
                           spike_tolerance: float | None = None,
                           setup_options: Mapping | None = None,
                           check: bool = True) -> Comparison:
    """Run ``model`` and the author's ``reference_fn`` on the same input; assert they agree.

    model:         the cell type, by name (``"MyModel"``) or as ``sim.MyModel``.
    params:        parameters of the neuron (others take their declared defaults), or a
                   list of such dicts: one neuron each, all given the same drive (a cheap
                   way to cover several parameter regimes in one run).
    drive:         the input, a :class:`Drive` (None: no input for 100 ms).
    reference_fn:  ``reference_fn(inputs: Inputs) -> {variable: values, "spikes": times}``,
                   called once per neuron. Each variable's values are the ``n_steps + 1``
                   values at ``inputs.t`` (the first is the initial value); "spikes", if
                   returned, lists spike times in ms (a spike in step m is at (m + 1) dt).
    tolerance:     largest allowed absolute difference, in the variable's unit: one number
                   for every variable, or ``{variable: tolerance}``.
    variables:     which recordable variables to compare (default: those named in a
                   ``tolerance`` dict, else every variable the reference returns).
    timestep:      the simulation time step, ms.
    initial_values: initial state values, as ``Population(initial_values=...)``.
    spike_tolerance: how far spike times may differ, ms (default: half a time step, i.e.
                   the same step).
    setup_options: other ``sim.setup()`` keywords (e.g. ``{"cache_dir": ...}``).
    check:         False: return the :class:`Comparison` without raising.

    The simulation is set up and ended here (``sim.setup(timestep=...)`` ... ``sim.end()``),
    so call it outside ``spinnframe_sim`` or any other running simulation. Raises
    :class:`ReferenceMismatch` (an AssertionError) naming, for every variable that
    disagrees, the largest difference, when it happened, the two values there, when the
    difference first exceeded the tolerance and the last input before that, and for spikes
    the first one that differs. Returns the :class:`Comparison`.
    """
    import numpy as np

    import spinnframe.pyNN as sim
    from spinnframe.simulator import state

    drive = Drive() if drive is None else drive
    if params is None or isinstance(params, Mapping):
        param_sets = [dict(params or {})]
    else:
        param_sets = [dict(p) for p in params]
        if not param_sets:
            raise ValueError("params: give a dict of parameters, or a non-empty list of them")
    if state.phase == "setup":
        raise RuntimeError(
            "compare_with_reference() sets up and ends its own simulation, but one is "
            "running (e.g. from the spinnframe_sim fixture): call it from a test that does "
            "not use spinnframe_sim, or call sim.end() first")
    sim.setup(timestep=timestep, **dict(setup_options or {}))
    try:
        cls = _cell_type(sim, model)
        spec = cls.spinnframe_spec
        unknown = sorted(set().union(*param_sets) - {p.name for p in spec.parameters})
        if unknown:
            raise ValueError(f"{spec.name} has no parameters {unknown}; its parameters: "
                             f"{[p.name for p in spec.parameters]}")
        dt = sim.get_time_step()
        _check_drive(spec, drive, dt)
        n_steps = int(math.floor(drive.duration / dt + 0.5))
        i_inj, syn, events = _per_step_inputs(spec, drive, dt, n_steps)
        recordable = [v for v in spec.recordable if v != "spikes"]
        t = np.arange(n_steps + 1) * dt
        inputs = []
        for j, ps in enumerate(param_sets):
            full = {p.name: ps.get(p.name, cls.default_parameters[p.name])
                    for p in spec.parameters}
            initial = {s.name: (full[s.initial] if isinstance(s.initial, str) else s.initial)
                       for s in spec.public_state}
            initial.update(dict(initial_values or {}))
            inputs.append(Inputs(dt=dt, n_steps=n_steps, t=t, i_inj=i_inj.copy(),
                                 syn={r: a.copy() for r, a in syn.items()},
                                 spikes={r: list(e) for r, e in events.items()},
                                 params=full, initial=initial, index=j))
        references = []
        for inp in inputs:
            out = reference_fn(inp)
            if not isinstance(out, Mapping):
                raise TypeError(f"reference_fn must return a dict {{variable: values}}, got "
                                f"{type(out).__name__}")
            references.append(dict(out))
        returned = [k for k in references[0] if k != "spikes"]
        if variables is None:
            variables = list(tolerance) if isinstance(tolerance, Mapping) else returned
        variables = list(variables)
        not_recordable = sorted(set(variables) - set(recordable))
        if not_recordable:
            raise ValueError(f"{spec.name} cannot record {not_recordable}; its recordable "
                             f"variables: {recordable}")
        if not variables and "spikes" not in references[0]:
            raise ValueError("reference_fn returned nothing to compare: return recordable "
                             "variables and/or 'spikes'")
        tol = ({v: float(tolerance) for v in variables} if not isinstance(tolerance, Mapping)
               else dict(tolerance))
        missing_tol = [v for v in variables if v not in tol]
        if missing_tol:
            raise ValueError(f"tolerance gives no value for {missing_tol}")
        samples, spikes = _run(sim, cls, param_sets, drive, variables, initial_values, dt)
    finally:
        if state.phase == "setup":
            sim.end()

    problems = []
    ref_arrays, max_error = {}, {}
    for var in variables:
        cols = []
        for j, ref in enumerate(references):
            if var not in ref:
                raise ValueError(f"reference_fn returned no {var!r} for neuron {j}")
            values = np.asarray(ref[var], dtype=float).ravel()
            if len(values) != n_steps + 1:
                raise ValueError(
                    f"reference_fn returned {len(values)} values of {var!r}; expected "
                    f"{n_steps + 1}: one at each of t = 0, {dt:g}, ..., {n_steps * dt:g} ms "
                    f"(the first is the initial value)")
            cols.append(values)
        ref_arrays[var] = np.stack(cols, axis=1)
        sim_values = samples[var]
        if sim_values.shape != ref_arrays[var].shape:
            raise RuntimeError(f"recorded {var} has shape {sim_values.shape}, expected "
                               f"{ref_arrays[var].shape}")
        diff = np.abs(sim_values - ref_arrays[var])
        diff[np.isnan(diff)] = np.inf
        max_error[var] = float(diff.max()) if diff.size else 0.0
        if max_error[var] > tol[var]:
            step, j = np.unravel_index(int(np.argmax(diff)), diff.shape)
            first_step = int(np.flatnonzero((diff > tol[var]).any(axis=1))[0])
            jf = int(np.flatnonzero(diff[first_step] > tol[var])[0])
            unit = next((s.unit for s in spec.state if s.name == var), "")
            problems.append(
                f"{var}: max |simulated - reference| = {max_error[var]:.3g} {unit} at "
                f"t = {t[step]:g} ms (neuron {j}: simulated {sim_values[step, j]:.12g}, "
                f"reference {ref_arrays[var][step, j]:.12g}); tolerance {tol[var]:g} {unit}. "
                f"It first exceeds the tolerance at t = {t[first_step]:g} ms (neuron {jf}: "
                f"simulated {sim_values[first_step, jf]:.12g}, reference "
                f"{ref_arrays[var][first_step, jf]:.12g}); "
                f"{_first_input_before(inputs[jf], t[first_step])}.")
    spikes_ref = None
    if all("spikes" in r for r in references):
        spikes_ref = [np.sort(np.asarray(r["spikes"], dtype=float).ravel())
                      for r in references]
        s_tol = 0.5 * dt if spike_tolerance is None else spike_tolerance
        for j, (got, want) in enumerate(zip(spikes, spikes_ref)):
            n_common = min(len(got), len(want))
            bad = np.flatnonzero(np.abs(got[:n_common] - want[:n_common]) > s_tol)
            if len(got) != len(want) or len(bad):
                k = int(bad[0]) if len(bad) else n_common
                first = (f"spike {k}: simulated "
                         f"{got[k]:g} ms" if k < len(got) else f"spike {k}: simulated none")
                first += (f", reference {want[k]:g} ms" if k < len(want)
                          else ", reference none")
                problems.append(
                    f"spikes of neuron {j}: {len(got)} simulated {_fmt_times(got)}, "
                    f"{len(want)} in the reference {_fmt_times(want)}; first difference at "
                    f"{first} (tolerance {s_tol:g} ms)")
    result = Comparison(model=spec.name, t=t, inputs=inputs, simulated=samples,
                        reference=ref_arrays, spikes_simulated=spikes,
                        spikes_reference=spikes_ref, max_error=max_error, tolerance=tol,
                        problems=problems)
    if check and problems:
        shown = [{k: v for k, v in ps.items()} for ps in param_sets]
        raise ReferenceMismatch(
            f"{spec.name} does not match the reference implementation "
            f"(dt = {dt:g} ms, {n_steps} steps, parameters {shown if len(shown) > 1 else shown[0]}"
            f"):\n  " + "\n  ".join(problems))
    return result


# --------------------------------------------------------------------------------------
# pytest plugin
# --------------------------------------------------------------------------------------
try:
    import pytest
except ImportError:      # the functions above work without pytest
    pytest = None

if pytest is not None:
    def pytest_configure(config):
        config.addinivalue_line(
            "markers", "spinnframe_setup(**kwargs): keyword arguments for sim.setup() in "
                       "the spinnframe_sim fixture (e.g. timestep=0.01)")

    @pytest.fixture
    def spinnframe_sim(request):
        """``spinnframe.pyNN``, set up for the test and ended after it."""
        import spinnframe.pyNN as sim
        from spinnframe.simulator import state

        marker = request.node.get_closest_marker("spinnframe_setup")
        kwargs = {"timestep": 0.1, **(marker.kwargs if marker else {})}
        sim.setup(**kwargs)
        try:
            yield sim
        finally:
            if state.phase == "setup":
                sim.end()

    @pytest.fixture
    def spinnframe_plugins():
        """The loaded plugin manager (what ``spinnframe plugins`` lists)."""
        from spinnframe.plugins import get_manager

        mgr = get_manager()
        mgr.load()
        return mgr
