"""Deterministic IF_curr_alpha + IF_curr_delta reference scenario (plain PyNN).

Usage:  python if_curr_drive.py <simulator module> <output.npz>
   e.g. python if_curr_drive.py pyNN.nest       out.npz
        python if_curr_drive.py spinnframe.pyNN out.npz

One population of seven IF_curr_alpha neurons and one of seven IF_curr_delta
neurons, each neuron with its own parameters, are driven by six
SpikeSourceArray sources through excitatory (positive weights) and inhibitory
(negative weights) FromListConnector projections with assorted delays, and by
i_offset. The simulation is run(200), then i_offset is changed with
Population.set() (a step current), then run(100); the recorded data of both
calls (one Neo segment) are saved to a .npz file that loads with
numpy.load(path, allow_pickle=False).

IF_curr_alpha weights are currents (nA, the peak of the alpha function),
IF_curr_delta weights are voltage jumps (mV).

Saved keys (m = number of samples; <p> is "alpha" or "delta"):
  sim_module                  str, module name given on the command line
  dt, min_delay, max_delay    float
  run_durations               (2,) the durations passed to run()
  src_spike_times, src_spike_counts
                              requested source spike times, flattened
                              source by source (counts give the split)
  src_rec_spike_times, src_rec_spike_counts
                              source spikes as the simulator recorded them
  sample_times                (m,) times of the v samples [ms]
  <p>_param_names             str, parameter names of the model
  <p>_param_<name>            (n,) value of each parameter per neuron (run 1)
  <p>_i_offset_run2           (n,) i_offset set before the second run [nA]
  <p>_v_init                  (n,) initial v passed to initialize()
  <p>_conn_exc, <p>_conn_inh  (k, 4) rows (source, target, weight, delay ms);
                              inhibitory weights are negative
  <p>_spike_times, <p>_spike_counts
                              output spikes, flattened neuron by neuron
  <p>_v                       (m, n) membrane potential [mV]
  alpha_isyn_recorded         bool; if True also alpha_isyn_exc and
                              alpha_isyn_inh (m, n) float32 [nA], and
                              alpha_isyn_source (str) telling how they were
                              obtained
"""
import importlib
import sys

import numpy as np

DT = 0.1
MIN_DELAY = 0.1
MAX_DELAY = 10.0
RUNS = (200.0, 100.0)

# ---- IF_curr_alpha ------------------------------------------------------------------
ALPHA_NAMES = ("tau_m", "cm", "tau_syn_E", "tau_syn_I", "tau_refrac",
               "v_reset", "v_thresh", "v_rest", "i_offset")
ALPHA = np.array([
    # tau_m  cm    tau_sE  tau_sI       t_ref v_reset v_th  v_rest i_offset
    [20.0,  1.00,  0.5,    0.5,         0.1, -65.0, -50.0, -65.0,  0.00],  # 0 PyNN defaults
    [10.0,  0.50,  2.0,    8.0,         2.0, -70.0, -52.0, -60.0,  0.30],  # 1 subthreshold bias
    [15.0,  0.80, 15.0,    3.0,         5.0, -68.0, -48.0, -62.0,  0.00],  # 2 tau_syn_E == tau_m
    [25.0,  1.20,  0.2,    6.0,         2.0, -75.0, -55.0, -70.0,  1.50],  # 3 fires on its own
    [1.0,   0.25,  0.1,    0.3,         0.1, -60.0, -45.0, -58.0,  4.00],  # 4 small time constants
    [100.0, 2.00, 10.0,  100.0000001,   5.0, -65.0, -40.0, -50.0, -0.05],  # 5 large; tau_syn_I ~ tau_m
    [8.0,   0.60,  4.0,    8.0,         1.0, -63.0, -57.0, -65.0,  0.45],  # 6 tau_syn_I == tau_m
])
ALPHA_I_OFFSET_2 = np.array([0.0, 0.9, 0.2, 0.0, 4.00, 0.6, -0.1])
ALPHA_V_INIT = np.array([-56.0, -60.0, -66.0, -71.0, -50.0, -45.0, -60.0])

# ---- IF_curr_delta ------------------------------------------------------------------
DELTA_NAMES = ("tau_m", "cm", "tau_refrac", "v_reset", "v_thresh", "v_rest", "i_offset")
DELTA = np.array([
    # tau_m  cm   t_ref v_reset v_th   v_rest i_offset
    [20.0,  1.00, 0.1, -65.0, -50.0, -65.0,  0.00],  # 0 PyNN defaults
    [10.0,  0.50, 2.0, -70.0, -52.0, -60.0,  0.30],  # 1 subthreshold bias
    [15.0,  0.80, 0.0, -68.0, -48.0, -62.0,  0.00],  # 2 no refractory period
    [25.0,  1.20, 5.0, -75.0, -55.0, -70.0,  1.50],  # 3 fires on its own, long refractoriness
    [1.0,   0.25, 0.1, -60.0, -45.0, -58.0,  4.00],  # 4 small tau_m
    [100.0, 2.00, 5.0, -65.0, -40.0, -50.0, -0.05],  # 5 large tau_m
    [8.0,   0.60, 2.0, -63.0, -57.0, -65.0,  0.00],  # 6 input during refractoriness
])
DELTA_I_OFFSET_2 = np.array([0.0, 0.9, 0.35, 0.0, 4.00, 0.6, 0.2])
DELTA_V_INIT = np.array([-56.0, -60.0, -66.0, -71.0, -50.0, -45.0, -60.0])

# Source spike times (ms), on the 0.1 ms grid, avoiding the times pyNN.nest
# delivers one step late (4.4 and 64.4 ... 76.4, see README.md) and 0.1.
SRC_TIMES = [
    # 0: excitatory, early burst + boundary spikes around 200.0 + second segment
    [0.2, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 5.0, 5.1, 5.2, 5.3, 20.0, 20.1,
     50.0, 50.5, 51.0, 51.5, 52.0, 120.0, 121.0, 122.0, 199.9, 200.0,
     200.1, 230.0, 230.2, 230.4, 230.6, 230.8, 231.0, 270.0],
    # 1: excitatory, regular train every 7 ms from 10.3
    list(np.round(np.arange(103, 3000, 70) * DT, 1)),
    # 2: inhibitory, a few bursts
    [0.5, 15.0, 15.1, 15.2, 60.0, 60.3, 60.6, 61.0, 150.0, 150.5, 151.0,
     151.5, 152.0, 210.0, 210.1, 250.0, 250.2, 250.4],
    # 3: inhibitory, irregular
    [7.7, 33.3, 44.4, 77.7, 88.8, 99.9, 111.1, 144.4, 188.8, 222.2, 255.5,
     277.7, 299.9],
    # 4: excitatory "kick": a strong input that makes its targets fire
    [30.0, 90.0, 170.0, 240.0],
    # 5: excitatory "probe": arrives together with the kick's effect, during the
    #    refractory period that follows (first, middle and last refractory
    #    step) and in the first step after it
    [30.0, 30.1, 31.0, 32.0, 32.1, 90.1, 92.0, 92.1, 170.1, 172.1, 240.2],
]
N_SRC = len(SRC_TIMES)

# (source, target, weight nA, delay ms)
ALPHA_EXC = [
    (0, 0, 1.5, 0.1), (0, 0, 1.0, 2.5),        # two synapses same pair
    (0, 1, 1.5, 1.0), (0, 2, 0.3, 2.5), (0, 3, 1.0, 0.1),
    (0, 4, 2.0, 0.7), (0, 5, 20.0, 1.0), (0, 6, 0.8, 9.9),
    (1, 0, 1.0, 1.0), (1, 1, 1.0, 0.1), (1, 2, 0.25, 1.0),
    (1, 3, 0.5, 2.5), (1, 4, 1.0, 1.0), (1, 5, 8.0, 0.1),
    (1, 6, 0.6, 0.4),
    (4, 0, 30.0, 0.1), (4, 6, 15.0, 0.1), (4, 2, 6.0, 5.0),
    (5, 0, 1.0, 0.1), (5, 6, 1.0, 0.1), (5, 2, 1.0, 5.0),
]
ALPHA_INH = [
    (2, 0, -2.0, 0.1), (2, 1, -1.0, 1.0), (2, 2, -1.0, 2.5),
    (2, 3, -0.3, 0.1), (2, 4, -3.0, 1.0), (2, 5, -0.02, 0.1),
    (2, 6, -1.2, 2.5),
    (3, 0, -1.0, 2.5), (3, 1, -0.8, 0.1), (3, 3, -0.2, 1.0),
    (3, 4, -2.0, 0.1), (3, 5, -0.015, 5.0), (3, 6, -0.5, 0.1),
    (3, 2, -0.5, 1.0),
]
# (source, target, weight mV, delay ms)
DELTA_EXC = [
    (0, 0, 6.0, 0.1), (0, 0, 4.0, 2.5),        # two synapses same pair
    (0, 1, 3.0, 1.0), (0, 2, 2.5, 2.5), (0, 3, 2.0, 0.1),
    (0, 4, 3.0, 0.7), (0, 5, 7.0, 1.0), (0, 6, 1.5, 9.9),
    (1, 0, 2.0, 1.0), (1, 1, 2.5, 0.1), (1, 2, 1.2, 1.0),
    (1, 3, 1.0, 2.5), (1, 4, 2.0, 1.0), (1, 5, 4.0, 0.1),
    (1, 6, 1.0, 0.4),
    (4, 6, 20.0, 0.1), (4, 0, 18.0, 0.1), (4, 2, 25.0, 5.0),
    (5, 6, 3.0, 0.1), (5, 0, 1.0, 0.1), (5, 2, 2.0, 5.0),
]
DELTA_INH = [
    (2, 0, -3.0, 0.1), (2, 1, -2.0, 1.0), (2, 2, -2.0, 2.5),
    (2, 3, -3.0, 0.1), (2, 4, -4.0, 1.0), (2, 5, -2.0, 0.1),
    (2, 6, -2.5, 2.5),
    (3, 0, -2.0, 2.5), (3, 1, -1.5, 0.1), (3, 3, -2.0, 1.0),
    (3, 4, -3.0, 0.1), (3, 5, -3.0, 5.0), (3, 6, -1.0, 0.1),
    (3, 2, -1.0, 1.0),
]


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


def multimeter_v(mm, pop, v_init, n_steps):
    """V_m from a NEST multimeter, laid out like get_data(): rows t = 0 .. T.
    NEST does not sample t = 0; row 0 is the initial value, as PyNN does."""
    ev = mm.get("events")
    senders = np.asarray(ev["senders"])
    steps = np.rint(np.asarray(ev["times"]) / DT).astype(int)
    v = np.full((n_steps + 1, pop.size), np.nan)
    v[0] = v_init
    for col, gid in enumerate(pop.node_collection.tolist()):
        sel = senders == gid
        v[steps[sel], col] = np.asarray(ev["V_m"])[sel]
    assert np.isfinite(v).all()
    return v, np.arange(n_steps + 1) * DT


def build(sim, label, celltype, names, table, v_init, src, conn_exc, conn_inh):
    pop = sim.Population(len(table), celltype(
        **{name: table[:, i] for i, name in enumerate(names)}), label=label)
    pop.initialize(v=v_init)
    sim.Projection(src, pop, sim.FromListConnector(conn_exc),
                   sim.StaticSynapse(), receptor_type="excitatory")
    sim.Projection(src, pop, sim.FromListConnector(conn_inh),
                   sim.StaticSynapse(), receptor_type="inhibitory")
    return pop


def main(module_name, out_path):
    sim = importlib.import_module(module_name)
    is_nest = module_name == "pyNN.nest"
    extra = {"spike_precision": "on_grid"} if is_nest else {}
    sim.setup(timestep=DT, min_delay=MIN_DELAY, max_delay=MAX_DELAY, **extra)

    src = sim.Population(N_SRC, sim.SpikeSourceArray(
        spike_times=[sim.Sequence(t) for t in SRC_TIMES]), label="sources")
    alpha = build(sim, "alpha", sim.IF_curr_alpha, ALPHA_NAMES, ALPHA, ALPHA_V_INIT,
                  src, ALPHA_EXC, ALPHA_INH)
    delta = build(sim, "delta", sim.IF_curr_delta, DELTA_NAMES, DELTA, DELTA_V_INIT,
                  src, DELTA_EXC, DELTA_INH)

    src.record("spikes")
    # pyNN.nest 0.13's IF_curr_delta has no variable_map (v -> V_m): its
    # initialize(v=...) only logs "NEST does not allow setting an initial value
    # for v" and leaves V_m alone, and record("v") fails with "Cannot connect
    # with unknown recordable v". For pyNN.nest only, set V_m and record it
    # through NEST directly (see README_if_curr.md).
    nest_delta_mm = None
    if is_nest:
        import nest
        delta.node_collection.set(V_m=DELTA_V_INIT)
        nest_delta_mm = nest.Create("multimeter", params={
            "record_from": ["V_m"], "interval": DT})
        nest.Connect(nest_delta_mm, delta.node_collection)
        delta.record("spikes")
    else:
        delta.record(["spikes", "v"])
    recordable = getattr(sim.IF_curr_alpha, "recordable", [])
    pynn_isyn = "isyn_exc" in recordable and "isyn_inh" in recordable
    alpha.record(["spikes", "v"] + (["isyn_exc", "isyn_inh"] if pynn_isyn else []))

    # pyNN.nest 0.13 does not allow recording isyn_* for IF_curr_alpha (its
    # recordable list is spikes, v); as a NEST-only supplement read I_syn_ex /
    # I_syn_in of iaf_psc_alpha directly from NEST.
    nest_mm = None
    if is_nest and not pynn_isyn:
        import nest
        nest_mm = nest.Create("multimeter", params={
            "record_from": ["I_syn_ex", "I_syn_in"], "interval": DT})
        nest.Connect(nest_mm, alpha.node_collection)

    # pyNN.nest's first run() simulates min_delay beyond the requested time
    # (so that NEST hands over all recorded data): after run(200) NEST's clock
    # is at 200.1, and a set() made then acts from 200.1 on, one step late.
    # For pyNN.nest only, the first run stops min_delay early, so that NEST's
    # clock is at exactly 200.0 when i_offset changes (see README_if_curr.md).
    first = RUNS[0] - MIN_DELAY if is_nest else RUNS[0]
    sim.run(first)
    alpha.set(i_offset=ALPHA_I_OFFSET_2)      # a step change of the bias current
    delta.set(i_offset=DELTA_I_OFFSET_2)
    sim.run(sum(RUNS) - first)

    src_seg = src.get_data().segments[0]
    src_rec, src_rec_counts = flatten(spiketrains_by_index(src_seg, N_SRC))
    src_req, src_req_counts = flatten(SRC_TIMES)
    out = dict(
        sim_module=np.array(module_name),
        dt=DT, min_delay=MIN_DELAY, max_delay=MAX_DELAY,
        run_durations=np.array(RUNS),
        src_spike_times=src_req, src_spike_counts=src_req_counts,
        src_rec_spike_times=src_rec, src_rec_spike_counts=src_rec_counts,
    )
    for p, pop, names, table, i2, v0, ce, ci in (
            ("alpha", alpha, ALPHA_NAMES, ALPHA, ALPHA_I_OFFSET_2, ALPHA_V_INIT,
             ALPHA_EXC, ALPHA_INH),
            ("delta", delta, DELTA_NAMES, DELTA, DELTA_I_OFFSET_2, DELTA_V_INIT,
             DELTA_EXC, DELTA_INH)):
        seg = pop.get_data().segments[0]
        if p == "delta" and nest_delta_mm is not None:
            v, times = multimeter_v(nest_delta_mm, pop, v0, int(round(sum(RUNS) / DT)))
        else:
            v, times = analogsignal(seg, "v")
        st, sc = flatten(spiketrains_by_index(seg, pop.size))
        out.update({
            f"{p}_param_names": np.array(names),
            f"{p}_i_offset_run2": i2, f"{p}_v_init": v0,
            f"{p}_conn_exc": np.array(ce, dtype=float),
            f"{p}_conn_inh": np.array(ci, dtype=float),
            f"{p}_spike_times": st, f"{p}_spike_counts": sc, f"{p}_v": v,
        })
        for i, name in enumerate(names):
            out[f"{p}_param_{name}"] = table[:, i].copy()
        out["sample_times"] = times
        if p == "alpha":
            out["alpha_isyn_recorded"] = np.array(False)
            if pynn_isyn:
                ie, _ = analogsignal(seg, "isyn_exc")
                ii, _ = analogsignal(seg, "isyn_inh")
                source = "PyNN record('isyn_exc'/'isyn_inh')"
            elif nest_mm is not None:
                ev = nest_mm.get("events")
                senders = np.asarray(ev["senders"])
                steps = np.rint(np.asarray(ev["times"]) / DT).astype(int)
                ie = np.zeros_like(v)
                ii = np.zeros_like(v)
                for col, gid in enumerate(pop.node_collection.tolist()):
                    sel = senders == gid
                    ie[steps[sel], col] = np.asarray(ev["I_syn_ex"])[sel] * 1e-3
                    ii[steps[sel], col] = np.asarray(ev["I_syn_in"])[sel] * 1e-3
                # NEST does not sample t = 0: row 0 keeps the initial value, 0 nA
                source = ("NEST multimeter I_syn_ex/I_syn_in (pA -> nA); "
                          "row t=0 filled with the initial value 0")
            else:
                continue
            out.update(alpha_isyn_recorded=np.array(True),
                       alpha_isyn_exc=ie.astype(np.float32),
                       alpha_isyn_inh=ii.astype(np.float32),
                       alpha_isyn_source=np.array(source))
    sim.end()
    np.savez_compressed(out_path, **out)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
