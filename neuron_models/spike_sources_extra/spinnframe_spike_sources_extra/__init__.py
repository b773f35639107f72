"""Renewal spike sources: SpikeSourcePoissonRefractory, SpikeSourceGamma, SpikeSourceInhGamma.

All three draw their inter-spike intervals exactly, in continuous time, and emit each spike
in the time step it falls in (stamped at the end of that step). Every source has its own
random stream, seeded from the simulation seed (``setup(rng_seed=...)``, or
``additional_parameters={"seed": ...}`` for one population) and its index, so spike trains
do not depend on the number of threads, and ``run(a); run(b)`` gives exactly the spikes of
``run(a + b)``. The shared samplers (Marsaglia-Tsang gamma variates, gamma variates
conditioned on a minimum, the stationary age) are in ``sf_renewal.h``.

The fixed-point build (SpiNNaker's ARM968) advances them in whole steps with 32-bit integer
samplers instead, exact for integer gamma shapes and rounding other shapes to the nearest
integer with the rate kept; ``sf_renewal.h`` says what it computes and how precisely.

See tests/reference/README_spike_sources_extra.md for how they compare with NEST.
"""
from pathlib import Path

import attrs
import numpy as np
from pyNN import errors
from pyNN.standardmodels import cells

from spinnframe import hookimpl
from spinnframe.specs import Derived, NeuronModelSpec, Parameter, StateVariable

__version__ = "0.1.0"

HERE = Path(__file__).parent


def _refractory_rule(params):
    """rate * tau_refrac < 1000: the dead time must be shorter than the mean interval (NEST's
    ppd_sup_generator refuses the same values)."""
    rate = np.asarray(params["rate"], float)
    tau = np.asarray(params["tau_refrac"], float)
    bad = np.flatnonzero(rate * tau >= 1000.0)
    if bad.size:
        i = bad[0]
        raise errors.InvalidParameterValueError(
            f"SpikeSourcePoissonRefractory: tau_refrac must be shorter than the mean interval "
            f"1000/rate ms; got rate={rate.ravel()[i]:g} Hz and tau_refrac={tau.ravel()[i]:g} ms "
            f"(cell index {i})")


def _inh_gamma_rule(params):
    """a, b and tbins must have one value per time bin each."""
    def length(v):
        return np.asarray(getattr(v, "value", v), dtype=float).size
    a, b, tb = (np.asarray(params[k], dtype=object).ravel() for k in ("a", "b", "tbins"))
    for i, (x, y, z) in enumerate(zip(a, b, tb)):
        if not length(x) == length(y) == length(z):
            raise errors.InvalidParameterValueError(
                f"SpikeSourceInhGamma: a, b and tbins must have the same length (one value per "
                f"time bin); got {length(x)}, {length(y)} and {length(z)} (cell index {i})")


def _rules(rule):
    """Cross-parameter checks, for a core whose NeuronModelSpec takes ``validate``."""
    if "validate" in attrs.fields_dict(NeuronModelSpec):
        return {"validate": rule}
    return {}


def _start_duration():
    return [
        Parameter("start", "ms", 0.0, low=0.0, doc="time from which the source may fire"),
        Parameter("duration", "ms", 1e10, low=0.0,
                  doc="how long it fires: no spike at or after start + duration"),
    ]


def _fixed_window():
    """Derived constants of the fixed-point (SpiNNaker) build only, which works in steps."""
    return [
        Derived("start_step", kind="uint64", doc="first step that may emit a spike (fixed point)"),
        Derived("stop_step", kind="uint64", doc="first step that emits none any more (fixed point)"),
    ]


def _erlang_state():
    """State of the fixed-point build's Erlang process (sf_renewal.h)."""
    return [
        StateVariable("phase", "", 0, recordable=False, public=False, kind="int",
                      doc="fixed point: phase events since the last spike (-1: not started)"),
        StateVariable("age", "", 0, recordable=False, public=False, kind="int",
                      doc="fixed point: steps since the last spike"),
    ]


def _erlang_rates(where):
    """Shape and phase-event rate of the fixed-point build's Erlang process."""
    return [
        where("shape", kind="int", doc="fixed point: the shape rounded to an integer >= 1"),
        where("events", kind="uint64", doc="fixed point: phase events per step, in 2^-32"),
        where("silence", kind="uint64",
              doc="fixed point: exp(-events per step) in 2^-32, the chance of none in a step"),
    ]


def _rng_state():
    return [
        StateVariable("rng", "", 0, recordable=False, public=False, kind="uint64",
                      doc="random stream state"),
        StateVariable("next_t", "ms", 0.0, recordable=False, public=False,
                      doc="time of the next spike"),
        StateVariable("t_last", "ms", 0.0, recordable=False, public=False,
                      doc="time of the last spike (for the gamma sources possibly a virtual "
                          "one before the start, drawn from the stationary age)"),
    ]


SPIKE_SOURCE_POISSON_REFRACTORY = NeuronModelSpec(
    name="SpikeSourcePoissonRefractory",
    parameters=[
        Parameter("rate", "Hz", 1.0, low=0.0, doc="mean firing rate, dead time included"),
        Parameter("tau_refrac", "ms", 0.0, low=0.0, doc="dead time after each spike"),
        *_start_duration(),
    ],
    state=[
        *_rng_state(),
        StateVariable("seeded", "", 0, recordable=False, public=False, kind="int"),
        StateVariable("refrac", "", 0, recordable=False, public=False, kind="int",
                      doc="fixed point: dead steps left"),
    ],
    derived=[
        Derived("mean_exp", doc="mean of the exponential part of an interval, ms"),
        Derived("dead", kind="int", doc="fixed point: tau_refrac in whole steps, rounded up"),
        Derived("fire", kind="uint64",
                doc="fixed point: chance of a spike in a live step, in 2^-32 (dead > 0)"),
        Derived("silence", kind="uint64",
                doc="fixed point: exp(-rate dt) in 2^-32, the chance of none in a step "
                    "(dead = 0)"),
        *_fixed_window(),
    ],
    kernel=HERE / "spike_source_poisson_refractory.c",
    pynn_base=cells.SpikeSourcePoissonRefractory,
    is_source=True,
    **_rules(_refractory_rule),
    description="""SpikeSourcePoissonRefractory: a Poisson process with dead time.

Each inter-spike interval is ``tau_refrac`` plus an exponential interval of mean
``1000/rate - tau_refrac`` ms, so the mean rate is ``rate`` (Hz) and the CV of the intervals
is ``1 - rate*tau_refrac/1000`` (NEST's ppd_sup_generator, which pyNN.nest uses, has the
same definition). Before its first spike the source is not refractory. ``rate * tau_refrac``
must be below 1000, as in NEST (checked when a population is made or set; the kernel, should
it get such values, fires regularly every ``tau_refrac``).
Spikes fall in [start, start + duration). Changing parameters between runs takes effect
from the current time; the dead time after the last spike still applies.
""",
)

SPIKE_SOURCE_GAMMA = NeuronModelSpec(
    name="SpikeSourceGamma",
    parameters=[
        Parameter("alpha", "dimensionless", 2.0, low=0.0, low_open=True,
                  doc="shape of the gamma distribution of the intervals"),
        Parameter("beta", "Hz", 1.0, low=0.0,
                  doc="rate parameter of the gamma distribution (mean interval alpha/beta)"),
        *_start_duration(),
    ],
    state=[
        *_rng_state(),
        StateVariable("t_begin", "ms", 0.0, recordable=False, public=False,
                      doc="when the process (re)started"),
        StateVariable("seeded", "", 0, recordable=False, public=False, kind="int"),
        *_erlang_state(),
    ],
    derived=[Derived("scale", doc="1/beta in ms"), *_erlang_rates(Derived), *_fixed_window()],
    kernel=HERE / "spike_source_gamma.c",
    pynn_base=cells.SpikeSourceGamma,
    is_source=True,
    description="""SpikeSourceGamma: a gamma renewal process.

Inter-spike intervals are gamma distributed with shape ``alpha`` and rate ``beta`` (Hz): mean
``alpha/beta`` s, CV ``1/sqrt(alpha)``; rate ``beta/alpha``. Any ``alpha > 0`` is allowed
(NEST's gamma_sup_generator, which pyNN.nest uses, takes integers only). The process is
stationary from ``start`` on: its age at ``start`` is drawn from the equilibrium
distribution, so the expected rate is ``beta/alpha`` right from the start (NEST instead
starts every process in its last phase: its first spike comes after a mean 1/beta).
Spikes fall in [start, start + duration). Changing parameters between runs: the interval in
progress continues under the new parameters from its current age.
""",
)

SPIKE_SOURCE_INH_GAMMA = NeuronModelSpec(
    name="SpikeSourceInhGamma",
    parameters=[
        Parameter("a", "dimensionless", [1.0], low=0.0, low_open=True, kind="sequence",
                  doc="gamma shape in each time bin"),
        Parameter("b", "s", [1.0], low=0.0, low_open=True, kind="sequence",
                  doc="gamma scale in each time bin, seconds (rate 1/(a*b) Hz)"),
        Parameter("tbins", "ms", [0.0], low=0.0, kind="sequence", increasing=True,
                  doc="start of each time bin, sorted"),
        *_start_duration(),
    ],
    state=[
        *_rng_state(),
        StateVariable("t_begin", "ms", 0.0, recordable=False, public=False,
                      doc="when the process (re)started"),
        StateVariable("bin", "", 0, recordable=False, public=False, kind="int",
                      doc="time bin of next_t"),
        StateVariable("seeded", "", 0, recordable=False, public=False, kind="int"),
        *_erlang_state(),
        *_erlang_rates(lambda name, **kw: StateVariable(name, "", 0, recordable=False,
                                                         public=False, **kw)),
    ],
    derived=_fixed_window(),
    kernel=HERE / "spike_source_inh_gamma.c",
    pynn_base=cells.SpikeSourceInhGamma,
    is_source=True,
    **_rules(_inh_gamma_rule),
    description="""SpikeSourceInhGamma: an inhomogeneous gamma renewal process.

In time bin k (from ``tbins[k]`` ms to ``tbins[k+1]``; the last bin lasts for ever) the
hazard of the process, at age x since the last spike, is that of a gamma distribution with
shape ``a[k]`` and scale ``b[k]`` seconds (Muller et al. 2007; NEST 2's
inh_gamma_generator). With constant parameters it is a gamma renewal process of rate
``1/(a*b)`` Hz and ISI CV ``1/sqrt(a)``. Spikes are sampled exactly (no thinning, so
``a < 1`` works too). No spikes before ``tbins[0]`` or ``start``; the process starts there in
its stationary state, like SpikeSourceGamma, and no spike falls at or after
``start + duration``. ``a``, ``b`` and ``tbins`` must have the same length (checked when a
population is made or set; the kernel uses the common length). ``tbins`` must be sorted;
``a`` and ``b`` need not be. NEST 3 has no inh_gamma_generator, so pyNN.nest cannot run
this model.
""",
)


@hookimpl
def spinnframe_neuron_models():
    return [SPIKE_SOURCE_POISSON_REFRACTORY, SPIKE_SOURCE_GAMMA, SPIKE_SOURCE_INH_GAMMA]
