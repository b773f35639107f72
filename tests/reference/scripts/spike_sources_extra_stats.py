"""Spike statistics of SpikeSourcePoissonRefractory, SpikeSourceGamma, SpikeSourceInhGamma.

Usage:  python spike_sources_extra_stats.py <simulator module> <output.npz>
   e.g. python spike_sources_extra_stats.py pyNN.nest out.npz

Eleven groups of N = 1000 sources each, one population per cell type (parameters given per
neuron), recorded for run(1200) + run(1200) at dt = 0.1 ms, rng_seed = SEED:

  R0..R3  SpikeSourcePoissonRefractory  (rate Hz, tau_refrac ms) = (20, 0), (20, 5),
                                        (50, 10), (100, 2.5)
  G0..G4  SpikeSourceGamma              (alpha, beta Hz) = (1, 20), (2, 100), (4, 100),
                                        (4, 50), (10, 50)
  IG1     SpikeSourceInhGamma           a = 1 throughout (inhomogeneous Poisson),
                                        b = 0.025, 0.0125, 0.1, 0.05 s (40, 80, 10, 20 Hz)
                                        from tbins = 0, 600, 1200, 1800 ms;
                                        start = 100 ms, duration = 1900 ms
  IG2     SpikeSourceInhGamma           a = 4, 2, 10, 4, b = 0.02, 0.01, 0.02, 0.01 s
                                        (12.5, 50, 5, 25 Hz: the (alpha, 1/beta) of G3,
                                        G1, G4, G2) from tbins = 0, 600, 1200, 1800 ms

pyNN.nest maps SpikeSourcePoissonRefractory to ppd_sup_generator and SpikeSourceGamma to
gamma_sup_generator (integer alpha only). NEST 3 has no inh_gamma_generator, so with
pyNN.nest the script builds IG1 from NEST's inhomogeneous_poisson_generator (the same
process: a gamma process of shape 1 is Poisson), with its times moved so that its spikes
land in the same steps as a PyNN source's would (see the README), and leaves IG2 out
(group_available = False).

Saved (g: group, in the order above; all counts pooled over the group's sources):

  sim_module, group_names (11,) str, group_available (11,) bool, n_per_group, dt, t_stop
  group_info          JSON text: parameters of every group
  windows             (W, 2) ms: count windows (lo, hi]; a spike at t counts if lo < t <= hi
  win_sum, win_sumsq  (11, W): sum over sources of the count in the window, and of its square
  hist_sum, hist_sumsq (11, 48): the same for 50 ms bins (k*50, (k+1)*50]
  isi_n, isi_mean, isi_m2, isi_m3, isi_m4   (11,): pooled inter-spike intervals that start
                      at a spike in (ISI_FROM, ISI_TO] (their end may lie later): count, mean
                      (ms) and central moments 2..4. Choosing intervals by their start is
                      a stopping rule, so they are an unbiased sample of the interval
                      distribution (no window length bias).
  isi_missing         (11,): intervals started in (ISI_FROM, ISI_TO] with no later spike
  isi_min             (11,): smallest interval between two spikes of one source (whole run)
  first_n, first_mean, first_m2  (11,): time of each source's first spike (ms after the
                      group's start): count of sources that fired, mean, variance
"""
import importlib
import json
import sys

import numpy as np

SEED = 20260315
DT = 0.1
N = 1000
RUNS = (1200.0, 1200.0)
T_STOP = sum(RUNS)
ISI_FROM, ISI_TO = 300.0, 1400.0
WINDOWS = [(0, 300), (300, 2400), (0, 2400), (600, 2400),
           (0, 600), (600, 1200), (1200, 1800), (1800, 2400),
           (300, 600), (900, 1200), (1500, 1800), (2100, 2400),
           (0, 100), (100, 2000), (2000, 2400)]
HIST_BIN = 50.0

REFRACTORY = [(20.0, 0.0), (20.0, 5.0), (50.0, 10.0), (100.0, 2.5)]
GAMMA = [(1, 20.0), (2, 100.0), (4, 100.0), (4, 50.0), (10, 50.0)]
TBINS = [0.0, 600.0, 1200.0, 1800.0]
IG1 = dict(a=[1.0, 1.0, 1.0, 1.0], b=[0.025, 0.0125, 0.1, 0.05], tbins=TBINS,
           start=100.0, duration=1900.0)
IG2 = dict(a=[4.0, 2.0, 10.0, 4.0], b=[0.02, 0.01, 0.02, 0.01], tbins=TBINS,
           start=0.0, duration=1e10)

GROUPS = ([f"R{k}" for k in range(len(REFRACTORY))] + [f"G{k}" for k in range(len(GAMMA))]
          + ["IG1", "IG2"])


def nest_inhomogeneous_poisson(sim, spec):
    """IG1 for pyNN.nest: N inhomogeneous_poisson_generator -> parrot_neuron, recorded.

    A NEST generator's spike in the step that starts at t reaches the parrot min_delay later
    and is recorded at t + dt + min_delay = t + 0.2 ms, where a PyNN source's spike in the
    step (t + 0.1, t + 0.2] is also stamped. So every NEST time is the PyNN time - 0.1 ms:
    rate changes at tbins - 0.1, start - 0.2 (NEST's start is exclusive), stop - 0.2.
    """
    import nest
    rate_times = [max(t - 0.1, 0.1) for t in spec["tbins"]]
    gens = nest.Create("inhomogeneous_poisson_generator", N, params={
        "rate_times": rate_times,
        "rate_values": [1.0 / (a * b) for a, b in zip(spec["a"], spec["b"])],
        "start": spec["start"] - 0.2,
        "stop": spec["start"] + spec["duration"] - 0.2})
    parrots = nest.Create("parrot_neuron", N)
    nest.Connect(gens, parrots, "one_to_one", {"delay": sim.get_min_delay()})
    rec = nest.Create("spike_recorder")
    nest.Connect(parrots, rec)
    first = parrots.get("global_id")[0] if N > 1 else parrots.get("global_id")

    def trains():
        ev = rec.get("events")
        senders = np.asarray(ev["senders"]) - first
        times = np.asarray(ev["times"], dtype=float)
        order = np.lexsort((times, senders))
        senders, times = senders[order], times[order]
        cuts = np.searchsorted(senders, np.arange(N + 1))
        return [times[cuts[i]:cuts[i + 1]] for i in range(N)]
    return trains


def trains_of(pop):
    out = [np.zeros(0)] * pop.size
    to_ms = {}      # unit -> factor (rescaling each SpikeTrain is slow in neo)
    for k, st in enumerate(pop.get_data().segments[0].spiketrains):
        idx = int(st.annotations.get("source_index", k))
        unit = st.units.dimensionality.string
        if unit not in to_ms:
            to_ms[unit] = float(st.units.rescale("ms").magnitude)
        out[idx] = np.sort(np.asarray(st.magnitude, dtype=float) * to_ms[unit])
    return out


def statistics(trains, start):
    eps = 1e-6     # spike times carry float noise (NEST: up to ~5e-13 ms)
    win = np.array([[((t > lo + eps) & (t <= hi + eps)).sum() for lo, hi in WINDOWS]
                    for t in trains], dtype=float)
    edges = np.arange(0.0, T_STOP + HIST_BIN / 2, HIST_BIN)
    hist = np.array([np.histogram(t - eps, bins=edges)[0] for t in trains], dtype=float)
    isis, missing, isi_min = [], 0, np.inf
    firsts = []
    for t in trains:
        if len(t):
            firsts.append(t[0] - start)
        if len(t) > 1:
            d = np.diff(t)
            isi_min = min(isi_min, d.min())
        sel = np.flatnonzero((t > ISI_FROM + eps) & (t <= ISI_TO + eps))
        for j in sel:
            if j + 1 < len(t):
                isis.append(t[j + 1] - t[j])
            else:
                missing += 1
    isis = np.asarray(isis)
    firsts = np.asarray(firsts)
    m = isis.mean() if len(isis) else np.nan
    c = isis - m
    return dict(win_sum=win.sum(0), win_sumsq=(win ** 2).sum(0),
                hist_sum=hist.sum(0), hist_sumsq=(hist ** 2).sum(0),
                isi_n=len(isis), isi_mean=m, isi_m2=np.mean(c ** 2), isi_m3=np.mean(c ** 3),
                isi_m4=np.mean(c ** 4), isi_missing=missing, isi_min=isi_min,
                first_n=len(firsts), first_mean=firsts.mean(), first_m2=firsts.var())


def main(module_name, out_path):
    sim = importlib.import_module(module_name)
    is_nest = module_name == "pyNN.nest"
    extra = {"spike_precision": "on_grid"} if is_nest else {}
    sim.setup(timestep=DT, min_delay=DT, max_delay=10.0, rng_seed=SEED, **extra)

    n_r, n_g = len(REFRACTORY), len(GAMMA)
    ppr = sim.Population(n_r * N, sim.SpikeSourcePoissonRefractory(
        rate=np.repeat([r for r, _ in REFRACTORY], N),
        tau_refrac=np.repeat([t for _, t in REFRACTORY], N)), label="refractory")
    gam = sim.Population(n_g * N, sim.SpikeSourceGamma(
        alpha=np.repeat([a for a, _ in GAMMA], N),
        beta=np.repeat([b for _, b in GAMMA], N)), label="gamma")
    ppr.record("spikes")
    gam.record("spikes")
    if is_nest:
        ig1_trains = nest_inhomogeneous_poisson(sim, IG1)
        inh = None
    else:
        per = {k: [sim.Sequence(IG1[k])] * N + [sim.Sequence(IG2[k])] * N
               for k in ("a", "b", "tbins")}
        inh = sim.Population(2 * N, sim.SpikeSourceInhGamma(
            start=np.repeat([IG1["start"], IG2["start"]], N),
            duration=np.repeat([IG1["duration"], IG2["duration"]], N), **per),
            label="inh_gamma")
        inh.record("spikes")

    for t in RUNS:
        sim.run(t)

    tr_r, tr_g = trains_of(ppr), trains_of(gam)
    groups = [(tr_r[k * N:(k + 1) * N], 0.0) for k in range(n_r)]
    groups += [(tr_g[k * N:(k + 1) * N], 0.0) for k in range(n_g)]
    if inh is None:
        groups += [(ig1_trains(), IG1["start"]), None]
    else:
        tr_i = trains_of(inh)
        groups += [(tr_i[:N], IG1["start"]), (tr_i[N:], IG2["start"])]
    sim.end()

    stats = [statistics(*g) if g is not None else None for g in groups]
    keys = next(s for s in stats if s is not None).keys()
    out = dict(sim_module=np.array(module_name), group_names=np.array(GROUPS),
               group_available=np.array([s is not None for s in stats]),
               n_per_group=np.int64(N), dt=DT, t_stop=T_STOP, seed=np.int64(SEED),
               windows=np.array(WINDOWS, dtype=float),
               isi_range=np.array([ISI_FROM, ISI_TO]), hist_bin=HIST_BIN,
               group_info=np.array(json.dumps(dict(
                   refractory=REFRACTORY, gamma=GAMMA, IG1=IG1, IG2=IG2))))
    for key in keys:
        ref = np.asarray(next(s for s in stats if s is not None)[key])
        out[key] = np.stack([np.asarray(s[key], dtype=float) if s is not None
                             else np.full(ref.shape, np.nan) for s in stats])
    np.savez_compressed(out_path, **out)
    return out


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
