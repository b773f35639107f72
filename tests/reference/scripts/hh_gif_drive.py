"""Deterministic HH_cond_exp and GIF_cond_exp reference scenario (plain PyNN).

Usage:  python hh_gif_drive.py <simulator module> <output.npz>
   e.g. python hh_gif_drive.py pyNN.nest       out.npz
        python hh_gif_drive.py spinnframe.pyNN out.npz

Two populations, each neuron with its own parameters:

* 7 HH_cond_exp neurons (NEST: hh_cond_exp_traub);
* 8 GIF_cond_exp neurons (NEST: gif_cond_exp). GIF spiking is stochastic, so this
  scenario keeps it deterministic: neurons 0-2 have lambda0 = 0 (they never fire: their
  sub-threshold dynamics is compared), neurons 3-7 have a hard threshold (delta_v = 1e-5
  mV, lambda0 = 1000 Hz): the firing probability of a step is then 1 to double precision
  once v exceeds v_t by ~1e-4 mV and below 1e-9 once v is ~2e-4 mV below it, so spike
  trains, spike-triggered currents and threshold jumps are deterministic unless v ends a
  step within that band (the make script checks that it never does).

Both are driven by four SpikeSourceArray sources (0, 1 excitatory; 2, 3 inhibitory; weights
in uS, positive for both receptor types) with assorted delays, and by i_offset, which is
changed with Population.set() between run(150) and run(100) (a current step at t = 150).
Initial v differs from rest; one HH neuron starts with non-default m, h, n.

Saved keys (prefix P = "hh_" or "gif_", n = neurons of that population, m = 2501 samples):
  sim_module, dt, min_delay, max_delay, run_durations
  P + "param_names"         parameter names (PyNN order)
  P + "param_<name>"        (n,) per-neuron values; array parameters of GIF are stored
                            flat as gif_param_<name> with gif_param_<name>_counts
  P + "i_offset_2"          (n,) i_offset set before the second run
  P + "init_<var>"          (n,) initial values given to initialize()
  conn_<P>exc, conn_<P>inh  (k, 4) rows (source, target, weight uS, delay ms)
  src_spike_times, src_spike_counts, src_rec_spike_times, src_rec_spike_counts
  P + "spike_times", P + "spike_counts"   output spikes, flat neuron by neuron
  P + "<var>"               (m, n) recorded variable; v as float64 (mV), the others as
                            float32: hh: gsyn_exc, gsyn_inh (uS), m, h, n;
                            gif: gsyn_exc, gsyn_inh (uS), v_t (mV), i_eta (nA)
  v_times                   (m,) sample times (ms)
  P + "mhn_source", ...     how a variable was obtained when pyNN could not record it
"""
import importlib
import sys

import numpy as np

DT = 0.1
MIN_DELAY = 0.1
MAX_DELAY = 10.0
RUNS = (150.0, 100.0)

# ---- HH_cond_exp ------------------------------------------------------------------------
HH_NAMES = ("gbar_Na", "gbar_K", "g_leak", "cm", "v_offset", "e_rev_Na", "e_rev_K",
            "e_rev_leak", "e_rev_E", "e_rev_I", "tau_syn_E", "tau_syn_I", "i_offset")
HH_PARAMS = np.array([
    # gNa  gK    gL    cm   v_off  eNa   eK     eL     eE    eI     tsE  tsI   i_off
    [20.0, 6.0, 0.01, 0.2, -63.0, 50.0, -90.0, -65.0,  0.0, -80.0, 0.2, 2.0,  0.0],  # 0 defaults
    [20.0, 6.0, 0.01, 0.2, -63.0, 50.0, -90.0, -65.0,  0.0, -80.0, 0.2, 2.0,  0.5],  # 1 bias
    [20.0, 6.0, 0.01, 0.2, -60.0, 50.0, -90.0, -65.0,  0.0, -80.0, 10.0, 20.0, 0.2],  # 2 slow syn
    [30.0, 8.0, 0.01, 0.2, -63.0, 55.0, -95.0, -65.0,  0.0, -80.0, 0.1, 0.5,  1.0],  # 3 fast
    [20.0, 6.0, 0.05, 1.0, -63.0, 50.0, -90.0, -70.0,  0.0, -80.0, 0.2, 2.0,  3.0],  # 4 big cm
    [0.0,  0.0, 0.01, 0.2, -63.0, 50.0, -90.0, -65.0,  0.0, -75.0, 1.0, 3.0, -0.1],  # 5 passive
    [20.0, 6.0, 0.02, 0.3, -63.0, 50.0, -90.0, -60.0, 10.0, -80.0, 0.5, 5.0,  0.8],  # 6 init mhn
])
HH_I_OFFSET_2 = np.array([0.0, 1.5, 0.0, 2.0, -0.5, 0.1, 0.8])
HH_INIT = {
    # not -50 for neuron 6: v - v_offset = 13 is the removable singularity of alpha_m,
    # where NEST computes 0/0 and its whole state becomes NaN (see README_hh_gif.md)
    "v": np.array([-60.0, -65.0, -70.0, -65.0, -62.0, -55.0, -50.5]),
    "m": np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.05]),
    "h": np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.6]),
    "n": np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.3]),
}
CONN_HH_EXC = [
    (0, 0, 0.5, 0.1), (0, 0, 0.3, 2.5), (1, 0, 0.4, 1.0), (0, 1, 0.05, 0.4),
    (1, 2, 0.02, 1.0), (0, 3, 0.2, 0.1), (1, 4, 0.3, 5.0), (0, 5, 0.1, 9.9),
    (1, 6, 0.2, 0.4), (0, 6, 0.1, 1.0),
]
CONN_HH_INH = [
    (2, 0, 0.3, 0.1), (3, 1, 0.1, 2.5), (2, 2, 0.05, 1.0), (3, 3, 0.5, 0.1),
    (2, 4, 0.2, 5.0), (3, 5, 0.2, 1.0), (2, 6, 0.1, 0.4),
]

# ---- GIF_cond_exp -----------------------------------------------------------------------
GIF_NAMES = ("v_rest", "cm", "tau_m", "tau_refrac", "tau_syn_E", "tau_syn_I", "e_rev_E",
             "e_rev_I", "v_reset", "i_offset", "delta_v", "v_t_star", "lambda0")
GIF_ARRAY_NAMES = ("tau_eta", "tau_gamma", "a_eta", "a_gamma")
GIF_PARAMS = np.array([
    # v_rest cm   tau_m  t_ref tsE   tsI   eE    eI     v_reset i_off dv     vt*    lambda0
    [-65.0, 1.0,  20.0,  4.0,  5.0,  5.0,  0.0, -70.0, -65.0,  0.0,  0.5,  -48.0,    0.0],  # 0
    [-65.0, 0.5,   2.0,  4.0,  0.5, 10.0,  0.0, -80.0, -65.0,  0.3,  0.5,  -48.0,    0.0],  # 1
    [-70.0, 1.0, 100.0,  4.0, 20.0,  1.0,  0.0, -70.0, -70.0,  0.1,  0.5,  -48.0,    0.0],  # 2
    [-65.0, 1.0,  20.0,  4.0,  5.0,  5.0,  0.0, -70.0, -65.0,  2.0,  1e-5, -48.0, 1000.0],  # 3
    [-65.0, 1.0,  10.0,  0.1,  5.0,  5.0,  0.0, -70.0, -68.0,  1.0,  1e-5, -50.0, 1000.0],  # 4
    [-65.0, 1.0,  20.0,  0.0,  5.0,  5.0,  0.0, -70.0, -65.0,  1.0,  1e-5, -48.0, 1000.0],  # 5
    [-65.0, 1.0,   5.0, 10.0,  2.0,  3.0,  0.0, -75.0, -70.0,  0.0,  1e-5, -52.0, 1000.0],  # 6
    [-60.0, 0.5,  15.0,  2.0, 10.0,  0.2,  0.0, -80.0, -62.0,  0.6,  1e-5, -49.0, 1000.0],  # 7
])
# One array per neuron. spinnframe stores array parameters as sequences, which must be
# non-decreasing, so every array here is (NEST accepts any order).
GIF_ARRAYS = {
    "tau_eta":   [[1.0, 10.0, 100.0]] * 4 + [[2.0, 20.0], [], [10.0], [1.0, 10.0, 100.0]],
    "a_eta":     [[1.0, 1.0, 1.0]] * 4 + [[-0.2, 0.3], [], [0.1], [0.05, 0.1, 0.2]],
    "tau_gamma": [[1.0, 10.0, 100.0]] * 4 + [[5.0, 50.0], [20.0], [10.0], [1.0, 10.0, 100.0]],
    "a_gamma":   [[1.0, 1.0, 1.0]] * 4 + [[0.5, 2.0], [3.0], [5.0], [0.0, 0.5, 1.0]],
}
GIF_I_OFFSET_2 = np.array([0.0, -0.2, 0.3, 4.0, 1.5, 0.5, 0.0, 0.0])
GIF_INIT = {
    "v": np.array([-60.0, -65.0, -72.0, -65.0, -55.0, -65.0, -60.0, -58.0]),
    # NEST cannot set v_t (E_sfa): it is an output. Set only so that the t = 0 sample,
    # which pyNN takes from initialize(), shows the actual threshold v_t_star.
    "v_t": GIF_PARAMS[:, GIF_NAMES.index("v_t_star")].copy(),
}
CONN_GIF_EXC = [
    (0, 0, 0.03, 0.1), (0, 0, 0.02, 2.5), (1, 0, 0.03, 1.0), (0, 1, 0.05, 0.4),
    (1, 2, 0.005, 1.0), (0, 3, 0.05, 0.1), (1, 4, 0.05, 5.0), (0, 5, 0.02, 9.9),
    (0, 6, 0.1, 0.1), (1, 6, 0.1, 1.0), (1, 7, 0.02, 0.4),
]
CONN_GIF_INH = [
    (2, 0, 0.05, 0.1), (3, 1, 0.1, 2.5), (2, 2, 0.02, 1.0), (3, 3, 0.05, 0.1),
    (2, 4, 0.05, 5.0), (3, 5, 0.05, 1.0), (2, 6, 0.02, 0.4), (3, 7, 0.5, 1.0),
]

# ---- sources: clean grid times >= 0.2 (see README.md on pyNN.nest's source timing) ------
SRC_TIMES = [
    [0.2, 10.0, 25.0, 40.0, 41.0, 42.0, 80.0, 120.5, 149.9, 150.0, 150.1, 180.0, 230.0],
    [5.0, 30.0, 55.5, 90.0, 91.0, 130.0, 170.0, 210.0, 245.0],
    [15.0, 35.0, 60.0, 100.0, 140.0, 185.0, 220.0],
    [2.0, 48.0, 110.0, 160.0, 205.0, 240.0],
]

HH_VARS = ("gsyn_exc", "gsyn_inh", "m", "h", "n")
GIF_VARS = ("gsyn_exc", "gsyn_inh", "v_t", "i_eta")


def flatten(trains):
    counts = np.array([len(t) for t in trains], dtype=np.int64)
    flat = (np.concatenate([np.asarray(t, dtype=float) for t in trains])
            if len(trains) else np.zeros(0))
    return flat, counts


def spiketrains_by_index(segment, size):
    trains = [np.zeros(0)] * size
    for k, st in enumerate(segment.spiketrains):
        idx = int(st.annotations.get("source_index", k))
        trains[idx] = np.asarray(st.rescale("ms").magnitude, dtype=float)
    return trains


def analogsignal(segment, name):
    sig = [s for s in segment.analogsignals if s.name == name][0]
    data = np.asarray(sig.magnitude, dtype=float)
    order = sig.array_annotations.get("channel_index", np.arange(data.shape[1]))
    out = np.empty_like(data)
    out[:, np.asarray(order, dtype=int)] = data
    times = np.asarray(sig.times.rescale("ms").magnitude, dtype=float)
    return out, times


def main(module_name, out_path):
    sim = importlib.import_module(module_name)
    is_nest = module_name == "pyNN.nest"
    extra = {"spike_precision": "on_grid"} if is_nest else {}
    sim.setup(timestep=DT, min_delay=MIN_DELAY, max_delay=MAX_DELAY, **extra)

    src = sim.Population(len(SRC_TIMES), sim.SpikeSourceArray(
        spike_times=[sim.Sequence(t) for t in SRC_TIMES]), label="sources")
    hh = sim.Population(len(HH_PARAMS), sim.HH_cond_exp(
        **{name: HH_PARAMS[:, i] for i, name in enumerate(HH_NAMES)}), label="hh")
    hh.initialize(**HH_INIT)
    gif_params = {name: GIF_PARAMS[:, i] for i, name in enumerate(GIF_NAMES)}
    gif_params.update({name: [list(a) for a in GIF_ARRAYS[name]] for name in GIF_ARRAY_NAMES})
    gif = sim.Population(len(GIF_PARAMS), sim.GIF_cond_exp(**gif_params), label="gif")
    gif.initialize(**GIF_INIT)

    for pop, exc, inh in ((hh, CONN_HH_EXC, CONN_HH_INH), (gif, CONN_GIF_EXC, CONN_GIF_INH)):
        sim.Projection(src, pop, sim.FromListConnector(exc), sim.StaticSynapse(),
                       receptor_type="excitatory")
        sim.Projection(src, pop, sim.FromListConnector(inh), sim.StaticSynapse(),
                       receptor_type="inhibitory")

    src.record("spikes")
    hh_pynn = [v for v in HH_VARS if v in sim.HH_cond_exp.recordable]
    hh.record(["spikes", "v"] + hh_pynn)
    gif.record(["spikes", "v"] + list(GIF_VARS))

    # pyNN.nest does not let HH_cond_exp record m, h, n: read them from NEST directly
    mm = None
    missing = [v for v in HH_VARS if v not in hh_pynn]
    nest_names = {"m": "Act_m", "h": "Inact_h", "n": "Act_n"}
    if missing and is_nest:
        import nest
        mm = nest.Create("multimeter", params={
            "record_from": [nest_names[v] for v in missing], "interval": DT})
        nest.Connect(mm, hh.node_collection)

    # pyNN.nest simulates one min_delay ahead of the time it reports (its first run()
    # adds min_delay so that NEST hands over all recorded data), so a set() after
    # run(150) would act from 150 + min_delay. Shift the split for NEST so that the new
    # i_offset acts from t = 150 in both simulators; the total is still 250 ms.
    runs = (RUNS[0] - MIN_DELAY, RUNS[1] + MIN_DELAY) if is_nest else RUNS
    sim.run(runs[0])
    hh.set(i_offset=HH_I_OFFSET_2)
    gif.set(i_offset=GIF_I_OFFSET_2)
    sim.run(runs[1])

    out = dict(sim_module=np.array(module_name), dt=DT, min_delay=MIN_DELAY,
               max_delay=MAX_DELAY, run_durations=np.array(RUNS))
    src_rec, src_rec_counts = flatten(spiketrains_by_index(src.get_data().segments[0],
                                                           len(SRC_TIMES)))
    out["src_spike_times"], out["src_spike_counts"] = flatten(SRC_TIMES)
    out["src_rec_spike_times"], out["src_rec_spike_counts"] = src_rec, src_rec_counts

    for prefix, pop, names, params, init, i2, exc, inh, variables in (
            ("hh_", hh, HH_NAMES, HH_PARAMS, HH_INIT, HH_I_OFFSET_2, CONN_HH_EXC,
             CONN_HH_INH, HH_VARS),
            ("gif_", gif, GIF_NAMES, GIF_PARAMS, GIF_INIT, GIF_I_OFFSET_2, CONN_GIF_EXC,
             CONN_GIF_INH, GIF_VARS)):
        seg = pop.get_data().segments[0]
        v, v_times = analogsignal(seg, "v")
        out["v_times"] = v_times
        out[prefix + "v"] = v
        out[prefix + "spike_times"], out[prefix + "spike_counts"] = flatten(
            spiketrains_by_index(seg, pop.size))
        out[prefix + "param_names"] = np.array(names)
        for i, name in enumerate(names):
            out[prefix + "param_" + name] = params[:, i].copy()
        out[prefix + "i_offset_2"] = i2
        for var, values in init.items():
            out[prefix + "init_" + var] = np.asarray(values, dtype=float)
        out["conn_" + prefix + "exc"] = np.array(exc, dtype=float)
        out["conn_" + prefix + "inh"] = np.array(inh, dtype=float)
        for var in variables:
            if mm is not None and prefix == "hh_" and var in missing:
                continue
            out[prefix + var] = analogsignal(seg, var)[0].astype(np.float32)
    for name in GIF_ARRAY_NAMES:
        out["gif_param_" + name], out["gif_param_" + name + "_counts"] = flatten(
            GIF_ARRAYS[name])

    if mm is not None:
        ev = mm.get("events")
        senders = np.asarray(ev["senders"])
        steps = np.rint(np.asarray(ev["times"]) / DT).astype(int)   # NEST samples dt .. T
        gids = list(hh.node_collection.tolist())
        rows = len(out["v_times"])
        for var in missing:
            data = np.zeros((rows, hh.size))
            data[0] = HH_INIT[var]        # t = 0: the initial value (not sampled by NEST)
            for col, gid in enumerate(gids):
                sel = senders == gid
                data[steps[sel], col] = np.asarray(ev[nest_names[var]])[sel]
            out["hh_" + var] = data.astype(np.float32)
        out["hh_mhn_source"] = np.array(
            "NEST multimeter Act_m/Inact_h/Act_n; row t=0 filled with the initial values")

    sim.end()
    np.savez_compressed(out_path, **out)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
