"""Population and cell (IDMixin) API of sPyNNaker's populations reference, on spinnframe.

Expected numbers are computed here independently: random draws directly with numpy's
RandomState (what NumpyRNG wraps), membrane potentials from the closed-form solution of
the leaky integrator.
"""
import math
import warnings

import numpy as np
import pytest
from pyNN import errors
from pyNN.common import IDMixin
from pyNN.space import Grid2D, Line

import spinnframe.pyNN as sim
from spinnframe.runner import build_network
from spinnframe.simulator import state


@pytest.fixture(autouse=True)
def simulation():
    sim.setup(timestep=0.1)
    yield
    if state.phase == "setup":
        sim.end()


def make(n=5, label="exc", **params):
    """A population whose IDs do not start at 0 (another one is made first)."""
    sim.Population(3, sim.IF_curr_exp(), label="first")
    return sim.Population(n, sim.IF_curr_exp(**params), label=label)


# -- basic properties ----------------------------------------------------------------------

def test_size_label_ids_cells_structure_positions():
    sim.Population(3, sim.IF_curr_exp(), label="first")
    p = sim.Population(5, sim.IF_curr_exp(), structure=Line(dx=2.0), label="exc")
    assert p.size == len(p) == 5
    assert p.label == "exc"
    assert isinstance(p.celltype, sim.IF_curr_exp)
    assert int(p.first_id) == 3 and int(p.last_id) == 7
    assert [int(c) for c in p.all_cells] == [3, 4, 5, 6, 7]
    assert all(isinstance(c, IDMixin) and c.parent is p for c in p.all_cells)
    assert list(p.local_cells) == list(p.all_cells)
    assert p.local_size == 5
    assert list(p.all()) == list(p.all_cells)
    assert p.is_local(p[2]) is True
    assert p.annotations == {}
    p.annotate(region="V1")
    assert p.annotations == {"region": "V1"}
    assert isinstance(p.structure, Line) and p.structure.dx == 2.0
    expected = np.array([[0.0, 2.0, 4.0, 6.0, 8.0], [0.0] * 5, [0.0] * 5])
    np.testing.assert_array_equal(p.positions, expected)
    np.testing.assert_array_equal(p.position_generator(3), [6.0, 0.0, 0.0])
    assert p.conductance_based is False


def test_create_passes_through_to_the_constructor():
    c = sim.Population.create(sim.IF_curr_exp, {"tau_m": 12.0}, n=3)
    assert isinstance(c, sim.Population) and c.size == 3
    assert c.get("tau_m") == 12.0
    d = sim.Population.create(sim.IF_curr_exp(cm=0.5), n=2)
    assert d.size == 2 and d.get("cm") == 0.5


def test_additional_parameters_are_accepted():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = sim.Population(3, sim.IF_curr_exp(), additional_parameters={"seed": 9})
        q = sim.Population(3, sim.IF_curr_exp(), seed=4)
    assert p.additional_parameters == {"seed": 9}
    assert q.additional_parameters == {"seed": 4}
    with pytest.warns(UserWarning, match="splitter"):
        r = sim.Population(2, sim.IF_curr_exp(), additional_parameters={"splitter": "x"})
    assert r.additional_parameters == {"splitter": "x"}


# -- ids and indices -----------------------------------------------------------------------

def test_id_to_index_and_index_to_id_scalars_and_arrays():
    p = make(5)
    first = int(p.first_id)
    assert first == 3
    assert p.id_to_index(p[3]) == 3 and isinstance(p.id_to_index(p[3]), int)
    assert p.id_to_index(first + 4) == 4
    np.testing.assert_array_equal(p.id_to_index([p[1], p[4]]), [1, 4])
    assert p.index_to_id(2) == first + 2 and p.index_to_id(2) is p[2]
    np.testing.assert_array_equal(p.index_to_id([0, 4]), [first, first + 4])
    np.testing.assert_array_equal(p.id_to_index(p.index_to_id(np.arange(5))), np.arange(5))
    assert p.id_to_local_index(p[3]) == 3
    np.testing.assert_array_equal(p.id_to_local_index([p[0], p[2]]), [0, 2])
    with pytest.raises(IndexError, match="index 5 is out of range"):
        p.index_to_id(5)
    with pytest.raises(IndexError, match="-1"):
        p.index_to_id([0, -1])
    with pytest.raises(ValueError):
        p.id_to_index(0)     # a cell of the other population


# -- parameters: get / set -----------------------------------------------------------------

def test_get_single_name_simplifies_homogeneous_values():
    p = make(4, tau_m=15.0)
    assert p.get("tau_m") == 15.0 and np.ndim(p.get("tau_m")) == 0
    np.testing.assert_array_equal(p.get("tau_m", simplify=False), [15.0] * 4)
    p.set(cm=[1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(p.get("cm"), [1.0, 2.0, 3.0, 4.0])
    tau_m, cm = p.get(["tau_m", "cm"], gather=False)
    assert tau_m == 15.0
    np.testing.assert_array_equal(cm, [1.0, 2.0, 3.0, 4.0])
    with pytest.raises(errors.NonExistentParameterError):
        p.get("v")
    s = sim.Population(3, sim.SpikeSourceArray(spike_times=[1.0, 2.0]))
    assert list(s.get("spike_times").value) == [1.0, 2.0]
    s.set(spike_times=[[1.0], [2.0, 3.0], [4.0]])
    assert [list(x.value) for x in s.get("spike_times")] == [[1.0], [2.0, 3.0], [4.0]]


def test_set_with_scalars_arrays_functions_and_random_distributions():
    n = 6
    p = make(n)
    p.set(tau_m=12.5, cm=np.linspace(0.5, 1.0, n), v_thresh=lambda i: -50.0 + i)
    p.set(tau_refrac=sim.RandomDistribution("uniform", low=1.0, high=3.0,
                                            rng=sim.NumpyRNG(seed=11)))
    assert p.get("tau_m") == 12.5
    np.testing.assert_array_equal(p.get("cm"), np.linspace(0.5, 1.0, n))
    np.testing.assert_array_equal(p.get("v_thresh"), -50.0 + np.arange(n))
    np.testing.assert_array_equal(p.get("tau_refrac"),
                                  np.random.RandomState(11).uniform(1.0, 3.0, size=n))
    with pytest.raises(errors.InvalidParameterValueError, match="tau_m.*-1"):
        p.set(tau_m=-1.0)
    assert p.get("tau_m") == 12.5   # a rejected set changes nothing
    with pytest.raises(errors.InvalidDimensionsError):
        p.set(cm=[1.0, 2.0])
    one = sim.Population(1, sim.IF_curr_exp(i_offset=[0.5]))   # lists for a single cell
    one.set(tau_m=[15.0])
    assert one.get("tau_m") == 15.0 and one.get("i_offset") == 0.5
    assert one[0].get_parameters()["i_offset"] == 0.5


# -- state: initialize / set_state / initial and current values ------------------------------

def test_initialize_sets_initial_and_current_values():
    n = 5
    p = make(n)
    p.initialize(v=lambda i: -70.0 + i)
    p.initialize(isyn_exc=sim.RandomDistribution("normal", mu=0.5, sigma=0.1,
                                                 rng=sim.NumpyRNG(seed=7)))
    expected_v = -70.0 + np.arange(n)
    expected_exc = np.random.RandomState(7).normal(0.5, 0.1, size=n)
    iv = p.initial_values
    np.testing.assert_array_equal(iv["v"].evaluate(), expected_v)
    np.testing.assert_array_equal(iv["isyn_exc"].evaluate(), expected_exc)
    np.testing.assert_array_equal(p.current_values["v"], expected_v)
    np.testing.assert_array_equal(p.current_values["isyn_exc"], expected_exc)
    assert sorted(p.current_values) == ["isyn_exc", "isyn_inh", "v"]
    with pytest.raises(errors.NonExistentParameterError):
        p.initialize(w=1.0)
    with pytest.raises(errors.InvalidParameterValueError, match="finite"):
        p.initialize(v=float("nan"))


def test_initial_values_given_to_the_constructor():
    p = sim.Population(3, sim.IF_curr_exp(), initial_values={"v": -60.0})
    np.testing.assert_array_equal(p.initial_values["v"].evaluate(), [-60.0] * 3)
    np.testing.assert_array_equal(p.current_values["v"], [-60.0] * 3)


def test_set_state_changes_current_values_only_and_reset_restores_initial_values():
    n = 4
    p = make(n, i_offset=0.5)   # v tends to -65 + 20 MOhm * 0.5 nA = -55 mV: no spikes
    p.initialize(v=-70.0)
    p.set_state(v=np.array([-61.0, -62.0, -63.0, -64.0]))
    np.testing.assert_array_equal(p.current_values["v"], [-61.0, -62.0, -63.0, -64.0])
    np.testing.assert_array_equal(p.initial_values["v"].evaluate(), [-70.0] * n)
    p.set_state(isyn_inh=sim.RandomDistribution("uniform", low=-1.0, high=0.0,
                                                rng=sim.NumpyRNG(seed=3)))
    np.testing.assert_array_equal(p.current_values["isyn_inh"],
                                  np.random.RandomState(3).uniform(-1.0, 0.0, size=n))
    sim.reset()
    np.testing.assert_array_equal(p.current_values["v"], [-70.0] * n)
    np.testing.assert_array_equal(p.current_values["isyn_inh"], [0.0] * n)
    sim.run(5.0)
    # leaky integrator with constant current: v(t) = v_inf + (v0 - v_inf) exp(-t / tau_m)
    v_inf = -65.0 + 20.0 * 0.5
    expected = v_inf + (-70.0 - v_inf) * math.exp(-5.0 / 20.0)
    np.testing.assert_allclose(p.current_values["v"], [expected] * n, atol=1e-9)
    np.testing.assert_array_equal(p.initial_values["v"].evaluate(), [-70.0] * n)
    sim.reset()
    np.testing.assert_array_equal(p.current_values["v"], [-70.0] * n)


# -- describe, units, recordability --------------------------------------------------------

def test_describe_shows_the_first_cells_parameters():
    p = make(4)
    p.set(tau_m=[12.5, 20.0, 20.0, 20.0])
    text = p.describe()
    assert 'Population "exc"' in text
    assert "Cell type   : IF_curr_exp" in text
    assert f"ID range    : {int(p.first_id)}-{int(p.last_id)}" in text
    first_cell = text.split("First cell on this node:")[1]
    assert "{}" not in first_cell
    assert "tau_m: 12.5" in first_cell and "cm: 1.0" in first_cell
    context = p.describe(template=None)
    assert isinstance(context, dict)
    assert context["size"] == 4 and context["label"] == "exc"
    assert context["first_id"] == p.first_id
    assert context["cell_parameters"]["tau_m"] == 12.5
    assert dict(context["cell_parameters"]) == {**sim.IF_curr_exp.default_parameters,
                                                "tau_m": 12.5}
    s = sim.Population(2, sim.SpikeSourceArray(spike_times=[1.5, 2.5]), label="src")
    assert "spike_times: [1.5, 2.5]" in s.describe()


def test_find_units_can_record_conductance_based():
    p = make(2)
    assert p.find_units("v") == "mV"
    assert p.find_units("isyn_exc") == "nA"
    assert p.find_units("tau_m") == "ms"
    assert p.find_units("cm") == "nF"
    with pytest.raises(errors.NonExistentParameterError):
        p.find_units("gsyn_exc")
    assert p.can_record("v") and p.can_record("spikes") and p.can_record("isyn_inh")
    assert not p.can_record("gsyn_exc")
    s = sim.Population(2, sim.SpikeSourceArray(spike_times=[1.0]))
    assert s.can_record("spikes") and not s.can_record("v")
    assert p.conductance_based is False


def test_receptor_types_as_property_and_method():
    p = make(2)
    assert tuple(p.receptor_types) == ("excitatory", "inhibitory")
    assert tuple(p.receptor_types()) == ("excitatory", "inhibitory")


# -- sample, nearest, positions ------------------------------------------------------------

def test_sample_gives_a_view_of_n_distinct_cells():
    p = make(20)
    view = p.sample(6, sim.NumpyRNG(seed=5))
    expected = np.sort(np.random.RandomState(5).permutation(20)[:6])
    assert isinstance(view, sim.PopulationView) and view.parent is p
    assert view.size == 6 and len({int(c) for c in view.all_cells}) == 6
    np.testing.assert_array_equal(view.index_in_grandparent(np.arange(6)), expected)
    for bad in (0, 21, 2.5):
        with pytest.raises(ValueError, match="sample"):
            p.sample(bad)


def test_nearest_and_save_positions_with_a_structure(tmp_path):
    p = sim.Population(12, sim.IF_curr_exp(), label="grid",
                       structure=Grid2D(aspect_ratio=4 / 3, dx=2.0, dy=3.0))
    # 4 x 3 grid filled column by column: x in {0, 2, 4, 6}, y in {0, 3, 6}
    xs, ys = np.meshgrid([0.0, 2.0, 4.0, 6.0], [0.0, 3.0, 6.0], indexing="ij")
    np.testing.assert_array_equal(p.positions[:2], [xs.ravel(), ys.ravel()])
    cell = p.nearest((4.1, 2.9, 0.0))
    assert cell is p[7]
    np.testing.assert_array_equal(cell.position, [4.0, 3.0, 0.0])
    path = tmp_path / "positions.txt"
    p.save_positions(str(path))
    text = path.read_text()
    assert "grid" in text.splitlines()[0]
    rows = np.loadtxt(path)
    np.testing.assert_array_equal(rows[:, 0], np.arange(12))
    np.testing.assert_array_equal(rows[:, 1:], p.positions.T)


# -- inject, placement, atoms per core -----------------------------------------------------

def test_inject_checks_what_is_injected_and_where():
    p = make(2)
    with pytest.raises(TypeError, match="takes a current source.*object"):
        p.inject(object())
    p[1].inject(sim.DCSource(amplitude=0.1))          # a cell (IDMixin.inject)
    s = sim.Population(2, sim.SpikeSourceArray(spike_times=[1.0]), label="src")
    with pytest.raises(TypeError, match="spike source"):
        s.inject(sim.DCSource(amplitude=0.1))


def test_placement_constraint_stored_readable_and_checked():
    p = make(3)
    assert p.placement_constraint is None
    p.add_placement_constraint(1, 2)
    assert p.placement_constraint == (1, 2, None)
    p.add_placement_constraint(x=3, y=4, p=5)
    assert p.placement_constraint == (3, 4, 5)
    k = state.populations.index(p)
    assert build_network(state).populations[k].placement == (3, 4, 5)
    for args in ((-1, 0), (1.5, 0), (True, 0), (0, 0, -2), ("0", 0)):
        with pytest.raises(errors.InvalidParameterValueError, match="non-negative integer"):
            p.add_placement_constraint(*args)
    assert p.placement_constraint == (3, 4, 5)
    with pytest.raises(errors.InvalidParameterValueError, match="'exc'"):
        p[0:2].add_placement_constraint(0, 0)


def test_max_atoms_per_core_stored_readable_and_checked():
    p = make(3)
    assert p.max_atoms_per_core is None
    p.set_max_atoms_per_core(64)
    assert p.max_atoms_per_core == 64
    p.set_max_atoms_per_core((8, 4))
    assert p.max_atoms_per_core == (8, 4)
    k = state.populations.index(p)
    assert build_network(state).populations[k].max_atoms_per_core == (8, 4)
    for bad in (0, -3, 2.5, (), (4, 0), True, "8"):
        with pytest.raises(errors.InvalidParameterValueError, match="max_atoms_per_core"):
            p.set_max_atoms_per_core(bad)
    assert p.max_atoms_per_core == (8, 4)
    with pytest.raises(errors.InvalidParameterValueError, match="whole Populations"):
        p[1:3].set_max_atoms_per_core(2)


# -- cells (IDMixin) -----------------------------------------------------------------------

def test_cell_parameters_by_attribute_and_get_set_parameters():
    p = make(4)
    p.set(tau_m=[10.0, 11.0, 12.0, 13.0])
    c = p[2]
    assert isinstance(c, IDMixin) and c.parent is p
    assert c.id == int(c) == int(p.first_id) + 2
    assert c.tau_m == 12.0
    assert c.get_parameters() == {**sim.IF_curr_exp.default_parameters, "tau_m": 12.0}
    c.set_parameters(tau_m=30.0, cm=2.0)
    np.testing.assert_array_equal(p.get("tau_m"), [10.0, 11.0, 30.0, 13.0])
    np.testing.assert_array_equal(p.get("cm"), [1.0, 1.0, 2.0, 1.0])
    c.tau_m = 31.0
    assert p.get("tau_m", simplify=False)[2] == 31.0
    with pytest.raises(errors.NonExistentParameterError):
        c.not_a_parameter
    assert not hasattr(c, "not_a_parameter")
    assert getattr(c, "not_a_parameter", "default") == "default"
    with pytest.raises(errors.InvalidParameterValueError):
        c.set_parameters(cm=-1.0)


def test_cell_initial_values():
    p = make(4)
    p.initialize(v=[-70.0, -69.0, -68.0, -67.0])
    c = p[1]
    assert c.get_initial_value("v") == -69.0
    assert c.initial_values == {"v": -69.0, "isyn_exc": 0.0, "isyn_inh": 0.0}
    c.set_initial_value("v", -60.0)
    np.testing.assert_array_equal(p.initial_values["v"].evaluate(),
                                  [-70.0, -60.0, -68.0, -67.0])
    np.testing.assert_array_equal(p.current_values["v"], [-70.0, -60.0, -68.0, -67.0])
    with pytest.raises(errors.NonExistentParameterError):
        c.get_initial_value("w")


def test_cell_as_view_local_position_structure():
    p = sim.Population(4, sim.IF_curr_exp(), structure=Line(dx=0.5, x0=1.0), label="line")
    c = p[2]
    view = c.as_view()
    assert isinstance(view, sim.PopulationView) and view.parent is p
    assert view.size == 1 and list(view.all_cells) == [c]
    assert c.local is True
    assert c.structure is p.structure
    np.testing.assert_array_equal(c.position, [2.0, 0.0, 0.0])
    np.testing.assert_array_equal(c.positions, [[2.0], [0.0], [0.0]])
    np.testing.assert_array_equal(c.position_generator(0), [2.0, 0.0, 0.0])


def test_homogeneous_initial_values_simplify_to_one_value():
    # as PyNN keeps them (its scenario test_reset_recording compares
    # p.initial_values['v'].evaluate(simplify=True) with one recorded value)
    p = make(4)
    assert p.initial_values["v"].evaluate(simplify=True) == -65.0
    np.testing.assert_array_equal(p.initial_values["v"].evaluate(), [-65.0] * 4)
    assert p[1:3].initial_values["v"].evaluate(simplify=True) == -65.0
    p.initialize(v=[-70.0, -69.0, -69.0, -67.0])
    np.testing.assert_array_equal(p.initial_values["v"].evaluate(simplify=True),
                                  [-70.0, -69.0, -69.0, -67.0])
    assert p[1:3].initial_values["v"].evaluate(simplify=True) == -69.0
    q = sim.Population(2, sim.IF_curr_exp())
    q.initialize(v=-69.0)
    assert (p[1:3] + q).initial_values["v"].evaluate(simplify=True) == -69.0
    np.testing.assert_array_equal((p + q).initial_values["v"].evaluate(),
                                  [-70.0, -69.0, -69.0, -67.0, -69.0, -69.0])
