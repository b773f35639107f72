"""Every installed neuron model: its declaration agrees with PyNN's standard model, its
generated layout is consistent, and it runs."""
import numpy as np
import pytest
from pyNN.parameters import Sequence

import spinnframe.pyNN as sim
from spinnframe.models import cell_type_class, dtypes, generate_wrapper
from spinnframe.plugins import get_manager

def _installed_models():
    mgr = get_manager()
    mgr.load()
    return sorted(mgr.neuron_models)


MODELS = _installed_models()


def spec(name):
    return get_manager().neuron_model(name)


@pytest.mark.parametrize("name", MODELS)
def test_declaration_agrees_with_pynn(name):
    s = spec(name)
    if s.pynn_base is None:
        pytest.skip("not a PyNN standard model")
    base = s.pynn_base
    assert [p.name for p in s.parameters] == list(base.default_parameters), \
        "parameter names (and order) must be PyNN's"
    for p in s.parameters:
        pynn_default = base.default_parameters[p.name]
        if isinstance(pynn_default, Sequence):
            assert list(pynn_default.value) == list(p.default)
        else:
            assert p.default == pynn_default, p.name
        if p.name in getattr(base, "units", {}):
            assert p.unit == base.units[p.name], p.name
    for var, value in getattr(base, "default_initial_values", {}).items():
        declared = {v.name: v for v in s.public_state}
        assert var in declared, f"PyNN state variable {var} not declared"
        init = declared[var].initial
        if not isinstance(init, str):
            assert init == value, var
    assert set(base.recordable) <= set(s.recordable)
    if not s.is_source:
        assert s.conductance_based == bool(getattr(base, "conductance_based", False))


@pytest.mark.parametrize("name", MODELS)
def test_cell_type_and_layout(name):
    s = spec(name)
    cls = cell_type_class(s)
    assert getattr(sim, name) is cls
    celltype = cls()
    assert celltype.recordable == list(s.recordable)
    assert celltype.recordable[0] == "spikes"
    p, d, st = dtypes(s)
    assert p.names == tuple(x.name for x in s.parameters) or not s.parameters
    assert st.names == tuple(x.name for x in s.state) or not s.state
    for dt in (p, d, st):
        assert dt.isalignedstruct
    code = generate_wrapper(s)
    assert f'#include "{s.kernel.resolve().as_posix()}"' in code
    assert s.kernel.is_file()


@pytest.mark.parametrize("name", MODELS)
def test_every_model_runs_and_records_every_recordable(name):
    s = spec(name)
    sim.setup(timestep=0.1)
    try:
        pop = sim.Population(3, getattr(sim, name)())
        pop.record(list(s.recordable))
        sim.run(20.0)
        seg = pop.get_data().segments[0]
        names = {sig.name for sig in seg.analogsignals}
        assert names == set(s.recordable) - {"spikes"}
        for sig in seg.analogsignals:
            assert sig.shape == (201, 3)
            assert np.all(np.isfinite(sig.magnitude)), sig.name
            assert str(sig.units.dimensionality) in (pop.find_units(sig.name), "dimensionless")
        assert len(seg.spiketrains) == 3
    finally:
        sim.end()
