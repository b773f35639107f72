"""An independent numpy implementation of AdaptiveIF_curr_exp, for tests.

Between spikes the model is linear with constant input over each time step, so every step
is integrated exactly: the state x = (v - v_rest, w, isyn_exc, isyn_inh, 1) advances by
x <- expm(A dt) x, with the matrix exponential computed here by scaling and squaring of a
Taylor series (accurate to ~1e-15 relative for these small matrices). The update order is
the kernel's: integrate over the step (v held at v_reset while refractory), then add the
synaptic input arriving at the end of the step, then check the threshold.
"""
from __future__ import annotations

import math

import numpy as np


def expm(m: np.ndarray) -> np.ndarray:
    """Matrix exponential (scaling and squaring, Taylor series to machine precision)."""
    norm = float(np.abs(m).sum(axis=1).max())
    squarings = max(0, math.ceil(math.log2(norm / 0.25))) if norm > 0.25 else 0
    a = m / 2.0 ** squarings
    result = np.eye(len(m))
    term = np.eye(len(m))
    for k in range(1, 40):
        term = term @ a / k
        result = result + term
        if np.abs(term).max() < 1e-17 * np.abs(result).max():
            break
    for _ in range(squarings):
        result = result @ result
    return result


def _matrix(p: dict, i_ext: float, clamped: bool) -> np.ndarray:
    """A with dx/dt = A x for x = (u = v - v_rest, w, isyn_exc, isyn_inh, 1)."""
    a = np.zeros((5, 5))
    if not clamped:
        a[0] = [-1.0 / p["tau_m"], -1.0 / p["cm"], 1.0 / p["cm"], 1.0 / p["cm"], i_ext / p["cm"]]
    a[1, 0] = p["a"] * 1e-3 / p["tau_w"]
    a[1, 1] = -1.0 / p["tau_w"]
    a[2, 2] = -1.0 / p["tau_syn_E"]
    a[3, 3] = -1.0 / p["tau_syn_I"]
    return a


def refractory_steps(tau_refrac: float, dt: float) -> int:
    """tau_refrac in whole steps, rounded as spinnframe (and NEST) round it: to 1 us, then
    up to whole steps."""
    tics, per_step = round(tau_refrac * 1000.0), round(dt * 1000.0)
    return 0 if tics <= 0 else -(-tics // per_step)


def simulate(p: dict, dt: float, i_inj, syn_exc, syn_inh, v0: float | None = None,
             w0: float = 0.0) -> dict:
    """Run one neuron for len(i_inj) steps.

    p: every parameter; i_inj[m]: current injected during step m (nA); syn_exc[m],
    syn_inh[m]: summed weights arriving at the end of step m. Returns v, w, isyn_exc,
    isyn_inh at t = 0, dt, ..., n*dt, and the spike times (ms).
    """
    n = len(i_inj)
    u = (p["v_rest"] if v0 is None else v0) - p["v_rest"]
    x = np.array([u, w0, 0.0, 0.0, 1.0])
    refr, r_steps = 0, refractory_steps(p["tau_refrac"], dt)
    u_reset, u_thresh = p["v_reset"] - p["v_rest"], p["v_thresh"] - p["v_rest"]
    cache: dict = {}
    out = np.zeros((n + 1, 4))
    out[0] = x[:4]
    spikes = []
    for m in range(n):
        key = (float(p["i_offset"] + i_inj[m]), refr > 0)
        prop = cache.get(key)
        if prop is None:
            prop = cache[key] = expm(_matrix(p, key[0], key[1]) * dt)
        x = prop @ x
        if refr > 0:
            refr -= 1
        x[2] += syn_exc[m]
        x[3] += syn_inh[m]
        if x[0] >= u_thresh:
            x[0] = u_reset
            x[1] += p["b"]
            refr = r_steps
            spikes.append((m + 1) * dt)
        out[m + 1] = x[:4]
    return {"v": out[:, 0] + p["v_rest"], "w": out[:, 1], "isyn_exc": out[:, 2],
            "isyn_inh": out[:, 3], "spikes": np.array(spikes)}
