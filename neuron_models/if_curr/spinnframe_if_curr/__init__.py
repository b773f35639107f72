"""Current-based leaky integrate-and-fire neurons with alpha-shaped and delta synapses.

Two models, both integrated exactly (the linear subthreshold dynamics are advanced with
precomputed propagators, Rotter & Diesmann 1999) with the update order of NEST's grid-based
``iaf_psc_alpha`` and ``iaf_psc_delta``, whose results they reproduce:

* ``IF_curr_alpha``: each spike of weight w (nA) starts an alpha-shaped current
  w * (t/tau_syn) * exp(1 - t/tau_syn), which peaks at w after tau_syn.
* ``IF_curr_delta``: each spike of weight w (mV) makes v jump by w.

See the descriptions of the two models below for the equations and the update order.
"""
from pathlib import Path

from pyNN.standardmodels import cells

from spinnframe import hookimpl
from spinnframe.specs import Derived, NeuronModelSpec, Parameter, StateVariable, below

__version__ = "0.1.0"

HERE = Path(__file__).parent
POSITIVE = dict(low=0.0, low_open=True)

ALPHA_DESCRIPTION = """IF_curr_alpha: leaky integrate-and-fire neuron with alpha-shaped synaptic currents.

Equations (v in mV, currents in nA, cm in nF, times in ms), for X in {exc, inh}::

    cm dv/dt        = cm (v_rest - v) / tau_m + isyn_exc + isyn_inh + i_offset + i_inj
    d isyn_X/dt     = disyn_X - isyn_X / tau_syn_X
    d disyn_X/dt    = -disyn_X / tau_syn_X

A spike of weight w adds e * w / tau_syn_X to disyn_X (an internal state variable), so
that the current it causes, w (t/tau_syn) exp(1 - t/tau_syn), peaks at w after tau_syn.
When v >= v_thresh the neuron spikes, v is set to v_reset and held there for tau_refrac
(rounded up to whole time steps, as NEST does).

Integration is exact, with the update order of NEST's iaf_psc_alpha: in each step the
membrane (if not refractory) is advanced with the currents at the start of the step, then
the currents are advanced and take up the spikes arriving at the end of the step, then
the threshold is checked. During refractoriness the currents keep evolving and receiving
input; they act on v again once the refractory period is over.

Inhibitory weights are negative (PyNN's convention for current-based synapses), so
isyn_inh is <= 0.
"""

DELTA_DESCRIPTION = """IF_curr_delta: leaky integrate-and-fire neuron with delta synapses (voltage jumps).

Equation (v in mV, currents in nA, cm in nF, times in ms)::

    cm dv/dt = cm (v_rest - v) / tau_m + i_offset + i_inj  +  sum_k w_k delta(t - t_k)

A spike of weight w (mV) arriving at the end of a step makes v jump by w in that step.
When v >= v_thresh the neuron spikes, v is set to v_reset and held there for tau_refrac
(rounded up to whole time steps, as NEST does).

Integration is exact, with the update order of NEST's iaf_psc_delta: v decays and takes
up i_offset over the step, the jumps of the spikes arriving at the end of the step are
added, then the threshold is checked. Spikes that arrive while the neuron is refractory
are discarded, as in NEST with refractory_input = False (NEST's default, which pyNN.nest
does not change).

Weights are in mV; inhibitory weights are negative (PyNN's convention).
"""

LIF_PARAMETERS_HEAD = [
    Parameter("v_rest", "mV", -65.0, doc="resting membrane potential"),
    Parameter("cm", "nF", 1.0, **POSITIVE, doc="membrane capacitance"),
    Parameter("tau_m", "ms", 20.0, **POSITIVE, doc="membrane time constant"),
    Parameter("tau_refrac", "ms", 0.1, low=0.0, doc="refractory period"),
]
LIF_PARAMETERS_TAIL = [
    Parameter("i_offset", "nA", 0.0, doc="constant injected current"),
    Parameter("v_reset", "mV", -65.0, doc="reset potential after a spike"),
    Parameter("v_thresh", "mV", -50.0, doc="spike threshold"),
]

IF_CURR_ALPHA = NeuronModelSpec(
    name="IF_curr_alpha",
    parameters=LIF_PARAMETERS_HEAD + [
        Parameter("tau_syn_E", "ms", 0.5, **POSITIVE,
                  doc="rise time of the excitatory alpha current (time of its peak)"),
        Parameter("tau_syn_I", "ms", 0.5, **POSITIVE,
                  doc="rise time of the inhibitory alpha current (time of its peak)"),
    ] + LIF_PARAMETERS_TAIL,
    state=[
        StateVariable("v", "mV", -65.0, doc="membrane potential"),
        StateVariable("isyn_exc", "nA", 0.0, doc="excitatory synaptic current"),
        StateVariable("isyn_inh", "nA", 0.0, doc="inhibitory synaptic current"),
        StateVariable("disyn_exc", "nA/ms", 0.0, recordable=False, public=False,
                      doc="second state variable of the excitatory alpha current"),
        StateVariable("disyn_inh", "nA/ms", 0.0, recordable=False, public=False,
                      doc="second state variable of the inhibitory alpha current"),
        StateVariable("refrac", "", 0, recordable=False, public=False, kind="int",
                      doc="time steps of refractoriness left"),
    ],
    derived=[
        Derived("expm1_m", doc="exp(-dt/tau_m) - 1: membrane decay over one step, minus 1"),
        Derived("p30", doc="membrane response to a constant current over one step"),
        Derived("p31_exc", doc="membrane response to disyn_exc over one step"),
        Derived("p32_exc", doc="membrane response to isyn_exc over one step"),
        Derived("p31_inh", doc="membrane response to disyn_inh over one step"),
        Derived("p32_inh", doc="membrane response to isyn_inh over one step"),
        Derived("p11_exc", doc="decay of the excitatory alpha variables over one step"),
        Derived("p21_exc", doc="response of isyn_exc to disyn_exc over one step"),
        Derived("p11_inh", doc="decay of the inhibitory alpha variables over one step"),
        Derived("p21_inh", doc="response of isyn_inh to disyn_inh over one step"),
        Derived("jump_exc", doc="e / tau_syn_E: disyn_exc jump per unit weight"),
        Derived("jump_inh", doc="e / tau_syn_I: disyn_inh jump per unit weight"),
        Derived("refrac_steps", kind="int", doc="tau_refrac in time steps"),
    ],
    receptors=("excitatory", "inhibitory"),
    kernel=HERE / "if_curr_alpha.c",
    pynn_base=cells.IF_curr_alpha,
    validate=below("v_reset", "v_thresh"),
    description=ALPHA_DESCRIPTION,
)

IF_CURR_DELTA = NeuronModelSpec(
    name="IF_curr_delta",
    parameters=LIF_PARAMETERS_HEAD + LIF_PARAMETERS_TAIL,
    state=[
        StateVariable("v", "mV", -65.0, doc="membrane potential"),
        StateVariable("refrac", "", 0, recordable=False, public=False, kind="int",
                      doc="time steps of refractoriness left"),
    ],
    derived=[
        Derived("p33", doc="membrane decay over one step"),
        Derived("p30", doc="membrane response to a constant current over one step"),
        Derived("refrac_steps", kind="int", doc="tau_refrac in time steps"),
    ],
    receptors=("excitatory", "inhibitory"),
    kernel=HERE / "if_curr_delta.c",
    pynn_base=cells.IF_curr_delta,
    validate=below("v_reset", "v_thresh"),
    description=DELTA_DESCRIPTION,
)


@hookimpl
def spinnframe_neuron_models():
    return [IF_CURR_ALPHA, IF_CURR_DELTA]
