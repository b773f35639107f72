"""PyNN's standard current sources, each a declaration plus a C kernel beside it.

Timing is PyNN's (what pyNN.nest produces after correcting NEST's device delay): the
current injected during the time step from t to t + dt is the source's value at t; a source
is on for the steps that start at t with start <= t < stop; times are rounded to the
nearest time step (numpy's rint). One amplitude per source and step is computed and added
to every target.
"""
from pathlib import Path

from pyNN import errors
from pyNN.standardmodels import electrodes

from spinnframe import hookimpl
from spinnframe.specs import CurrentSourceSpec, Derived, Parameter, StateVariable

__version__ = "0.1.0"

HERE = Path(__file__).parent
NON_NEGATIVE = dict(low=0.0)


def _window(p_start=0.0, p_stop=1e12):
    return [Parameter("start", "ms", p_start, **NON_NEGATIVE, doc="onset of the current"),
            Parameter("stop", "ms", p_stop, **NON_NEGATIVE, doc="end of the current")]


WINDOW_DERIVED = [Derived("start_step", kind="uint64"), Derived("stop_step", kind="uint64")]


def _check_step_source(params: dict) -> None:
    times = list(params["times"].value)
    amps = list(params["amplitudes"].value)
    if len(times) != len(amps):
        raise errors.InvalidParameterValueError(
            f"StepCurrentSource needs as many amplitudes as times; got {len(times)} times "
            f"and {len(amps)} amplitudes")
    for a, b in zip(times, times[1:]):
        if b <= a:
            raise errors.InvalidParameterValueError(
                f"StepCurrentSource times must be strictly increasing; {b:g} follows {a:g}")


def _round_step_times(params: dict, dt: float) -> dict:
    """Step times on the time grid (numpy's rint of t/dt, as PyNN's sources do); of several
    times that fall on the same step, the last amplitude is kept."""
    from pyNN.parameters import Sequence
    import numpy as np
    times = np.asarray(params["times"].value, dtype=float)
    amps = np.asarray(params["amplitudes"].value, dtype=float)
    steps = np.rint(times / dt)
    keep = np.append(steps[1:] != steps[:-1], True) if len(steps) else np.zeros(0, bool)
    out = dict(params)
    out["times"] = Sequence(steps[keep] * dt)
    out["amplitudes"] = Sequence(amps[keep])
    return out


def _check_noisy(params: dict) -> None:
    from spinnframe.simulator import state
    ratio = params["dt"] / state.dt
    if abs(ratio - round(ratio)) > 1e-6 or round(ratio) < 1:
        raise errors.InvalidParameterValueError(
            f"NoisyCurrentSource dt must be a positive multiple of the simulation time step "
            f"({state.dt:g} ms), got {params['dt']:g}")


DC_SOURCE = CurrentSourceSpec(
    name="DCSource",
    parameters=[Parameter("amplitude", "nA", 1.0, doc="current"), *_window()],
    derived=WINDOW_DERIVED,
    kernel=HERE / "dc_source.c",
    pynn_base=electrodes.DCSource,
)

AC_SOURCE = CurrentSourceSpec(
    name="ACSource",
    parameters=[Parameter("amplitude", "nA", 1.0, doc="sine amplitude"), *_window(),
                Parameter("frequency", "Hz", 10.0, **NON_NEGATIVE),
                Parameter("offset", "nA", 0.0, doc="sine offset"),
                Parameter("phase", "deg", 0.0, doc="phase at t = start")],
    derived=WINDOW_DERIVED,
    kernel=HERE / "ac_source.c",
    pynn_base=electrodes.ACSource,
)

STEP_CURRENT_SOURCE = CurrentSourceSpec(
    name="StepCurrentSource",
    parameters=[Parameter("amplitudes", "nA", [], kind="sequence"),
                Parameter("times", "ms", [], kind="sequence", increasing=True, **NON_NEGATIVE)],
    state=[StateVariable("pos", "", 0, recordable=False, public=False, kind="int"),
           StateVariable("amp", "nA", 0.0, recordable=False, public=False)],
    kernel=HERE / "step_current_source.c",
    pynn_base=electrodes.StepCurrentSource,
    validate=_check_step_source,
    normalize=_round_step_times,
)

NOISY_CURRENT_SOURCE = CurrentSourceSpec(
    name="NoisyCurrentSource",
    parameters=[Parameter("mean", "nA", 0.0), Parameter("stdev", "nA", 1.0, **NON_NEGATIVE),
                *_window(),
                Parameter("dt", "ms", 0.1, low=0.0, low_open=True,
                          doc="interval between new values")],
    derived=WINDOW_DERIVED + [Derived("interval", kind="uint64")],
    state=[StateVariable("rng", "", 0, recordable=False, public=False, kind="uint64"),
           StateVariable("next_step", "", 0, recordable=False, public=False, kind="uint64"),
           StateVariable("value", "nA", 0.0, recordable=False, public=False),
           StateVariable("seeded", "", 0, recordable=False, public=False, kind="int")],
    kernel=HERE / "noisy_current_source.c",
    pynn_base=electrodes.NoisyCurrentSource,
    validate=_check_noisy,
    description=electrodes.NoisyCurrentSource.__doc__ + """
    spinnframe draws one noise sequence per source (from the source's own random stream,
    seeded from ``rng`` if given, else from the simulation seed) and injects the same
    current into every target, as pyNN.neuron does; NEST's noise_generator gives each
    target independent noise.
""",
)


@hookimpl
def spinnframe_current_sources():
    return [DC_SOURCE, AC_SOURCE, STEP_CURRENT_SOURCE, NOISY_CURRENT_SOURCE]
