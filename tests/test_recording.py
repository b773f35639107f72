"""Recording: spikes and state variables, neo conventions, clear/reset, files, numpy.

Expected values come from closed-form solutions: a leaky integrator with a constant
current (``i_offset``) has v(t) = v_inf + (v0 - v_inf) exp(-t / tau_m) between spikes;
an exponential synapse decays as w exp(-(t - t_arrival) / tau_syn).
"""
import math

import neo
import numpy as np
import pytest
import quantities as pq
from pyNN import errors

import spinnframe.pyNN as sim
from spinnframe.errors import RecordingError
from spinnframe.simulator import state

DT = 0.1
TAU_M, R_M = 20.0, 20.0       # IF_curr_exp defaults: tau_m 20 ms, cm 1 nF -> R = 20 MOhm
V_REST, V_THRESH = -65.0, -50.0


@pytest.fixture(autouse=True)
def simulation():
    sim.setup(timestep=DT)
    yield
    if state.phase == "setup":
        sim.end()


def lif_spike_times(i_offset, t_stop, v0=V_REST, dt=DT, refrac_steps=1):
    """Spike times of IF_curr_exp (default parameters, tau_refrac one step) driven by a
    constant current on the time grid: a spike is stamped at the first grid time where
    v >= v_thresh; after it v restarts from v_rest once the refractory step is over."""
    v_inf = V_REST + R_M * i_offset
    if v_inf <= V_THRESH:
        return []
    to_threshold = math.ceil(-TAU_M * math.log((v_inf - V_THRESH) / (v_inf - v0)) / dt - 1e-9)
    period = refrac_steps + math.ceil(
        -TAU_M * math.log((v_inf - V_THRESH) / (v_inf - V_REST)) / dt - 1e-9)
    steps = range(to_threshold, int(round(t_stop / dt)) + 1, period)
    return [round(k * dt, 9) for k in steps]


def driven(currents, label="drv"):
    return sim.Population(len(currents), sim.IF_curr_exp(i_offset=list(currents)),
                          label=label)


def signals(segment):
    return {s.name: s for s in segment.analogsignals}


# -- neo conventions -----------------------------------------------------------------------

def test_spikes_and_signals_follow_pynn_neo_conventions():
    src = sim.Population(2, sim.SpikeSourceArray(spike_times=[[5.0, 15.0], [10.0]]),
                         label="src")
    post = sim.Population(2, sim.IF_curr_exp(v_thresh=0.0), label="post")
    sim.Projection(src[0:1], post, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=5.0, delay=1.0), receptor_type="excitatory")
    sim.Projection(src[1:2], post, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=-3.0, delay=1.0), receptor_type="inhibitory")
    src.record("spikes")
    post.record(["spikes", "v", "isyn_exc", "isyn_inh"], sampling_interval=0.5)
    sim.run(30.0)

    src_seg = src.get_data("spikes").segments[0]
    assert [list(st.magnitude) for st in src_seg.spiketrains] == [[5.0, 15.0], [10.0]]

    block = post.get_data()
    assert block.name == "post"
    assert len(block.segments) == 1 and block.segments[0].name == "segment000"
    seg = block.segments[0]
    assert len(seg.spiketrains) == 2
    for i, st in enumerate(seg.spiketrains):
        assert st.annotations["source_index"] == i
        assert st.annotations["channel_id"] == int(post[i])
        assert st.annotations["source_population"] == "post"
        assert st.t_start == 0 * pq.ms and st.t_stop == 30.0 * pq.ms
        assert len(st) == 0          # v_thresh = 0 mV is out of reach
    sig = signals(seg)
    assert set(sig) == {"v", "isyn_exc", "isyn_inh"}
    assert sig["v"].units == pq.mV
    assert sig["isyn_exc"].units == pq.nA and sig["isyn_inh"].units == pq.nA
    t = np.arange(61) * 0.5        # sampled at t = 0, 0.5, ..., 30 ms inclusive
    for s in sig.values():
        assert s.shape == (61, 2)
        assert s.t_start == 0 * pq.ms
        assert s.sampling_period == 0.5 * pq.ms
        np.testing.assert_allclose(s.times.rescale("ms").magnitude, t)
        np.testing.assert_array_equal(s.array_annotations["channel_index"], [0, 1])
        np.testing.assert_array_equal(s.annotations["channel_ids"],
                                      [int(c) for c in post.all_cells])
    exc = sum(np.where(t >= ta - 1e-9, 5.0 * np.exp(-(t - ta) / 5.0), 0.0)
              for ta in (6.0, 16.0))           # spikes at 5 and 15 ms, 1 ms delay
    inh = np.where(t >= 11.0 - 1e-9, -3.0 * np.exp(-(t - 11.0) / 5.0), 0.0)
    np.testing.assert_allclose(sig["isyn_exc"].magnitude, np.column_stack([exc, exc]),
                               atol=1e-9)
    np.testing.assert_allclose(sig["isyn_inh"].magnitude, np.column_stack([inh, inh]),
                               atol=1e-9)
    np.testing.assert_array_equal(sig["v"].magnitude[0], [V_REST, V_REST])


def test_v_matches_the_leaky_integrator_and_spike_times_the_threshold_crossings():
    currents = [0.5, 2.0, 2.5, 3.0]
    p = driven(currents)
    p.initialize(v=-70.0)
    p.record(["spikes", "v"], sampling_interval=1.0)
    sim.run(50.0)
    seg = p.get_data().segments[0]
    v = signals(seg)["v"]
    t = np.arange(51) * 1.0
    v_inf = V_REST + R_M * 0.5     # neuron 0 stays below threshold
    np.testing.assert_allclose(v.magnitude[:, 0], v_inf + (-70.0 - v_inf) * np.exp(-t / TAU_M),
                               atol=1e-9)
    for i, st in enumerate(seg.spiketrains):
        np.testing.assert_allclose(st.magnitude, lif_spike_times(currents[i], 50.0, v0=-70.0),
                                   atol=1e-9)


def test_get_data_before_any_run_gives_an_empty_segment():
    p = driven([2.0, 2.0])
    p.record(["spikes", "v"])
    block = p.get_data()
    assert len(block.segments) == 1
    assert all(len(st) == 0 for st in block.segments[0].spiketrains)
    assert len(block.segments[0].analogsignals) == 0


# -- what can be recorded ------------------------------------------------------------------

def test_sampling_interval_must_be_a_multiple_of_the_time_step():
    p = driven([1.0])
    for bad in (0.15, -1.0, 0.0):
        with pytest.raises(ValueError, match=str(bad)):
            p.record("v", sampling_interval=bad)
    with pytest.raises(ValueError, match="abc"):
        p.record("v", sampling_interval="abc")
    p.record("v", sampling_interval=0.3)
    sim.run(3.0)
    v = p.get_data("v").segments[0].analogsignals[0]
    assert v.sampling_period == 0.3 * pq.ms and v.shape == (11, 1)


def test_recording_an_unknown_variable_lists_the_recordable_ones():
    p = driven([1.0])
    with pytest.raises(RecordingError, match="gsyn_exc.*spikes, v, isyn_exc, isyn_inh"):
        p.record(["v", "gsyn_exc"])
    assert isinstance(RecordingError("x"), errors.RecordingError)


def test_get_data_of_an_unrecorded_variable_says_what_was_recorded():
    p = driven([2.0])
    p.record("spikes")
    sim.run(5.0)
    with pytest.raises(RecordingError, match="'v' was not recorded.*recorded: spikes"):
        p.get_data("v")
    with pytest.raises(RecordingError, match="recorded: spikes"):
        p.spinnaker_get_data("isyn_exc")
    q = driven([2.0], label="silent")
    with pytest.raises(RecordingError, match="recorded: nothing"):
        q.get_spike_counts()


# -- clear, reset, record(None) ----------------------------------------------------------------

def test_get_data_clear_removes_the_data_returned():
    p = driven([2.0])
    p.record(["spikes", "v"])
    sim.run(10.0)
    first = p.get_data(clear=True).segments[0]
    assert signals(first)["v"].shape == (101, 1)
    np.testing.assert_allclose(first.spiketrains[0].magnitude, lif_spike_times(2.0, 10.0))
    after = p.get_data().segments[0]
    assert len(after.spiketrains[0]) == 0 and len(after.analogsignals) == 0
    sim.run(15.0)
    seg = p.get_data().segments[0]
    v = signals(seg)["v"]
    assert v.t_start == 10.0 * pq.ms and v.shape == (151, 1)
    # sampling continues where it stopped: the sample at 10 ms is the last one of before
    assert v.magnitude[0, 0] == signals(first)["v"].magnitude[-1, 0]
    expected = [t for t in lif_spike_times(2.0, 25.0) if t > 10.0]
    np.testing.assert_allclose(seg.spiketrains[0].magnitude, expected)


def test_one_segment_per_reset():
    p = driven([2.5])
    p.record(["spikes", "v"])
    sim.run(20.0)
    sim.reset()
    sim.run(10.0)
    block = p.get_data(annotations={"trial": 3})
    assert block.annotations["trial"] == 3 and block.annotations["label"] == "drv"
    assert [s.name for s in block.segments] == ["segment000", "segment001"]
    v0, v1 = (signals(s)["v"] for s in block.segments)
    assert v0.shape == (201, 1) and v1.shape == (101, 1)
    assert v1.t_start == 0 * pq.ms
    # after reset the run repeats the first 10 ms exactly
    np.testing.assert_array_equal(v1.magnitude, v0.magnitude[:101])
    np.testing.assert_allclose(block.segments[0].spiketrains[0].magnitude,
                               lif_spike_times(2.5, 20.0))
    np.testing.assert_allclose(block.segments[1].spiketrains[0].magnitude,
                               lif_spike_times(2.5, 10.0))
    # reading twice gives the same: nothing handed out is shared with the cache
    block.segments[0].analogsignals[0].array_annotate(channel_index=np.array([99]))
    again = p.get_data()
    np.testing.assert_array_equal(
        again.segments[0].analogsignals[0].array_annotations["channel_index"], [0])


def test_record_none_stops_recording():
    p = driven([2.0])
    p.record(["spikes", "v"])
    sim.run(10.0)
    p.record(None)
    sim.run(10.0)
    seg = p.get_data().segments[0]
    assert len(seg.analogsignals) == 0 and len(seg.spiketrains) == 0
    with pytest.raises(RecordingError, match="recorded: nothing"):
        p.get_data("v")
    p.record("spikes")
    sim.run(10.0)
    assert len(p.get_data("spikes").segments[0].spiketrains) == 1


# -- files ---------------------------------------------------------------------------------

def test_write_data_to_pkl_and_read_it_back_with_neo(tmp_path):
    p = driven([2.0, 3.0])
    p.record(["spikes", "v"], sampling_interval=0.5)
    sim.run(20.0)
    path = tmp_path / "data.pkl"
    p.write_data(str(path))
    block = neo.io.PickleIO(filename=str(path)).read_block()
    seg = block.segments[0]
    for i, current in enumerate((2.0, 3.0)):
        np.testing.assert_allclose(seg.spiketrains[i].magnitude, lif_spike_times(current, 20.0))
    np.testing.assert_array_equal(signals(seg)["v"].magnitude,
                                  signals(p.get_data().segments[0])["v"].magnitude)
    only_spikes = tmp_path / "spikes.pkl"
    p.write_data(str(only_spikes), "spikes")
    seg = neo.io.PickleIO(filename=str(only_spikes)).read_block().segments[0]
    assert len(seg.analogsignals) == 0 and len(seg.spiketrains) == 2


def test_record_to_file_writes_at_end(tmp_path):
    p = driven([2.0, 2.5])
    q = driven([3.0], label="q")
    path, io_path = tmp_path / "end.pkl", tmp_path / "io.pkl"
    p.record("spikes", to_file=str(path))
    q.record(["spikes", "v"], to_file=neo.io.PickleIO(filename=str(io_path)))
    for bad in ("spikes.txt", 42):     # refused when given, not at end()
        with pytest.raises(ValueError, match="spikes.txt|42"):
            q.record("spikes", to_file=bad)
    with pytest.raises(ValueError, match="x.csv"):
        q.write_data("x.csv")
    sim.run(30.0)
    assert not path.exists() and not io_path.exists()
    sim.end()
    seg = neo.io.PickleIO(filename=str(path)).read_block().segments[0]
    for i, current in enumerate((2.0, 2.5)):
        np.testing.assert_allclose(seg.spiketrains[i].magnitude, lif_spike_times(current, 30.0))
    seg = neo.io.PickleIO(filename=str(io_path)).read_block().segments[0]
    np.testing.assert_allclose(seg.spiketrains[0].magnitude, lif_spike_times(3.0, 30.0))
    assert seg.analogsignals[0].shape == (301, 1)


# -- counts and plain numpy ----------------------------------------------------------------

def test_spike_counts_keyed_by_id_and_mean_spike_count():
    currents = [2.0, 2.5, 3.0, 0.5]
    p = driven(currents)
    p.record("spikes")
    sim.run(40.0)
    expected = [len(lif_spike_times(c, 40.0)) for c in currents]
    counts = p.get_spike_counts()
    assert sorted(counts) == [int(c) for c in p.all_cells]
    assert [counts[c] for c in p.all_cells] == expected
    assert p.mean_spike_count() == pytest.approx(np.mean(expected))
    # only the cells recording spikes are counted
    q = driven(currents, label="part")
    q[1:3].record("spikes")
    sim.run(10.0)
    assert q.get_spike_counts() == {int(q[1]): len(lif_spike_times(2.5, 10.0)),
                                    int(q[2]): len(lif_spike_times(3.0, 10.0))}


def test_spinnaker_get_data_spikes_rows_and_matrices():
    currents = [2.0, 3.0, 0.5]
    p = driven(currents)
    p.record(["spikes", "v"], sampling_interval=1.0)
    sim.run(20.0)
    spikes = p.spinnaker_get_data("spikes")
    expected = np.array([[i, t] for i, c in enumerate(currents)
                         for t in lif_spike_times(c, 20.0)])
    assert spikes.shape == (len(expected), 2)
    np.testing.assert_allclose(spikes, expected)
    rows = p.spinnaker_get_data("v")
    matrix = p.spinnaker_get_data("v", as_matrix=True)
    neo_v = signals(p.get_data("v").segments[0])["v"].magnitude
    assert matrix.shape == (21, 3)
    np.testing.assert_array_equal(matrix, neo_v)
    assert rows.shape == (21 * 3, 3)
    np.testing.assert_array_equal(rows[:, 0], np.tile([0, 1, 2], 21))
    np.testing.assert_allclose(rows[:, 1], np.repeat(np.arange(21.0), 3))
    np.testing.assert_array_equal(rows[:, 2], neo_v.ravel())
    np.testing.assert_array_equal(p.spinnaker_get_data("v", True, view_indexes=[2]),
                                  neo_v[:, [2]])
    with pytest.raises(TypeError, match="single variable"):
        p.spinnaker_get_data(["v"])
    with pytest.raises(IndexError, match="view_indexes"):
        p.spinnaker_get_data("v", view_indexes=[3])


def test_end_writes_every_file_even_if_one_fails(tmp_path):
    sim.setup(timestep=0.1)
    a = sim.Population(2, sim.IF_curr_exp(i_offset=2.0), label="a")
    b = sim.Population(2, sim.IF_curr_exp(i_offset=2.0), label="b")
    (tmp_path / "not_a_dir").write_text("a file where a folder is needed")
    a.record("spikes", to_file=str(tmp_path / "not_a_dir" / "a.pkl"))
    b.record("spikes", to_file=str(tmp_path / "b.pkl"))
    sim.run(20.0)
    with pytest.raises(OSError, match=r"a\.pkl \(a\)"):
        sim.end()
    assert (tmp_path / "b.pkl").exists()


def test_spike_trains_of_many_cells_equal_neos_own_construction():
    """get_data builds the SpikeTrains by slicing one sorted train (fast for many cells);
    each must equal what neo's SpikeTrainList would build, and stand on its own."""
    from neo.core.spiketrainlist import SpikeTrainList
    p = sim.Population(300, sim.SpikeSourcePoisson(rate=40.0), label="src")
    p.record("spikes")
    sim.run(200.0)
    for pop in (p, p[10:200:3]):
        segment = pop.get_data().segments[0]
        trains = segment.spiketrains
        assert type(trains).__name__ == "_SlicedSpikeTrainList"
        reference = SpikeTrainList.from_spike_time_array(
            trains._spike_time_array, trains._channel_id_array, trains._all_channel_ids,
            **trains._spiketrain_metadata, **trains._annotations)
        ours = list(trains)
        assert len(ours) == pop.size and sum(len(t) for t in ours) > 400
        for a, b in zip(ours, reference):
            assert type(a) is type(b) and a.units == b.units
            np.testing.assert_array_equal(a.magnitude, b.magnitude)
            assert a.t_start == b.t_start and a.t_stop == b.t_stop
            assert a.annotations == b.annotations
            assert a.segment is segment
        # independent of an independent path: spinnaker_get_data's (id, time) pairs
        pairs = pop.spinnaker_get_data("spikes")
        for train, cell in zip(ours, pop.all_cells):
            np.testing.assert_allclose(train.magnitude, pairs[pairs[:, 0] == int(cell), 1])
        # each train has its own annotations and limits
        ours[0].annotate(extra=1)
        ours[0].t_stop += 5.0 * pq.ms
        assert "extra" not in ours[1].annotations and ours[1].t_stop == reference[1].t_stop


def test_spike_trains_of_a_cached_segment_are_equal_copies():
    """After reset() the ended segment comes back from the cache as copies: equal trains,
    each with its own metadata, belonging to the segment handed out."""
    p = sim.Population(200, sim.SpikeSourcePoisson(rate=40.0), label="src")
    p.record("spikes")
    sim.run(100.0)
    before = [t for t in p.get_data().segments[0].spiketrains]
    sim.reset()
    sim.run(10.0)
    first = p.get_data().segments[0]
    again = p.get_data().segments[0]
    assert len(first.spiketrains) == len(before) == 200
    for old, new, other in zip(before, first.spiketrains, again.spiketrains):
        np.testing.assert_array_equal(old.magnitude, new.magnitude)
        assert new.units == old.units and new.t_start == old.t_start
        assert new.t_stop == old.t_stop and new.annotations == old.annotations
        assert new.segment is first and other.segment is again
    first.spiketrains[0].annotate(extra=1)
    first.spiketrains[0].t_stop += 5.0 * pq.ms
    assert "extra" not in again.spiketrains[0].annotations
    assert again.spiketrains[0].t_stop == before[0].t_stop


def test_cells_added_to_recording_between_runs_are_recorded_from_then_on():
    """record() on more cells between runs, and again after reset(): each run records
    exactly the cells recording at its start (the sorted indices the engine receives are
    kept between runs and made again only when the recording changes)."""
    p = sim.Population(10, sim.IF_curr_exp(i_offset=2.0, tau_refrac=2.0))
    p[0:3].record("spikes")
    sim.run(20.0)
    p[[7, 5, 6]].record("spikes")
    sim.run(20.0)

    def firsts(segment):
        return {int(st.annotations["source_index"]): float(st.magnitude[0])
                for st in segment.spiketrains if len(st)}

    first = firsts(p.get_data("spikes").segments[0])
    assert sorted(first) == [0, 1, 2, 5, 6, 7]
    assert all(first[i] < 20.0 for i in (0, 1, 2))
    assert all(first[i] >= 20.0 for i in (5, 6, 7))
    sim.reset()
    p[9].record("spikes")
    sim.run(20.0)
    assert sorted(firsts(p.get_data("spikes").segments[1])) == [0, 1, 2, 5, 6, 7, 9]
