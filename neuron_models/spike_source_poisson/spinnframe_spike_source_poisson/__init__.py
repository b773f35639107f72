"""SpikeSourcePoisson: a Poisson spike train of the given rate (Hz) from ``start`` (ms) for
``duration`` (ms).

Inter-spike intervals are drawn exactly (exponential distribution) and each spike is
emitted in the time step it falls in. Every neuron has its own random stream, seeded from
the simulation seed (``setup(rng_seed=...)``, or ``additional_parameters={"seed": ...}``
for one population) and the neuron's index, so results do not depend on the number of
threads. Changing ``rate``, ``start`` or ``duration`` between runs takes effect from the
current time (the process is memoryless).
"""
from pathlib import Path

from pyNN.standardmodels import cells

from spinnframe import hookimpl
from spinnframe.specs import Derived, NeuronModelSpec, Parameter, StateVariable

__version__ = "0.1.0"

SPIKE_SOURCE_POISSON = NeuronModelSpec(
    name="SpikeSourcePoisson",
    parameters=[
        Parameter("rate", "Hz", 1.0, low=0.0, doc="mean firing rate"),
        Parameter("start", "ms", 0.0, low=0.0, doc="time of the first possible spike"),
        Parameter("duration", "ms", 1e10, low=0.0, doc="how long the source fires"),
    ],
    state=[
        StateVariable("rng", "", 0, recordable=False, public=False, kind="uint64",
                      doc="random stream state"),
        StateVariable("next_t", "ms", 0.0, recordable=False, public=False,
                      doc="time of the next spike"),
        StateVariable("seeded", "", 0, recordable=False, public=False, kind="int"),
    ],
    # used by the fixed-point (SpiNNaker) build only, which draws a count per time step
    derived=[
        Derived("silence", kind="uint64",
                doc="exp(-rate dt) in units of 2^-32: probability of no spike in a step"),
        Derived("start_step", kind="uint64", doc="first step that may emit a spike"),
        Derived("stop_step", kind="uint64", doc="first step that emits none any more"),
    ],
    kernel=Path(__file__).with_name("spike_source_poisson.c"),
    pynn_base=cells.SpikeSourcePoisson,
    is_source=True,
    description=__doc__,
)


@hookimpl
def spinnframe_neuron_models():
    return [SPIKE_SOURCE_POISSON]
