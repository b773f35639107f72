"""PopulationView and Assembly: selection, index mapping, values and recording through
them. Spike times come from the closed-form threshold crossings of test_recording."""
import neo
import numpy as np
import pytest
import quantities as pq
from pyNN import errors

import spinnframe.pyNN as sim
from spinnframe.errors import RecordingError
from spinnframe.simulator import state
from test_recording import lif_spike_times


@pytest.fixture(autouse=True)
def simulation():
    sim.setup(timestep=0.1)
    yield
    if state.phase == "setup":
        sim.end()


def pop(n, label, **params):
    return sim.Population(n, sim.IF_curr_exp(**params), label=label)


def ids(cells):
    return [int(c) for c in cells]


# -- PopulationView ------------------------------------------------------------------------

def test_the_three_selectors_give_the_same_view():
    pop(3, "first")
    p = pop(5, "p")
    views = [sim.PopulationView(p, np.array([False, False, True, False, True])),
             sim.PopulationView(p, np.array([2, 4])),
             sim.PopulationView(p, slice(2, 5, 2)),
             p[np.array([False, False, True, False, True])], p[[2, 4]], p[2:5:2]]
    for view in views:
        assert ids(view.all_cells) == [int(p.first_id) + 2, int(p.first_id) + 4]
        assert view.size == 2 and view.parent is p
        assert view == views[0]


def test_views_of_views_parent_grandparent_mask_and_index_mapping():
    pop(3, "first")
    p = pop(10, "p")
    v = p[2:8]
    assert v.size == 6 and v.parent is p and v.grandparent is p
    assert v.mask == slice(2, 8)
    vv = v[1::2]                       # p indices 3, 5, 7
    assert vv.parent is v and vv.grandparent is p
    assert ids(vv.all_cells) == ids(p.all_cells[[3, 5, 7]])
    np.testing.assert_array_equal(vv.index_in_grandparent([0, 1, 2]), [3, 5, 7])
    for view in (v, vv):
        assert view.id_to_index(view[2]) == 2 and isinstance(view.id_to_index(view[2]), int)
    assert v.id_to_index(v[3]) == 3
    np.testing.assert_array_equal(vv.id_to_index([vv[2], vv[0]]), [2, 0])
    assert vv.index_to_id(1) is p[5]
    assert vv.id_to_local_index(p[7]) == 2
    with pytest.raises(IndexError, match=f"ID {int(p[4])} is not in view"):
        vv.id_to_index(p[4])
    backwards = p[::-1]
    assert backwards.id_to_index(backwards[3]) == 3 and backwards[3] is p[6]
    assert sim.PopulationView(p, -1).all_cells[0] is p[9]


def test_bad_selectors_are_refused_clearly():
    p = pop(10, "p")
    with pytest.raises(IndexError, match="index 10 is out of range"):
        p[[0, 10]]
    with pytest.raises(ValueError, match="boolean mask.*10"):
        p[np.array([True, False])]
    with pytest.raises(ValueError, match="selects no cells"):
        p[5:5]
    with pytest.raises(ValueError, match="selects no cells"):
        p[np.zeros(10, bool)]


def test_set_get_initialize_set_state_through_views_write_the_right_cells():
    p = pop(10, "p")
    vv = p[2:8][1::2]                  # p indices 3, 5, 7
    at = [3, 5, 7]
    vv.set(tau_m=[31.0, 32.0, 33.0], cm=lambda i: 1.0 + i)
    tau_m = np.full(10, 20.0)
    tau_m[at] = [31.0, 32.0, 33.0]
    cm = np.ones(10)
    cm[at] = [1.0, 2.0, 3.0]           # a function of the index in the view
    np.testing.assert_array_equal(p.get("tau_m"), tau_m)
    np.testing.assert_array_equal(p.get("cm"), cm)
    np.testing.assert_array_equal(vv.get("tau_m"), [31.0, 32.0, 33.0])
    assert p[2:8][0:1].get("tau_m") == 20.0
    vv.initialize(v=sim.RandomDistribution("uniform", low=-70.0, high=-60.0,
                                           rng=sim.NumpyRNG(seed=4)))
    v = np.full(10, -65.0)
    v[at] = np.random.RandomState(4).uniform(-70.0, -60.0, size=3)
    np.testing.assert_array_equal(p.initial_values["v"].evaluate(), v)
    np.testing.assert_array_equal(p.current_values["v"], v)
    np.testing.assert_array_equal(vv.initial_values["v"].evaluate(), v[at])
    vv.set_state(isyn_exc=[0.1, 0.2, 0.3])
    exc = np.zeros(10)
    exc[at] = [0.1, 0.2, 0.3]
    np.testing.assert_array_equal(p.current_values["isyn_exc"], exc)
    np.testing.assert_array_equal(vv.current_values["isyn_exc"], [0.1, 0.2, 0.3])
    np.testing.assert_array_equal(p.initial_values["isyn_exc"].evaluate(), np.zeros(10))


def test_record_from_a_view_get_data_and_spinnaker_get_data():
    currents = [1.0, 2.0, 2.5, 3.0, 3.5, 4.0]
    p = sim.Population(6, sim.IF_curr_exp(i_offset=currents), label="drv")
    view = p[1:4]
    view.record(["spikes", "v"])
    sim.run(30.0)
    whole = p.get_data().segments[0]
    assert [st.annotations["source_index"] for st in whole.spiketrains] == [1, 2, 3]
    seg = view.get_data().segments[0]
    assert [st.annotations["channel_id"] for st in seg.spiketrains] == ids(view.all_cells)
    for st, current in zip(seg.spiketrains, currents[1:4]):
        np.testing.assert_allclose(st.magnitude, lif_spike_times(current, 30.0))
    v = seg.analogsignals[0]
    assert v.shape == (301, 3)
    np.testing.assert_array_equal(v.array_annotations["channel_index"], [1, 2, 3])
    spikes = view.spinnaker_get_data("spikes")      # indices in the Population
    expected = [[i, t] for i in (1, 2, 3) for t in lif_spike_times(currents[i], 30.0)]
    np.testing.assert_allclose(spikes, expected)
    np.testing.assert_array_equal(view.spinnaker_get_data("v", as_matrix=True), v.magnitude)
    part = view[1:3]                    # p indices 2, 3
    assert len(part.get_data("spikes").segments[0].spiketrains) == 2
    # after a reset a view still gets only its own cells, in every segment
    sim.reset()
    sim.run(5.0)
    segs = part.get_data().segments
    assert len(segs) == 2
    for s in segs:
        assert [st.annotations["source_index"] for st in s.spiketrains] == [2, 3]
        np.testing.assert_array_equal(s.analogsignals[0].array_annotations["channel_index"],
                                      [2, 3])


def test_view_shares_the_populations_properties(tmp_path):
    currents = [2.0, 2.5, 3.0, 3.5]
    p = sim.Population(4, sim.IF_curr_exp(i_offset=currents), label="drv",
                       structure=sim.space.Line(dx=2.0))
    view = p[1:3]
    assert view.label == "view of 'drv' with size 2"
    assert sim.PopulationView(p, [0], label="first").label == "first"
    assert view.celltype is p.celltype and view.conductance_based is False
    assert view.structure is p.structure
    assert view.can_record("v") and not view.can_record("gsyn_exc")
    assert view.find_units("v") == "mV"
    assert tuple(view.receptor_types()) == ("excitatory", "inhibitory")
    np.testing.assert_array_equal(view.positions, [[2.0, 4.0], [0.0, 0.0], [0.0, 0.0]])
    np.testing.assert_array_equal(view.position_generator(1), [4.0, 0.0, 0.0])
    assert view.nearest((3.9, 0.0, 0.0)) is p[2]
    assert list(view.all()) == [p[1], p[2]] and view.local_size == 2
    assert view.is_local(p[2]) is True
    with pytest.raises(TypeError, match="takes a current source"):
        view.inject(object())
    view.record("spikes")
    sim.run(20.0)
    expected = {int(p[i]): len(lif_spike_times(currents[i], 20.0)) for i in (1, 2)}
    assert view.get_spike_counts() == expected
    assert view.mean_spike_count() == pytest.approx(np.mean(list(expected.values())))
    path = tmp_path / "view.pkl"
    view.write_data(str(path), annotations={"note": "view"})
    block = neo.io.PickleIO(filename=str(path)).read_block()
    assert block.annotations["note"] == "view"
    assert [st.annotations["channel_id"] for st in block.segments[0].spiketrains] == \
        sorted(expected)


def test_view_sample_and_describe():
    p = pop(10, "p")
    view = p[2:8]
    sample = view.sample(3, sim.NumpyRNG(seed=1))
    expected = 2 + np.sort(np.random.RandomState(1).permutation(6)[:3])
    assert sample.parent is view and sample.grandparent is p
    np.testing.assert_array_equal(sample.index_in_grandparent(np.arange(3)), expected)
    text = view.describe()
    assert 'parent : "p"' in text and "size   : 6" in text
    context = view.describe(template=None)
    assert context["size"] == 6 and context["parent"] == "p"
    assert context["mask"] == slice(2, 8)


# -- Assembly ------------------------------------------------------------------------------

def test_assembly_construction_indexing_and_ids():
    p1, p2, p3 = pop(4, "p1"), pop(3, "p2"), pop(2, "p3")
    a = p1 + p2
    assert isinstance(a, sim.Assembly) and a.populations == [p1, p2] and a.size == 7
    b = p1 + p2[0:2]
    assert b.size == 6 and isinstance(b.populations[1], sim.PopulationView)
    c = a + p3
    assert c.populations == [p1, p2, p3] and c.size == 9
    assert a[5] is p2[1] and a[-1] is p2[2] and a[0] is p1[0]
    with pytest.raises(IndexError, match="out of range"):
        a[7]
    sub = a[2:6]
    assert isinstance(sub, sim.Assembly)
    assert ids(sub.all_cells) == ids(list(p1.all_cells[2:]) + list(p2.all_cells[:2]))
    assert a.id_to_index(p2[1]) == 5
    np.testing.assert_array_equal(a.id_to_index([p1[0], p2[2]]), [0, 6])
    assert a.index_to_id(5) is p2[1]
    with pytest.raises(IndexError, match="not in"):
        a.id_to_index(p3[0])
    d = p3 + p1[1:3]
    assert d.id_to_index(p1[2]) == 3


def test_assembly_get_set_initialize_set_state_across_members():
    p1, p2 = pop(4, "p1"), pop(3, "p2")
    a = p1 + p2
    a.set(tau_m=25.0)
    assert p1.get("tau_m") == 25.0 and p2.get("tau_m") == 25.0 and a.get("tau_m") == 25.0
    a.set(tau_m=np.arange(7) + 10.0, cm=lambda i: 1.0 + 0.1 * i)
    np.testing.assert_array_equal(p1.get("tau_m"), [10.0, 11.0, 12.0, 13.0])
    np.testing.assert_array_equal(p2.get("tau_m"), [14.0, 15.0, 16.0])
    np.testing.assert_allclose(a.get("cm"), 1.0 + 0.1 * np.arange(7))
    tau_m, cm = a.get(["tau_m", "cm"])
    np.testing.assert_array_equal(tau_m, np.arange(7) + 10.0)
    a.initialize(v=sim.RandomDistribution("uniform", low=-70.0, high=-60.0,
                                          rng=sim.NumpyRNG(seed=3)))
    expected = np.random.RandomState(3).uniform(-70.0, -60.0, size=7)
    np.testing.assert_array_equal(np.concatenate([p1.initial_values["v"].evaluate(),
                                                  p2.initial_values["v"].evaluate()]),
                                  expected)
    np.testing.assert_array_equal(a.initial_values["v"].evaluate(), expected)
    a.set_state(v=-55.0)
    np.testing.assert_array_equal(a.current_values["v"], np.full(7, -55.0))
    np.testing.assert_array_equal(a.initial_values["v"].evaluate(), expected)
    with pytest.raises(errors.InvalidParameterValueError, match="3 values.*7 cells"):
        a.set(tau_m=[1.0, 2.0, 3.0])
    mixed = p1[1:3] + p2
    mixed.set(tau_m=[1.0, 2.0, 3.0, 4.0, 5.0])
    np.testing.assert_array_equal(p1.get("tau_m"), [10.0, 1.0, 2.0, 13.0])
    np.testing.assert_array_equal(p2.get("tau_m"), [3.0, 4.0, 5.0])


def test_assembly_of_spike_sources_takes_one_or_per_cell_spike_times():
    s1 = sim.Population(2, sim.SpikeSourceArray(spike_times=[1.0]), label="s1")
    s2 = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0]), label="s2")
    a = s1 + s2
    a.set(spike_times=[1.0, 2.0, 3.0])          # one sequence for every cell
    assert [list(x.value) for x in a.get("spike_times", simplify=False)] == [[1, 2, 3]] * 3
    a.set(spike_times=[[1.0], [2.0, 2.5], [3.0]])   # one sequence per cell
    assert list(s2.get("spike_times").value) == [3.0]
    a.record("spikes")
    sim.run(5.0)
    np.testing.assert_array_equal(a.spinnaker_get_data("spikes"),
                                  [[0, 1.0], [1, 2.0], [1, 2.5], [2, 3.0]])
    assert a.get_spike_counts() == {int(s1[0]): 1, int(s1[1]): 2, int(s2[0]): 1}


def test_assembly_recording_counts_and_files(tmp_path):
    c1, c2 = [2.0, 2.5, 3.0], [1.5, 3.5]
    p1 = sim.Population(3, sim.IF_curr_exp(i_offset=c1), label="p1")
    p2 = sim.Population(2, sim.IF_curr_exp(i_offset=c2), label="p2")
    a = p1 + p2
    a.record(["spikes", "v"])
    sim.run(30.0)
    expected = {int(c): lif_spike_times(i, 30.0)
                for c, i in zip(list(p1.all_cells) + list(p2.all_cells), c1 + c2)}
    for _ in range(2):                 # reading does not change what is read next time
        block = a.get_data()
        seg = block.segments[0]
        assert {st.annotations["channel_id"] for st in seg.spiketrains} == set(expected)
        for st in seg.spiketrains:
            np.testing.assert_allclose(st.magnitude, expected[st.annotations["channel_id"]])
        (v,) = seg.analogsignals
        assert v.shape == (301, 5) and v.units == pq.mV
        np.testing.assert_array_equal(v.array_annotations["channel_index"], np.arange(5))
        np.testing.assert_array_equal(v.annotations["channel_ids"], sorted(expected))
    np.testing.assert_array_equal(
        p1.get_data("v").segments[0].analogsignals[0].array_annotations["channel_index"],
        [0, 1, 2])
    counts = a.get_spike_counts()
    assert counts == {k: len(t) for k, t in expected.items()}
    assert a.mean_spike_count() == pytest.approx(np.mean([len(t) for t in expected.values()]))
    path = tmp_path / "assembly.pkl"
    a.write_data(str(path), "spikes")
    seg = neo.io.PickleIO(filename=str(path)).read_block().segments[0]
    assert len(seg.spiketrains) == 5 and len(seg.analogsignals) == 0
    with pytest.raises(RecordingError, match="isyn_exc"):
        a.get_data("isyn_exc")
    sim.reset()
    sim.run(10.0)
    for _ in range(2):
        block = a.get_data()
        assert [s.name for s in block.segments] == ["segment000", "segment001"]
        for seg, t_stop in zip(block.segments, (30.0, 10.0)):
            (v,) = seg.analogsignals
            assert v.shape == (int(t_stop * 10) + 1, 5)
            np.testing.assert_array_equal(v.array_annotations["channel_index"], np.arange(5))
    # the members' own data is untouched by the assembly's reading (PyNN's Assembly
    # merged p2's signals into p1's cached segment and shifted its channel_index)
    for seg in p1.get_data("v").segments:
        (v,) = seg.analogsignals
        assert v.shape[1] == 3
        np.testing.assert_array_equal(v.array_annotations["channel_index"], [0, 1, 2])


def test_assembly_with_a_view_member_maps_to_assembly_positions(tmp_path):
    c1, c2 = [2.0, 2.5, 3.0, 3.5], [1.5, 4.0]
    p1 = sim.Population(4, sim.IF_curr_exp(i_offset=c1), label="p1")
    p2 = sim.Population(2, sim.IF_curr_exp(i_offset=c2), label="p2")
    a = p1[2:4] + p2                   # positions 0, 1 -> p1[2], p1[3]; 2, 3 -> p2
    path = tmp_path / "end.pkl"
    a.record(["spikes", "v"], to_file=str(path))
    sim.run(20.0)
    currents = [3.0, 3.5, 1.5, 4.0]
    rows = a.spinnaker_get_data("spikes")
    expected = [[k, t] for k, i in enumerate(currents) for t in lif_spike_times(i, 20.0)]
    np.testing.assert_allclose(rows[np.lexsort((rows[:, 1], rows[:, 0]))], expected)
    assert a.spinnaker_get_data("v", as_matrix=True).shape == (201, 4)
    v = a.get_data("v").segments[0].analogsignals[0]
    np.testing.assert_array_equal(v.array_annotations["channel_index"], [0, 1, 2, 3])
    sim.end()                          # writes the whole assembly to one file
    seg = neo.io.PickleIO(filename=str(path)).read_block().segments[0]
    assert len(seg.spiketrains) == 4 and seg.analogsignals[0].shape == (201, 4)


def test_assembly_describe_units_receptors_nearest_sample_inject():
    p1 = pop(4, "p1")
    p2 = sim.Population(3, sim.IF_curr_exp(), label="p2", structure=sim.space.Line(x0=10.0))
    a = p1 + p2
    text = a.describe()
    assert "p1" in text and "p2" in text
    assert a.find_units("v") == "mV"
    assert tuple(a.receptor_types) == ("excitatory", "inhibitory") == tuple(a.receptor_types())
    assert a.nearest((11.2, 0.0, 0.0)) is p2[1]
    sample = a.sample(3, sim.NumpyRNG(seed=2))
    chosen = np.sort(np.random.RandomState(2).permutation(7)[:3])
    assert ids(sample.all_cells) == ids(a.all_cells[chosen])
    assert a.conductance_based is False
    with pytest.raises(TypeError, match="takes a current source"):
        a.inject(object())
    s = sim.Population(2, sim.SpikeSourceArray(spike_times=[1.0]), label="src")
    with pytest.raises(RecordingError, match="'spikes' was not recorded"):
        (p1 + s).get_spike_counts()
