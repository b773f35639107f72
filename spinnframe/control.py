"""setup / run / reset / end and the state queries of the PyNN API."""
from __future__ import annotations

import math
import os
import numbers
import warnings

from pyNN.common import control as pynn_control

from . import simulator
from .recording.hub import RecorderWarning, RecordingHub, hub_for, parse_selection
from .simulator import state

#: setup() keywords other simulators accept that spinnframe accepts and ignores.
#: (t_flush: pyNN.nest's work-around for its inexact reset(); spinnframe's reset is exact.)
_IGNORED = {"spike_precision": ("on_grid",), "verbosity": None, "debug": None,
            "database_name": None, "n_chips_required": None, "n_boards_required": None,
            "time_scale_factor": None, "t_flush": None}
_OWN = ("threads", "rng_seed", "seed", "backend", "cache_dir", "numerics", "progress",
        "recorders", "keep_in_memory")


#: Largest seed: engine random streams are seeded from 64-bit values.
_MAX_SEED = 2 ** 64 - 1
#: Largest thread count accepted (a sanity bound; the engine takes a uint32).
_MAX_THREADS = 2 ** 16


def _number(name, value, allow_auto=False, allowed="a positive number of ms"):
    if allow_auto and isinstance(value, str) and value == "auto":
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        allowed = allowed + (" or 'auto'" if allow_auto else "")
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return float(value)


def setup(timestep=pynn_control.DEFAULT_TIMESTEP, min_delay="auto", max_delay="auto",
          **extra_params):
    """Start a new simulation (discarding any previous network).

    timestep, min_delay, max_delay: ms. min_delay 'auto' lets delays go down to one time
    step, and get_min_delay() then reports the smallest delay of the connections made (as
    NEST and Brian 2 do); max_delay 'auto' means no upper bound. Extra keywords:
    ``threads`` (engine threads, default 1), ``rng_seed`` (seed for spike sources and
    connectors given no RNG, default 1), ``backend`` (default ``"host"``, the native
    engine), ``cache_dir`` (where compiled kernels are kept), ``progress`` (show a
    progress line for long runs and long ``Projection()`` calls: True/False; default: on
    a terminal), ``recorders``
    (recorder plugins that receive the recorded data while the simulation runs: a name,
    a list of names, or ``{name: {option: value}}``; see also :func:`add_recorder`),
    ``keep_in_memory`` (default True: keep recorded data in memory for get_data() and
    write_data(); False: hand it only to the recorders, so that memory use does not grow
    with the length of the run). Returns the MPI rank (always 0).
    """
    dt = _number("timestep", timestep)
    if dt <= 0:
        raise ValueError(f"timestep must be > 0 ms, got {timestep}")
    mind = _number("min_delay", min_delay, allow_auto=True)
    maxd = _number("max_delay", max_delay, allow_auto=True)
    min_delay_auto = mind is None
    mind = dt if mind is None else mind
    if mind < dt * (1 - 1e-9):
        raise ValueError(f"min_delay ({mind:g} ms) must be at least the timestep ({dt:g} ms)")
    if maxd is not None and maxd < mind * (1 - 1e-9):
        raise ValueError(f"max_delay ({maxd:g} ms) must be at least min_delay ({mind:g} ms)")
    for bad in ("mindelay", "maxdelay", "dt", "time_step"):
        if bad in extra_params:
            raise ValueError(f"{bad} is not a valid argument for setup(); use timestep, "
                             f"min_delay and max_delay")
    threads = extra_params.pop("threads", 1)
    if isinstance(threads, bool) or not isinstance(threads, numbers.Integral) or \
            not 1 <= threads <= _MAX_THREADS:
        raise ValueError(f"threads must be an integer from 1 to {_MAX_THREADS}, got {threads!r}")
    seed = extra_params.pop("rng_seed", extra_params.pop("seed", 1))
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or \
            not 0 <= seed <= _MAX_SEED:
        raise ValueError(f"rng_seed must be an integer from 0 to 2**64 - 1, got {seed!r}")
    backend = extra_params.pop("backend", None) or os.environ.get("SPINNFRAME_BACKEND") or "host"
    if not isinstance(backend, str):
        raise ValueError(f"backend must be a backend name such as 'host', got {backend!r}")
    options = {}
    # a keyword named after an installed backend carries that backend's options, e.g.
    # setup(backend="spinnaker", spinnaker={"virtual_board": True})
    backend_keywords = [k for k in list(extra_params) if k not in _IGNORED and k not in _OWN]
    if backend_keywords:
        from .plugins import get_manager
        mgr = get_manager()
        mgr.load()
        for name in backend_keywords:
            if name in mgr.backends:
                value = extra_params.pop(name)
                if not isinstance(value, dict):
                    raise ValueError(f"setup(): {name}= takes a dict of options for the "
                                     f"{name!r} backend, got {value!r}")
                options[name] = dict(value)
    if "cache_dir" in extra_params:
        options["cache_dir"] = str(extra_params.pop("cache_dir"))
    if "numerics" in extra_params:
        numerics = extra_params.pop("numerics")
        if numerics not in ("double", "fixed", "s16.15"):
            raise ValueError(f"numerics must be 'double' (the default) or 'fixed' "
                             f"(SpiNNaker's s16.15 resolution), got {numerics!r}")
        options["numerics"] = numerics
    if "progress" in extra_params:
        options["progress"] = extra_params.pop("progress")
    keep_in_memory = extra_params.pop("keep_in_memory", True)
    if not isinstance(keep_in_memory, bool):
        raise ValueError(f"keep_in_memory must be True or False, got {keep_in_memory!r}")
    selected = parse_selection(extra_params.pop("recorders", None))
    for name, value in list(extra_params.items()):
        allowed = _IGNORED.get(name, False)
        if allowed is False:
            warnings.warn(f"setup(): {name}={value!r} is not used by spinnframe (it uses: "
                          f"timestep, min_delay, max_delay, {', '.join(_OWN)})", stacklevel=2)
        elif allowed is not None and value not in allowed:
            raise ValueError(f"setup(): {name}={value!r} is not supported; spinnframe "
                             f"supports {name} in {allowed}")
    if selected:                # unknown recorder names: before anything is changed
        from .plugins import get_manager
        for name, _ in selected:
            if name != "neo":
                get_manager().recorder(name)
    if state.phase == "setup":
        _shutdown(write=False)
    state.clear()
    state.generation += 1
    state.phase = "setup"
    state.dt = dt
    state.min_delay = mind
    state.min_delay_auto = min_delay_auto
    state.max_delay_setting = maxd
    state.threads = int(threads)
    state.seed = int(seed)
    state.backend_name = backend
    state.options = options
    state.recording = RecordingHub(state, keep_in_memory=keep_in_memory)
    try:
        for name, opts in selected:
            state.recording.add(name, opts)
    except BaseException:      # a recorder refused its options: no simulation was set up
        state.recording.close()
        state.phase = "new"
        raise
    from . import runner       # noqa: F401  every simulation runs; load it now, not in run()
    return 0


def add_recorder(recorder, **options):
    """Send the recorded data of this simulation to a recorder as well, from the next run
    on: ``recorder`` is the name of an installed recorder plugin (``spinnframe plugins``
    lists them), built with ``options``, or an object with the methods of
    :class:`spinnframe.recording.DataRecorder`. Returns the recorder object.
    (``setup(recorders={name: options})`` does the same from the start.)"""
    state.check("add_recorder()", mutating=True)
    return hub_for(state).add(recorder, options)


def _shutdown(write: bool) -> None:
    failures = []
    try:
        if write:
            for population, variables, filename in state.write_on_end:
                try:     # one failing file must not stop the others from being written
                    population.write_data(filename, variables)
                except Exception as exc:
                    failures.append(f"{getattr(filename, 'filename', filename)} "
                                    f"({population.label}): {type(exc).__name__}: {exc}")
    finally:
        # release the engine but keep the network: after end() its objects can still be
        # read (recorded data, values); setup() forgets it
        state.write_on_end = []
        backend, state.backend = state.backend, None
        try:
            if backend is not None:
                backend.end()
        finally:
            hub = getattr(state, "recording", None)
            if hub is not None:
                hub.close()
    if failures:
        raise OSError("end() could not write the recorded data to: " + "; ".join(failures))
    if hub is not None:
        if write:
            hub.raise_errors()
        elif hub.errors:        # setup() replacing a simulation: report, do not stop it
            errors, hub.errors, hub.first_error = hub.errors, [], None
            warnings.warn("; ".join(errors), RecorderWarning, stacklevel=3)


def end(compatible_output=True):
    """Write the files requested with record(to_file=...), release the engine, and end
    the simulation. Afterwards the objects of this simulation can still be read (recorded
    data with get_data(), parameter, initial and current values, as PyNN defines: end()
    does not erase the recorded data); any other call except setup() raises
    SimulatorShutdownException."""
    state.check("end()", mutating=True)
    try:
        _shutdown(write=True)
    finally:
        state.phase = "ended"


_pynn_run, _pynn_run_until = pynn_control.build_run(simulator)
_pynn_reset = pynn_control.build_reset(simulator)


def run(simtime, callbacks=None):
    """Advance the simulation by ``simtime`` ms (see PyNN's run())."""
    state.check("run()", mutating=True)
    _number("simtime", simtime, allowed="a finite number of ms (>= 0)")
    if simtime < 0:
        raise ValueError(f"simtime must be >= 0 ms, got {simtime}")
    return _pynn_run(simtime, callbacks)


run.__doc__ = _pynn_run.__doc__
run_for = run


def run_until(time_point, callbacks=None):
    state.check("run_until()", mutating=True)
    _number("time_point", time_point, allowed="a finite time in ms")
    if time_point - state.t < -state.dt / 2.0:
        raise ValueError(f"run_until({time_point:g}): that time is in the past; the current "
                         f"time is {state.t:g} ms (use reset() to go back to 0)")
    return _pynn_run_until(time_point, callbacks)


run_until.__doc__ = _pynn_run_until.__doc__


def reset(annotations=None):
    """Back to t = 0: state variables to their initial values, a new Segment for recorded
    data. Network structure, parameters and recording requests are kept."""
    state.check("reset()", mutating=True)
    hub_for(state).pending_annotations = dict(annotations or {})
    return _pynn_reset(annotations or {})


def _query(name, getter):
    def query():
        state.check(f"{name}()")
        return getter()
    query.__name__ = name
    return query


get_current_time = _query("get_current_time", lambda: state.t)
get_current_time.__doc__ = "Current simulation time, ms."
get_time_step = _query("get_time_step", lambda: state.dt)
get_time_step.__doc__ = "Integration time step, ms."
get_min_delay = _query("get_min_delay", lambda: state.effective_min_delay())
get_min_delay.__doc__ = ("Minimum synaptic delay, ms (with setup(min_delay='auto'): the "
                         "smallest delay of the connections made so far).")
get_max_delay = _query("get_max_delay", lambda: state.max_delay)
get_max_delay.__doc__ = "Maximum synaptic delay, ms ('auto': the largest delay so far)."
num_processes = _query("num_processes", lambda: state.num_processes)
num_processes.__doc__ = "Number of MPI processes (always 1)."
rank = _query("rank", lambda: state.mpi_rank)
rank.__doc__ = "MPI rank of this process (always 0)."
