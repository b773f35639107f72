"""SpikeSourceArray: emits spikes at the times given in ``spike_times`` (ms).

A time that is not on the time grid is moved up to the next grid point (as NEST's
spike_generator does); the spike is emitted in the step that ends at that time and reaches
its targets ``delay`` later. Several spikes in the same step are delivered together (with
multiplicity). Times must be sorted and >= 0. A spike at t = 0 cannot be emitted (no step
ends at t = 0): it is dropped with a warning (NEST drops it silently).
``set(spike_times=...)`` between runs takes effect from the current time.
"""
from pathlib import Path

from pyNN.standardmodels import cells

from spinnframe import hookimpl
from spinnframe.specs import NeuronModelSpec, Parameter, StateVariable

__version__ = "0.1.0"

SPIKE_SOURCE_ARRAY = NeuronModelSpec(
    name="SpikeSourceArray",
    parameters=[Parameter("spike_times", "ms", [], low=0.0, kind="sequence", increasing=True,
                          doc="sorted spike times")],
    state=[StateVariable("next", "", 0, recordable=False, public=False, kind="int",
                         doc="position of the next spike in spike_times"),
           StateVariable("next_step", "", 0, recordable=False, public=False, kind="uint64",
                         doc="the step at whose end the next spike is emitted (its grid "
                             "point; 2**64 - 1: none left), set by sf_start")],
    kernel=Path(__file__).with_name("spike_source_array.c"),
    pynn_base=cells.SpikeSourceArray,
    is_source=True,
    description=__doc__,
)


@hookimpl
def spinnframe_neuron_models():
    return [SPIKE_SOURCE_ARRAY]
