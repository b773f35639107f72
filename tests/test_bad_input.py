"""Bad input gives a clear PyNN-style error, naming the offending value, before anything
runs; and the simulator is still usable afterwards."""
from __future__ import annotations

import math

import numpy as np
import pytest
from pyNN import errors
from pyNN.standardmodels import cells as pynn_cells

import spinnframe.pyNN as sim
from spinnframe.simulator import state

DT = 0.1


@pytest.fixture(autouse=True)
def simulation():
    sim.setup(timestep=DT)
    yield
    sim.end()


def neurons(n=2, **params):
    return sim.Population(n, sim.IF_curr_exp(**params))


def spike_source(n=2):
    return sim.Population(n, sim.SpikeSourceArray(spike_times=[1.0, 2.0]))


def still_works():
    """After an error the simulator is untouched: a small network still builds and runs."""
    n_prj = len(state.projections)
    src, post = spike_source(1), neurons(1)
    sim.Projection(src, post, sim.OneToOneConnector(), sim.StaticSynapse(weight=5.0))
    post.record("spikes")
    sim.run(5.0)
    assert len(state.projections) == n_prj + 1


# -- cell parameters ----------------------------------------------------------------------
def test_unknown_parameter_name():
    with pytest.raises(errors.NonExistentParameterError, match="tau_mm"):
        sim.IF_curr_exp(tau_mm=10.0)
    with pytest.raises(errors.NonExistentParameterError, match="foo"):
        sim.Population(2, sim.IF_curr_exp, {"foo": 1.0})
    pop = neurons()
    with pytest.raises(errors.NonExistentParameterError, match="bar"):
        pop.set(bar=1.0)
    with pytest.raises(errors.NonExistentParameterError, match="baz"):
        pop.get("baz")
    with pytest.raises(errors.NonExistentParameterError, match="u_m"):
        pop.initialize(u_m=-60.0)
    with pytest.raises(errors.NonExistentParameterError, match="rates"):
        sim.SpikeSourcePoisson(rates=10.0)
    still_works()


@pytest.mark.parametrize("value", ["abc", "10", None, True, ["a", 1.0]])
def test_wrong_type_in_cell_type(value):
    with pytest.raises(errors.InvalidParameterValueError, match=r"'tau_m'.*got .*"):
        sim.IF_curr_exp(tau_m=value)
    with pytest.raises(errors.InvalidParameterValueError) as info:
        sim.IF_curr_exp(tau_m=value)
    shown = repr(value[0]) if isinstance(value, list) else repr(value)
    assert shown in str(info.value)


def test_wrong_type_in_set():
    pop = neurons(3)
    with pytest.raises(errors.InvalidParameterValueError, match="tau_m"):
        pop.set(tau_m="abc")
    with pytest.raises(errors.InvalidDimensionsError, match=r"\(2,\)"):
        pop.set(tau_m=[10.0, 20.0])                  # 2 values for 3 neurons
    with pytest.raises(errors.InvalidDimensionsError, match=r"\(4,\)"):
        pop.set(tau_m=np.array([10.0, 20.0, 30.0, 40.0]))
    with pytest.raises(errors.InvalidParameterValueError, match="'fast'"):
        sim.SpikeSourcePoisson(rate="fast")
    with pytest.raises(errors.InvalidParameterValueError, match="'a'"):
        sim.SpikeSourceArray(spike_times=[1.0, "a"])
    np.testing.assert_array_equal(pop.get("tau_m"), 20.0)       # unchanged
    still_works()


BAD_VALUES = [("tau_m", 0.0), ("tau_m", -5.0), ("tau_syn_E", 0.0), ("tau_syn_E", -1.0),
              ("tau_syn_I", 0.0), ("tau_syn_I", -0.5), ("tau_refrac", -0.1), ("cm", 0.0),
              ("cm", -0.25), ("tau_m", math.inf), ("v_rest", math.nan), ("v_thresh", -math.inf),
              ("i_offset", math.inf), ("v_reset", math.nan)]


@pytest.mark.parametrize("name, value", BAD_VALUES)
def test_out_of_range_parameter(name, value):
    fragment = rf"'{name}' must be .*got {value:g}"
    with pytest.raises(errors.InvalidParameterValueError, match=fragment):
        sim.IF_curr_exp(**{name: value})
    pop = neurons(3)
    before = pop.get(name)
    with pytest.raises(errors.InvalidParameterValueError, match=fragment):
        pop.set(**{name: value})
    # one bad neuron in an array: the message says which
    with pytest.raises(errors.InvalidParameterValueError, match=fragment + " for neuron index 2"):
        pop.set(**{name: np.array([before, before, value], dtype=float)})
    with pytest.raises(errors.InvalidParameterValueError, match=fragment + " for neuron index 1"):
        sim.Population(2, sim.IF_curr_exp(**{name: np.array([1.0, value])}))
    np.testing.assert_array_equal(pop.get(name), before)


def test_allowed_boundaries():
    pop = neurons(2, tau_refrac=0.0)             # 0 refractory period is allowed
    pop.set(v_rest=-80.0, i_offset=-1.0)         # unbounded parameters may be negative
    sim.SpikeSourcePoisson(rate=0.0)
    sim.SpikeSourceArray(spike_times=[0.0, 1.0, 1.0])   # 0 and repeated times are fine


def test_nan_and_inf_state_and_range_messages():
    pop = neurons(2)
    with pytest.raises(errors.InvalidParameterValueError, match="'v' must be finite, got nan"):
        pop.initialize(v=np.nan)
    with pytest.raises(errors.InvalidParameterValueError, match="'tau_m' must be > 0 ms"):
        sim.IF_curr_exp(tau_m=-1.0)
    with pytest.raises(errors.InvalidParameterValueError,
                       match=r"'tau_m' must be > 0 ms, got -\d+\.\d+ for neuron index"):
        sim.Population(2, sim.IF_curr_exp(tau_m=sim.RandomDistribution(
            "normal", (-5.0, 0.1), rng=sim.NumpyRNG(seed=1))))


def test_negative_poisson_rate_and_times():
    with pytest.raises(errors.InvalidParameterValueError, match="'rate' must be >= 0 Hz, got -1"):
        sim.SpikeSourcePoisson(rate=-1.0)
    pop = sim.Population(3, sim.SpikeSourcePoisson(rate=5.0))
    with pytest.raises(errors.InvalidParameterValueError, match="'rate'.*got -0.5"):
        pop.set(rate=-0.5)
    with pytest.raises(errors.InvalidParameterValueError, match="'rate'.*got -2"):
        pop.set(rate=np.array([1.0, -2.0, 3.0]))
    with pytest.raises(errors.InvalidParameterValueError, match="'start'.*got -1"):
        sim.SpikeSourcePoisson(start=-1.0)
    with pytest.raises(errors.InvalidParameterValueError, match="'duration'.*got -3"):
        sim.SpikeSourcePoisson(duration=-3.0)
    with pytest.raises(errors.InvalidParameterValueError, match="'rate'.*got nan"):
        sim.SpikeSourcePoisson(rate=math.nan)
    still_works()


def test_bad_spike_times():
    unsorted = r"'spike_times' must be sorted.*1 comes after 3"
    negative = r"'spike_times': every value must be >= 0 ms, got -1"
    with pytest.raises(errors.InvalidParameterValueError, match=unsorted):
        sim.SpikeSourceArray(spike_times=[3.0, 1.0])
    with pytest.raises(errors.InvalidParameterValueError, match=unsorted):
        sim.SpikeSourceArray(spike_times=sim.Sequence([3.0, 1.0]))
    with pytest.raises(errors.InvalidParameterValueError, match=negative):
        sim.SpikeSourceArray(spike_times=[-1.0, 2.0])
    with pytest.raises(errors.InvalidParameterValueError, match=unsorted):
        sim.Population(2, sim.SpikeSourceArray(spike_times=[[0.5], [3.0, 1.0]]))
    with pytest.raises(errors.InvalidParameterValueError, match="got nan"):
        sim.SpikeSourceArray(spike_times=[1.0, math.nan])
    pop = sim.Population(2, sim.SpikeSourceArray(spike_times=[[1.0], [2.0]]))
    with pytest.raises(errors.InvalidParameterValueError, match=unsorted):
        pop.set(spike_times=[3.0, 1.0])
    with pytest.raises(errors.InvalidParameterValueError, match=negative):
        pop.set(spike_times=[-1.0, 2.0])
    with pytest.raises(errors.InvalidParameterValueError, match=unsorted):
        pop.set(spike_times=[[1.0], [3.0, 1.0]])
    with pytest.raises(errors.InvalidParameterValueError, match="got inf"):
        pop.set(spike_times=[1.0, math.inf])
    assert [list(s.value) for s in pop.get("spike_times")] == [[1.0], [2.0]]
    still_works()


# -- projections ----------------------------------------------------------------------------
def test_delays_out_of_range():
    sim.setup(timestep=DT, min_delay=0.5, max_delay=5.0)
    src, post = spike_source(), neurons()
    all2all = sim.AllToAllConnector()
    for delay in (0.05, 0.3, 0.49, 5.2, 100.0, math.nan, -1.0):
        with pytest.raises(errors.ConnectionError,
                           match=rf"delay {delay:g} ms is out of range.*\[0.5, 5\] ms"):
            sim.Projection(src, post, all2all, sim.StaticSynapse(weight=0.1, delay=delay))
    with pytest.raises(errors.ConnectionError, match="delay 0.3 ms"):
        sim.Projection(src, post, sim.FromListConnector([(0, 0, 0.1, 1.0), (1, 1, 0.1, 0.3)]))
    with pytest.raises(errors.ConnectionError, match="delay 0.2 ms"):
        sim.Projection(src, post, all2all, sim.StaticSynapse(delay=lambda d: 0.2 + d))
    prj = sim.Projection(src, post, all2all, sim.StaticSynapse(weight=0.1, delay=5.0))
    with pytest.raises(errors.ConnectionError, match="delay 6 ms"):
        prj.set(delay=6.0)
    with pytest.raises(errors.ConnectionError, match="delay 0.1 ms"):
        prj.set(delay=[1.0, 2.0, 0.1, 1.0])
    assert prj.get("delay", format="list", with_address=False) == [5.0] * 4
    # with the default min_delay: below one time step
    sim.setup(timestep=DT)
    with pytest.raises(errors.ConnectionError, match=r"delay 0.05 ms.*\[0.1, unbounded\]"):
        sim.Projection(spike_source(), neurons(), sim.OneToOneConnector(),
                       sim.StaticSynapse(delay=0.05))
    still_works()


def test_weight_sign_must_match_receptor():
    src, post = spike_source(), neurons()
    all2all = sim.AllToAllConnector()
    with pytest.raises(errors.ConnectionError, match=r"must be >= 0 .*excitatory.*got -0.5"):
        sim.Projection(src, post, all2all, sim.StaticSynapse(weight=-0.5),
                       receptor_type="excitatory")
    with pytest.raises(errors.ConnectionError, match=r"must be <= 0 .*inhibitory.*got 0.5"):
        sim.Projection(src, post, all2all, sim.StaticSynapse(weight=0.5),
                       receptor_type="inhibitory")
    with pytest.raises(errors.ConnectionError, match="got 0.2"):
        sim.Projection(src, post, sim.FromListConnector([(0, 0, -0.1, 1.0), (1, 0, 0.2, 1.0)]),
                       receptor_type="inhibitory")
    with pytest.raises(errors.ConnectionError, match=r"must be >= 0 .*got -"):
        sim.Projection(src, post, all2all, sim.StaticSynapse(weight=sim.RandomDistribution(
            "normal", (0.0, 1.0), rng=sim.NumpyRNG(seed=1))), receptor_type="excitatory")
    inh = sim.Projection(src, post, all2all, sim.StaticSynapse(weight=-0.5),
                         receptor_type="inhibitory")
    with pytest.raises(errors.ConnectionError, match="got 0.25"):
        inh.set(weight=0.25)
    with pytest.raises(errors.ConnectionError, match="weights must be finite.*nan"):
        inh.set(weight=math.nan)
    assert inh.get("weight", format="list", with_address=False) == [-0.5] * 4
    still_works()


@pytest.mark.parametrize("conn, fragment", [
    ([(0, 0), (2, 1)], r"row 1: presynaptic index 2 .*allowed 0\.\.1"),
    ([(0, 3)], r"row 0: postsynaptic index 3 .*allowed 0\.\.2"),
    ([(-1, 0)], "presynaptic index -1"),
    ([(1, 0), (0, -2)], "row 1: postsynaptic index -2"),
    ([(0.5, 0)], "presynaptic index 0.5"),
    ([(1, 1.25)], "postsynaptic index 1.25"),
    ([(math.nan, 1)], "presynaptic index nan"),
    ([(0, 1, "x", 1.0)], "could not convert string to float"),
])
def test_from_list_bad_indices(conn, fragment):
    with pytest.raises(errors.ConnectionError, match=fragment):
        sim.Projection(spike_source(2), neurons(3), sim.FromListConnector(conn))


def test_from_list_bad_columns():
    with pytest.raises(errors.ConnectionError, match="'tau'"):
        sim.Projection(spike_source(), neurons(),
                       sim.FromListConnector([(0, 1, 0.5)], column_names=["tau"]))
    with pytest.raises(TypeError, match="column_names"):
        sim.FromListConnector([(0, 1, 0.5)])          # 3 columns need column_names


def test_one_to_one_size_mismatch():
    with pytest.raises(errors.ConnectionError, match=r"same size; got 2 .* and 3"):
        sim.Projection(spike_source(2), neurons(3), sim.OneToOneConnector())
    still_works()


@pytest.mark.parametrize("p", [1.5, 2.0])
def test_p_connect_above_one(p):
    with pytest.raises(ValueError, match=rf"between 0 and 1, got {p:g}"):
        sim.Projection(spike_source(), neurons(), sim.FixedProbabilityConnector(p))


@pytest.mark.parametrize("p", [-0.5, math.nan])
def test_p_connect_below_zero(p):
    with pytest.raises((ValueError, errors.ConnectionError), match=f"{p:g}"):
        sim.FixedProbabilityConnector(p)


@pytest.mark.parametrize("p", [-0.5, math.nan, 1.5, "half"])
def test_p_connect_checked_by_spinnframe_connector(p):
    from spinnframe.projections.connect import FixedProbabilityConnector
    assert sim.FixedProbabilityConnector is FixedProbabilityConnector
    with pytest.raises(ValueError, match=f"between 0 and 1, got {p!r}"):
        FixedProbabilityConnector(p)
    prj = sim.Projection(spike_source(), neurons(), FixedProbabilityConnector(
        1.0, rng=sim.NumpyRNG(seed=1)))
    assert len(prj) == 4


class _Half:
    """Not an IndexBasedExpression: a plain callable."""

    def __call__(self, i, j):
        return 0.5


@pytest.mark.parametrize("make, error, message", [
    (lambda: sim.AllToAllConnector(allow_self_connections="yes"), ValueError,
     r"AllToAllConnector: allow_self_connections must be True or False, got 'yes'"),
    (lambda: sim.FixedProbabilityConnector(0.1, allow_self_connections=1), ValueError,
     r"allow_self_connections must be True, False or 'NoMutual', got 1"),
    (lambda: sim.FixedNumberPreConnector(-1), ValueError,
     r"FixedNumberPreConnector: n must be an integer >= 0 or a RandomDistribution, got -1"),
    (lambda: sim.FixedNumberPostConnector(2.5), TypeError,
     r"FixedNumberPostConnector: n must be an integer >= 0 .*got 2.5"),
    (lambda: sim.FixedNumberPostConnector(sim.RandomDistribution("normal", (0.0, 5.0))),
     ValueError, r"n = RandomDistribution\('normal', .*draws negative numbers"),
    (lambda: sim.FixedTotalNumberConnector(-5), ValueError,
     r"FixedTotalNumberConnector: n must be an integer >= 0 .*got -5"),
    (lambda: sim.DistanceDependentProbabilityConnector(0.5), TypeError,
     r"d_expression must be a string in the distance d .*got 0.5"),
    (lambda: sim.DistanceDependentProbabilityConnector("exp(-q)"), ValueError,
     r"d_expression 'exp\(-q\)' cannot be evaluated \(NameError"),
    (lambda: sim.DistanceDependentProbabilityConnector("0.5 - d"), ValueError,
     r"d_expression '0.5 - d' gives a negative probability"),
    (lambda: sim.IndexBasedProbabilityConnector(_Half()), TypeError,
     r"index_expression must be an instance of a subclass of pyNN.core.IndexBasedExpression"),
])
def test_connector_arguments_pynn_only_asserts(make, error, message):
    """Bad arguments that PyNN's connector constructors meet with a bare AssertionError."""
    with pytest.raises(error, match=message):
        make()


def test_connector_counts_may_be_numpy_integers():
    """PyNN refuses n = numpy.int64(3) (not an int); spinnframe takes it as 3."""
    prj = sim.Projection(neurons(4), neurons(5), sim.FixedNumberPreConnector(np.int64(3)))
    assert len(prj) == 3 * 5


def test_bad_synapse_values():
    src, post = spike_source(2), neurons(3)
    with pytest.raises(errors.InvalidParameterValueError, match="'abc'.*distance d"):
        sim.StaticSynapse(weight="abc")
    with pytest.raises(errors.InvalidParameterValueError, match="'1 \\+'"):
        sim.StaticSynapse(delay="1 +")
    with pytest.raises(errors.InvalidDimensionsError, match=r"shape \(3, 2\).*\(2, 3\)"):
        sim.Projection(src, post, sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=np.ones((3, 2))))
    prj = sim.Projection(src, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1))
    with pytest.raises(errors.NonExistentParameterError, match="tau_plus"):
        prj.set(tau_plus=10.0)
    with pytest.raises(errors.NonExistentParameterError, match="weights"):
        prj.get("weights", format="list")
    with pytest.raises(ValueError, match="'dict'"):
        prj.get("weight", format="dict")
    with pytest.raises(ValueError, match="'mean'"):
        prj.get("weight", format="array", multiple_synapses="mean")
    with pytest.raises(errors.InvalidDimensionsError,
                       match="got a list of 2 values.*6 connections"):
        prj.set(weight=[0.1, 0.2])
    with pytest.raises(errors.InvalidParameterValueError, match="weight=None"):
        prj.set(weight=None)


def test_bad_receptor_and_foreign_objects():
    import pyNN.mock as mock
    src, post = spike_source(), neurons()
    with pytest.raises(errors.ConnectionError, match="receptor_types=gaba"):
        sim.Projection(src, post, sim.AllToAllConnector(), receptor_type="gaba")
    with pytest.raises(TypeError, match="'str'"):
        sim.Projection(src, post, "all-to-all")
    with pytest.raises(errors.ConnectionError, match="list"):
        sim.Projection(src, [1, 2], sim.AllToAllConnector())
    mock.setup()
    foreign = mock.Population(2, mock.IF_curr_exp())
    with pytest.raises(errors.ConnectionError, match="pyNN.mock"):
        sim.Projection(src, foreign, sim.AllToAllConnector())
    with pytest.raises(errors.ConnectionError, match="pyNN.mock"):
        sim.Projection(foreign, post, sim.AllToAllConnector())
    with pytest.raises(errors.ConnectionError, match="sim.StaticSynapse"):
        sim.Projection(src, post, sim.AllToAllConnector(), mock.StaticSynapse(weight=0.1))
    mock.end()
    still_works()


def test_connect_into_spike_source():
    src, post = spike_source(), neurons()
    poisson = sim.Population(3, sim.SpikeSourcePoisson(rate=10.0), label="noise")
    with pytest.raises(errors.ConnectionError, match="'noise'.*spike sources take no"):
        sim.Projection(post, poisson, sim.AllToAllConnector())
    with pytest.raises(errors.ConnectionError, match="'noise'"):
        sim.Projection(post, poisson[0:2], sim.AllToAllConnector())
    with pytest.raises(errors.ConnectionError, match="SpikeSourceArray"):
        sim.Projection(post, sim.Assembly(neurons(), src), sim.AllToAllConnector())
    still_works()


# -- recording --------------------------------------------------------------------------------
def test_recording_errors():
    pop = neurons()
    with pytest.raises(errors.RecordingError, match="'gsyn_exc'.*recordable variables: spikes"):
        pop.record("gsyn_exc")
    with pytest.raises(errors.RecordingError, match="'w'"):
        pop[0:1].record(["v", "w"])
    with pytest.raises(errors.RecordingError, match="'rate'"):
        sim.Population(2, sim.SpikeSourcePoisson()).record("rate")
    for interval in (0.15, 0.05, 0.0, -0.1):
        with pytest.raises(ValueError, match=f"multiple of the time step.*got {interval:g}"):
            pop.record("v", sampling_interval=interval)
    with pytest.raises(ValueError, match="'a'"):
        pop.record("v", sampling_interval="a")
    pop.record("v", sampling_interval=0.3)        # a multiple is fine
    still_works()


# -- setup / run ----------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, fragment", [
    (dict(timestep=0.0), "timestep must be > 0 ms, got 0"),
    (dict(timestep=-0.1), "timestep must be > 0 ms, got -0.1"),
    (dict(timestep="fine"), "timestep must be .*'fine'"),
    (dict(timestep=math.nan), "timestep must be .*nan"),
    (dict(timestep=math.inf), "timestep must be .*inf"),
    (dict(timestep=True), "timestep must be .*True"),
    (dict(min_delay=0.05), r"min_delay \(0.05 ms\) must be at least the timestep"),
    (dict(min_delay=-1.0), r"min_delay \(-1 ms\)"),
    (dict(min_delay="soon"), "min_delay must be .*'auto', got 'soon'"),
    (dict(max_delay=0.05), r"max_delay \(0.05 ms\) must be at least min_delay"),
    (dict(min_delay=2.0, max_delay=1.0), r"max_delay \(1 ms\) must be at least min_delay \(2"),
    (dict(max_delay=math.nan), "max_delay must be .*nan"),
    (dict(threads=0), "threads must be an integer from 1 .*got 0"),
    (dict(threads=-2), "threads .*got -2"),
    (dict(threads=1.5), "threads .*got 1.5"),
    (dict(threads="4"), "threads .*got '4'"),
    (dict(rng_seed=-1), "rng_seed must be an integer from 0 .*got -1"),
    (dict(rng_seed=1.5), "rng_seed .*got 1.5"),
    (dict(rng_seed="x"), "rng_seed .*got 'x'"),
    (dict(rng_seed=2 ** 70), f"rng_seed .*got {2 ** 70}"),
    (dict(dt=0.1), "dt is not a valid argument"),
])
def test_bad_setup(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        sim.setup(**kwargs)
    sim.setup(timestep=DT)
    still_works()


@pytest.mark.parametrize("size", [0, -3, 2.5, "3", None, True])
def test_bad_population_size(size):
    with pytest.raises(ValueError, match=f"size must be a positive integer, got {size!r}"):
        sim.Population(size, sim.IF_curr_exp())


def test_cell_type_from_another_backend():
    for celltype in (pynn_cells.IF_curr_exp(), pynn_cells.IF_curr_exp,
                     pynn_cells.SpikeSourcePoisson(rate=5.0)):
        with pytest.raises(errors.InvalidModelError,
                           match=r"(IF_curr_exp|SpikeSourcePoisson) is not a spinnframe model"):
            sim.Population(2, celltype)
    assert state.populations == []
    still_works()


def test_bad_run_times():
    with pytest.raises(ValueError, match="simtime must be >= 0 ms, got -1"):
        sim.run(-1.0)
    with pytest.raises(ValueError, match="simtime .*nan"):
        sim.run(math.nan)
    with pytest.raises(ValueError, match="simtime .*'10'"):
        sim.run("10")
    assert sim.get_current_time() == 0.0
    sim.run(10.0)
    with pytest.raises(ValueError, match=r"run_until\(5\).*in the past.*10 ms"):
        sim.run_until(5.0)
    with pytest.raises(ValueError, match="time_point .*inf"):
        sim.run_until(math.inf)
    assert sim.get_current_time() == pytest.approx(10.0)
    sim.run_until(12.0)
    assert sim.get_current_time() == pytest.approx(12.0)


def test_errors_before_setup_and_after_end():
    sim.end()
    with pytest.raises(sim.SimulatorShutdownException, match="setup"):
        sim.Population(2, sim.IF_curr_exp())
    with pytest.raises(sim.SimulatorShutdownException):
        sim.run(1.0)
    sim.setup(timestep=DT)
    pop = neurons()
    sim.setup(timestep=DT)                     # a new simulation: old objects refuse
    with pytest.raises(sim.SimulatorShutdownException, match="earlier simulation"):
        sim.Projection(pop, neurons(), sim.AllToAllConnector())


def test_rule_between_parameters_v_reset_below_threshold():
    with pytest.raises(errors.InvalidParameterValueError,
                       match=r"v_reset must be below v_thresh; got v_reset=-40 and v_thresh=-50"):
        sim.Population(3, sim.IF_curr_exp(v_reset=-40.0))
    p = sim.Population(3, sim.IF_curr_exp())
    with pytest.raises(errors.InvalidParameterValueError, match=r"v_thresh=-70 \(cell index 1\)"):
        p[1:2].set(v_thresh=-70.0)
    assert p.get("v_thresh") == -50.0         # unchanged after the refused set()
    p.set(v_thresh=-60.0, v_reset=-70.0)      # both at once: checked together
    assert p.get("v_reset") == -70.0
