"""Synapse dynamics against NEST (tsodyks_synapse, stdp_synapse with its weight
dependences, vogels_sprekeler_synapse) and their PyNN behaviour."""
import runpy
from pathlib import Path

import numpy as np
import pytest
from pyNN import errors

import spinnframe.pyNN as sim
from spinnframe.simulator import state

REF = Path(__file__).parent / "reference"


@pytest.fixture(autouse=True)
def simulation():
    yield
    if state.phase == "setup":
        sim.end()


@pytest.fixture(scope="module")
def drive(tmp_path_factory):
    out = tmp_path_factory.mktemp("syn") / "syn.npz"
    runpy.run_path(str(REF / "scripts" / "synapses_drive.py"), run_name="t")["main"](
        "spinnframe.pyNN", str(out))
    return np.load(REF / "data" / "synapses_nest.npz"), np.load(out)


def test_tsodyks_markram_psps_match_nest(drive):
    """Depressing, facilitating and mixed synapses: v of the three passive targets equals
    NEST's (tsodyks_synapse, tau_psc from the target's tau_syn) to rounding."""
    nest, sf = drive
    assert np.abs(sf["v_tm"] - nest["v_tm"]).max() < 1e-9
    peaks = nest["v_tm"].max(axis=0) + 70.0
    assert peaks.min() > 1.0          # the synapses did something


def test_stdp_weights_match_nest(drive):
    """The plastic weight, read every 5 ms, for additive, multiplicative, additive
    potentiation/multiplicative depression and Guetig weight dependences."""
    nest, sf = drive
    np.testing.assert_array_equal(sf["post_spike_counts"], nest["post_spike_counts"])
    np.testing.assert_allclose(sf["stdp_weights"], nest["stdp_weights"], atol=1e-12, rtol=0)
    final = nest["stdp_weights"][-1]
    assert np.ptp(final) > 0.05 and np.all(np.abs(final - 0.5) > 0.02)   # they learned


def test_vogels_rule_matches_nest_native():
    """Vogels2011Rule against NEST's vogels_sprekeler_synapse (no pyNN.nest mapping)."""
    ns = runpy.run_path(str(REF / "scripts" / "vogels_nest_native.py"), run_name="t")
    nest = np.load(REF / "data" / "vogels_nest.npz")
    sim.setup(timestep=0.1, min_delay=0.1, max_delay=10.0)
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=ns["PRE_TIMES"]))
    drv = sim.Population(1, sim.SpikeSourceArray(spike_times=[t - 1.0 for t in ns["POST_TIMES"]]))
    post = sim.Population(1, sim.IF_curr_exp(**ns["POST"]))
    post.record("spikes")
    sim.Projection(drv, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=20.0, delay=0.9))
    rule = sim.STDPMechanism(
        timing_dependence=sim.Vogels2011Rule(tau=ns["TAU"], eta=ns["ETA"], rho=ns["RHO"]),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=ns["W_MAX"]),
        weight=ns["W0"], delay=ns["DELAY"])
    prj = sim.Projection(pre, post, sim.AllToAllConnector(), rule)
    weights = []
    for _ in range(100):
        sim.run(5.0)
        weights.append(prj.get("weight", format="list", with_address=False)[0])
    np.testing.assert_allclose(np.asarray(post.get_data().segments[0].spiketrains[0]),
                               nest["post_spikes"], atol=1e-9)
    np.testing.assert_allclose(weights, nest["weights"].ravel(), atol=1e-12, rtol=0)
    assert weights[-1] > 0.6


def _stdp_net(threads, t_stop=300.0, reset=False):
    sim.setup(timestep=0.1, threads=threads, rng_seed=3)
    src = sim.Population(40, sim.SpikeSourcePoisson(rate=30.0))
    cells = sim.Population(25, sim.IF_curr_exp(i_offset=0.5))
    rule = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.01,
                                            A_minus=0.012),
        weight_dependence=sim.MultiplicativeWeightDependence(w_min=0.0, w_max=2.0),
        weight=sim.RandomDistribution("uniform", (0.5, 1.5), rng=sim.NumpyRNG(1)),
        delay=sim.RandomDistribution("uniform", (0.5, 3.0), rng=sim.NumpyRNG(2)))
    prj = sim.Projection(src, cells, sim.FixedProbabilityConnector(0.3, rng=sim.NumpyRNG(4)),
                         rule)
    before = np.array(prj.get("weight", format="list", with_address=False))
    sim.run(t_stop)
    after = np.array(prj.get("weight", format="list", with_address=False))
    if reset:
        sim.reset()
        reset_w = np.array(prj.get("weight", format="list", with_address=False))
        sim.run(t_stop)
        again = np.array(prj.get("weight", format="list", with_address=False))
        sim.end()
        return before, after, reset_w, again
    sim.end()
    return before, after


def test_plastic_weights_change_identically_for_any_thread_count():
    before, after = _stdp_net(1)
    assert np.abs(after - before).max() > 1e-3
    assert (after >= 0).all() and (after <= 2.0).all()
    for threads in (2, 3):
        _, other = _stdp_net(threads)
        np.testing.assert_array_equal(after, other)


def test_reset_restores_initial_weights():
    before, after, reset_w, again = _stdp_net(1, reset=True)
    np.testing.assert_array_equal(reset_w, before)
    # (the Poisson inputs of a new segment are a new realisation: the weights learn anew)
    assert np.abs(again - before).max() > 1e-3 and not np.array_equal(again, after)


def test_stochastic_synapse_transmits_with_probability_p():
    sim.setup(timestep=0.1, rng_seed=9)
    n_spikes = 200
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=list(np.arange(1, n_spikes + 1) * 5.0)))
    cells = sim.Population(50, sim.IF_curr_exp(tau_syn_E=0.1, v_thresh=1e9))
    sim.Projection(src, cells, sim.AllToAllConnector(),
                   sim.SimpleStochasticSynapse(p=0.3, weight=1.0, delay=1.0))
    cells.record("isyn_exc")
    sim.run(n_spikes * 5.0 + 2.0)
    isyn = np.asarray(cells.get_data().segments[0].filter(name="isyn_exc")[0])
    arrivals = isyn[(np.arange(1, n_spikes + 1) * 50 + 10)]      # 1 ms after each spike
    hits = arrivals > 0.5
    frac = hits.mean()
    assert abs(frac - 0.3) < 4 * np.sqrt(0.3 * 0.7 / hits.size)
    assert hits.any(axis=0).all() and not hits.all(axis=1).any()   # independent per synapse


@pytest.mark.parametrize("make, match", [
    (lambda: sim.TsodyksMarkramSynapse(U=1.5), "'U' must be in \\[0, 1\\], got 1.5"),
    (lambda: sim.TsodyksMarkramSynapse(tau_rec=-1.0), "'tau_rec' must be > 0 ms, got -1"),
    (lambda: sim.SimpleStochasticSynapse(p=2.0), "'p' must be a probability.*got 2"),
    (lambda: sim.STDPMechanism(timing_dependence=sim.SpikePairRule(),
                               weight_dependence=sim.AdditiveWeightDependence(w_min=0.1)),
     "'w_min' must be 0.*got 0.1"),
    (lambda: sim.STDPMechanism(timing_dependence=sim.SpikePairRule(tau_plus=-2.0),
                               weight_dependence=sim.AdditiveWeightDependence()),
     "'tau_plus' must be > 0 ms, got -2"),
])
def test_bad_dynamics_parameters(make, match):
    sim.setup(timestep=0.1)
    a = sim.Population(2, sim.SpikeSourcePoisson(rate=1.0))
    b = sim.Population(2, sim.IF_curr_exp())
    with pytest.raises(errors.InvalidParameterValueError, match=match):
        sim.Projection(a, b, sim.AllToAllConnector(), make())


def test_dynamics_checks_before_anything_runs():
    sim.setup(timestep=0.1)
    a = sim.Population(2, sim.SpikeSourcePoisson(rate=1.0))
    b = sim.Population(2, sim.IF_curr_exp())
    with pytest.raises(errors.InvalidParameterValueError, match="dendritic_delay_fraction"):
        sim.STDPMechanism(timing_dependence=sim.SpikePairRule(),
                          weight_dependence=sim.AdditiveWeightDependence(),
                          dendritic_delay_fraction=0.5)
    with pytest.raises(errors.InvalidParameterValueError, match="same for every connection"):
        sim.Projection(a, b, sim.AllToAllConnector(), sim.STDPMechanism(
            timing_dependence=sim.SpikePairRule(tau_plus=sim.RandomDistribution(
                "uniform", (10.0, 30.0), rng=sim.NumpyRNG(1))),
            weight_dependence=sim.AdditiveWeightDependence()))
    with pytest.raises(errors.InvalidParameterValueError, match="'U' must be in \\[0, 1\\], got 1.2"):
        sim.Projection(a, b, sim.AllToAllConnector(), sim.TsodyksMarkramSynapse(
            U=np.array([[0.2, 0.3], [0.4, 1.2]])))
    with pytest.raises(errors.InvalidParameterValueError, match="tau_rec.*differ.*tau_syn_E"):
        sim.Projection(a, b, sim.AllToAllConnector(), sim.TsodyksMarkramSynapse(tau_rec=5.0))
    prj = sim.Projection(a, b, sim.AllToAllConnector(), sim.TsodyksMarkramSynapse(U=0.3))
    assert prj.get("U", format="list", with_address=False) == [0.3] * 4
    prj.set(U=0.6)
    assert prj.get("U", format="array")[0, 0] == 0.6
    with pytest.raises(errors.InvalidParameterValueError, match="initial u.*got 2"):
        prj.initialize(u=2.0)


def test_tsodyks_and_stochastic_parameters_per_connection():
    """U (and p) may differ between connections: the first response of a TM synapse
    starting from u = 0 is weight * U."""
    sim.setup(timestep=0.1)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0]))
    cells = sim.Population(3, sim.IF_curr_exp(tau_syn_E=1e6, v_thresh=1e9))
    U = np.array([[0.1, 0.45, 0.8]])
    prj = sim.Projection(src, cells, sim.AllToAllConnector(),
                         sim.TsodyksMarkramSynapse(weight=2.0, U=U, delay=1.0))
    assert prj.get("U", format="list", with_address=False) == [0.1, 0.45, 0.8]
    cells.record("isyn_exc")
    sim.run(10.0)
    isyn = np.asarray(cells.get_data().segments[0].filter(name="isyn_exc")[0])
    np.testing.assert_allclose(isyn[-1], 2.0 * U[0] * np.exp(-4.0 / 1e6), rtol=1e-9)
    sim.end()
    sim.setup(timestep=0.1, rng_seed=2)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=list(np.arange(1, 401) * 2.0)))
    cells = sim.Population(2, sim.IF_curr_exp(tau_syn_E=0.1, v_thresh=1e9))
    sim.Projection(src, cells, sim.AllToAllConnector(),
                   sim.SimpleStochasticSynapse(p=np.array([[0.0, 1.0]]), weight=1.0, delay=1.0))
    cells.record("isyn_exc")
    sim.run(810.0)
    isyn = np.asarray(cells.get_data().segments[0].filter(name="isyn_exc")[0])
    hits = isyn[np.arange(1, 401) * 20 + 10] > 0.5
    assert not hits[:, 0].any() and hits[:, 1].all()
