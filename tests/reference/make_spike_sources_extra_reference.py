"""Regenerate tests/reference/data/spike_sources_extra_nest.npz.

Run with a Python that has PyNN 0.13.0 + NEST 3.10 + neo installed, from the repo root:

    /tmp/refenv/bin/python tests/reference/make_spike_sources_extra_reference.py

It runs scripts/spike_sources_extra_stats.py with pyNN.nest in its own process (NEST keeps
global state), adds the version strings, writes the fixture, loads it back and checks that
NEST's statistics are what NEST's discrete-time generators should give
(scripts/spike_sources_extra_model.py): every comparison within 4 standard errors.
See README_spike_sources_extra.md.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.join(HERE, "scripts")
DATA = os.path.join(HERE, "data")
OUT = os.path.join(DATA, "spike_sources_extra_nest.npz")

sys.path.insert(0, SCRIPTS)
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import spike_sources_extra_model as model  # noqa: E402
from refcommon import versions  # noqa: E402


def check(label, value, err, expected, z_max=4.0):
    z = (value - expected) / err
    print("  %-44s %10.4f +- %.4f  expected %10.4f  z = %+.2f" % (label, value, err, expected, z))
    assert abs(z) < z_max, label


def verify(d):
    idx, info = model.groups(d)
    dt = float(d["dt"])
    steady = [tuple(w) for w in d["windows"].tolist()].index((600.0, 2400.0))
    for k, (rate, tau) in enumerate(info["refractory"]):
        g = idx[f"R{k}"]
        mean, cv, shortest = model.refractory_nest(rate, tau, dt)
        check(f"R{k} rate (600, 2400] Hz", *model.window_rate(d, g, steady), 1000.0 / mean)
        check(f"R{k} mean ISI ms", *model.isi_mean(d, g), mean)
        check(f"R{k} CV", *model.isi_cv(d, g), cv)
        print("  R%d shortest ISI %.4f ms (NEST: (floor(tau/dt) + 1) dt = %.4f)"
              % (k, d["isi_min"][g], shortest))
        assert d["isi_min"][g] >= shortest - 1e-9
    for k, (alpha, beta) in enumerate(info["gamma"]):
        g = idx[f"G{k}"]
        mean, cv, first = model.gamma_nest(alpha, beta, dt)
        check(f"G{k} rate (600, 2400] Hz", *model.window_rate(d, g, steady), 1000.0 / mean)
        check(f"G{k} mean ISI ms", *model.isi_mean(d, g), mean)
        check(f"G{k} CV", *model.isi_cv(d, g), cv)
        check(f"G{k} first spike ms (NEST: one phase)", *model.first_spike(d, g), first)
    g = idx["IG1"]
    ig1 = info["IG1"]
    expected = model.inh_gamma_expected_counts(
        ig1["a"], ig1["b"], ig1["tbins"], float(d["t_stop"]), start=ig1["start"],
        stop=ig1["start"] + ig1["duration"], dt=dt)
    per_bin = expected.reshape(len(d["hist_sum"][g]), -1).sum(1)
    mean, err = model.hist_rate(d, g)
    ok = err > 0
    z = (mean[ok] - per_bin[ok]) / err[ok]
    print("  IG1 (inhomogeneous_poisson_generator) 50 ms bins: max|z| = %.2f, chi2 = %.1f "
          "for %d bins; empty bins empty: %s"
          % (np.abs(z).max(), (z ** 2).sum(), ok.sum(), bool(np.all(mean[~ok] == 0))))
    assert np.abs(z).max() < 4.5 and np.all(per_bin[~ok] == 0)
    assert not d["group_available"][idx["IG2"]]


def main():
    os.makedirs(DATA, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "stats.npz")
        cmd = [sys.executable, os.path.join(SCRIPTS, "spike_sources_extra_stats.py"),
               "pyNN.nest", raw]
        print("$", " ".join(cmd), flush=True)
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout + proc.stderr)
            raise SystemExit("failed: %s" % " ".join(cmd))
        with np.load(raw, allow_pickle=False) as f:
            d = {k: f[k] for k in f.files}
    d.update(versions())
    np.savez_compressed(OUT, **d)
    with np.load(OUT, allow_pickle=False) as f:
        verify({k: f[k] for k in f.files})
    print("%8d bytes  %s" % (os.path.getsize(OUT), os.path.relpath(OUT)))
    for k, v in versions().items():
        print("  %s = %s" % (k, v))


if __name__ == "__main__":
    main()
