"""Random balanced network of IF_curr_exp neurons (plain PyNN).

Usage:  python random_network.py <simulator module> <output.npz> <seed>
   e.g. python random_network.py pyNN.nest out.npz 1

800 excitatory + 200 inhibitory IF_curr_exp neurons, recurrent
FixedProbabilityConnector(p=0.1), external drive from 100 SpikeSourcePoisson
sources at 20 Hz (FixedProbabilityConnector, p=0.3), all delays 1.5 ms,
initial v uniform in [v_reset, v_thresh).  All PyNN-side randomness comes
from NumpyRNG(seed * 10 + k), k = 0..7 (one per random object); with
pyNN.nest and spinnframe.pyNN, the simulator's own RNG (Poisson sources) gets
rng_seed=seed.  Runs
1000 ms and saves summary statistics:

  sim_module          str
  seed                int
  duration            float, ms
  n_exc, n_inh        int
  total_spike_count   int, spikes of all 1000 network neurons
  rate_exc, rate_inh  float, mean firing rate (Hz) of each population
  rate_ext            float, mean rate (Hz) of the Poisson sources
  spike_counts        (1000,) int32, per neuron (exc first, then inh)
  pop_hist_1ms        (1000,) int32, network spikes per 1 ms bin
                      (bin k covers (k, k+1] ms)
  cv_isi_exc          float, mean ISI CV of exc neurons with >= 5 spikes
                      (nan if none)
  n_connections       (5,) int: ee, ei, ie, ii, ext projection sizes
                      (ee = exc->exc, ei = exc->inh, ...)

The connectivity is reproducible for a given seed only within one
simulator; the Poisson inputs are not reproducible across simulators, so
compare statistics (see tests/reference/README.md).
"""
import importlib
import sys

import numpy as np

DT = 0.1
MIN_DELAY = 0.1
MAX_DELAY = 10.0
DURATION = 1000.0

N_EXC, N_INH = 800, 200
N_EXT = 100
P_CONN = 0.1
P_EXT = 0.3
RATE_EXT = 20.0      # Hz
DELAY = 1.5          # ms

CELL = dict(tau_m=20.0, cm=0.25, tau_syn_E=5.0, tau_syn_I=5.0,
            tau_refrac=2.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0,
            i_offset=0.1)
W_EXC = 0.03     # nA, recurrent excitatory
W_INH = -0.5     # nA, recurrent inhibitory (negative: current-based)
W_EXT = 0.1      # nA, external Poisson


def main(module_name, out_path, seed):
    sim = importlib.import_module(module_name)
    extra = {}
    if module_name == "pyNN.nest":
        # rng_seed seeds NEST's own RNG (Poisson generators)
        extra = {"spike_precision": "on_grid", "rng_seed": seed}
    elif module_name == "spinnframe.pyNN":
        extra = {"rng_seed": seed}   # seeds spinnframe's Poisson sources
    sim.setup(timestep=DT, min_delay=MIN_DELAY, max_delay=MAX_DELAY, **extra)

    # One NumpyRNG per random object, seeded seed*10 + k: PyNN copies the
    # RNG of a connector/RandomDistribution when evaluating it, so re-using
    # a single NumpyRNG would give identical draws (e.g. identical exc->inh
    # and inh->exc masks) instead of a continuing stream.
    def rng(k):
        return sim.NumpyRNG(seed=seed * 10 + k)

    exc = sim.Population(N_EXC, sim.IF_curr_exp(**CELL), label="exc")
    inh = sim.Population(N_INH, sim.IF_curr_exp(**CELL), label="inh")
    ext = sim.Population(N_EXT, sim.SpikeSourcePoisson(rate=RATE_EXT),
                         label="ext")
    for k, pop in enumerate((exc, inh)):
        pop.initialize(v=sim.RandomDistribution(
            "uniform", low=CELL["v_reset"], high=CELL["v_thresh"], rng=rng(k)))

    syn_e = sim.StaticSynapse(weight=W_EXC, delay=DELAY)
    syn_i = sim.StaticSynapse(weight=W_INH, delay=DELAY)
    syn_x = sim.StaticSynapse(weight=W_EXT, delay=DELAY)
    plan = [(exc, exc, P_CONN, syn_e, "excitatory"),
            (exc, inh, P_CONN, syn_e, "excitatory"),
            (inh, exc, P_CONN, syn_i, "inhibitory"),
            (inh, inh, P_CONN, syn_i, "inhibitory"),
            (ext, exc, P_EXT, syn_x, "excitatory"),
            (ext, inh, P_EXT, syn_x, "excitatory")]
    projs = [sim.Projection(pre, post,
                            sim.FixedProbabilityConnector(p, rng=rng(2 + k)),
                            syn, receptor_type=rt)
             for k, (pre, post, p, syn, rt) in enumerate(plan)]

    exc.record("spikes")
    inh.record("spikes")
    ext.record("spikes")
    sim.run(DURATION)

    def trains(pop):
        out = [np.zeros(0)] * pop.size
        for k, st in enumerate(pop.get_data().segments[0].spiketrains):
            idx = int(st.annotations.get("source_index", k))
            out[idx] = np.asarray(st.rescale("ms").magnitude, dtype=float)
        return out

    tr = trains(exc) + trains(inh)
    tr_ext = trains(ext)
    counts = np.array([len(t) for t in tr], dtype=np.int32)
    all_t = np.concatenate(tr) if counts.sum() else np.zeros(0)
    # bin k holds spikes with k < t <= k + 1 (spikes are stamped at the end
    # of a step, so the earliest possible time is dt)
    bins = np.clip(np.ceil(all_t - 1e-9).astype(int) - 1, 0,
                   int(DURATION) - 1)
    hist = np.bincount(bins, minlength=int(DURATION)).astype(np.int32)
    cvs = [np.std(np.diff(t)) / np.mean(np.diff(t))
           for t in tr[:N_EXC] if len(t) >= 5]
    sizes = [p.size() for p in projs]
    n_conn = np.array(sizes[:4] + [sizes[4] + sizes[5]], dtype=np.int64)
    sec = DURATION / 1000.0

    out = dict(
        sim_module=np.array(module_name), seed=np.int64(seed),
        duration=DURATION, n_exc=np.int64(N_EXC), n_inh=np.int64(N_INH),
        total_spike_count=np.int64(counts.sum()),
        rate_exc=counts[:N_EXC].sum() / (N_EXC * sec),
        rate_inh=counts[N_EXC:].sum() / (N_INH * sec),
        rate_ext=sum(len(t) for t in tr_ext) / (N_EXT * sec),
        spike_counts=counts, pop_hist_1ms=hist,
        cv_isi_exc=float(np.mean(cvs)) if cvs else float("nan"),
        n_connections=n_conn,
    )
    sim.end()
    np.savez_compressed(out_path, **out)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
