"""HH_cond_exp and GIF_cond_exp for spinnframe: conductance-based neurons integrated with
adaptive RKF45 (c_src/sf_ode.h), matching NEST's ``hh_cond_exp_traub`` and
``gif_cond_exp``.

Both kernels integrate each time step with the Runge-Kutta-Fehlberg 4(5) pair and GSL's
standard step-size control with NEST's tolerance (absolute 1e-3, relative 0, on every
component), working internally in NEST's units (mV, nS, pF, pA) so that the error test
sees the same numbers as NEST's; the suggested internal step is kept per neuron between
time steps (state ``ode_step``, starting at 0 = "try dt"). Spikes arriving in a step are
added to the conductances at its end; the state recorded at t is the state after the step
ending at t.
"""
from __future__ import annotations

from pathlib import Path

import attrs
import numpy as np
from pyNN.parameters import ArrayParameter
from pyNN.standardmodels import cells

from spinnframe import hookimpl
from spinnframe.specs import Derived, NeuronModelSpec, Parameter, StateVariable

__version__ = "0.1.0"

HERE = Path(__file__).parent
POSITIVE = dict(low=0.0, low_open=True)
NON_NEGATIVE = dict(low=0.0)

# ---------------------------------------------------------------------------------------
# HH_cond_exp
# ---------------------------------------------------------------------------------------
HH_DOC = """HH_cond_exp: single-compartment Hodgkin-Huxley neuron with Traub & Miles (1991)
sodium and potassium channels and exponentially decaying synaptic conductances; NEST's
``hh_cond_exp_traub``.

Equations (v in mV, conductances in uS, cm in nF, currents in nA, times in ms)::

    cm dv/dt = -gbar_Na m^3 h (v - e_rev_Na) - gbar_K n^4 (v - e_rev_K)
               - g_leak (v - e_rev_leak) - gsyn_exc (v - e_rev_E) - gsyn_inh (v - e_rev_I)
               + i_offset + i_inj
    dx/dt = alpha_x(u) (1 - x) - beta_x(u) x        for x in m, h, n;  u = v - v_offset
    alpha_m = 0.32 (13 - u) / (exp((13 - u)/4) - 1)   beta_m = 0.28 (u - 40) / (exp((u - 40)/5) - 1)
    alpha_h = 0.128 exp((17 - u)/18)                  beta_h = 4 / (1 + exp((40 - u)/5))
    alpha_n = 0.032 (15 - u) / (exp((15 - u)/5) - 1)  beta_n = 0.5 exp((10 - u)/40)
    d gsyn_X/dt = -gsyn_X / tau_syn_X,   a spike of weight w (uS) adds w to gsyn_X

Integration: adaptive RKF45 with NEST's error control (absolute 1e-3 per component, in
NEST's units), see the package docstring.

Spikes: there is no reset; as in NEST a spike is emitted at the end of a step if v >=
v_offset + 30 mV and v has fallen during the step (the step after the peak of the action
potential), except within 2 ms (rounded to time steps) after the previous spike: NEST's
default ``t_ref`` of hh_cond_exp_traub, which PyNN does not expose. The dead time affects
only the spike detector, never the dynamics.

State: v, gsyn_exc, gsyn_inh and the gating variables m, h, n are public and recordable;
PyNN's initial values are m = 0, h = 1, n = 0 (not the steady state at the initial v).
The removable singularities of alpha_m, alpha_n, beta_m (where NEST evaluates 0/0) use
their limits. If the integration fails (state not finite or step size underflow, only for
absurd parameters; NEST aborts the simulation) the neuron keeps its last finite state for
that step. PyNN's gap-junction receptor ``source_section.gap`` is not supported.
"""

HH_COND_EXP = NeuronModelSpec(
    name="HH_cond_exp",
    parameters=[
        Parameter("gbar_Na", "uS", 20.0, **NON_NEGATIVE, doc="maximal sodium conductance"),
        Parameter("gbar_K", "uS", 6.0, **NON_NEGATIVE, doc="maximal potassium conductance"),
        Parameter("g_leak", "uS", 0.01, **NON_NEGATIVE, doc="leak conductance"),
        Parameter("cm", "nF", 0.2, **POSITIVE, doc="membrane capacitance"),
        Parameter("v_offset", "mV", -63.0,
                  doc="offset of the gating kinetics (NEST's V_T); spikes are detected "
                      "above v_offset + 30 mV"),
        Parameter("e_rev_Na", "mV", 50.0, doc="sodium reversal potential"),
        Parameter("e_rev_K", "mV", -90.0, doc="potassium reversal potential"),
        Parameter("e_rev_leak", "mV", -65.0, doc="leak reversal potential"),
        Parameter("e_rev_E", "mV", 0.0, doc="excitatory reversal potential"),
        Parameter("e_rev_I", "mV", -80.0, doc="inhibitory reversal potential"),
        Parameter("tau_syn_E", "ms", 0.2, **POSITIVE, doc="excitatory conductance decay time"),
        Parameter("tau_syn_I", "ms", 2.0, **POSITIVE, doc="inhibitory conductance decay time"),
        Parameter("i_offset", "nA", 0.0, doc="constant injected current"),
    ],
    state=[
        StateVariable("v", "mV", -65.0, doc="membrane potential"),
        StateVariable("gsyn_exc", "uS", 0.0, doc="excitatory synaptic conductance"),
        StateVariable("gsyn_inh", "uS", 0.0, doc="inhibitory synaptic conductance"),
        StateVariable("h", "", 1.0, doc="sodium inactivation"),
        StateVariable("m", "", 0.0, doc="sodium activation"),
        StateVariable("n", "", 0.0, doc="potassium activation"),
        StateVariable("refrac", "", 0, recordable=False, public=False, kind="int",
                      doc="time steps of spike-detector dead time left"),
        StateVariable("ode_failures", "", 0, recordable=False, public=False, kind="int",
                      doc="time steps whose integration failed (state kept)"),
        StateVariable("ode_step", "ms", 0.0, recordable=False, public=False,
                      doc="internal step size suggested by the integrator (0: start with dt)"),
    ],
    derived=[
        Derived("g_na", doc="gbar_Na in nS"),
        Derived("g_k", doc="gbar_K in nS"),
        Derived("g_l", doc="g_leak in nS"),
        Derived("c_m", doc="cm in pF"),
        Derived("i_e", doc="i_offset in pA"),
        Derived("refrac_steps", kind="int", doc="spike-detector dead time in time steps"),
    ],
    receptors=("excitatory", "inhibitory"),
    kernel=HERE / "hh_cond_exp.c",
    state_layout="structs",   # its step calls the ODE solver: not vectorised
    pynn_base=cells.HH_cond_exp,
    conductance_based=True,
    description=HH_DOC,
)

# ---------------------------------------------------------------------------------------
# GIF_cond_exp
# ---------------------------------------------------------------------------------------
#: Most components (time constants) each of eta and gamma may have; the kernel keeps this
#: many state variables of each (GIF_MAX_COMPONENTS in gif_cond_exp.c).
MAX_COMPONENTS = 4


class _ArrayDefault(ArrayParameter):
    """An immutable, hashable ArrayParameter, for a declaration's default value: it
    compares equal to PyNN's ArrayParameter default (model declarations are hashed)."""

    def __init__(self, value):
        super().__init__(value)
        self.value.setflags(write=False)

    def __hash__(self):
        return hash(tuple(self.value.tolist()))

    def __iter__(self):
        return iter(self.value.tolist())


@attrs.frozen
class ArrayDeclaration(Parameter):
    """An array parameter (one short array per neuron), stored as a sequence parameter.

    Every element must lie in the declared range, and an array may have at most
    ``max_length`` elements (the kernel has that many state slots).
    """

    max_length: int = MAX_COMPONENTS

    def allowed(self) -> str:
        return f"{super().allowed()}, at most {self.max_length} values"

    def bad_mask(self, values):
        bad = super().bad_mask(values)
        if np.size(values) > self.max_length:    # too long: every element is at fault
            bad = np.ones_like(bad, dtype=bool)
        return bad


def _array(name, unit, default, doc, **bounds):
    return ArrayDeclaration(name, unit, _ArrayDefault(default), kind="sequence", doc=doc,
                            **bounds)


GIF_DOC = f"""GIF_cond_exp: generalized integrate-and-fire neuron with exponential synaptic
conductances, a spike-triggered current eta, a moving threshold gamma and stochastic spike
emission (Mensi et al. 2012; Pozzorini et al. 2015); NEST's ``gif_cond_exp``.

Equations (v in mV, conductances in uS, cm in nF, currents in nA, times in ms)::

    cm dv/dt = -cm/tau_m (v - v_rest) - gsyn_exc (v - e_rev_E) - gsyn_inh (v - e_rev_I)
               - i_eta + i_offset + i_inj
    i_eta = sum_k eta_k,   d eta_k/dt = -eta_k / tau_eta[k]        (a spike adds a_eta[k])
    v_t = v_t_star + sum_k gamma_k,  d gamma_k/dt = -gamma_k / tau_gamma[k]  (adds a_gamma[k])
    hazard  lambda(t) = lambda0 exp((v - v_t) / delta_v)      (lambda0 in Hz)

In each time step the neuron fires with probability 1 - exp(-lambda dt), with lambda from v
at the end of the step and v_t at its start. After a spike v is held at v_reset for
tau_refrac (rounded to steps; the update order is NEST's, see gif_cond_exp.c: v is set to
v_reset from the step after the spike on, so with tau_refrac < dt/2 v is never reset, as in
NEST). i_eta and v_t are outputs, recomputed every step from the components; as in NEST,
initialize() sets only the value reported at t = 0 (default: v_t_star, 0 nA).

Array parameters: tau_eta, a_eta, tau_gamma, a_gamma are arrays of up to {MAX_COMPONENTS}
values (paired by position; give tau_X and a_X the same length), e.g.
``GIF_cond_exp(tau_eta=[1.0, 10.0], a_eta=[0.2, 0.5])``, or one list per neuron. They are
stored as spinnframe sequence parameters, which must be sorted in increasing order: every
array, a_eta and a_gamma included, must be non-decreasing (a limitation of the core, which
has no unsorted array parameter kind yet).

Random numbers: each neuron has its own stream, seeded from the population seed and its
index, so the results do not depend on the number of threads (they differ from NEST's,
which uses another generator: compare statistics). Integration: adaptive RKF45 with NEST's
tolerance (gsl_error_tol = 1e-3, absolute).
"""

GIF_COND_EXP = NeuronModelSpec(
    name="GIF_cond_exp",
    parameters=[
        Parameter("v_rest", "mV", -65.0, doc="resting membrane potential"),
        Parameter("cm", "nF", 1.0, **POSITIVE, doc="membrane capacitance"),
        Parameter("tau_m", "ms", 20.0, **POSITIVE, doc="membrane time constant"),
        Parameter("tau_refrac", "ms", 4.0, **NON_NEGATIVE, doc="refractory period"),
        Parameter("tau_syn_E", "ms", 5.0, **POSITIVE, doc="excitatory conductance decay time"),
        Parameter("tau_syn_I", "ms", 5.0, **POSITIVE, doc="inhibitory conductance decay time"),
        Parameter("e_rev_E", "mV", 0.0, doc="excitatory reversal potential"),
        Parameter("e_rev_I", "mV", -70.0, doc="inhibitory reversal potential"),
        Parameter("v_reset", "mV", -65.0, doc="reset potential after a spike"),
        Parameter("i_offset", "nA", 0.0, doc="constant injected current"),
        Parameter("delta_v", "mV", 0.5, **POSITIVE, doc="threshold sharpness"),
        Parameter("v_t_star", "mV", -48.0, doc="threshold baseline"),
        Parameter("lambda0", "Hz", 1.0, **NON_NEGATIVE, doc="firing intensity at threshold"),
        _array("tau_eta", "ms", [1.0, 10.0, 100.0], **POSITIVE,
               doc="time constants of the spike-triggered current"),
        _array("tau_gamma", "ms", [1.0, 10.0, 100.0], **POSITIVE,
               doc="time constants of the moving threshold"),
        _array("a_eta", "nA", [1.0, 1.0, 1.0], doc="spike-triggered current increments"),
        _array("a_gamma", "mV", [1.0, 1.0, 1.0], doc="threshold increments"),
    ],
    state=[
        StateVariable("v", "mV", -65.0, doc="membrane potential"),
        StateVariable("v_t", "mV", "v_t_star", doc="moving threshold (output)"),
        StateVariable("i_eta", "nA", 0.0, doc="spike-triggered current (output)"),
        StateVariable("gsyn_exc", "uS", 0.0, doc="excitatory synaptic conductance"),
        StateVariable("gsyn_inh", "uS", 0.0, doc="inhibitory synaptic conductance"),
        *[StateVariable(f"eta{k}", "pA", 0.0, recordable=False, public=False,
                        doc=f"component {k} of the spike-triggered current")
          for k in range(MAX_COMPONENTS)],
        *[StateVariable(f"gamma{k}", "mV", 0.0, recordable=False, public=False,
                        doc=f"component {k} of the threshold movement")
          for k in range(MAX_COMPONENTS)],
        StateVariable("refrac", "", 0, recordable=False, public=False, kind="int",
                      doc="time steps of refractoriness left"),
        StateVariable("seeded", "", 0, recordable=False, public=False, kind="int",
                      doc="1 once the random stream is seeded"),
        StateVariable("ode_failures", "", 0, recordable=False, public=False, kind="int",
                      doc="time steps whose integration failed (state kept)"),
        StateVariable("rng", "", 0, recordable=False, public=False, kind="uint64",
                      doc="random stream state"),
        StateVariable("ode_step", "ms", 0.0, recordable=False, public=False,
                      doc="internal step size suggested by the integrator (0: start with dt)"),
    ],
    derived=[
        Derived("c_m", doc="cm in pF"),
        Derived("g_l", doc="leak conductance cm/tau_m in nS"),
        Derived("i_e", doc="i_offset in pA"),
        Derived("lambda0_per_ms", doc="lambda0 in 1/ms"),
        Derived("refrac_steps", kind="int", doc="tau_refrac in time steps"),
        Derived("n_eta", kind="int", doc="eta components in use"),
        Derived("n_gamma", kind="int", doc="gamma components in use"),
        *[Derived(f"p_eta{k}", doc=f"decay of eta component {k} over one step")
          for k in range(MAX_COMPONENTS)],
        *[Derived(f"q_eta{k}", doc=f"jump of eta component {k} at a spike, pA")
          for k in range(MAX_COMPONENTS)],
        *[Derived(f"p_gamma{k}", doc=f"decay of gamma component {k} over one step")
          for k in range(MAX_COMPONENTS)],
        *[Derived(f"q_gamma{k}", doc=f"jump of gamma component {k} at a spike, mV")
          for k in range(MAX_COMPONENTS)],
    ],
    receptors=("excitatory", "inhibitory"),
    kernel=HERE / "gif_cond_exp.c",
    state_layout="structs",   # its step calls the ODE solver: not vectorised
    pynn_base=cells.GIF_cond_exp,
    conductance_based=True,
    description=GIF_DOC,
)


@hookimpl
def spinnframe_neuron_models():
    return [HH_COND_EXP, GIF_COND_EXP]
