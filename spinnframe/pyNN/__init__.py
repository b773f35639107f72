"""The PyNN API, run by spinnframe: ``import spinnframe.pyNN as sim``.

Cell types (``sim.IF_curr_exp``, ``sim.SpikeSourcePoisson``, and any model an installed
plugin provides) are looked up in the installed plugins the first time they are used.
"""
from __future__ import annotations

from .._deferred import defer as _defer

_defer("csa")      # imported by pyNN.connectors; loads matplotlib (see spinnframe._deferred)

from pyNN import errors, random, space  # noqa: E402,F401
from pyNN.connectors import (  # noqa: F401
    ArrayConnector, CloneConnector, DisplacementDependentProbabilityConnector,
    FromFileConnector, FromListConnector, OneToOneConnector)
from pyNN.connectors import Connector  # noqa: F401
from pyNN.network import Network  # noqa: F401
from pyNN.parameters import ArrayParameter, ParameterSpace, Sequence  # noqa: F401
from pyNN.random import GSLRNG, NativeRNG, NumpyRNG, RandomDistribution  # noqa: F401
from pyNN.space import Space  # noqa: F401
from pyNN.common.procedural_api import build_connect, build_create, build_record
from pyNN.common.procedural_api import initialize  # noqa: F401

from .. import simulator as _simulator
from ..control import (  # noqa: F401
    add_recorder, end, get_current_time, get_max_delay, get_min_delay, get_time_step,
    num_processes, rank, reset, run, run_for, run_until, setup)
from ..errors import (  # noqa: F401
    SimulatorNotSetupException, SimulatorRunningException, SimulatorShutdownException)
from ..populations import Assembly, Population, PopulationView  # noqa: F401
from ..projections import Projection, StaticSynapse  # noqa: F401
from ..projections.connect import (  # noqa: F401
    AllToAllConnector, CSAConnector, DistanceDependentProbabilityConnector,
    FixedNumberPostConnector, FixedNumberPreConnector, FixedProbabilityConnector,
    FixedTotalNumberConnector, IndexBasedProbabilityConnector, SmallWorldConnector)
from ..projections.synapses import (  # noqa: F401
    AdditivePotentiationMultiplicativeDepression, AdditiveWeightDependence,
    GutigWeightDependence, MultiplicativeWeightDependence, SimpleStochasticSynapse,
    SpikePairRule, STDPMechanism, TsodyksMarkramSynapse, Vogels2011Rule)

create = build_create(Population)
connect = build_connect(Projection, FixedProbabilityConnector, StaticSynapse)
record = build_record(_simulator)


def record_v(source, filename):
    return record(["v"], source, filename)


def record_gsyn(source, filename):
    return record(["gsyn_exc", "gsyn_inh"], source, filename)


def list_standard_models() -> list[str]:  # noqa: D401
    """Names of every cell type the installed plugins provide."""
    from ..plugins import get_manager
    mgr = get_manager()
    mgr.load()
    return sorted(mgr.neuron_models)


def __getattr__(name: str):
    # cell types come from plugins, resolved (and cached) on first use
    if name.startswith("__") or not name[:1].isupper():
        raise AttributeError(name)
    from ..models import cell_type_class
    from ..plugins import get_manager
    mgr = get_manager()
    mgr.load()
    if name in mgr.neuron_models:
        obj = cell_type_class(mgr.neuron_models[name].spec)
    elif name in mgr.current_sources:
        from ..electrodes import current_source_class
        obj = current_source_class(mgr.current_sources[name].spec)
    elif name in mgr.structures:
        obj = mgr.structures[name].spec.cls
    elif name in _shapes(mgr):
        obj = _shapes(mgr)[name]
    else:
        available = sorted(mgr.neuron_models) + sorted(mgr.current_sources) + sorted(
            mgr.structures) + sorted(_shapes(mgr))
        raise AttributeError(
            f"module 'spinnframe.pyNN' has no attribute {name!r}; installed cell types, "
            f"current sources, structures and shapes: {', '.join(available) or 'none'}")
    globals()[name] = obj
    return obj


def _shapes(mgr) -> dict:
    """Shapes (volumes such as Cuboid, Sphere) that installed structures use: a structure
    class lists them in its ``shapes`` attribute (e.g. ``RandomStructure.shapes``)."""
    found = {}
    for name in sorted(mgr.structures):
        for cls in getattr(mgr.structures[name].spec.cls, "shapes", ()):
            found.setdefault(cls.__name__, cls)
    return found
