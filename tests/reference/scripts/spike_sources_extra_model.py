"""What the statistics saved by spike_sources_extra_stats.py should be (numpy only).

Used by make_spike_sources_extra_reference.py (to check that NEST's output is explained by
NEST's discrete-time algorithms) and by tests/test_model_spike_sources_extra.py (to compare
spinnframe with NEST and with the models' definitions). Nothing here runs a simulator.

Two kinds of expectation:

* continuous-time processes sampled exactly and stamped at the end of the dt step they
  fall in (spinnframe's sources). Stamping moves every spike forward by a fraction of dt
  that is close to uniform and independent between spikes, which adds dt^2/6 to the
  variance of an interval and dt/2 to the time of the first spike;
* NEST's generators, which draw per time step (see README_spike_sources_extra.md):
  ppd_sup_generator (n_proc = 1): an interval is floor(dead_time/dt) steps plus a geometric
  number of steps with success probability p = dt / (1000/rate - dead_time);
  gamma_sup_generator (n_proc = 1, shape k): an interval is the sum of k geometric numbers
  of steps, each with p = dt * beta / 1000; its first interval is one geometric phase.
"""
import json

import numpy as np


# ---- sampling spread -------------------------------------------------------------------
def window_rate(d, g, w):
    """(rate Hz, its standard error) of group g in count window w of a stats dict."""
    lo, hi = d["windows"][w]
    n = float(d["n_per_group"])
    mean = d["win_sum"][g, w] / n
    var = d["win_sumsq"][g, w] / n - mean ** 2
    t = (hi - lo) / 1000.0
    return mean / t, np.sqrt(var * n / (n - 1) / n) / t


def hist_rate(d, g):
    """(mean count per source, its standard error) in every 50 ms bin of group g."""
    n = float(d["n_per_group"])
    mean = d["hist_sum"][g] / n
    var = d["hist_sumsq"][g] / n - mean ** 2
    return mean, np.sqrt(np.maximum(var, 0) * n / (n - 1) / n)


def isi_cv(d, g):
    """(CV of the pooled intervals, its standard error by the delta method).

    The intervals are independent (renewal processes, independent sources), so with
    sample mean m, central moments m2, m3, m4 and count n:
    var(CV) = [ (m4 - m2^2) / (4 m2 m^2) + m2^2 / m^4 - m3 / m^3 ] / n.
    """
    n, m = d["isi_n"][g], d["isi_mean"][g]
    m2, m3, m4 = d["isi_m2"][g], d["isi_m3"][g], d["isi_m4"][g]
    var = ((m4 - m2 * m2) / (4 * m2 * m * m) + m2 * m2 / m ** 4 - m3 / m ** 3) / n
    return np.sqrt(m2) / m, np.sqrt(var)


def isi_mean(d, g):
    """(mean interval ms, its standard error)."""
    return d["isi_mean"][g], np.sqrt(d["isi_m2"][g] / d["isi_n"][g])


def first_spike(d, g):
    """(mean time of the first spike after the start, ms, its standard error)."""
    return d["first_mean"][g], np.sqrt(d["first_m2"][g] / d["first_n"][g])


def groups(d):
    """Group index by name, and the scenario parameters."""
    return ({str(n): k for k, n in enumerate(d["group_names"])},
            json.loads(str(d["group_info"])))


# ---- SpikeSourcePoissonRefractory ------------------------------------------------------
def refractory_exact(rate, tau, dt):
    """(mean interval ms, CV) of the continuous process, stamped on the dt grid."""
    mu = 1000.0 / rate
    m = mu - tau
    return mu, np.sqrt(m * m + dt * dt / 6) / mu


def refractory_nest(rate, tau, dt):
    """(mean interval ms, CV, shortest possible interval ms) of ppd_sup_generator."""
    m = 1000.0 / rate - tau
    p = dt / m
    dead = np.floor(tau / dt)        # NEST truncates dead_time / dt (0.3 / 0.1 -> 2)
    mean = (dead + 1 / p) * dt
    return mean, np.sqrt(1 - p) / p * dt / mean, (dead + 1) * dt


# ---- SpikeSourceGamma ------------------------------------------------------------------
def gamma_exact(alpha, beta, dt):
    """(mean interval ms, CV, mean first spike ms) of the continuous stationary process."""
    mu = 1000.0 * alpha / beta
    first = 1000.0 * (alpha + 1) / (2 * beta) + dt / 2
    return mu, np.sqrt(1 / alpha + dt * dt / (6 * mu * mu)), first


def gamma_nest(alpha, beta, dt):
    """(mean interval ms, CV, mean first spike ms) of gamma_sup_generator, as recorded
    through pyNN.nest's parrot neuron (0.2 ms after the start of the generator's step)."""
    p = dt * beta / 1000.0
    mean = alpha / p * dt
    first = (1 / p - 1) * dt + 0.2
    return mean, np.sqrt((1 - p) / alpha), first


# ---- SpikeSourceInhGamma: expected rate from the hazard definition ----------------------
def _q_integer(k, y):
    """Regularised upper incomplete gamma Q(k, y) for integer k: P(Poisson(y) < k)."""
    term = np.exp(-y)
    total = term.copy()
    for i in range(1, k):
        term = term * y / i
        total = total + term
    return total


def inh_gamma_expected_counts(a, b, tbins, t_stop, start=0.0, stop=np.inf, dt=0.1,
                              max_age=1500.0):
    """Expected spikes per source in each dt step (k*dt, (k+1)*dt] of the hazard-defined
    inhomogeneous gamma process (integer shapes), started stationary at max(start, tbins[0]).

    The age density is advanced on a grid of width dt along its characteristics: the mass
    in age cell j (midpoint (j + 1/2) dt) survives a step with probability
    Q(a, (j + 3/2) dt / b) / Q(a, (j + 1/2) dt / b) for the parameters of that step, and the
    mass that fires re-enters at cell 0. All bin edges are on the grid. The scheme is
    second order in dt; at dt = 0.1 ms its error is far below the sampling spread.
    """
    n_age = int(round(max_age / dt))
    x = (np.arange(n_age) + 0.5) * dt
    b_ms = 1000.0 * np.asarray(b, dtype=float)
    survive = []
    for ak, bk in zip(a, b_ms):
        k = int(round(ak))
        if k != ak:
            raise ValueError("integer shapes only")
        q0, q1 = _q_integer(k, x / bk), _q_integer(k, (x + dt) / bk)
        with np.errstate(invalid="ignore", divide="ignore"):
            survive.append(np.where(q0 > 0, q1 / q0, 0.0))
    n_steps = int(round(t_stop / dt))
    t_mid = (np.arange(n_steps) + 0.5) * dt
    in_bin = np.searchsorted(np.asarray(tbins, dtype=float), t_mid, side="right") - 1
    t0 = max(start, tbins[0])
    active = (t_mid > t0) & (t_mid < stop)
    fired = np.zeros(n_steps)
    mass = None
    for n in range(n_steps):
        if not active[n] and mass is None:
            continue
        k = in_bin[n]
        if mass is None:                       # stationary age at the start
            mass = _q_integer(int(round(a[k])), x / b_ms[k])
            mass = mass / mass.sum()
        alive = mass * survive[k]
        f = mass.sum() - alive.sum()
        fired[n] = f if active[n] else 0.0
        mass = np.concatenate(([f], alive[:-1]))
    return fired
