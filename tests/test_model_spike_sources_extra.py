"""SpikeSourcePoissonRefractory, SpikeSourceGamma and SpikeSourceInhGamma (plugin
spinnframe-spike-sources-extra) against NEST 3.10 through pyNN.nest, and against their
definitions.

NEST counterparts (tests/reference/README_spike_sources_extra.md):
  SpikeSourcePoissonRefractory -> ppd_sup_generator (rate, dead_time), n_proc = 1
  SpikeSourceGamma             -> gamma_sup_generator (gamma_shape = alpha,
                                  rate = beta/alpha), n_proc = 1
  SpikeSourceInhGamma          -> inh_gamma_generator, which NEST 3 does not have. The
                                  fixture's shape-1 profile (IG1) comes from NEST's
                                  inhomogeneous_poisson_generator (the same process); the
                                  shape > 1 profile (IG2) is checked against the hazard
                                  definition (numerical solution of the age density) and,
                                  late in each bin where it is stationary, against NEST's
                                  gamma_sup_generator with the same parameters (G1..G4).

The sources are random, so statistics are compared. The same scenario
(tests/reference/scripts/spike_sources_extra_stats.py: 11 groups of 1000 sources, 2.4 s,
dt = 0.1 ms, fixed seeds) runs here with spinnframe.pyNN and was run with pyNN.nest.

Tolerances. Every comparison is a z-score: the difference divided by the combined standard
error, and each standard error is computed from the samples themselves: for a rate, from the
variance across sources of the spike count in the window; for the ISI CV, by the delta
method from the pooled intervals' central moments (intervals of renewal processes are
independent); for a first-spike time, from its sample variance. A single comparison must
have |z| < 4 (two-sided probability 6e-5 for a correct implementation); a set of 48
histogram bins must have every |z| < 4.5 and chi2 < 48 + 5 sqrt(96). With 1000 sources the
standard errors are about 0.5 % of the rates and 0.3-0.7 % of the CVs, so a 2 % error in a
rate or CV would fail. Results are deterministic (fixed seeds), so the test is too.

Known, modelled differences (subtracted before comparing, so they do not widen tolerances):
  * NEST's generators are discrete-time: ppd_sup_generator's CV is sqrt(1 - p) times the
    continuous one (p = dt/(1000/rate - tau_refrac), up to 1.3 % here); its shortest interval
    is tau_refrac + dt; gamma_sup_generator's CV is sqrt(1 - p) times 1/sqrt(alpha)
    (p = dt beta/1000, up to 0.5 %). spinnframe samples continuous time exactly; stamping
    at the end of the step adds dt^2/6 to the interval variance.
  * Start: NEST starts gamma_sup_generator in its last phase (first spike after a mean
    1/beta); spinnframe's SpikeSourceGamma is stationary from the start (first spike after
    a mean (alpha+1)/(2 beta), rate beta/alpha at all times). Rates are compared with NEST
    from 600 ms on, when NEST's start-up transient has decayed (slowest: G4, time constant
    ~105 ms); the start-up itself is checked against each simulator's own definition.
"""
import math
import runpy
import subprocess
from pathlib import Path

import attrs
import numpy as np
import pytest
from pyNN import errors
from pyNN.parameters import Sequence

import spinnframe.pyNN as sim
from spinnframe.specs import NeuronModelSpec

REF = Path(__file__).parent / "reference"
SCRIPT = REF / "scripts" / "spike_sources_extra_stats.py"
MODEL = runpy.run_path(str(REF / "scripts" / "spike_sources_extra_model.py"))
STATS = runpy.run_path(str(SCRIPT), run_name="spinnframe_test")
Z = 4.0
DT = 0.1


def assert_z(label, value, err, expected, expected_err=0.0, z_max=Z):
    if err == 0 and expected_err == 0:          # e.g. no spike in the window at all
        assert value == expected, f"{label}: {value} vs {expected}"
        return
    z = (value - expected) / math.hypot(err, expected_err)
    assert abs(z) < z_max, (f"{label}: {value:.5g} +- {err:.2g} vs {expected:.5g} +- "
                            f"{expected_err:.2g} (z = {z:+.2f})")


def assert_profile(label, mean, err, expected, expected_err=None):
    """Per-bin z-scores: every |z| < 4.5 and chi2 < n + 5 sqrt(2n) over bins with data."""
    expected_err = np.zeros_like(err) if expected_err is None else expected_err
    tot = np.hypot(err, expected_err)
    empty = tot == 0
    assert np.all(mean[empty] == expected[empty]), f"{label}: spikes where none expected"
    z = (mean[~empty] - expected[~empty]) / tot[~empty]
    n = len(z)
    assert np.abs(z).max() < 4.5 and (z ** 2).sum() < n + 5 * math.sqrt(2 * n), \
        f"{label}: max|z| = {np.abs(z).max():.2f}, chi2 = {(z ** 2).sum():.1f} for {n} bins"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    out = tmp_path_factory.mktemp("ssx") / "stats.npz"
    STATS["main"]("spinnframe.pyNN", str(out))
    with np.load(REF / "data" / "spike_sources_extra_nest.npz", allow_pickle=False) as f:
        nest = {k: f[k] for k in f.files}
    with np.load(out, allow_pickle=False) as f:
        sf = {k: f[k] for k in f.files}
    return nest, sf


def window(d, lo, hi):
    return [tuple(w) for w in d["windows"].tolist()].index((float(lo), float(hi)))


def test_same_scenario(data):
    nest, sf = data
    for key in ("group_names", "windows", "group_info", "n_per_group", "dt", "t_stop",
                "seed", "isi_range", "hist_bin"):
        np.testing.assert_array_equal(nest[key], sf[key], err_msg=key)
    assert sf["group_available"].all()
    idx, _ = MODEL["groups"](nest)
    assert not nest["group_available"][idx["IG2"]]          # NEST 3 has no inh_gamma
    # the interval statistics of the R and G groups are complete (their use of a stopping
    # rule to avoid length bias needs every selected interval's end)
    rg = [idx[n] for n in idx if n[0] in "RG"]
    assert np.all(sf["isi_missing"][rg] == 0) and np.all(nest["isi_missing"][rg] == 0)
    assert str(nest["nest_version"]).startswith("3.10") and str(nest["pynn_version"]) == "0.13.0"


# ---- SpikeSourcePoissonRefractory ------------------------------------------------------
@pytest.mark.parametrize("k", range(4))
def test_refractory_rate_matches_nest_and_definition(data, k):
    nest, sf = data
    idx, info = MODEL["groups"](nest)
    g = idx[f"R{k}"]
    rate, tau = info["refractory"][k]
    steady = window(nest, 600, 2400)
    assert_z(f"R{k} rate vs NEST", *MODEL["window_rate"](sf, g, steady),
             *MODEL["window_rate"](nest, g, steady))
    for lo, hi in ((0, 300), (0, 2400)):         # no start-up transient worth testing
        assert_z(f"R{k} rate ({lo}, {hi}]", *MODEL["window_rate"](sf, g, window(sf, lo, hi)),
                 rate)
    mu, _ = MODEL["refractory_exact"](rate, tau, DT)
    assert_z(f"R{k} mean ISI", *MODEL["isi_mean"](sf, g), mu)


@pytest.mark.parametrize("k", range(4))
def test_refractory_cv_matches_nest_and_definition(data, k):
    nest, sf = data
    idx, info = MODEL["groups"](nest)
    g = idx[f"R{k}"]
    rate, tau = info["refractory"][k]
    _, cv_exact = MODEL["refractory_exact"](rate, tau, DT)
    _, cv_nest, _ = MODEL["refractory_nest"](rate, tau, DT)
    cv, err = MODEL["isi_cv"](sf, g)
    assert_z(f"R{k} CV vs 1 - rate*tau", cv, err, cv_exact)
    ncv, nerr = MODEL["isi_cv"](nest, g)
    assert_z(f"R{k} NEST CV vs its discrete-time value", ncv, nerr, cv_nest)
    scale = cv_exact / cv_nest
    assert_z(f"R{k} CV vs NEST (discretisation removed)", cv, err, ncv * scale, nerr * scale)


@pytest.mark.parametrize("k", range(4))
def test_refractory_no_interval_shorter_than_tau_refrac(data, k):
    nest, sf = data
    idx, info = MODEL["groups"](nest)
    g = idx[f"R{k}"]
    rate, tau = info["refractory"][k]
    assert sf["isi_min"][g] >= tau - 1e-9
    # NEST's shortest interval is one step longer: its dead time starts after the step
    _, _, shortest = MODEL["refractory_nest"](rate, tau, DT)
    assert nest["isi_min"][g] >= shortest - 1e-9
    if tau > 0:                # the bound is reached: tau is the shortest interval
        assert sf["isi_min"][g] < tau + DT + 1e-9


# ---- SpikeSourceGamma ------------------------------------------------------------------
@pytest.mark.parametrize("k", range(5))
def test_gamma_rate_matches_nest_and_definition(data, k):
    nest, sf = data
    idx, info = MODEL["groups"](nest)
    g = idx[f"G{k}"]
    alpha, beta = info["gamma"][k]
    steady = window(nest, 600, 2400)
    assert_z(f"G{k} rate vs NEST", *MODEL["window_rate"](sf, g, steady),
             *MODEL["window_rate"](nest, g, steady))
    mu, _, _ = MODEL["gamma_exact"](alpha, beta, DT)
    assert_z(f"G{k} mean ISI", *MODEL["isi_mean"](sf, g), mu)
    assert_z(f"G{k} mean ISI vs NEST", *MODEL["isi_mean"](sf, g), *MODEL["isi_mean"](nest, g))
    # stationary from the start: beta/alpha in every 50 ms bin, from the first one
    mean, err = MODEL["hist_rate"](sf, g)
    assert_profile(f"G{k} rate profile", mean, err, np.full_like(mean, beta / alpha * 0.05))
    for lo, hi in ((0, 300), (0, 2400)):
        assert_z(f"G{k} rate ({lo}, {hi}]", *MODEL["window_rate"](sf, g, window(sf, lo, hi)),
                 beta / alpha)


@pytest.mark.parametrize("k", range(5))
def test_gamma_cv_matches_nest_and_definition(data, k):
    nest, sf = data
    idx, info = MODEL["groups"](nest)
    g = idx[f"G{k}"]
    alpha, beta = info["gamma"][k]
    _, cv_exact, _ = MODEL["gamma_exact"](alpha, beta, DT)
    _, cv_nest, _ = MODEL["gamma_nest"](alpha, beta, DT)
    cv, err = MODEL["isi_cv"](sf, g)
    assert_z(f"G{k} CV vs 1/sqrt(alpha)", cv, err, cv_exact)
    ncv, nerr = MODEL["isi_cv"](nest, g)
    assert_z(f"G{k} NEST CV vs its discrete-time value", ncv, nerr, cv_nest)
    scale = cv_exact / cv_nest
    assert_z(f"G{k} CV vs NEST (discretisation removed)", cv, err, ncv * scale, nerr * scale)


@pytest.mark.parametrize("k", range(5))
def test_gamma_first_spike_documented_difference_from_nest(data, k):
    nest, sf = data
    idx, info = MODEL["groups"](nest)
    g = idx[f"G{k}"]
    alpha, beta = info["gamma"][k]
    assert_z(f"G{k} first spike (stationary start)", *MODEL["first_spike"](sf, g),
             MODEL["gamma_exact"](alpha, beta, DT)[2])
    assert_z(f"G{k} NEST first spike (last phase)", *MODEL["first_spike"](nest, g),
             MODEL["gamma_nest"](alpha, beta, DT)[2])


# ---- SpikeSourceInhGamma ---------------------------------------------------------------
def test_inh_gamma_shape_1_profile_matches_nest(data):
    nest, sf = data
    idx, info = MODEL["groups"](nest)
    g = idx["IG1"]
    p = info["IG1"]
    for lo, hi in ((0, 100), (100, 2000), (2000, 2400), (0, 600), (600, 1200), (1200, 1800),
                   (1800, 2400)):
        w = window(sf, lo, hi)
        assert_z(f"IG1 rate ({lo}, {hi}] vs NEST", *MODEL["window_rate"](sf, g, w),
                 *MODEL["window_rate"](nest, g, w))
    mean, err = MODEL["hist_rate"](sf, g)
    nmean, nerr = MODEL["hist_rate"](nest, g)
    assert_profile("IG1 50 ms profile vs NEST", mean, err, nmean, nerr)
    expected = MODEL["inh_gamma_expected_counts"](
        p["a"], p["b"], p["tbins"], float(sf["t_stop"]), start=p["start"],
        stop=p["start"] + p["duration"], dt=DT).reshape(len(mean), -1).sum(1)
    assert_profile("IG1 50 ms profile vs definition", mean, err, expected)


def test_inh_gamma_profile_matches_hazard_definition(data):
    """IG2 (shapes 2, 4, 4, 10) including the transients after each change of parameters."""
    nest, sf = data
    idx, info = MODEL["groups"](nest)
    p = info["IG2"]
    mean, err = MODEL["hist_rate"](sf, idx["IG2"])
    expected = MODEL["inh_gamma_expected_counts"](
        p["a"], p["b"], p["tbins"], float(sf["t_stop"]), dt=DT).reshape(len(mean), -1).sum(1)
    assert_profile("IG2 50 ms profile vs definition", mean, err, expected)
    # the transients are real and resolved by the test above: the rate overshoots after
    # the rise to 50 Hz and after the rise to 25 Hz, and nearly stops after the switch to
    # shape 10 (every source is then young for its new hazard)
    assert expected[12] > 1.04 * expected[23] and expected[36] > 1.15 * expected[47]
    assert expected[24] < 0.1 * expected[35]


def test_inh_gamma_stationary_bins_match_nest_gamma(data):
    """Late in each 600 ms bin IG2 is stationary: it must match NEST's gamma_sup_generator
    with the same shape and rate (one of G1..G4) in rate, and its first bin must match
    spinnframe's own SpikeSourceGamma with those parameters from the start (both start
    stationary)."""
    nest, sf = data
    idx, info = MODEL["groups"](nest)
    p = info["IG2"]
    steady = window(nest, 600, 2400)
    by_params = {(alpha, beta): k for k, (alpha, beta) in enumerate(info["gamma"])}
    for k, (lo, hi) in enumerate(((300, 600), (900, 1200), (1500, 1800), (2100, 2400))):
        gk = by_params[(p["a"][k], 1.0 / p["b"][k])]
        assert_z(f"IG2 rate ({lo}, {hi}] vs NEST gamma G{gk}",
                 *MODEL["window_rate"](sf, idx["IG2"], window(sf, lo, hi)),
                 *MODEL["window_rate"](nest, idx[f"G{gk}"], steady))
    g0 = idx[f"G{by_params[(p['a'][0], 1.0 / p['b'][0])]}"]
    w = window(sf, 0, 600)
    assert_z("IG2 first bin vs SpikeSourceGamma", *MODEL["window_rate"](sf, idx["IG2"], w),
             *MODEL["window_rate"](sf, g0, w))
    assert_z("IG2 first spike vs SpikeSourceGamma", *MODEL["first_spike"](sf, idx["IG2"]),
             *MODEL["first_spike"](sf, g0))


# ---- exactness of the sampling: splitting runs, threads, start and stop ----------------
def _build_mixed(s):
    """Populations of all three models with varied parameters per source."""
    n = 24
    rng = np.random.default_rng(3)
    ppr = s.Population(n, s.SpikeSourcePoissonRefractory(
        rate=rng.uniform(5, 150, n), tau_refrac=rng.choice([0.0, 0.1, 2.0, 6.55], n),
        start=rng.choice([0.0, 37.3, 600.0], n), duration=rng.choice([1e10, 450.0], n)))
    gam = s.Population(n, s.SpikeSourceGamma(
        alpha=rng.choice([0.3, 1.0, 2.0, 2.5, 10.0, 40.0], n), beta=rng.uniform(20, 800, n),
        start=rng.choice([0.0, 120.0], n), duration=rng.choice([1e10, 700.0], n)))
    profiles = [dict(a=[2.0], b=[0.02], tbins=[0.0]),
                dict(a=[0.5, 1.0, 3.0, 3.0], b=[0.01, 0.01, 0.02, 0.05],
                     tbins=[50.0, 200.0, 200.0, 600.0]),
                dict(a=[1.0, 2.0, 5.0], b=[0.002, 0.004, 0.01], tbins=[0.0, 333.3, 600.0])]
    chosen = [profiles[i % 3] for i in range(n)]
    inh = s.Population(n, s.SpikeSourceInhGamma(
        a=[Sequence(c["a"]) for c in chosen], b=[Sequence(c["b"]) for c in chosen],
        tbins=[Sequence(c["tbins"]) for c in chosen],
        start=rng.choice([0.0, 20.0, 700.0], n), duration=rng.choice([1e10, 500.0], n)))
    return [ppr, gam, inh]


def _spikes(runs, threads=1, seed=11, build=_build_mixed):
    sim.setup(timestep=DT, threads=threads, rng_seed=seed)
    try:
        pops = build(sim)
        for p in pops:
            p.record("spikes")
        for t in runs:
            sim.run(t)
        return [[np.asarray(st.magnitude) for st in p.get_data().segments[0].spiketrains]
                for p in pops]
    finally:
        sim.end()


def test_split_runs_give_exactly_the_same_spikes():
    whole = _spikes([1000.0])
    split = _spikes([350.0, 0.1, 249.9, 400.0])       # one split at a bin edge (600)
    assert sum(len(t) for pop in whole for t in pop) > 2000
    for a, b in zip(whole, split):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)


def test_thread_count_does_not_change_spikes():
    one = _spikes([600.0], threads=1)
    four = _spikes([600.0], threads=4)
    for a, b in zip(one, four):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)
    other = _spikes([600.0], threads=1, seed=12)
    assert any(len(x) != len(y) or np.any(x != y)
               for a, b in zip(one, other) for x, y in zip(a, b))


def test_start_duration_and_first_bin_respected():
    def build(s):
        return [s.Population(200, s.SpikeSourcePoissonRefractory(
                    rate=200.0, tau_refrac=1.0, start=100.0, duration=50.0)),
                s.Population(200, s.SpikeSourceGamma(alpha=3.0, beta=600.0, start=100.0,
                                                     duration=50.0)),
                s.Population(200, s.SpikeSourceInhGamma(
                    a=Sequence([3.0, 1.0]), b=Sequence([0.0017, 0.005]),
                    tbins=Sequence([120.0, 140.0]), start=100.0, duration=50.0))]
    for pop, first in zip(_spikes([300.0], build=build), (100.0, 100.0, 120.0)):
        t = np.concatenate(pop)
        assert len(t) > 1000
        assert t.min() > first + 1e-9 and t.min() < first + 0.5
        assert t.max() <= 150.0 + 1e-9 and t.max() > 149.5


# ---- parameter changes between runs ---------------------------------------------------
def _histogram(trains, t_stop, width=50.0):
    edges = np.arange(0.0, t_stop + width / 2, width)
    h = np.array([np.histogram(np.asarray(t) - 1e-6, bins=edges)[0] for t in trains], float)
    n = len(trains)
    return h.mean(0), h.std(0, ddof=1) / math.sqrt(n)


def test_gamma_parameter_change_continues_the_interval_in_progress():
    """set(alpha=10) at 600 ms: the intervals in progress continue from their age under the
    new parameters, i.e. the process is SpikeSourceInhGamma with a bin edge at 600 ms (a
    restart, stationary or from age 0, would give another transient)."""
    def build(s):
        return [s.Population(2000, s.SpikeSourceGamma(alpha=2.0, beta=100.0))]
    sim.setup(timestep=DT, rng_seed=5)
    try:
        (pop,) = build(sim)
        pop.record("spikes")
        sim.run(600.0)
        pop.set(alpha=10.0)
        sim.run(600.0)
        trains = [np.asarray(st.magnitude) for st in pop.get_data().segments[0].spiketrains]
    finally:
        sim.end()
    mean, err = _histogram(trains, 1200.0)
    expected = MODEL["inh_gamma_expected_counts"](
        [2.0, 10.0], [0.01, 0.01], [0.0, 600.0], 1200.0, dt=DT).reshape(len(mean), -1).sum(1)
    assert_profile("gamma with set(alpha) at 600 ms", mean, err, expected)
    assert expected[12] < 0.3 * expected[23]      # the transient is there to be resolved


def test_refractory_parameter_change_keeps_the_dead_time():
    sim.setup(timestep=DT, rng_seed=5)
    try:
        pop = sim.Population(1000, sim.SpikeSourcePoissonRefractory(rate=100.0,
                                                                      tau_refrac=5.0))
        pop.record("spikes")
        sim.run(500.0)
        pop.set(rate=150.0)
        sim.run(700.0)
        trains = [np.asarray(st.magnitude) for st in pop.get_data().segments[0].spiketrains]
    finally:
        sim.end()
    assert min(np.diff(t).min() for t in trains) >= 5.0 - 1e-9
    counts = np.array([((t > 500.0 + 1e-6) & (t <= 1200.0 + 1e-6)).sum() for t in trains])
    assert_z("rate after set(rate=150)", counts.mean() / 0.7,
             counts.std(ddof=1) / math.sqrt(len(counts)) / 0.7, 150.0)


# ---- non-integer shapes (NEST has none) ------------------------------------------------
@pytest.mark.parametrize("alpha,beta", [(0.5, 10.0), (2.5, 50.0), (0.3, 60.0)])
def test_gamma_non_integer_shape(alpha, beta):
    def build(s):
        return [s.Population(1000, s.SpikeSourceGamma(alpha=alpha, beta=beta))]
    (trains,) = _spikes([2400.0], seed=9, build=build)
    d = _stats([trains])
    rate = beta / alpha
    assert_z("rate", *MODEL["window_rate"](d, 0, window(d, 0, 2400)), rate)
    cv, err = MODEL["isi_cv"](d, 0)
    assert_z("CV", cv, err, MODEL["gamma_exact"](alpha, beta, DT)[1])
    assert_z("first spike", *MODEL["first_spike"](d, 0), MODEL["gamma_exact"](alpha, beta, DT)[2])


def _stats(groups, start=0.0):
    """The stats script's statistics for groups of spike trains, as its output dict."""
    stats = [STATS["statistics"](tr, start) for tr in groups]
    d = {k: np.stack([np.asarray(s[k], dtype=float) for s in stats]) for k in stats[0]}
    d.update(windows=np.array(STATS["WINDOWS"], dtype=float),
             n_per_group=np.int64(len(groups[0])))
    return d


# ---- sequences and rules between parameters ----------------------------------------------
def test_shape_and_scale_need_not_be_sorted_but_tbins_must():
    sim.SpikeSourceInhGamma(a=Sequence([4.0, 1.0]), b=Sequence([0.02, 0.005]),
                            tbins=Sequence([0.0, 100.0]))
    with pytest.raises(errors.InvalidParameterValueError, match="'tbins' must be sorted"):
        sim.SpikeSourceInhGamma(a=Sequence([4.0, 1.0]), b=Sequence([0.02, 0.005]),
                                tbins=Sequence([100.0, 0.0]))


needs_validate = pytest.mark.skipif(
    "validate" not in attrs.fields_dict(NeuronModelSpec),
    reason="this spinnframe core has no NeuronModelSpec.validate (rules between parameters)")


@needs_validate
def test_dead_time_longer_than_mean_interval_is_refused():
    sim.setup(timestep=DT)
    try:
        with pytest.raises(errors.InvalidParameterValueError,
                           match=r"rate=200 Hz and tau_refrac=5 ms \(cell index 1\)"):
            sim.Population(2, sim.SpikeSourcePoissonRefractory(
                rate=np.array([100.0, 200.0]), tau_refrac=5.0))
        pop = sim.Population(2, sim.SpikeSourcePoissonRefractory(rate=100.0, tau_refrac=5.0))
        with pytest.raises(errors.InvalidParameterValueError, match="tau_refrac must be shorter"):
            pop.set(tau_refrac=10.0)
        pop.set(tau_refrac=9.9)
    finally:
        sim.end()


@needs_validate
def test_inh_gamma_lengths_must_agree():
    sim.setup(timestep=DT)
    try:
        with pytest.raises(errors.InvalidParameterValueError,
                           match=r"same length.*got 2, 1 and 2 \(cell index 0\)"):
            sim.Population(1, sim.SpikeSourceInhGamma(
                a=Sequence([1.0, 2.0]), b=Sequence([0.01]), tbins=Sequence([0.0, 10.0])))
        pop = sim.Population(2, sim.SpikeSourceInhGamma())
        with pytest.raises(errors.InvalidParameterValueError, match="same length"):
            pop.set(tbins=Sequence([0.0, 50.0]))
        pop.set(a=Sequence([1.0, 3.0]), b=Sequence([0.02, 0.01]), tbins=Sequence([0.0, 50.0]))
    finally:
        sim.end()


# ---- the samplers on their own ----------------------------------------------------------
HARNESS = r"""
#include <stdio.h>
#include <stdlib.h>
#include "spinnframe_kernel.h"
#include "sf_renewal.h"
/* argv: kind (0 gamma residual, 1 stationary age), a, t, n. Prints the first 2 moments. */
int main(int argc, char **argv) {
    const int kind = atoi(argv[1]);
    const double a = atof(argv[2]), t = atof(argv[3]);
    const long n = atol(argv[4]);
    uint64_t rng = sf_rng_seed(20260315u, (uint64_t)(1000 * a + t));
    double s1 = 0, s2 = 0;
    for (long i = 0; i < n; i++) {
        const double y = kind ? ssx_stationary_age(&rng, a) : ssx_gamma_residual(&rng, a, t);
        s1 += y; s2 += y * y;
    }
    printf("%.17g %.17g\n", s1 / n, s2 / n);
    return 0;
}
"""


def _tail_moments(a, t):
    """E[Y^k], k = 1..4, for Y = X - t, X ~ Gamma(a, 1) conditioned on X > t."""
    if t == 0:
        g = [1.0]
        for k in range(1, 5):
            g.append(g[-1] * (a + k - 1))
        return g[1:]
    y = np.linspace(0.0, 80.0 + 12 * math.sqrt(a) + max(a - t, 0), 800001)
    logf = (a - 1) * np.log(t + y) - y
    f = np.exp(logf - logf.max())
    z = np.trapezoid(f, y)
    return [np.trapezoid(f * y ** k, y) / z for k in range(1, 5)]


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    from spinnframe.sdk import include_dir
    from spinnframe_host.compiler import compiler
    import spinnframe_spike_sources_extra as pkg

    d = tmp_path_factory.mktemp("sampler")
    (d / "h.c").write_text(HARNESS)
    exe = d / "h"
    subprocess.run(compiler() + ["-std=gnu99", "-O2", "-Wall", "-Werror", "-I",
                                 str(include_dir()), "-I", str(Path(pkg.__file__).parent),
                                 "-o", str(exe), str(d / "h.c"), "-lm"], check=True)

    def run(kind, a, t, n):
        out = subprocess.run([str(exe), str(kind), repr(a), repr(t), str(n)],
                             capture_output=True, text=True, check=True).stdout.split()
        return float(out[0]), float(out[1])
    return run


@pytest.mark.parametrize("a,t", [(0.3, 0.0), (1.0, 0.0), (2.5, 0.0), (30.0, 0.0),
                                 (2.0, 0.5), (2.0, 2.0), (2.0, 50.0), (4.0, 1.0),
                                 (10.0, 5.0), (10.0, 12.0), (100.0, 85.0), (100.0, 150.0),
                                 (0.5, 0.1), (0.5, 0.3), (0.2, 4.0), (1.0, 3.0), (1.01, 40.0)])
def test_gamma_sampler_moments(harness, a, t):
    """Marsaglia-Tsang draws (t = 0) and draws conditioned on X > t, through every branch
    of ssx_gamma_residual: mean and second moment within 4.5 standard errors."""
    n = 400000
    m1, m2 = harness(0, a, t, n)
    e1, e2, e3, e4 = _tail_moments(a, t)
    assert_z("mean", m1, math.sqrt((e2 - e1 * e1) / n), e1, z_max=4.5)
    assert_z("2nd moment", m2, math.sqrt((e4 - e2 * e2) / n), e2, z_max=4.5)


@pytest.mark.parametrize("a", [0.3, 1.0, 4.0, 25.0])
def test_stationary_age_moments(harness, a):
    """Age of a stationary gamma process: U * Gamma(a + 1), E[A^k] = (a+1)_k / (k+1)."""
    n = 400000
    m1, m2 = harness(1, a, 0.0, n)
    e = [np.prod([a + j for j in range(1, k + 1)]) / (k + 1) for k in range(1, 5)]
    assert_z("mean", m1, math.sqrt((e[1] - e[0] ** 2) / n), e[0], z_max=4.5)
    assert_z("2nd moment", m2, math.sqrt((e[3] - e[1] ** 2) / n), e[1], z_max=4.5)


# ---- bad parameter values ---------------------------------------------------------------
@pytest.mark.parametrize("model,kwargs,match", [
    ("SpikeSourcePoissonRefractory", dict(rate=-5.0), r"'rate' must be >= 0 Hz, got -5"),
    ("SpikeSourcePoissonRefractory", dict(tau_refrac=-0.5),
     r"'tau_refrac' must be >= 0 ms, got -0.5"),
    ("SpikeSourceGamma", dict(alpha=0.0), r"'alpha' must be > 0 dimensionless, got 0"),
    ("SpikeSourceGamma", dict(beta=-2.0), r"'beta' must be >= 0 Hz, got -2"),
    ("SpikeSourceGamma", dict(duration=float("nan")), r"'duration' must be >= 0 ms, got nan"),
    ("SpikeSourceInhGamma", dict(a=Sequence([1.0, -2.0])),
     r"'a': every value must be > 0 dimensionless, got -2"),
    ("SpikeSourceInhGamma", dict(b=Sequence([0.0])), r"'b': every value must be > 0 s, got 0"),
    ("SpikeSourceInhGamma", dict(tbins=Sequence([0.0, 300.0, 200.0])),
     r"'tbins' must be sorted.*200 comes after 300"),
])
def test_bad_parameter_values_are_refused(model, kwargs, match):
    with pytest.raises(errors.InvalidParameterValueError, match=match):
        getattr(sim, model)(**kwargs)


def test_bad_value_in_population_set_is_refused():
    sim.setup(timestep=DT)
    try:
        pop = sim.Population(3, sim.SpikeSourceGamma())
        with pytest.raises(errors.InvalidParameterValueError, match=r"'alpha'.*got -1"):
            pop.set(alpha=np.array([2.0, -1.0, 3.0]))
    finally:
        sim.end()
