"""Regenerate the NEST reference fixture of current injection into every cell type.

Run with a Python that has PyNN 0.13.0 + NEST 3.10 + neo installed, from the repo root:

    /tmp/refenv/bin/python tests/reference/make_current_injection_reference.py

It runs scripts/current_injection_models.py with "pyNN.nest" in its own process (NEST
keeps global state), adds version strings and writes data/current_injection_nest.npz
(everything is kept: v float64, GIF's v_t float32). The file is then loaded back with
allow_pickle=False and checked (see README_current_injection.md):

* the recorded source currents are the intended ones (the current during the step that
  starts at t is the source's value at t; step times rounded with rint; DC on for
  start <= t < stop);
* NEST's v of the models whose update is a closed formula equals that of independent NumPy
  models driven by that intended current: IF_curr_exp, IF_curr_alpha, IF_curr_delta (no
  synaptic input: the exact LIF propagator, threshold, reset, refractory counter) and
  Izhikevich (NEST's forward Euler step, current and i_offset in pA used as mV/ms), to 1e-9 mV; the
  RKF45-integrated IF_cond_exp, IF_cond_alpha and GIF_cond_exp neuron 0 (lambda0 = 0,
  sub-threshold only) equal the exact LIF to within NEST's integration error (< 1e-4 mV);
* GIF_cond_exp neuron 1 (hard threshold) is deterministic: the summed probability that
  its spike train could have come out differently is printed (it must be < 1e-9);
* every model fires, and the smallest gap below threshold at non-spiking samples of the
  threshold models is printed.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from refcommon import load, split, versions  # noqa: E402
SCRIPT = os.path.join(HERE, "scripts", "current_injection_models.py")
OUT = os.path.join(HERE, "data", "current_injection_nest.npz")
MODULE = "pyNN.nest"


def intended_currents(d):
    """(step, dc) in nA per sample k: the current during the step (t_k, t_k + dt], in
    units of the model's scale (multiply by d[M + '_scale'])."""
    dt = float(d["dt"])
    m = len(d["times"])
    k = np.arange(m)
    step = np.zeros(m)
    for t, a in zip(np.rint(d["step_times"] / dt).astype(int), d["step_pattern"]):
        step[k >= t] = a
    on = (k >= round(float(d["dc_start"]) / dt)) & (k < round(float(d["dc_stop"]) / dt))
    dc = np.where(on, float(d["dc_pattern"]), 0.0)
    return step, dc


def param(d, model, name):
    return np.asarray(d[f"{model}_param_{name}"], dtype=float)


def lif_model(d, model, current, threshold=True):
    """NEST's grid LIF update without synaptic input (iaf_psc_exp / _alpha / _delta,
    which are the same here): V <- e^(-dt/tau) V + P20 I while not refractory, else the
    counter counts down and v stays at v_reset; V >= v_thresh: spike at t + dt, reset,
    counter = refractory steps. Returns v (m, n) and the spike sample indices."""
    dt = float(d["dt"])
    m = len(current)
    tau, cm, v_rest = (param(d, model, x) for x in ("tau_m", "cm", "v_rest"))
    n = len(tau)
    v = np.empty((m, n))
    v[0] = d[f"{model}_v_init"]
    p22 = np.exp(-dt / tau)
    p20 = -tau / cm * np.expm1(-dt / tau)
    i_offset = param(d, model, "i_offset")
    if threshold:
        v_th, v_reset = param(d, model, "v_thresh"), param(d, model, "v_reset")
        ref_steps = np.rint(param(d, model, "tau_refrac") / dt).astype(int)
    r = np.zeros(n, dtype=int)
    spikes = [[] for _ in range(n)]
    for k in range(m - 1):
        y = v[k] - v_rest
        new = v_rest + p22 * y + p20 * (current[k] + i_offset)
        if threshold:
            new = np.where(r == 0, new, v[k])
            r = np.where(r == 0, r, r - 1)
            fire = new >= v_th
            for j in np.flatnonzero(fire):
                spikes[j].append(k + 1)
            new = np.where(fire, v_reset, new)
            r = np.where(fire, ref_steps, r)
        v[k + 1] = new
    return v, spikes


def izhikevich_model(d, current):
    """NEST's izhikevich (consistent_integration): one forward Euler step from the values
    at the start of the step; the current in pA (1000 x nA) counts as mV/ms."""
    dt = float(d["dt"])
    a, b, c, dd = (param(d, "Izhikevich", x) for x in "abcd")
    i_e = 1000.0 * param(d, "Izhikevich", "i_offset")
    m = len(current)
    v = np.empty((m, 2))
    u = np.empty((m, 2))
    v[0] = d["Izhikevich_v_init"]
    u[0] = b * v[0]
    spikes = [[] for _ in range(2)]
    for k in range(m - 1):
        i_pa = 1000.0 * current[k]
        vn = v[k] + dt * (0.04 * v[k] * v[k] + 5.0 * v[k] + 140.0 - u[k] + i_pa + i_e)
        un = u[k] + dt * a * (b * v[k] - u[k])
        fire = vn >= 30.0
        for j in np.flatnonzero(fire):
            spikes[j].append(k + 1)
        v[k + 1] = np.where(fire, c, vn)
        u[k + 1] = np.where(fire, un + dd, un)
    return v, spikes


def gif_ambiguity(d, j=1):
    """Summed probability that GIF neuron j's spike train could have come out differently
    (as make_hh_gif_reference.gif_ambiguity): over every non-refractory step, p (the
    firing probability 1 - exp(-lambda dt)) where it did not fire and 1 - p where it did,
    lambda from v at the end of the step and v_t of the step as recorded (v_t is float32:
    the exponent is taken at the less favourable end of its rounding)."""
    model = "GIF_cond_exp"
    dt = float(d["dt"])
    lam0 = param(d, model, "lambda0")[j] / 1000.0
    n_ref = int(np.floor(param(d, model, "tau_refrac")[j] / dt + 0.5))
    dv = param(d, model, "delta_v")[j]
    train = split(d[f"{model}_spike_times"], d[f"{model}_spike_counts"])[j]
    fired = set(np.rint(train / dt).astype(int).tolist())
    v = d[f"{model}_v"][:, j]
    vt = d[f"{model}_v_t"][:, j].astype(float)
    slack = 4e-6
    refrac, total = 0, 0.0
    for k in range(1, len(v)):
        if refrac > 0:
            refrac -= 1
            continue
        with np.errstate(over="ignore"):
            if k in fired:
                total += np.exp(-lam0 * np.exp((v[k] - vt[k] - slack) / dv) * dt)
                refrac = n_ref
            else:
                total += -np.expm1(-lam0 * np.exp((v[k] - vt[k] + slack) / dv) * dt)
    return float(total)


def threshold_gap(d, model, spike_steps):
    """Smallest v_thresh - v over the samples that are neither spike samples nor
    refractory (how far NEST's v stays from an ambiguous threshold crossing)."""
    dt = float(d["dt"])
    v = d[f"{model}_v"]
    v_th = param(d, model, "v_thresh")
    ref = np.rint(param(d, model, "tau_refrac") / dt).astype(int)
    gap = np.inf
    for j in range(v.shape[1]):
        clamped = np.zeros(len(v), bool)
        clamped[0] = True
        for s in spike_steps[j]:
            clamped[s:s + ref[j] + 1] = True
        gap = min(gap, float(np.min(v_th[j] - v[~clamped, j])))
    return gap


def verify(d):
    dt = float(d["dt"])
    m = int(round(float(d["duration"]) / dt)) + 1
    assert d["times"].shape == (m,)
    assert np.allclose(d["times"], np.arange(m) * dt, rtol=0, atol=1e-9)
    step, dc = intended_currents(d)
    scale0 = float(d["IF_curr_exp_scale"])
    assert np.array_equal(d["i_step"], scale0 * step), "recorded step current"
    assert np.array_equal(d["i_dc"], scale0 * dc), "recorded DC current"
    total = step + dc
    for model in d["models"]:
        model = str(model)
        v = d[f"{model}_v"]
        assert v.shape == (m, 2) and v.dtype == np.float64 and np.isfinite(v).all()
        assert np.array_equal(v[0], d[f"{model}_v_init"]), (model, "row 0")
        trains = split(d[f"{model}_spike_times"], d[f"{model}_spike_counts"])
        for tr in trains:
            assert np.allclose(tr, np.rint(tr / dt) * dt, rtol=0, atol=1e-9), "on grid"
        expected = [0, 1] if model == "GIF_cond_exp" else [1, 1]
        assert ((d[f"{model}_spike_counts"] > 0) == np.array(expected, bool)).all(), model
        steps = [np.rint(tr / dt).astype(int) for tr in trains]
        current = float(d[f"{model}_scale"]) * total
        note = ""
        if model in ("IF_curr_exp", "IF_curr_alpha", "IF_curr_delta",
                     "IF_cond_exp", "IF_cond_alpha"):
            v_ref, sp = lif_model(d, model, current)
            assert all(list(a) == list(b) for a, b in zip(sp, steps)), (model, "spikes")
            err = float(np.abs(v - v_ref).max())
            tol = 1e-9 if model.startswith("IF_curr") else 1e-4
            assert err < tol, (model, err)
            note = "exact LIF: max |dv| %.2g mV; " % err
        if model == "Izhikevich":
            v_ref, sp = izhikevich_model(d, current)
            assert all(list(a) == list(b) for a, b in zip(sp, steps)), (model, "spikes")
            err = float(np.abs(v - v_ref).max())
            assert err < 1e-9, (model, err)
            note = "Euler model: max |dv| %.2g mV; " % err
        if model == "GIF_cond_exp":
            v_ref, _ = lif_model(d, model, current, threshold=False)
            err = float(np.abs(v[:, 0] - v_ref[:, 0]).max())
            assert err < 1e-4, (model, err)
            amb = gif_ambiguity(d)
            assert amb < 1e-9, amb
            note = "neuron 0 vs exact LIF: max |dv| %.2g mV; neuron 1 ambiguity %.2g; " % (
                err, amb)
        if "v_thresh" in [str(x) for x in d[f"{model}_param_names"]] and \
                not model.startswith("EIF"):
            note += "smallest gap below threshold %.3g mV" % threshold_gap(d, model, steps)
        print("  %-25s spikes %-9s %s" % (model, d[f"{model}_spike_counts"].tolist(), note))


def main():
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "current_injection.npz")
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
