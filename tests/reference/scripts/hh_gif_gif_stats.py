"""GIF_cond_exp escape-noise statistics (plain PyNN).

Usage:  python hh_gif_gif_stats.py <simulator module> <output.npz> <seed> [threads]

Four groups of N_PER_GROUP unconnected GIF_cond_exp neurons, each group with its own
parameters, driven only by a constant i_offset, so that all variability comes from the
stochastic spike emission (the escape rate) and the spike trains are statistically
comparable between simulators whose random generators differ. Every neuron starts at
v = v_rest. One run of DURATION ms; setup(rng_seed=seed) seeds the escape noise.

Saved keys:
  sim_module, seed, dt, duration, n_per_group, group_names (4,)
  group                (N,) group index of each neuron
  param_<name>         (4,) scalar parameters per group; array parameters as
                       param_<name> (flat) with param_<name>_counts (4,)
  spike_steps          flat int32 spike times in time steps (t / dt), neuron by neuron
  spike_counts         (N,) spikes per neuron
"""
import importlib
import sys

import numpy as np

DT = 0.1
DURATION = 2000.0
N_PER_GROUP = 250

GROUP_NAMES = ("pynn_defaults_adapting", "weak_adaptation_broad_noise",
               "no_adaptation", "fast_threshold_adaptation")
NAMES = ("v_rest", "cm", "tau_m", "tau_refrac", "tau_syn_E", "tau_syn_I", "e_rev_E",
         "e_rev_I", "v_reset", "i_offset", "delta_v", "v_t_star", "lambda0")
ARRAY_NAMES = ("tau_eta", "tau_gamma", "a_eta", "a_gamma")
PARAMS = np.array([
    # v_rest cm   tau_m t_ref tsE  tsI  eE   eI     v_reset i_off dv   vt*    lambda0
    [-65.0, 1.0, 20.0,  4.0, 5.0, 5.0, 0.0, -70.0, -65.0,  1.5, 0.5, -48.0,  1.0],
    [-65.0, 1.0, 20.0,  2.0, 5.0, 5.0, 0.0, -70.0, -60.0,  1.0, 2.0, -48.0, 10.0],
    [-65.0, 1.0, 20.0,  1.0, 5.0, 5.0, 0.0, -70.0, -55.0,  0.9, 1.0, -48.0,  5.0],
    [-70.0, 0.5,  5.0,  0.1, 5.0, 5.0, 0.0, -70.0, -70.0,  2.2, 0.3, -50.0, 20.0],
])
ARRAYS = {
    "tau_eta":   [[1.0, 10.0, 100.0], [5.0, 50.0], [], [3.0]],
    "a_eta":     [[1.0, 1.0, 1.0], [0.1, 0.2], [], [0.05]],
    "tau_gamma": [[1.0, 10.0, 100.0], [10.0, 100.0], [], [30.0]],
    "a_gamma":   [[1.0, 1.0, 1.0], [1.0, 2.0], [], [5.0]],
}


def main(module_name, out_path, seed, threads=1):
    sim = importlib.import_module(module_name)
    extra = {"spike_precision": "on_grid"} if module_name == "pyNN.nest" else {}
    sim.setup(timestep=DT, min_delay=DT, rng_seed=int(seed), threads=int(threads), **extra)
    n_groups = len(PARAMS)
    group = np.repeat(np.arange(n_groups), N_PER_GROUP)
    params = {name: PARAMS[group, i] for i, name in enumerate(NAMES)}
    params.update({name: [list(ARRAYS[name][g]) for g in group] for name in ARRAY_NAMES})
    pop = sim.Population(len(group), sim.GIF_cond_exp(**params), label="gif")
    pop.initialize(v=PARAMS[group, NAMES.index("v_rest")])
    pop.record("spikes")
    sim.run(DURATION)

    seg = pop.get_data().segments[0]
    trains = [np.zeros(0)] * pop.size
    for k, st in enumerate(seg.spiketrains):
        trains[int(st.annotations.get("source_index", k))] = st.rescale("ms").magnitude
    counts = np.array([len(t) for t in trains], dtype=np.int64)
    steps = np.concatenate([np.rint(np.asarray(t, float) / DT) for t in trains])
    out = dict(sim_module=np.array(module_name), seed=int(seed), dt=DT, duration=DURATION,
               n_per_group=N_PER_GROUP, group_names=np.array(GROUP_NAMES), group=group,
               spike_steps=steps.astype(np.int32), spike_counts=counts)
    for i, name in enumerate(NAMES):
        out["param_" + name] = PARAMS[:, i].copy()
    for name in ARRAY_NAMES:
        out["param_" + name] = np.array([x for a in ARRAYS[name] for x in a], dtype=float)
        out["param_" + name + "_counts"] = np.array([len(a) for a in ARRAYS[name]])
    sim.end()
    np.savez_compressed(out_path, **out)


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    main(*sys.argv[1:])
