"""Regenerate the NEST reference fixture for the AdEx and Izhikevich cells.

Run with a Python that has PyNN 0.13.0 + NEST 3.10 + neo installed, from the repo root:

    /tmp/refenv/bin/python tests/reference/make_adex_izhikevich_reference.py

It runs scripts/adex_izhikevich_drive.py with the simulator module "pyNN.nest" in its
own process (NEST keeps global state) and writes

    data/adex_izhikevich_nest.npz

with the same keys as the script's output, except that to keep the file small (< 500 kB)
every recorded variable other than v (w, gsyn_exc, gsyn_inh, u) is stored as float32;
v stays float64. Version strings (pynn_version, nest_version, numpy_version,
neo_version, python_version) are added. The fixture is loaded back and checked: the
sources fired what was asked, the shapes and initial values are right, and an
independent NumPy model of NEST's izhikevich update (below) reproduces the Izhikevich
population exactly, which pins down the conventions the test relies on (weights as
jumps of v in mV, I_e = 1000 i_offset, the i_offset step at exactly t = 120 ms).
See README_adex_izhikevich.md.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from refcommon import load, split, versions  # noqa: E402
SCRIPT = os.path.join(HERE, "scripts", "adex_izhikevich_drive.py")
OUT = os.path.join(HERE, "data", "adex_izhikevich_nest.npz")
MODULE = "pyNN.nest"
MAX_BYTES = 500_000


def izhikevich_model(d):
    """NEST's izhikevich (consistent_integration) as pyNN.nest drives it, in NumPy:
    v and u advance by one forward Euler step from their values at the start of the
    step; the weights (mV) of spikes arriving at the end of the step jump v; then
    v >= 30 fires (v = c, u += d). i_offset enters as 1000 * i_offset."""
    dt = float(d["dt"])
    names = list(d["izh_param_names"])
    par = {n: d[f"izh_param_{n}"] for n in names}
    n = len(par["a"])
    m = len(d["times"])
    runs = np.asarray(d["run_durations"])
    step_change = int(round(runs[0] / dt))
    # input per step: a source spike at t_s with delay dl arrives in the step ending at
    # t_s + dl, i.e. step index k = round((t_s + dl) / dt) (1-based, k-th update)
    jumps = np.zeros((m, n))
    src = split(d["src_spike_times"], d["src_spike_counts"])
    for key in ("izh_conn_exc", "izh_conn_inh"):
        for s, t, w, dl in d[key]:
            for ts in src[int(s)]:
                k = int(round((ts + dl) / dt))
                if k < m:
                    jumps[k, int(t)] += w
    v = d["izh_init_v"].astype(float).copy()
    u = d["izh_init_u"].astype(float).copy()
    out_v = np.empty((m, n))
    out_u = np.empty((m, n))
    out_v[0], out_u[0] = v, u
    spikes = [[] for _ in range(n)]
    i_e = par["i_offset"] * 1000.0
    for k in range(1, m):
        if k == step_change + 1:
            i_e = d["izh_i_offset_2"] * 1000.0
        v_old, u_old = v.copy(), u.copy()
        v = v + (dt * (0.04 * v_old * v_old + 5.0 * v_old + 140.0 - u_old + 0.0 + i_e)
                 + jumps[k])
        u = u + dt * par["a"] * (par["b"] * v_old - u_old)
        fired = v >= 30.0
        v = np.where(fired, par["c"], v)
        u = np.where(fired, u + par["d"], u)
        for j in np.flatnonzero(fired):
            spikes[j].append(k * dt)
        out_v[k], out_u[k] = v, u
    return out_v, out_u, spikes


def verify(d):
    assert np.array_equal(d["src_spike_counts"], d["src_rec_spike_counts"])
    assert np.allclose(d["src_spike_times"], d["src_rec_spike_times"], rtol=0, atol=1e-9)
    m = int(round(float(np.sum(d["run_durations"])) / float(d["dt"]))) + 1
    assert d["times"].shape == (m,)
    for p in d["models"]:
        for var in d[f"{p}_recorded"]:
            x = d[f"{p}_{var}"]
            assert x.shape == (m, 5), (p, var, x.shape)
            assert np.all(np.isfinite(x)), (p, var)
            if f"{p}_init_{var}" in d:
                np.testing.assert_allclose(x[0], d[f"{p}_init_{var}"], rtol=1e-6)
        print("  %-5s %-26s spikes per neuron: %s" % (
            p, str(d[f"{p}_celltype"]), d[f"{p}_spike_counts"].tolist()))
    v, u, spikes = izhikevich_model(d)
    dv = np.abs(v - d["izh_v"]).max()
    du = np.abs(u - d["izh_u"]).max()
    nest_sp = split(d["izh_spike_times"], d["izh_spike_counts"])
    same = all(len(a) == len(b) and np.allclose(a, b, rtol=0, atol=1e-9)
               for a, b in zip(nest_sp, spikes))
    print("  independent NumPy izhikevich vs NEST: max|dv| = %.3g mV, max|du| = %.3g "
          "(float32 storage), spikes identical: %s" % (dv, du, same))
    assert dv < 1e-9 and du < 1e-5 and same


def main():
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "drive.npz")
        cmd = [sys.executable, SCRIPT, MODULE, raw]
        print("$", " ".join(cmd), flush=True)
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout + proc.stderr)
            raise SystemExit("failed: %s" % " ".join(cmd))
        d = load(raw)
    for p in d["models"]:
        for var in d[f"{p}_recorded"]:
            if var != "v":
                d[f"{p}_{var}"] = d[f"{p}_{var}"].astype(np.float32)
    d["storage_note"] = np.array("v float64; every other recorded variable float32")
    d.update(versions())
    np.savez_compressed(OUT, **d)
    verify(load(OUT))
    size = os.path.getsize(OUT)
    print("%8d bytes  %s" % (size, os.path.relpath(OUT)))
    assert size < MAX_BYTES, "fixture too large"
    for k, v in versions().items():
        print("  %s = %s" % (k, v))


if __name__ == "__main__":
    main()
