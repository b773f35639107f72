"""Regenerate the NEST reference fixture of the conductance-based IF models.

Run with a Python that has PyNN 0.13.0 + NEST 3.10 + neo installed, from the repo root:

    /tmp/refenv/bin/python tests/reference/make_if_cond_reference.py

It runs scripts/if_cond_drive.py with the simulator module "pyNN.nest" in its own process
(NEST keeps global state), adds version strings (pynn_version, nest_version,
numpy_version, neo_version, python_version) and writes data/if_cond_nest.npz. The file is
then loaded back with allow_pickle=False and checked against the conventions that the
models must follow (see README_if_cond.md); the script prints spike counts and the
threshold margins.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from refcommon import load, split, versions  # noqa: E402
SCRIPT = os.path.join(HERE, "scripts", "if_cond_drive.py")
OUT = os.path.join(HERE, "data", "if_cond_nest.npz")
MODULE = "pyNN.nest"


def verify(d):
    """The fixture is complete and follows the documented conventions."""
    dt = float(d["dt"])
    assert np.array_equal(d["src_spike_counts"], d["src_rec_spike_counts"])
    assert np.allclose(d["src_spike_times"], d["src_rec_spike_times"], rtol=0, atol=1e-9)
    m = int(round(float(np.sum(d["run_durations"])) / dt)) + 1
    assert d["v_times"].shape == (m,)
    assert np.allclose(d["v_times"], np.arange(m) * dt, rtol=0, atol=1e-9)
    for model in d["models"]:
        model = str(model)
        names = [str(n) for n in d[f"{model}_param_names"]]
        P = d[f"{model}_params"]
        col = {n: P[:, i] for i, n in enumerate(names)}
        v = d[f"{model}_v"]
        n = P.shape[0]
        assert v.shape == (m, n)
        assert np.array_equal(v[0], d[f"{model}_v_init"]), "t = 0 holds the initial v"
        spikes = split(d[f"{model}_spike_times"], d[f"{model}_spike_counts"])
        assert d[f"{model}_spike_counts"].sum() > 20, model
        steps_ref = np.floor(col["tau_refrac"] / dt + 0.5).astype(int)
        overshoot_free = []
        gap = np.inf
        for j in range(n):
            k = np.rint(spikes[j] / dt).astype(int)
            assert np.allclose(spikes[j], k * dt, rtol=0, atol=1e-9), "spikes on the grid"
            # v is v_reset at the spike sample and during the refractory steps after it
            clamped = np.zeros(m, bool)
            for s in k:
                clamped[s:min(s + steps_ref[j] + 1, m)] = True
            assert np.all(v[clamped, j] == col["v_reset"][j]), (model, j)
            # gap below threshold at the samples that are neither spikes nor refractory
            free = ~clamped
            free[0] = False
            gap = min(gap, float(np.min(col["v_thresh"][j] - v[free, j])))
            overshoot_free.append(int(free.sum()))
        for var in d[f"{model}_variables"]:
            var = str(var)
            x = d[f"{model}_{var}"]
            assert x.shape == (m, n) and np.all(np.isfinite(x)), (model, var)
            if var != "v":
                assert np.all(x >= 0), (model, var)     # conductances are >= 0
        if model == "IF_cond_exp_gsfa_grr":
            # g_s and g_r jump by q_sfa and q_rr at each spike sample
            for var, q, tau in (("g_s", "q_sfa", "tau_sfa"), ("g_r", "q_rr", "tau_rr")):
                g = d[f"{model}_{var}"].astype(float)
                for j in range(n):
                    k = np.rint(spikes[j] / dt).astype(int)
                    jump = g[k, j] - g[k - 1, j] * np.exp(-dt / col[tau][j])
                    assert np.allclose(jump, col[q][j], rtol=1e-5, atol=1e-3), (var, j)
        print("  %-22s spikes per neuron %s; smallest gap below threshold at a free sample "
              "%.3g mV" % (model, d[f"{model}_spike_counts"].tolist(), gap))


def main():
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "if_cond.npz")
        cmd = [sys.executable, SCRIPT, MODULE, raw]
        print("$", " ".join(cmd), flush=True)
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout + proc.stderr)
            raise SystemExit("failed: %s" % " ".join(cmd))
        d = load(raw)
    d.update(versions())
    np.savez_compressed(OUT, **d)
    verify(load(OUT))
    print("%8d bytes  %s" % (os.path.getsize(OUT), os.path.relpath(OUT)))
    for k, v in versions().items():
        print("  %s = %s" % (k, v))


if __name__ == "__main__":
    main()
