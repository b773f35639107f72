"""AdaptiveIF_curr_exp: a leaky integrate-and-fire neuron with an adaptation current.

A third-party neuron model for spinnframe, published as its own package
(spinnframe-adaptive-lif). Equations (v in mV, currents in nA, cm in nF, a in nS, times
in ms)::

    cm dv/dt     = cm (v_rest - v) / tau_m + isyn_exc + isyn_inh - w + i_offset + i_inj
    tau_w dw/dt  = a (v - v_rest) / 1000 - w
    d isyn_x/dt  = -isyn_x / tau_syn_X,       a spike of weight q adds q to isyn_X

When v >= v_thresh the neuron spikes: v is set to v_reset and held there for tau_refrac
(rounded up to whole time steps), and w jumps by b. The adaptation current w keeps
evolving while the membrane is held. Inhibitory weights are negative (PyNN's convention
for current-based synapses). ``w`` is recordable: ``cells.record(["v", "w"])``.

Each time step integrates the four equations together with the adaptive Runge-Kutta-
Fehlberg 4(5) scheme of spinnframe's sf_ode.h (error per step below 1e-9 of the values),
with the currents injected during the step held constant; then the synaptic currents take
up the spikes that arrive at the end of the step, then the threshold is checked (the
update order of NEST's iaf_psc_exp).
"""
from pathlib import Path

from spinnframe import hookimpl
from spinnframe.specs import Derived, NeuronModelSpec, Parameter, StateVariable, below

__version__ = "0.1.0"

POSITIVE = dict(low=0.0, low_open=True)

ADAPTIVE_IF_CURR_EXP = NeuronModelSpec(
    name="AdaptiveIF_curr_exp",
    parameters=[
        Parameter("v_rest", "mV", -70.0, doc="resting membrane potential"),
        Parameter("cm", "nF", 0.25, **POSITIVE, doc="membrane capacitance"),
        Parameter("tau_m", "ms", 20.0, **POSITIVE, doc="membrane time constant"),
        Parameter("tau_refrac", "ms", 2.0, low=0.0, doc="refractory period"),
        Parameter("tau_syn_E", "ms", 5.0, **POSITIVE, doc="excitatory synaptic decay time"),
        Parameter("tau_syn_I", "ms", 5.0, **POSITIVE, doc="inhibitory synaptic decay time"),
        Parameter("i_offset", "nA", 0.0, doc="constant injected current"),
        Parameter("v_reset", "mV", -70.0, doc="reset potential after a spike"),
        Parameter("v_thresh", "mV", -50.0, doc="spike threshold"),
        Parameter("a", "nS", 4.0, low=0.0, doc="subthreshold adaptation conductance"),
        Parameter("b", "nA", 0.05, low=0.0, doc="adaptation current added at each spike"),
        Parameter("tau_w", "ms", 150.0, **POSITIVE, doc="adaptation time constant"),
    ],
    state=[
        StateVariable("v", "mV", "v_rest", doc="membrane potential"),
        StateVariable("w", "nA", 0.0, doc="adaptation current"),
        StateVariable("isyn_exc", "nA", 0.0, doc="excitatory synaptic current"),
        StateVariable("isyn_inh", "nA", 0.0, doc="inhibitory synaptic current"),
        StateVariable("refrac", "", 0, recordable=False, public=False, kind="int",
                      doc="time steps of refractoriness left"),
        StateVariable("ode_step", "ms", 0.0, recordable=False, public=False,
                      doc="step size the ODE solver suggests for the next time step"),
    ],
    derived=[Derived("refrac_steps", kind="int", doc="tau_refrac in time steps")],
    receptors=("excitatory", "inhibitory"),
    kernel=Path(__file__).with_name("adaptive_lif.c"),
    # sf_step calls the ODE solver, which no compiler vectorises: one struct per neuron,
    # stepped in place, is faster for it than one array per variable
    state_layout="structs",
    description=__doc__,
    validate=below("v_reset", "v_thresh"),
)


@hookimpl
def spinnframe_neuron_models():
    return [ADAPTIVE_IF_CURR_EXP]
