"""Adaptive exponential integrate-and-fire and Izhikevich neurons for spinnframe.

Three PyNN standard cell types, each reproducing the NEST model that pyNN.nest uses:

* ``EIF_cond_exp_isfa_ista``   -- NEST ``aeif_cond_exp``
* ``EIF_cond_alpha_isfa_ista`` -- NEST ``aeif_cond_alpha``
* ``Izhikevich``               -- NEST ``izhikevich``

The AdEx kernels integrate with adaptive Runge-Kutta-Fehlberg 4(5) steps and GSL's
step-size control with NEST's tolerance (``gsl_error_tol`` = 1e-6, yp control), with
spike detection after every internal step, as NEST does (see ``aeif_common.h``).
Izhikevich uses NEST's forward Euler step (``consistent_integration``).
"""
from pathlib import Path

from pyNN.standardmodels import cells

from spinnframe import hookimpl
from spinnframe.specs import Derived, NeuronModelSpec, Parameter, StateVariable

__version__ = "0.1.0"

HERE = Path(__file__).parent
POSITIVE = dict(low=0.0, low_open=True)
NON_NEGATIVE = dict(low=0.0)


def _adex_parameters(syn_shape: str) -> list[Parameter]:
    """PyNN's parameters of the two EIF cell types, in PyNN's order."""
    return [
        Parameter("cm", "nF", 0.281, **POSITIVE, doc="membrane capacitance"),
        Parameter("tau_refrac", "ms", 0.1, **NON_NEGATIVE, doc="refractory period"),
        Parameter("v_spike", "mV", -40.0,
                  doc="spike detection threshold (V_peak); v is reset when it gets there"),
        Parameter("v_reset", "mV", -70.6, doc="reset potential after a spike"),
        Parameter("v_rest", "mV", -70.6, doc="resting potential (leak reversal E_L)"),
        Parameter("tau_m", "ms", 9.3667, **POSITIVE, doc="membrane time constant cm/g_L"),
        Parameter("i_offset", "nA", 0.0, doc="constant injected current"),
        Parameter("a", "nS", 4.0, doc="subthreshold adaptation conductance"),
        Parameter("b", "nA", 0.0805, doc="spike-triggered adaptation increment of w"),
        Parameter("delta_T", "mV", 2.0, **NON_NEGATIVE,
                  doc="slope factor of the exponential; 0 gives an IF neuron firing at "
                      "v_thresh"),
        Parameter("tau_w", "ms", 144.0, **POSITIVE, doc="adaptation time constant"),
        Parameter("v_thresh", "mV", -50.4, doc="spike initiation threshold (V_T)"),
        Parameter("e_rev_E", "mV", 0.0, doc="excitatory reversal potential"),
        Parameter("tau_syn_E", "ms", 5.0, **POSITIVE,
                  doc=f"excitatory synaptic {syn_shape}"),
        Parameter("e_rev_I", "mV", -80.0, doc="inhibitory reversal potential"),
        Parameter("tau_syn_I", "ms", 5.0, **POSITIVE,
                  doc=f"inhibitory synaptic {syn_shape}"),
    ]


def _adex_public_state() -> list[StateVariable]:
    return [
        StateVariable("v", "mV", -70.6, doc="membrane potential"),
        StateVariable("w", "nA", 0.0, doc="adaptation current"),
        StateVariable("gsyn_exc", "uS", 0.0, doc="excitatory synaptic conductance"),
        StateVariable("gsyn_inh", "uS", 0.0, doc="inhibitory synaptic conductance"),
    ]


def _internal(name, unit, doc, kind="real"):
    return StateVariable(name, unit, 0, recordable=False, public=False, kind=kind, doc=doc)


_ADEX_SHADOWS = [
    _internal("w_pA", "pA", "w in NEST units, integrated (w = 0.001 w_pA)"),
    _internal("g_ex_nS", "nS", "gsyn_exc in NEST units, integrated"),
    _internal("g_in_nS", "nS", "gsyn_inh in NEST units, integrated"),
]
_ADEX_BOOKKEEPING = [
    _internal("h", "ms", "internal RKF45 step size suggested for the next step (0: start)"),
    _internal("refrac", "", "NEST's refractory counter (time steps)", kind="int"),
]
_ADEX_DERIVED = [
    Derived("g_L", doc="leak conductance cm/tau_m (nS)"),
    Derived("C_m", doc="capacitance (pF)"),
    Derived("I_e", doc="i_offset (pA)"),
    Derived("b_pA", doc="b (pA)"),
    Derived("v_detect", doc="spike detection threshold: v_spike, or v_thresh if delta_T = 0"),
    Derived("refrac_steps", kind="int", doc="tau_refrac in time steps"),
]

_ADEX_DOC = """

Integration (as NEST's {nest}): NEST units internally (mV, pF, nS, pA); adaptive RKF45 with
GSL's standard control, eps_abs = eps_rel = 1e-6, a_y = 0, a_dydt = 1
(gsl_odeiv_control_yp_new); spike detection and reset after every internal step;
while refractory the equations see v = v_reset and v is held there. Refractoriness:
the rest of the spike's time step plus tau_refrac rounded up to whole steps (as NEST). Conductance weights
are positive (uS) for both receptors; the inhibitory conductance drives v towards
e_rev_I. Where NEST would stop with an error (parameter combinations it refuses, v below
-1000 mV, |w| above 1000 nA, a failed integration) the kernel clamps instead; see
aeif_common.h.
"""

EIF_COND_EXP_ISFA_ISTA = NeuronModelSpec(
    name="EIF_cond_exp_isfa_ista",
    parameters=_adex_parameters("decay time constant"),
    state=_adex_public_state() + _ADEX_SHADOWS + _ADEX_BOOKKEEPING,
    derived=_ADEX_DERIVED,
    receptors=("excitatory", "inhibitory"),
    kernel=HERE / "eif_cond_exp_isfa_ista.c",
    state_layout="structs",   # its step calls the ODE solver: not vectorised
    pynn_base=cells.EIF_cond_exp_isfa_ista,
    conductance_based=True,
    description=(cells.EIF_cond_exp_isfa_ista.__doc__ or "").rstrip()
    + _ADEX_DOC.format(nest="aeif_cond_exp"),
)

EIF_COND_ALPHA_ISFA_ISTA = NeuronModelSpec(
    name="EIF_cond_alpha_isfa_ista",
    parameters=_adex_parameters("rise time constant (alpha function)"),
    state=_adex_public_state() + _ADEX_SHADOWS + [
        _internal("dg_ex", "nS/ms", "derivative of the excitatory conductance"),
        _internal("dg_in", "nS/ms", "derivative of the inhibitory conductance"),
    ] + _ADEX_BOOKKEEPING,
    derived=_ADEX_DERIVED + [
        Derived("g0_ex", doc="e / tau_syn_E: kick of dg_ex per nS of weight"),
        Derived("g0_in", doc="e / tau_syn_I: kick of dg_in per nS of weight"),
    ],
    receptors=("excitatory", "inhibitory"),
    kernel=HERE / "eif_cond_alpha_isfa_ista.c",
    state_layout="structs",   # its step calls the ODE solver: not vectorised
    pynn_base=cells.EIF_cond_alpha_isfa_ista,
    conductance_based=True,
    description=(cells.EIF_cond_alpha_isfa_ista.__doc__ or "").rstrip()
    + _ADEX_DOC.format(nest="aeif_cond_alpha"),
)

IZHIKEVICH = NeuronModelSpec(
    name="Izhikevich",
    parameters=[
        Parameter("a", "/ms", 0.02, **NON_NEGATIVE, doc="recovery rate of u"),
        Parameter("b", "/ms", 0.2, doc="sensitivity of u to v"),
        Parameter("c", "mV", -65.0, doc="reset value of v after a spike"),
        Parameter("d", "mV/ms", 2.0, doc="increment of u after a spike"),
        Parameter("i_offset", "nA", 0.0,
                  doc="constant injected current; as with pyNN.nest, 1000 * i_offset is "
                      "added to dv/dt in mV/ms"),
    ],
    state=[
        StateVariable("v", "mV", -70.0, doc="membrane potential"),
        StateVariable("u", "mV/ms", -14.0, doc="recovery variable"),
    ],
    derived=[Derived("I_e", doc="1000 * i_offset, the term added to dv/dt (mV/ms)"),
             Derived("h", doc="the time step (ms)")],
    receptors=("excitatory", "inhibitory"),
    kernel=HERE / "izhikevich.c",
    pynn_base=cells.Izhikevich,
    conductance_based=False,
    description=(cells.Izhikevich.__doc__ or "").rstrip() + """

As NEST's izhikevich (consistent_integration, its default) through pyNN.nest: one
forward Euler step per time step, spike at v >= 30 mV (v = c, u += d), no refractory
period. A synaptic weight w (nA in PyNN's terms) makes v jump by w mV at the end of the
step in which the spike arrives (inhibitory weights are negative); i_offset (nA) adds
1000 * i_offset to dv/dt (mV/ms), as pyNN.nest's translation to I_e (pA) does.
""",
)


@hookimpl
def spinnframe_neuron_models():
    return [EIF_COND_EXP_ISFA_ISTA, EIF_COND_ALPHA_ISFA_ISTA, IZHIKEVICH]
