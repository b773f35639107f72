"""The state block, field by field: layout, the neuron loop over it, the list of spikes.

A population's state is one block in which each variable is an array of n (variable f
starts offsetof(sf_state_t, f) * n bytes in); the generated neuron loop moves one neuron's
variables to a local struct for sf_step and back, then lists the neurons that fired in a
second pass. These tests check each neuron gets its own values (no mixing between neurons
or variables), that the spike list is exact wherever the neurons sit (in the loop's blocks
of eight, in its tail, at a thread's boundary) and that sampled variables come from the
right place.
"""
import numpy as np
import pytest

import spinnframe.pyNN as sim
from spinnframe.models import dtypes, state_array
from spinnframe.models.layout import state_layout

PARAMS = dict(tau_m=20.0, cm=0.25, v_rest=-65.0, v_thresh=-50.0, v_reset=-70.0,
              tau_refrac=2.0, tau_syn_E=5.0, tau_syn_I=10.0, i_offset=0.3)
DT = 0.1


def _spec():
    return sim.IF_curr_exp.spinnframe_spec


def test_layout_is_one_array_per_variable():
    _, _, aos = dtypes(_spec())
    n = 37
    block = state_array(aos, n)
    assert block.shape == () and block.nbytes == aos.itemsize * n
    base = block.ctypes.data
    for name in aos.names:
        column = block[name]
        assert column.shape == (n,) and column.flags["C_CONTIGUOUS"]
        assert column.dtype == aos.fields[name][0]
        assert column.ctypes.data - base == aos.fields[name][1] * n
    assert state_layout(aos, n).names == aos.names
    with pytest.raises(ValueError, match="at least one neuron, got n=0"):
        state_array(aos, 0)


def _exact_step(v, ie, ii):
    """One step of IF_curr_exp (not refractory, no spike) for every neuron, in numpy."""
    h, p = DT, PARAMS
    p22 = np.exp(-h / p["tau_m"])
    p20 = -p["tau_m"] / p["cm"] * np.expm1(-h / p["tau_m"])

    def p21(tau_syn):
        rate = 1.0 / tau_syn - 1.0 / p["tau_m"]
        return np.exp(-h / p["tau_m"]) * np.expm1(-h * rate) / (-rate * p["cm"])

    v_new = p["v_rest"] + (v - p["v_rest"]) * p22 + ie * p21(p["tau_syn_E"]) \
        + ii * p21(p["tau_syn_I"]) + p["i_offset"] * p20
    return (v_new, ie * np.exp(-h / p["tau_syn_E"]), ii * np.exp(-h / p["tau_syn_I"]))


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("n", [1, 7, 8, 45, 2500])
def test_every_neuron_steps_with_its_own_values(threads, n):
    """2500 neurons: a large population, its arrays 3072 elements apart (layout.stride),
    split between the threads at a multiple of 1024."""
    sim.setup(timestep=DT, threads=threads)
    try:
        rng = np.random.default_rng(n)
        v0 = rng.uniform(-69.0, -56.0, n)
        ie0, ii0 = rng.uniform(0.0, 0.5, n), rng.uniform(-0.5, 0.0, n)
        p = sim.Population(n, sim.IF_curr_exp(**PARAMS))
        p.initialize(v=v0, isyn_exc=ie0, isyn_inh=ii0)
        p.record("v")
        view = p[n // 2:]
        view.record("isyn_exc")
        sim.run(DT)
        v1, ie1, ii1 = _exact_step(v0, ie0, ii0)
        now = p.current_values
        np.testing.assert_allclose(now["v"], v1, rtol=0, atol=1e-12)
        np.testing.assert_allclose(now["isyn_exc"], ie1, rtol=1e-14, atol=0)
        np.testing.assert_allclose(now["isyn_inh"], ii1, rtol=1e-14, atol=0)
        np.testing.assert_allclose(view.current_values["v"], v1[n // 2:], rtol=0, atol=1e-12)
        # sampled through the engine: the values after the step, for the right neurons
        rec_v = p.get_data("v").segments[0].analogsignals[0]
        np.testing.assert_allclose(np.asarray(rec_v)[-1], v1, rtol=0, atol=1e-12)
        rec_i = view.get_data("isyn_exc").segments[0].analogsignals[0]
        np.testing.assert_allclose(np.asarray(rec_i)[-1], ie1[n // 2:], rtol=1e-14, atol=0)
    finally:
        sim.end()


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_spike_list_is_exact_in_blocks_tails_and_thread_ranges(threads, monkeypatch):
    # the population split between the threads at multiples of 8 neurons (small ones
    # normally go whole to one thread)
    from spinnframe_host import engine as host_engine
    monkeypatch.setattr(host_engine, "SPLIT_MIN_NEURONS", 16)
    monkeypatch.setattr(host_engine, "PART_GRAIN", 8)
    n = 8 * 9 + 5        # nine blocks of eight and a tail of five
    firing = sorted({0, 7, 8, 15, 16, 17, 18, 19, 20, 21, 22, 23, 38, 39, 40, 71, 72, 76}
                    | set(range(48, 56)))     # a whole block of eight as well
    sim.setup(timestep=DT, threads=threads)
    try:
        v0 = np.full(n, -66.0)
        v0[firing] = -40.0                    # above threshold after one step
        p = sim.Population(n, sim.IF_curr_exp(**PARAMS))
        p.initialize(v=v0)
        p.record("spikes")
        sim.run(3 * DT)
        trains = p.get_data("spikes").segments[0].spiketrains
        fired = [i for i, st in enumerate(trains) if len(st)]
        assert fired == firing
        for i in firing:    # each once, at the end of the first step (then refractory)
            np.testing.assert_allclose(np.asarray(trains[i]), [DT], atol=1e-9)
        v = p.current_values["v"]
        assert np.all(v[firing] == PARAMS["v_reset"])
        assert np.all(np.delete(v, firing) < PARAMS["v_thresh"])
    finally:
        sim.end()


def test_spike_sources_list_several_spikes_per_step():
    """A source that emits several spikes in one step (counts > 1) keeps its count
    through the flag pass, next to neurons that emit none."""
    sim.setup(timestep=DT, threads=1)
    try:
        times = [[0.05, 0.06, 0.07], [], [0.05], [], [], [], [], [], [0.08, 0.09]]
        src = sim.Population(len(times), sim.SpikeSourceArray(spike_times=times))
        src.record("spikes")
        sim.run(2 * DT)
        trains = src.get_data("spikes").segments[0].spiketrains
        assert [len(st) for st in trains] == [len(t) for t in times]
    finally:
        sim.end()


def test_a_state_block_numpy_cannot_describe_is_refused_clearly(monkeypatch):
    """NumPy 1.x describes at most 2**31 - 1 bytes in one structured dtype: a population
    larger than that gets an error that says so (simulated here by a failing np.dtype)."""
    from spinnframe.models import layout
    _, _, aos = dtypes(_spec())

    def too_big(*args, **kwargs):
        raise ValueError("itemsize too large")

    monkeypatch.setattr(layout.np, "dtype", too_big)
    with pytest.raises(ValueError, match=r"the state of 100000000 neurons \(\d+ bytes\) does "
                                         r"not fit .*NumPy 2 has no such limit"):
        state_layout(aos, 100_000_000)


# -- state_layout="structs": kernels whose step calls a solver --------------------------
def test_solver_models_keep_one_struct_per_neuron():
    for name in ("IF_cond_exp", "IF_cond_alpha", "EIF_cond_exp_isfa_ista", "HH_cond_exp",
                 "GIF_cond_exp"):
        assert getattr(sim, name).spinnframe_spec.state_layout == "structs", name
    assert sim.IF_curr_exp.spinnframe_spec.state_layout == "arrays"
    _, _, aos = dtypes(sim.IF_cond_exp.spinnframe_spec)
    block = state_array(aos, 5, by_field=False)
    assert block.shape == (5,) and block.dtype == aos
    assert block["v"].strides == (aos.itemsize,)


@pytest.mark.parametrize("threads", [1, 2])
def test_struct_layout_samples_and_spikes(threads):
    """The engine samples a struct-layout population's variables from each neuron's struct
    (a view's neurons too), and lists its spikes."""
    sim.setup(timestep=DT, threads=threads)
    try:
        n = 23
        p = sim.Population(n, sim.IF_cond_exp(i_offset=np.linspace(0.0, 2.0, n)))
        p.initialize(v=np.linspace(-70.0, -55.0, n))
        assert p._state.shape == (n,)
        view = p[[1, 7, 8, 22]]
        p.record(["v", "spikes"])
        view.record("gsyn_exc")
        sim.run(40.0)
        v_rec = np.asarray(p.get_data("v").segments[0].analogsignals[0])
        np.testing.assert_array_equal(v_rec[-1], p.current_values["v"])
        g_rec = np.asarray(view.get_data("gsyn_exc").segments[0].analogsignals[0])
        np.testing.assert_array_equal(g_rec[-1], view.current_values["gsyn_exc"])
        trains = p.get_data("spikes").segments[0].spiketrains
        assert sum(len(st) for st in trains[-5:]) > 0        # the strongly driven fire
        assert all(len(st) == 0 for st in trains[:3])        # the undriven do not
    finally:
        sim.end()


def test_unknown_state_layout_is_refused():
    from spinnframe.specs import NeuronModelSpec
    spec = sim.IF_curr_exp.spinnframe_spec
    with pytest.raises(ValueError, match=r"state_layout must be one of \('arrays', "
                                         r"'structs'\), got 'rows'"):
        NeuronModelSpec(name="X", parameters=spec.parameters, state=spec.state,
                        kernel=spec.kernel, state_layout="rows")


def test_large_populations_have_page_aligned_arrays_spaced_by_the_stride():
    from spinnframe.models.layout import STRIDE_ALIGN, STRIDE_MIN, stride
    _, _, st = dtypes(sim.IF_curr_exp.spinnframe_spec)
    assert [stride(n) for n in (1, 2047, 2048, 2049, 3072, 3073)] == \
        [1, 2047, 2048, 3072, 3072, 4096]
    assert STRIDE_MIN == 2048 and STRIDE_ALIGN == 1024
    for n in (45, 2500):
        block = state_array(st, n)
        align = 4096 if n >= STRIDE_MIN else 64      # small blocks: no page spent on each
        assert block.ctypes.data % align == 0 and block.dtype.itemsize == st.itemsize * stride(n)
        assert block.base.nbytes <= block.dtype.itemsize + align
        for name in st.names:
            arr = block[name]
            assert arr.shape == (n,)
            assert arr.ctypes.data - block.ctypes.data == st.fields[name][1] * stride(n)
            if n >= STRIDE_MIN:
                assert arr.ctypes.data % 4096 == 0


@pytest.mark.parametrize("bins", [False, True])
def test_a_large_population_gives_the_same_results_on_one_two_and_three_threads(bins):
    """Ring planes, spike lists and sampled variables of populations whose arrays are
    spaced by the stride (2500 and 4100 neurons), split between threads, with event bins
    and without: bitwise the results of one thread."""
    out = []
    for threads in (1, 2, 3):
        sim.setup(timestep=DT, threads=threads, host={"event_bins": bins})
        try:
            rng = sim.NumpyRNG(seed=5)
            src = sim.Population(300, sim.SpikeSourcePoisson(rate=40.0))
            a = sim.Population(2500, sim.IF_curr_exp(i_offset=0.5))
            b = sim.Population(4100, sim.IF_curr_alpha(i_offset=0.4))
            for post in (a, b):
                sim.Projection(src, post, sim.FixedProbabilityConnector(0.05, rng=rng),
                               sim.StaticSynapse(weight=0.3, delay=sim.RandomDistribution(
                                   "uniform", (0.1, 3.0), rng=rng)))
                sim.Projection(a, post, sim.FixedProbabilityConnector(0.01, rng=rng),
                               sim.StaticSynapse(weight=-0.2, delay=0.7),
                               receptor_type="inhibitory")
            a.record(["spikes", "v"])
            b[2040:2060].record("v")
            b.record("spikes")
            sim.run(60.0)
            from spinnframe.simulator import state
            if threads > 1:     # b is split (and a too, on three threads)
                assert any(0 < x < 4100 for x in state.backend.parts[2][1:-1])
            res = [np.asarray(a.get_data("v").segments[0].analogsignals[0]),
                   np.asarray(b[2040:2060].get_data("v").segments[0].analogsignals[0])]
            for p in (a, b):
                res.append([np.asarray(st) for st in p.get_data("spikes").segments[0].spiketrains])
            out.append(res)
        finally:
            sim.end()
    assert sum(len(t) for t in out[0][2]) > 100
    for other in out[1:]:
        np.testing.assert_array_equal(other[0], out[0][0])
        np.testing.assert_array_equal(other[1], out[0][1])
        for k in (2, 3):
            assert len(other[k]) == len(out[0][k])
            for x, y in zip(other[k], out[0][k]):
                np.testing.assert_array_equal(x, y)
