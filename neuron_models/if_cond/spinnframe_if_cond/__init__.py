"""Conductance-based leaky integrate-and-fire neurons: IF_cond_exp, IF_cond_alpha and
IF_cond_exp_gsfa_grr.

The three models follow NEST's ``iaf_cond_exp``, ``iaf_cond_alpha`` and
``iaf_cond_exp_sfa_rr`` (the models pyNN.nest uses for them): the equations have no closed
form, so each time step is integrated with the adaptive Runge-Kutta-Fehlberg 4(5) method
and GSL's step-size control (``sf_ode.h``), with NEST's tolerance (absolute 1e-3 on every
component, in NEST's units mV and nS, no relative part) and the suggested step size kept
per neuron from one time step to the next, as NEST keeps it.

Shared conventions (see the kernels for the details):

* v in mV, synaptic conductances gsyn_exc/gsyn_inh in uS (PyNN units), cm in nF, currents
  in nA. Internally the kernels integrate in NEST's units (mV, nS, pF, pA) so that the
  absolute error tolerance means what it means in NEST.
* Synaptic weights are conductances (uS), >= 0 for both receptors; inhibitory conductance
  drives v towards e_rev_I.
* One time step goes from t to t + dt: the ODE is integrated over the step with the input
  of the step (i_offset + injected current) and the conductances at the start of the step;
  then the weights of the spikes arriving at the end of the step are added; then the
  refractory countdown / threshold test. A spike is stamped at the end of the step.
* While v is below threshold the currents are computed with min(v, v_thresh); while the
  neuron is refractory v is clamped to v_reset and not integrated (the conductances keep
  evolving and receiving input). Refractoriness lasts tau_refrac rounded up to whole steps (as NEST).
* If the integrator fails (the state stops being finite, or the step size underflows),
  v and the conductances are set to NaN and the neuron stops firing: NEST raises
  GSLSolverFailure in that situation, and a kernel cannot raise; the NaN makes the failure
  visible in any recording instead of hiding it.
"""
from pathlib import Path

from pyNN.standardmodels import cells

from spinnframe import hookimpl
from spinnframe.specs import Derived, NeuronModelSpec, Parameter, StateVariable, below

__version__ = "0.1.0"

HERE = Path(__file__).parent
POSITIVE = dict(low=0.0, low_open=True)


def _lif_parameters(tau_syn_E: float, tau_syn_I: float, syn_doc: str) -> list[Parameter]:
    """The eleven parameters PyNN's IF_cond_* models share, in PyNN's order."""
    return [
        Parameter("v_rest", "mV", -65.0, doc="resting membrane potential (leak reversal)"),
        Parameter("cm", "nF", 1.0, **POSITIVE, doc="membrane capacitance"),
        Parameter("tau_m", "ms", 20.0, **POSITIVE,
                  doc="membrane time constant (leak conductance = cm / tau_m)"),
        Parameter("tau_refrac", "ms", 0.1, low=0.0, doc="refractory period"),
        Parameter("tau_syn_E", "ms", tau_syn_E, **POSITIVE,
                  doc=f"excitatory synaptic {syn_doc}"),
        Parameter("tau_syn_I", "ms", tau_syn_I, **POSITIVE,
                  doc=f"inhibitory synaptic {syn_doc}"),
        Parameter("e_rev_E", "mV", 0.0, doc="excitatory reversal potential"),
        Parameter("e_rev_I", "mV", -70.0, doc="inhibitory reversal potential"),
        Parameter("v_thresh", "mV", -50.0, doc="spike threshold"),
        Parameter("v_reset", "mV", -65.0, doc="reset potential after a spike"),
        Parameter("i_offset", "nA", 0.0, doc="constant injected current"),
    ]


def _common_state() -> list[StateVariable]:
    return [
        StateVariable("v", "mV", -65.0, doc="membrane potential"),
        StateVariable("gsyn_exc", "uS", 0.0, doc="excitatory synaptic conductance"),
        StateVariable("gsyn_inh", "uS", 0.0, doc="inhibitory synaptic conductance"),
    ]


def _internal_state(conductances: list[tuple[str, str]]) -> list[StateVariable]:
    """Bookkeeping the users neither see nor set."""
    out = [StateVariable(name, unit, 0.0, recordable=False, public=False, doc=doc)
           for name, unit, doc in conductances]
    out += [
        StateVariable("h", "ms", 0.0, recordable=False, public=False,
                      doc="integration step size suggested for the next time step "
                          "(0: start with dt), as NEST's IntegrationStep_"),
        StateVariable("refrac", "", 0, recordable=False, public=False, kind="int",
                      doc="time steps of refractoriness left"),
    ]
    return out


_NS_COPIES = [
    ("g_exc_ns", "nS", "gsyn_exc in nS: the integrated value (gsyn_exc = g_exc_ns / 1000)"),
    ("g_inh_ns", "nS", "gsyn_inh in nS: the integrated value (gsyn_inh = g_inh_ns / 1000)"),
]

_NEST_UNITS = [
    Derived("c_m", doc="membrane capacitance, pF (cm * 1000)"),
    Derived("g_l", doc="leak conductance, nS (cm / tau_m * 1000)"),
    Derived("i_e", doc="constant current, pA (i_offset * 1000)"),
    Derived("refrac_steps", kind="int", doc="tau_refrac in time steps"),
]

IF_COND_EXP = NeuronModelSpec(
    name="IF_cond_exp",
    parameters=_lif_parameters(5.0, 5.0, "conductance decay time"),
    state=_common_state() + _internal_state(_NS_COPIES),
    derived=list(_NEST_UNITS),
    receptors=("excitatory", "inhibitory"),
    kernel=HERE / "if_cond_exp.c",
    state_layout="structs",   # its step calls the ODE solver: not vectorised
    pynn_base=cells.IF_cond_exp,
    validate=below("v_reset", "v_thresh"),
    conductance_based=True,
    description="""IF_cond_exp: leaky integrate-and-fire neuron with exponentially decaying
synaptic conductances (NEST's iaf_cond_exp).

Equations (v in mV, g in uS, cm in nF, currents in nA, times in ms)::

    cm dv/dt = cm (v_rest - V) / tau_m + g_exc (e_rev_E - V) + g_inh (e_rev_I - V)
               + i_offset + i_inj,               V = min(v, v_thresh)
    dg_exc/dt = -g_exc / tau_syn_E,   dg_inh/dt = -g_inh / tau_syn_I

A spike of weight w (uS, >= 0 for both receptors) adds w to the conductance of its
receptor. When v >= v_thresh the neuron spikes, v is set to v_reset and held there for
tau_refrac rounded up to whole steps (as NEST). Integration: adaptive RKF45 with NEST's step-size control
(absolute tolerance 1e-3 in mV and nS), so results agree with NEST to far below the
tolerance. Recordables: v, gsyn_exc, gsyn_inh.
""",
)

IF_COND_ALPHA = NeuronModelSpec(
    name="IF_cond_alpha",
    parameters=_lif_parameters(0.3, 0.5, "conductance rise time (alpha function)"),
    state=_common_state() + _internal_state(_NS_COPIES + [
        ("dg_exc_ns", "nS/ms", "time derivative of the excitatory conductance"),
        ("dg_inh_ns", "nS/ms", "time derivative of the inhibitory conductance"),
    ]),
    derived=list(_NEST_UNITS) + [
        Derived("psc_init_exc", doc="e / tau_syn_E: initial slope of a unit alpha conductance"),
        Derived("psc_init_inh", doc="e / tau_syn_I: initial slope of a unit alpha conductance"),
    ],
    receptors=("excitatory", "inhibitory"),
    kernel=HERE / "if_cond_alpha.c",
    state_layout="structs",   # its step calls the ODE solver: not vectorised
    pynn_base=cells.IF_cond_alpha,
    validate=below("v_reset", "v_thresh"),
    conductance_based=True,
    description="""IF_cond_alpha: leaky integrate-and-fire neuron with alpha-function shaped
synaptic conductances (NEST's iaf_cond_alpha).

The membrane equation is IF_cond_exp's; each conductance is an alpha function
g(t) = w (t/tau) e^(1 - t/tau) per spike of weight w (uS, >= 0), peaking at w after tau::

    dg/dt = dg' - g / tau,   d(dg')/dt = -dg' / tau,   a spike adds w e / tau to dg'

Refractoriness, threshold and integration as in IF_cond_exp (adaptive RKF45, NEST's
tolerance). Recordables: v, gsyn_exc, gsyn_inh.
""",
)

IF_COND_EXP_GSFA_GRR = NeuronModelSpec(
    name="IF_cond_exp_gsfa_grr",
    parameters=_lif_parameters(5.0, 5.0, "conductance decay time") + [
        Parameter("tau_sfa", "ms", 100.0, **POSITIVE,
                  doc="decay time of the spike-frequency adaptation conductance"),
        Parameter("e_rev_sfa", "mV", -75.0, doc="reversal potential of the adaptation conductance"),
        Parameter("q_sfa", "nS", 15.0, low=0.0,
                  doc="adaptation conductance added at each spike"),
        Parameter("tau_rr", "ms", 2.0, **POSITIVE,
                  doc="decay time of the relative refractory conductance"),
        Parameter("e_rev_rr", "mV", -75.0,
                  doc="reversal potential of the relative refractory conductance"),
        Parameter("q_rr", "nS", 3000.0, low=0.0,
                  doc="relative refractory conductance added at each spike"),
    ],
    # PyNN's order of the recordables: v, g_r, g_s, gsyn_exc, gsyn_inh
    state=_common_state()[:1] + [
        StateVariable("g_r", "nS", 0.0, doc="relative refractory conductance"),
        StateVariable("g_s", "nS", 0.0, doc="spike-frequency adaptation conductance"),
    ] + _common_state()[1:] + _internal_state(_NS_COPIES),
    derived=list(_NEST_UNITS),
    receptors=("excitatory", "inhibitory"),
    kernel=HERE / "if_cond_exp_gsfa_grr.c",
    state_layout="structs",   # its step calls the ODE solver: not vectorised
    pynn_base=cells.IF_cond_exp_gsfa_grr,
    validate=below("v_reset", "v_thresh"),
    conductance_based=True,
    description="""IF_cond_exp_gsfa_grr: IF_cond_exp with a spike-frequency adaptation
conductance g_s and a relative refractory conductance g_r (Muller et al. 2007; NEST's
iaf_cond_exp_sfa_rr)::

    cm dv/dt = ... (as IF_cond_exp) + g_s (e_rev_sfa - V) + g_r (e_rev_rr - V)
    dg_s/dt = -g_s / tau_sfa,   dg_r/dt = -g_r / tau_rr

At each spike g_s increases by q_sfa and g_r by q_rr (both in nS, as in PyNN). g_r and g_s
are recorded in nS (PyNN's units), gsyn_exc/gsyn_inh in uS. Refractoriness, threshold and
integration as in IF_cond_exp (adaptive RKF45, NEST's tolerance).
""",
)


@hookimpl
def spinnframe_neuron_models():
    return [IF_COND_EXP, IF_COND_ALPHA, IF_COND_EXP_GSFA_GRR]
