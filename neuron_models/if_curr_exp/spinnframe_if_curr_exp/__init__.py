"""IF_curr_exp: leaky integrate-and-fire neuron with exponentially decaying synaptic currents.

Equations (v in mV, currents in nA, cm in nF, times in ms)::

    cm dv/dt      = cm (v_rest - v) / tau_m + isyn_exc + isyn_inh + i_offset + i_inj
    d isyn_x/dt   = -isyn_x / tau_syn_X,     a spike of weight w adds w to isyn_X

When v >= v_thresh the neuron spikes, v is set to v_reset and held there for tau_refrac
(rounded up to whole time steps, as NEST does). Integration is exact (Rotter & Diesmann 1999), with the same
update order as NEST's iaf_psc_exp, whose results it reproduces: the membrane is advanced
with the currents at the start of the step, then the currents decay and take up the spikes
arriving at the end of the step, then the threshold is checked.

Inhibitory weights are negative (PyNN's convention for current-based synapses), so
isyn_inh is <= 0.
"""
from pathlib import Path

from pyNN.standardmodels import cells

from spinnframe import hookimpl
from spinnframe.specs import Derived, NeuronModelSpec, Parameter, StateVariable, below

__version__ = "0.1.0"

POSITIVE = dict(low=0.0, low_open=True)

IF_CURR_EXP = NeuronModelSpec(
    name="IF_curr_exp",
    parameters=[
        Parameter("v_rest", "mV", -65.0, doc="resting membrane potential"),
        Parameter("cm", "nF", 1.0, **POSITIVE, doc="membrane capacitance"),
        Parameter("tau_m", "ms", 20.0, **POSITIVE, doc="membrane time constant"),
        Parameter("tau_refrac", "ms", 0.1, low=0.0, doc="refractory period"),
        Parameter("tau_syn_E", "ms", 5.0, **POSITIVE, doc="excitatory synaptic decay time"),
        Parameter("tau_syn_I", "ms", 5.0, **POSITIVE, doc="inhibitory synaptic decay time"),
        Parameter("i_offset", "nA", 0.0, doc="constant injected current"),
        Parameter("v_reset", "mV", -65.0, doc="reset potential after a spike"),
        Parameter("v_thresh", "mV", -50.0, doc="spike threshold"),
    ],
    state=[
        StateVariable("v", "mV", -65.0, doc="membrane potential"),
        StateVariable("isyn_exc", "nA", 0.0, doc="excitatory synaptic current"),
        StateVariable("isyn_inh", "nA", 0.0, doc="inhibitory synaptic current"),
        StateVariable("refrac", "", 0, recordable=False, public=False, kind="int",
                      doc="time steps of refractoriness left"),
    ],
    derived=[
        Derived("p22", doc="membrane decay over one step"),
        Derived("p20", doc="membrane response to a constant current over one step"),
        Derived("p21_exc", doc="membrane response to the excitatory current over one step"),
        Derived("p21_inh", doc="membrane response to the inhibitory current over one step"),
        Derived("p11_exc", doc="excitatory current decay over one step"),
        Derived("p11_inh", doc="inhibitory current decay over one step"),
        Derived("refrac_steps", kind="int", doc="tau_refrac in time steps"),
    ],
    receptors=("excitatory", "inhibitory"),
    kernel=Path(__file__).with_name("if_curr_exp.c"),
    pynn_base=cells.IF_curr_exp,
    description=__doc__,
    validate=below("v_reset", "v_thresh"),
)


@hookimpl
def spinnframe_neuron_models():
    return [IF_CURR_EXP]
