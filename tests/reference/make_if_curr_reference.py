"""Regenerate the NEST reference fixture for IF_curr_alpha and IF_curr_delta.

Run with a Python that has PyNN 0.13.0 + NEST 3.10 + neo installed, from the repo root:

    /tmp/refenv/bin/python tests/reference/make_if_curr_reference.py

It runs scripts/if_curr_drive.py with the simulator module "pyNN.nest" in its own
process, adds version strings and writes data/if_curr_nest.npz. The fixture is then
loaded back (allow_pickle=False) and checked against a small independent NumPy model
of NEST's grid-based iaf_psc_alpha / iaf_psc_delta update (written from the update order
documented in README_if_curr.md), which must reproduce NEST's v to 1e-9 mV with the same
spikes. The script also prints how close the neurons come to threshold (the margin that
makes identical spike times a robust requirement).
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from refcommon import load, split, versions  # noqa: E402
SCRIPT = os.path.join(HERE, "scripts", "if_curr_drive.py")
OUT = os.path.join(HERE, "data", "if_curr_nest.npz")
MODULE = "pyNN.nest"


# ---- independent model ------------------------------------------------------------
def arrivals(d, prefix, n, n_steps):
    """Summed weight arriving in the step that ends at k*dt, per receptor."""
    dt = float(d["dt"])
    src = split(d["src_rec_spike_times"], d["src_rec_spike_counts"])
    out = []
    for table in (d[prefix + "_conn_exc"], d[prefix + "_conn_inh"]):
        w = np.zeros((n_steps + 1, n))
        for s, j, weight, delay in table:
            for ts in src[int(s)]:
                k = int(round((ts + delay) / dt))
                if k <= n_steps:
                    w[k, int(j)] += weight
        out.append(w)
    return out


def alpha_propagators(tau_s, tau_m, c, h):
    """Membrane response to disyn (p31) and isyn (p32) over one step; the limits at
    tau_s == tau_m with NEST's criteria for choosing them."""
    b = tau_s * tau_m / (tau_m - tau_s) if tau_m != tau_s else np.inf
    p32 = b / c * np.exp(-h / tau_s) * np.expm1(h / b) if np.isfinite(b) else np.nan
    if not (np.isfinite(p32) and p32 > 0):
        p32 = h / c * np.exp(-h / tau_m)
    if tau_m != tau_s and h > 1e-7 * tau_m ** 2 / abs(tau_m - tau_s):
        p31 = b / c * np.exp(-h / tau_s) * (b * np.expm1(h / b) - h)
    else:
        p31 = 0.5 * h * h / c * np.exp(-h / tau_m)
    return p31, p32


def simulate(d, prefix):
    """Returns v (m, n), isyn_exc/inh (alpha only), spikes, overshoot, undershoot."""
    dt = float(d["dt"])
    n_steps = int(round(float(np.sum(d["run_durations"])) / dt))
    step_change = int(round(float(d["run_durations"][0]) / dt))
    par = {str(k): d[f"{prefix}_param_{k}"] for k in d[prefix + "_param_names"]}
    n = len(d[prefix + "_v_init"])
    w_ex, w_in = arrivals(d, prefix, n, n_steps)
    alpha = prefix == "alpha"
    v = np.zeros((n_steps + 1, n))
    ie_rec = np.zeros((n_steps + 1, n))
    ii_rec = np.zeros((n_steps + 1, n))
    spikes = [[] for _ in range(n)]
    over, under = np.inf, np.full(n, np.inf)
    for j in range(n):
        tm, c, el = par["tau_m"][j], par["cm"][j], par["v_rest"][j]
        p33 = np.exp(-dt / tm)
        p30 = tm / c * (1 - p33)
        n_ref = int(np.floor(par["tau_refrac"][j] / dt + 0.5))
        if alpha:
            te, ti = par["tau_syn_E"][j], par["tau_syn_I"][j]
            p31e, p32e = alpha_propagators(te, tm, c, dt)
            p31i, p32i = alpha_propagators(ti, tm, c, dt)
            ee, ei = np.exp(-dt / te), np.exp(-dt / ti)
        y = d[prefix + "_v_init"][j] - el
        ie = die = ii = dii = 0.0
        r = 0
        v[0, j] = y + el
        for k in range(n_steps):
            i0 = par["i_offset"][j] if k < step_change else d[prefix + "_i_offset_run2"][j]
            refractory = r > 0
            if not refractory:
                y = p33 * y + p30 * i0
                if alpha:
                    y += p31e * die + p32e * ie + p31i * dii + p32i * ii
                else:
                    y += w_ex[k + 1, j] + w_in[k + 1, j]
            else:
                r -= 1
            if alpha:
                ie = ee * ie + dt * ee * die
                die = ee * die + np.e / te * w_ex[k + 1, j]
                ii = ei * ii + dt * ei * dii
                dii = ei * dii + np.e / ti * w_in[k + 1, j]
            vt = par["v_thresh"][j] - el
            if y >= vt:
                over = min(over, y - vt)
                spikes[j].append((k + 1) * dt)
                y = par["v_reset"][j] - el
                r = n_ref
            elif not refractory:
                under[j] = min(under[j], vt - y)
            v[k + 1, j] = y + el
            ie_rec[k + 1, j], ii_rec[k + 1, j] = ie, ii
    out = dict(v=v, spikes=[np.array(s) for s in spikes], overshoot=over,
               undershoot=under)
    if alpha:
        out.update(isyn_exc=ie_rec, isyn_inh=ii_rec)
    return out


# ---- checks -----------------------------------------------------------------------
def verify(d):
    # the sources delivered exactly what was requested
    assert np.array_equal(d["src_spike_counts"], d["src_rec_spike_counts"])
    assert np.allclose(d["src_spike_times"], d["src_rec_spike_times"], rtol=0, atol=1e-9)
    m = int(round(float(np.sum(d["run_durations"])) / float(d["dt"]))) + 1
    assert d["sample_times"].shape == (m,)
    assert bool(d["alpha_isyn_recorded"])
    for prefix in ("alpha", "delta"):
        n = len(d[prefix + "_v_init"])
        assert d[prefix + "_v"].shape == (m, n)
        assert np.array_equal(d[prefix + "_v"][0], d[prefix + "_v_init"])
        res = simulate(d, prefix)
        dv = np.abs(res["v"] - d[prefix + "_v"]).max()
        nest_sp = split(d[prefix + "_spike_times"], d[prefix + "_spike_counts"])
        same = all(len(a) == len(b) and np.allclose(a, b, rtol=0, atol=1e-9)
                   for a, b in zip(nest_sp, res["spikes"]))
        print(f"{prefix}: independent model vs NEST: max|dv| = {dv:.3g} mV, "
              f"spikes identical: {same}")
        if prefix == "alpha":
            di = max(np.abs(res["isyn_exc"] - d["alpha_isyn_exc"]).max()
                     / np.abs(d["alpha_isyn_exc"]).max(),
                     np.abs(res["isyn_inh"] - d["alpha_isyn_inh"]).max()
                     / np.abs(d["alpha_isyn_inh"]).max())
            print(f"  max|disyn| / max|isyn| = {di:.3g} (isyn stored as float32)")
            assert di < 1e-6
        print(f"  smallest threshold overshoot at a spike: {res['overshoot']:.4g} mV; "
              "smallest gap below threshold per neuron: "
              + np.array2string(res["undershoot"], precision=4) + " mV")
        print("  spike counts per neuron:", d[prefix + "_spike_counts"].tolist())
        assert dv < 1e-9 and same


def main():
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "if_curr.npz")
        cmd = [sys.executable, SCRIPT, MODULE, raw]
        print("$", " ".join(cmd), flush=True)
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout + proc.stderr)
            raise SystemExit("failed: " + " ".join(cmd))
        d = load(raw)
    d.update(versions())
    np.savez_compressed(OUT, **d)
    verify(load(OUT))
    print("%8d bytes  %s" % (os.path.getsize(OUT), os.path.relpath(OUT)))
    for k, v in versions().items():
        print("  %s = %s" % (k, v))


if __name__ == "__main__":
    main()
