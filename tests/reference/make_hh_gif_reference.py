"""Regenerate the NEST reference fixtures of HH_cond_exp and GIF_cond_exp.

Run with a Python that has PyNN 0.13.0 + NEST 3.10 + neo installed, from the repo root:

    /tmp/refenv/bin/python tests/reference/make_hh_gif_reference.py

Each scenario runs in its own process with the simulator module "pyNN.nest":

  data/hh_gif_drive_nest.npz      scripts/hh_gif_drive.py (deterministic), with the
                                  variables other than v thinned to every SUB_EVERY-th
                                  sample to keep the fixture small (v is kept whole)
  data/hh_gif_gif_stats_nest.npz  scripts/hh_gif_gif_stats.py for STATS_SEEDS, stacked
                                  (spike data of 1000 stochastic GIF neurons per seed)

The module also holds the checks that tests/test_model_hh_gif.py applies to spinnframe's
output (it loads this file with runpy): thin(), gif_ambiguity(), compare_stats(). It
imports only numpy at module level.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from refcommon import load, split, versions  # noqa: E402
SCRIPTS = os.path.join(HERE, "scripts")
DATA = os.path.join(HERE, "data")
MODULE = "pyNN.nest"
SUB_EVERY = 5
STATS_SEEDS = (1, 2)
DRIVE_FIXTURE = os.path.join(DATA, "hh_gif_drive_nest.npz")
STATS_FIXTURE = os.path.join(DATA, "hh_gif_gif_stats_nest.npz")
#: z-score limit of every statistical comparison (see compare_stats)
Z_MAX = 4.0
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)


# ---- checks shared with the test -------------------------------------------------------
def thin(d, every=SUB_EVERY):
    """The drive output with every 2-d variable except v kept at every ``every``-th
    sample (rows 0, every, 2 every, ...)."""
    out = dict(d)
    for key, value in d.items():
        if value.ndim == 2 and key not in ("hh_v", "gif_v") and not key.startswith("conn_"):
            out[key] = value[::every]
    out["sub_every"] = np.array(every)
    return out


def gif_ambiguity(d):
    """For each GIF neuron with lambda0 > 0, the summed probability that its spike train
    could have come out differently: over every non-refractory step, p (the firing
    probability 1 - exp(-lambda dt)) where it did not fire and 1 - p where it did, with v
    at the end of the step and v_t of the step as recorded (needs them at every sample).
    Near 0 means the recorded train is the only realistic outcome, whatever the random
    numbers. v_t may be float32 (~4e-6 mV rounding): the exponent is taken at the less
    favourable end of that rounding."""
    dt = float(d["dt"])
    out = {}
    trains = split(d["gif_spike_times"], d["gif_spike_counts"])
    slack = 4e-6 if d["gif_v_t"].dtype == np.float32 else 0.0
    for j, train in enumerate(trains):
        lam0 = float(d["gif_param_lambda0"][j]) / 1000.0
        if lam0 == 0.0:
            continue
        n_ref = int(np.floor(float(d["gif_param_tau_refrac"][j]) / dt + 0.5))
        fired = set(np.rint(train / dt).astype(int).tolist())
        v = d["gif_v"][:, j]
        vt = d["gif_v_t"][:, j].astype(float)
        dv = float(d["gif_param_delta_v"][j])
        refrac, total = 0, 0.0
        for k in range(1, len(v)):
            if refrac > 0:
                refrac -= 1
                continue
            with np.errstate(over="ignore"):
                if k in fired:
                    x = (v[k] - vt[k] - slack) / dv
                    total += np.exp(-lam0 * np.exp(x) * dt)          # 1 - p
                    refrac = n_ref
                else:
                    x = (v[k] - vt[k] + slack) / dv
                    total += -np.expm1(-lam0 * np.exp(x) * dt)       # p
        out[j] = float(total)
    return out


def group_stats(steps, counts, group, g, dt, duration):
    """Per-neuron rates and the neurons' ISI lists (ms) of group g."""
    idx = np.flatnonzero(group == g)
    trains = split(np.asarray(steps, dtype=np.int64), counts)
    rates = counts[idx] / (duration / 1000.0)
    isis = [np.diff(trains[i]) * dt for i in idx]
    return rates, isis


def _quantiles(isis, q):
    pooled = np.concatenate(isis) if isis else np.zeros(0)
    return np.quantile(pooled, q) if pooled.size else np.full(len(q), np.nan)


def _bootstrap_se(isis, q, n_boot, rng):
    """Standard error of the pooled ISI quantiles, by resampling neurons (the unit of
    independence: ISIs of one neuron are correlated through adaptation)."""
    n = len(isis)
    reps = np.empty((n_boot, len(q)))
    for b in range(n_boot):
        pick = rng.integers(0, n, n)
        reps[b] = _quantiles([isis[i] for i in pick], q)
    return reps.std(axis=0, ddof=1)


def compare_stats(a, b, n_boot=200, seed=12345):
    """Compare two escape-noise runs (dicts of hh_gif_gif_stats.py output, one seed each)
    group by group. Returns rows (group, quantity, value_a, value_b, z) where z is the
    difference over its standard error:

    * mean rate over the group's neurons: SE from the across-neuron spread of each run,
      std/sqrt(N) (neurons are unconnected, hence independent);
    * pooled ISI quantiles (10, 25, 50, 75, 90 %): SE from a bootstrap over neurons.

    Two samples of the same process give |z| < Z_MAX = 4 with probability 0.99994 per
    comparison; with 4 groups x 6 quantities the chance that a correct model fails is
    about 0.2 % (and the test is deterministic for fixed seeds)."""
    rng = np.random.default_rng(seed)
    dt, duration = float(a["dt"]), float(a["duration"])
    rows = []
    for g in range(len(a["group_names"])):
        ra, ia = group_stats(a["spike_steps"], a["spike_counts"], a["group"], g, dt, duration)
        rb, ib = group_stats(b["spike_steps"], b["spike_counts"], b["group"], g, dt, duration)
        se = np.hypot(ra.std(ddof=1) / np.sqrt(ra.size), rb.std(ddof=1) / np.sqrt(rb.size))
        rows.append((g, "rate_Hz", ra.mean(), rb.mean(), (ra.mean() - rb.mean()) / se))
        qa, qb = _quantiles(ia, QUANTILES), _quantiles(ib, QUANTILES)
        se_q = np.hypot(_bootstrap_se(ia, QUANTILES, n_boot, rng),
                        _bootstrap_se(ib, QUANTILES, n_boot, rng))
        for k, q in enumerate(QUANTILES):
            rows.append((g, f"isi_q{int(q * 100)}_ms", qa[k], qb[k],
                         (qa[k] - qb[k]) / max(se_q[k], 1e-12)))
    return rows


def stats_seed(d, k):
    """Seed k of the stacked NEST statistics fixture, as a single-run dict."""
    cs = np.r_[0, np.cumsum(d["spike_totals"])]
    out = {key: d[key] for key in ("dt", "duration", "group", "group_names")}
    out["spike_counts"] = d["spike_counts"][k]
    out["spike_steps"] = d["spike_steps"][cs[k]:cs[k + 1]]
    out["seed"] = d["seed"][k]
    return out


# ---- generation ---------------------------------------------------------------------------
def run_script(name, *args):
    cmd = [sys.executable, os.path.join(SCRIPTS, name), MODULE] + [str(a) for a in args]
    print("$", " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit("failed: %s" % " ".join(cmd))


def verify_drive(d):
    assert np.array_equal(d["src_spike_counts"], d["src_rec_spike_counts"])
    assert np.allclose(d["src_spike_times"], d["src_rec_spike_times"], rtol=0, atol=1e-9)
    m = int(round(float(np.sum(d["run_durations"])) / float(d["dt"]))) + 1
    assert d["v_times"].shape == (m,)
    for key, value in d.items():
        if value.dtype.kind == "f":
            assert np.all(np.isfinite(value)), key
    assert np.allclose(d["hh_v"][0], d["hh_init_v"]) and np.allclose(d["gif_v"][0],
                                                                      d["gif_init_v"])
    amb = gif_ambiguity(d)
    print("  GIF hard-threshold neurons, probability that the spike train could differ:",
          {j: float("%.3g" % a) for j, a in amb.items()})
    assert max(amb.values()) < 1e-12
    lam0 = d["gif_param_lambda0"] == 0
    assert (d["gif_spike_counts"][lam0] == 0).all()
    print("  HH spike counts:", d["hh_spike_counts"].tolist())
    print("  GIF spike counts:", d["gif_spike_counts"].tolist())


def make_drive(tmp):
    raw = os.path.join(tmp, "drive.npz")
    run_script("hh_gif_drive.py", raw)
    d = load(raw)
    verify_drive(d)            # on the full-resolution data
    d = thin(d)
    d.update(versions())
    np.savez_compressed(DRIVE_FIXTURE, **d)
    return DRIVE_FIXTURE


def make_stats(tmp):
    runs = []
    for seed in STATS_SEEDS:
        raw = os.path.join(tmp, "stats_%d.npz" % seed)
        run_script("hh_gif_gif_stats.py", raw, seed)
        runs.append(load(raw))
    first = runs[0]
    out = {k: first[k] for k in first if not k.startswith("spike_") and k != "seed"
           and k != "sim_module"}
    out["sim_module"] = first["sim_module"]
    out["seed"] = np.array([int(r["seed"]) for r in runs])
    out["spike_counts"] = np.stack([r["spike_counts"] for r in runs])
    out["spike_totals"] = np.array([r["spike_steps"].size for r in runs])
    steps = np.concatenate([r["spike_steps"] for r in runs])
    assert steps.min() >= 0 and steps.max() < 2 ** 16
    out["spike_steps"] = steps.astype(np.uint16)      # times in steps (<= 20000): compact
    out.update(versions())
    np.savez_compressed(STATS_FIXTURE, **out)
    d = load(STATS_FIXTURE)
    a, b = stats_seed(d, 0), stats_seed(d, 1)
    rows = compare_stats(a, b)
    print("  NEST seed %d vs seed %d (the criteria the test applies to spinnframe):"
          % (a["seed"], b["seed"]))
    for g, what, x, y, z in rows:
        print("    group %d %-12s %9.3f %9.3f  z = %+.2f" % (g, what, x, y, z))
    assert max(abs(r[4]) for r in rows) < Z_MAX
    return STATS_FIXTURE


def main():
    os.makedirs(DATA, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        paths = [make_drive(tmp), make_stats(tmp)]
    for p in paths:
        print("%8d bytes  %s" % (os.path.getsize(p), os.path.relpath(p)))
    print("%8d bytes  total" % sum(os.path.getsize(p) for p in paths))
    for k, v in versions().items():
        print("  %s = %s" % (k, v))


if __name__ == "__main__":
    main()
