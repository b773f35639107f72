"""Deterministic IF_curr_exp reference scenario (plain PyNN).

Usage:  python if_curr_exp_drive.py <simulator module> <output.npz>
   e.g. python if_curr_exp_drive.py pyNN.nest       out.npz
        python if_curr_exp_drive.py spinnframe.pyNN out.npz

Seven IF_curr_exp neurons with individual parameters are driven by four
SpikeSourceArray sources through excitatory (positive weights) and
inhibitory (negative weights) FromListConnector projections with assorted
delays.  The simulation is run as run(200) followed by run(100); the
recorded data of both calls (one Neo segment) are saved to a .npz file that
loads with numpy.load(path, allow_pickle=False).

Saved keys (n = number of neurons, m = number of v samples):
  sim_module                  str, module name given on the command line
  dt, min_delay, max_delay    float
  run_durations               (2,) the durations passed to run()
  param_names                 (9,) str, IF_curr_exp parameter names
  param_<name>                (n,) value of each parameter per neuron
  v_init                      (n,) initial v passed to initialize()
  src_spike_times, src_spike_counts
                              requested source spike times, flattened
                              source by source (counts give the split)
  src_rec_spike_times, src_rec_spike_counts
                              spike times of the sources as recorded by the
                              simulator (same layout)
  conn_exc, conn_inh          (k, 4) rows (source index, target index,
                              weight [nA], delay [ms]); inhibitory weights
                              are negative (PyNN current-based convention)
  spike_times, spike_counts   recorded output spikes, flattened neuron by
                              neuron (neuron i owns
                              spike_times[cs[i]:cs[i+1]], cs = cumsum of
                              counts with a leading 0)
  v                           (m, n) membrane potential [mV]
  v_times                     (m,) sample times [ms]
  v_units                     str, units reported by get_data()
  isyn_recorded               bool; if True also isyn_exc, isyn_inh (m, n)
                              float32, in nA, and isyn_source (str) telling
                              how they were obtained
"""
import importlib
import sys

import numpy as np

DT = 0.1
MIN_DELAY = 0.1
MAX_DELAY = 10.0
RUNS = (200.0, 100.0)

PARAM_NAMES = ("tau_m", "cm", "tau_syn_E", "tau_syn_I", "tau_refrac",
               "v_reset", "v_thresh", "v_rest", "i_offset")

# one row per neuron, columns in PARAM_NAMES order
PARAMS = np.array([
    # tau_m  cm   tau_sE tau_sI t_ref v_reset v_th   v_rest i_offset
    [20.0, 1.00,  5.0,  5.0,  0.1, -65.0, -50.0, -65.0,  0.00],  # 0 PyNN defaults, v0 = -56
    [10.0, 0.50,  2.0,  8.0,  2.0, -70.0, -52.0, -60.0,  0.30],  # 1 subthreshold bias
    [15.0, 0.80, 15.0,  3.0,  5.0, -68.0, -48.0, -62.0,  0.00],  # 2 tau_syn_E == tau_m
    [25.0, 1.20,  3.0,  6.0,  2.0, -75.0, -55.0, -70.0,  1.50],  # 3 fires on its own
    [5.0,  0.25,  1.0,  1.5,  0.1, -60.0, -45.0, -58.0,  0.81],  # 4 fires fast on its own
    [30.0, 2.00,  0.5, 10.0,  5.0, -65.0, -40.0, -50.0, -0.20],  # 5 negative bias
    [8.0,  0.60,  4.0,  8.0,  1.0, -63.0, -57.0, -65.0,  0.45],  # 6 tau_syn_I == tau_m
])
N = PARAMS.shape[0]

# initial membrane potential: v_rest everywhere except neuron 0
V_INIT = PARAMS[:, PARAM_NAMES.index("v_rest")].copy()
V_INIT[0] = -56.0

# Source spike times (ms), all on the 0.1 ms grid.  The earliest possible
# time with pyNN.nest and min_delay = 0.1 is 0.2 (see README).
SRC_TIMES = [
    # 0: excitatory, early burst + boundary spike at 200.0 + second segment
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
]
N_SRC = len(SRC_TIMES)

# (source, target, weight nA, delay ms)
CONN_EXC = [
    (0, 0, 1.5, 0.1), (0, 0, 1.0, 2.5),        # two synapses same pair
    (0, 1, 1.5, 1.0), (0, 2, 0.3, 2.5), (0, 3, 1.0, 0.1),
    (0, 4, 0.6, 0.7), (0, 5, 20.0, 1.0), (0, 6, 0.8, 9.9),
    (1, 0, 1.0, 1.0), (1, 1, 1.0, 0.1), (1, 2, 0.25, 1.0),
    (1, 3, 0.5, 2.5), (1, 4, 0.3, 1.0), (1, 5, 8.0, 0.1),
    (1, 6, 0.6, 0.4),
]
CONN_INH = [
    (2, 0, -2.0, 0.1), (2, 1, -1.0, 1.0), (2, 2, -1.0, 2.5),
    (2, 3, -1.5, 0.1), (2, 4, -1.0, 1.0), (2, 5, -2.0, 0.1),
    (2, 6, -1.2, 2.5),
    (3, 0, -1.0, 2.5), (3, 1, -0.8, 0.1), (3, 3, -1.0, 1.0),
    (3, 4, -1.0, 0.1), (3, 5, -1.5, 5.0), (3, 6, -0.5, 0.1),
    (3, 2, -0.5, 1.0),
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
    return out, times, str(sig.units.dimensionality)


def main(module_name, out_path):
    sim = importlib.import_module(module_name)
    is_nest = module_name == "pyNN.nest"
    extra = {"spike_precision": "on_grid"} if is_nest else {}
    sim.setup(timestep=DT, min_delay=MIN_DELAY, max_delay=MAX_DELAY, **extra)

    src = sim.Population(N_SRC, sim.SpikeSourceArray(
        spike_times=[sim.Sequence(t) for t in SRC_TIMES]), label="sources")
    cell_params = {name: PARAMS[:, i] for i, name in enumerate(PARAM_NAMES)}
    pop = sim.Population(N, sim.IF_curr_exp(**cell_params), label="neurons")
    pop.initialize(v=V_INIT)

    sim.Projection(src, pop, sim.FromListConnector(CONN_EXC),
                   sim.StaticSynapse(), receptor_type="excitatory")
    sim.Projection(src, pop, sim.FromListConnector(CONN_INH),
                   sim.StaticSynapse(), receptor_type="inhibitory")

    src.record("spikes")
    variables = ["spikes", "v"]
    recordable = getattr(sim.IF_curr_exp, "recordable", [])
    pynn_isyn = "isyn_exc" in recordable and "isyn_inh" in recordable
    if pynn_isyn:
        variables += ["isyn_exc", "isyn_inh"]
    pop.record(variables)

    # pyNN.nest does not allow recording isyn_* for IF_curr_exp; as a
    # NEST-only supplement read I_syn_ex / I_syn_in directly from NEST.
    nest_mm = None
    if is_nest and not pynn_isyn:
        import nest
        nest_mm = nest.Create("multimeter", params={
            "record_from": ["I_syn_ex", "I_syn_in"], "interval": DT})
        nest.Connect(nest_mm, pop.node_collection)

    for duration in RUNS:
        sim.run(duration)

    seg = pop.get_data().segments[0]
    v, v_times, v_units = analogsignal(seg, "v")
    spike_times, spike_counts = flatten(spiketrains_by_index(seg, N))
    src_seg = src.get_data().segments[0]
    src_rec, src_rec_counts = flatten(spiketrains_by_index(src_seg, N_SRC))
    src_req, src_req_counts = flatten(SRC_TIMES)

    out = dict(
        sim_module=np.array(module_name),
        dt=DT, min_delay=MIN_DELAY, max_delay=MAX_DELAY,
        run_durations=np.array(RUNS),
        param_names=np.array(PARAM_NAMES),
        v_init=V_INIT,
        src_spike_times=src_req, src_spike_counts=src_req_counts,
        src_rec_spike_times=src_rec, src_rec_spike_counts=src_rec_counts,
        conn_exc=np.array(CONN_EXC, dtype=float),
        conn_inh=np.array(CONN_INH, dtype=float),
        spike_times=spike_times, spike_counts=spike_counts,
        v=v, v_times=v_times, v_units=np.array(v_units),
        isyn_recorded=np.array(False),
    )
    for i, name in enumerate(PARAM_NAMES):
        out["param_" + name] = PARAMS[:, i].copy()

    if pynn_isyn:
        ie, _, _ = analogsignal(seg, "isyn_exc")
        ii, _, _ = analogsignal(seg, "isyn_inh")
        out.update(isyn_recorded=np.array(True),
                   isyn_exc=ie.astype(np.float32),
                   isyn_inh=ii.astype(np.float32),
                   isyn_source=np.array("PyNN record('isyn_exc'/'isyn_inh')"))
    elif nest_mm is not None:
        ev = nest_mm.get("events")
        senders = np.asarray(ev["senders"])
        t = np.asarray(ev["times"])
        gids = list(pop.node_collection.tolist())
        m = len(v_times)
        ie = np.zeros((m, N))
        ii = np.zeros((m, N))
        steps = np.rint(t / DT).astype(int)   # NEST samples t = dt .. T
        for col, gid in enumerate(gids):
            sel = senders == gid
            ie[steps[sel], col] = np.asarray(ev["I_syn_ex"])[sel] * 1e-3
            ii[steps[sel], col] = np.asarray(ev["I_syn_in"])[sel] * 1e-3
        # row 0 (t = 0) is the initial value, 0 nA (NEST does not sample t=0)
        out.update(isyn_recorded=np.array(True),
                   isyn_exc=ie.astype(np.float32),
                   isyn_inh=ii.astype(np.float32),
                   isyn_source=np.array(
                       "NEST multimeter I_syn_ex/I_syn_in (pA -> nA); "
                       "row t=0 filled with the initial value 0"))

    sim.end()
    np.savez_compressed(out_path, **out)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
