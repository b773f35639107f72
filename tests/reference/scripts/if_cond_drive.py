"""Deterministic drive of the conductance-based IF models (plain PyNN).

Usage:  python if_cond_drive.py <simulator module> <out.npz>
        e.g. pyNN.nest (reference) or spinnframe.pyNN (under test)

Three populations, one per model (IF_cond_exp, IF_cond_alpha, IF_cond_exp_gsfa_grr), four
neurons each with different parameters, share four SpikeSourceArray sources (two
excitatory, two inhibitory; conductance weights in uS, positive for both receptors) at
delays from 0.1 to 9.9 ms. Initial v differs from v_rest. The neurons also get i_offset,
which is changed with Population.set() between run(120) and run(80), a step current.
Recorded: spikes and every state variable PyNN lists as recordable (v, gsyn_exc,
gsyn_inh, and g_r, g_s for IF_cond_exp_gsfa_grr), every time step.

When the module is exactly "pyNN.nest": setup(spike_precision="on_grid"), and, because
PyNN 0.13's pyNN.nest IF_cond_exp_gsfa_grr cannot even be instantiated (its
variable_map lacks PyNN's own state names g_r and g_s: KeyError 'g_r' in
Population.__init__), the script adds the missing entries g_r -> g_rr, g_s -> g_sfa
(scale 1: both PyNN and NEST use nS for these) before building the network; and the
split between the two runs is moved min_delay earlier (run(119.9) + run(80.1)), because
pyNN.nest keeps NEST's clock one min_delay ahead of PyNN's, so that the new i_offset acts
from t = 120 ms as with any other simulator (see README_if_cond.md). Nothing else differs
between simulators.

Output keys (n = 4 neurons per model, m = number of samples; <M> is the model name):
  sim_module, dt, min_delay, max_delay, run_durations (2,)
  models                      (3,) model names
  src_spike_times, src_spike_counts       requested source spikes (flat, source by source)
  src_rec_spike_times, src_rec_spike_counts   source spikes as recorded
  <M>_param_names             parameter names (PyNN's, in the order of the columns)
  <M>_params                  (n, k) parameter values per neuron, first run
  <M>_i_offset_2              (n,) i_offset during the second run
  <M>_v_init                  (n,) initial v
  <M>_conn_exc, <M>_conn_inh  (rows, 4) (source, target, weight uS, delay ms)
  <M>_spike_times, <M>_spike_counts   output spikes, flat neuron by neuron
  <M>_variables               names of the recorded analog variables
  <M>_<var>                   (m, n) samples; v as float64 (mV), conductances as float32
                              (gsyn_* in uS, g_r/g_s in nS) to keep the fixture small
  <M>_<var>_units             units reported by get_data()
  v_times                     (m,) sample times (ms)
"""
import importlib
import sys

import numpy as np

DT = 0.1
MIN_DELAY = 0.1
MAX_DELAY = 10.0
RUNS = (120.0, 80.0)

LIF = ("v_rest", "cm", "tau_m", "tau_refrac", "tau_syn_E", "tau_syn_I", "e_rev_E",
       "e_rev_I", "v_thresh", "v_reset", "i_offset")
SFA_RR = ("tau_sfa", "e_rev_sfa", "q_sfa", "tau_rr", "e_rev_rr", "q_rr")

MODELS = {
    "IF_cond_exp": dict(
        names=LIF,
        params=[
            # v_rest  cm   tau_m t_ref tsE  tsI  eE   eI    v_th  v_reset i_off
            [-65.0, 1.00, 20.0, 0.1, 5.0, 5.0, 0.0, -70.0, -50.0, -65.0, 0.0],   # PyNN defaults
            [-60.0, 0.25, 5.0, 2.0, 0.2, 0.5, 0.0, -80.0, -52.0, -70.0, 0.3],    # small taus
            [-72.0, 2.00, 80.0, 5.0, 20.0, 40.0, 0.0, -85.0, -55.0, -70.0, 0.0],  # large taus
            [-65.0, 1.00, 20.0, 1.0, 3.0, 6.0, 10.0, -75.0, -50.0, -68.0, 1.2],  # fires alone
        ],
        i_offset_2=[0.2, 0.45, -0.1, 0.7],
        v_init=[-58.0, -70.0, -62.0, -65.0],
        exc=[(0, 0, 0.02, 0.1), (0, 0, 0.01, 2.5), (1, 0, 0.015, 1.0),
             (0, 1, 0.004, 1.0), (1, 1, 0.006, 0.1),
             (0, 2, 0.03, 5.0), (1, 2, 0.02, 9.9),
             (0, 3, 0.01, 0.4), (1, 3, 0.01, 2.5)],
        inh=[(2, 0, 0.03, 0.1), (3, 0, 0.02, 2.5),
             (2, 1, 0.01, 1.0), (3, 1, 0.02, 0.1),
             (2, 2, 0.02, 2.5), (3, 2, 0.05, 1.0),
             (2, 3, 0.05, 0.1), (3, 3, 0.03, 5.0)],
    ),
    "IF_cond_alpha": dict(
        names=LIF,
        params=[
            [-65.0, 1.00, 20.0, 0.1, 0.3, 0.5, 0.0, -70.0, -50.0, -65.0, 0.0],   # PyNN defaults
            [-62.0, 0.50, 10.0, 3.0, 2.0, 6.0, 0.0, -75.0, -50.0, -68.0, 0.2],
            [-68.0, 1.50, 50.0, 5.0, 10.0, 25.0, 0.0, -90.0, -52.0, -70.0, 0.0],  # large taus
            [-65.0, 0.30, 8.0, 0.1, 1.0, 3.0, 5.0, -65.0, -54.0, -60.0, 0.5],    # fires fast
        ],
        i_offset_2=[0.5, 0.8, 0.2, 0.3],
        v_init=[-60.0, -68.0, -75.0, -56.0],
        exc=[(0, 0, 0.05, 0.1), (0, 0, 0.03, 2.5), (1, 0, 0.04, 1.0),
             (0, 1, 0.01, 0.7), (1, 1, 0.008, 0.1),
             (0, 2, 0.01, 5.0), (1, 2, 0.008, 9.9),
             (0, 3, 0.01, 0.4), (1, 3, 0.005, 2.5)],
        inh=[(2, 0, 0.05, 0.1), (3, 0, 0.04, 2.5),
             (2, 1, 0.02, 1.0), (3, 1, 0.01, 0.1),
             (2, 2, 0.01, 2.5), (3, 2, 0.02, 1.0),
             (2, 3, 0.03, 0.1), (3, 3, 0.02, 5.0)],
    ),
    "IF_cond_exp_gsfa_grr": dict(
        names=LIF + SFA_RR,
        params=[
            # LIF part ...                                                       tau_sfa e_sfa q_sfa tau_rr e_rr q_rr
            [-65.0, 1.00, 20.0, 0.1, 5.0, 5.0, 0.0, -70.0, -50.0, -65.0, 1.2,
             100.0, -75.0, 15.0, 2.0, -75.0, 3000.0],                             # PyNN defaults
            [-65.0, 0.50, 15.0, 0.0, 2.0, 4.0, 0.0, -75.0, -52.0, -66.0, 1.0,
             30.0, -80.0, 5.0, 0.5, -70.0, 500.0],                                # tau_refrac 0
            [-70.0, 1.50, 60.0, 5.0, 15.0, 30.0, 0.0, -80.0, -54.0, -72.0, 0.0,
             300.0, -75.0, 30.0, 10.0, -75.0, 1000.0],                            # large taus
            [-70.0, 0.2895, 10.0, 0.5, 1.5, 10.0, 0.0, -75.0, -57.0, -70.0, 0.45,
             110.0, -70.0, 14.48, 1.97, -70.0, 3214.0],                           # NEST defaults
        ],
        i_offset_2=[0.6, 1.6, 0.4, 0.2],
        v_init=[-60.0, -55.0, -66.0, -72.0],
        exc=[(0, 0, 0.02, 0.1), (1, 0, 0.01, 1.0),
             (0, 1, 0.01, 2.5), (1, 1, 0.01, 0.1),
             (0, 2, 0.03, 1.0), (0, 2, 0.02, 5.0), (1, 2, 0.03, 9.9),
             (0, 3, 0.01, 0.4), (1, 3, 0.008, 2.5)],
        inh=[(2, 0, 0.03, 0.1), (3, 0, 0.02, 2.5),
             (2, 1, 0.02, 1.0), (3, 1, 0.01, 0.1),
             (2, 2, 0.02, 2.5), (3, 2, 0.04, 1.0),
             (2, 3, 0.02, 0.1), (3, 3, 0.01, 5.0)],
    ),
}

# Source spike times (ms), all on the 0.1 ms grid, from 0.2 (the earliest pyNN.nest can
# deliver with min_delay 0.1) and avoiding the times pyNN.nest delivers one step late
# (4.4 and 64.4 ... 76.4 every 0.5; see README.md).
SRC_TIMES = [
    # 0: excitatory, bursts, and spikes across the boundary between the runs (120)
    [0.2, 1.0, 1.5, 2.0, 2.5, 3.0, 5.0, 5.1, 5.2, 5.3, 20.0, 20.1, 40.0, 40.5, 41.0,
     41.5, 42.0, 80.0, 81.0, 82.0, 119.9, 120.0, 120.1, 150.0, 150.2, 150.4, 150.6,
     150.8, 151.0, 180.0, 199.9],
    # 1: excitatory, regular every 7 ms from 10.3
    list(np.round(np.arange(103, 2000, 70) * DT, 1)),
    # 2: inhibitory bursts
    [0.5, 15.0, 15.1, 15.2, 60.0, 60.3, 60.6, 61.0, 100.0, 100.5, 101.0, 101.5, 102.0,
     130.0, 130.1, 165.0, 165.2, 165.4],
    # 3: inhibitory, irregular
    [7.7, 33.3, 44.4, 77.7, 88.8, 99.9, 111.1, 144.4, 177.7, 188.8, 199.9],
]
N_SRC = len(SRC_TIMES)


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


def _patch_pynn_nest_gsfa_grr():
    """pyNN.nest 0.13 maps g_rr/g_sfa but PyNN's IF_cond_exp_gsfa_grr names them g_r/g_s."""
    from pyNN.nest.standardmodels.cells import IF_cond_exp_gsfa_grr as cls
    cls.variable_map = {**cls.variable_map, "g_r": "g_rr", "g_s": "g_sfa"}
    cls.scale_factors = {**cls.scale_factors, "g_r": 1.0, "g_s": 1.0}


def main(module_name, out_path):
    sim = importlib.import_module(module_name)
    is_nest = module_name == "pyNN.nest"
    if is_nest:
        _patch_pynn_nest_gsfa_grr()
    extra = {"spike_precision": "on_grid"} if is_nest else {}
    sim.setup(timestep=DT, min_delay=MIN_DELAY, max_delay=MAX_DELAY, **extra)

    src = sim.Population(N_SRC, sim.SpikeSourceArray(
        spike_times=[sim.Sequence(t) for t in SRC_TIMES]), label="sources")
    src.record("spikes")

    pops = {}
    for model, cfg in MODELS.items():
        params = np.array(cfg["params"], dtype=float)
        celltype = getattr(sim, model)(
            **{name: params[:, i] for i, name in enumerate(cfg["names"])})
        pop = sim.Population(len(params), celltype, label=model)
        pop.initialize(v=np.array(cfg["v_init"], dtype=float))
        sim.Projection(src, pop, sim.FromListConnector(cfg["exc"]), sim.StaticSynapse(),
                       receptor_type="excitatory")
        sim.Projection(src, pop, sim.FromListConnector(cfg["inh"]), sim.StaticSynapse(),
                       receptor_type="inhibitory")
        variables = [v for v in getattr(sim, model).recordable if v != "spikes"]
        pop.record(["spikes"] + variables)
        pops[model] = (pop, variables)

    # pyNN.nest keeps NEST one min_delay ahead of PyNN's clock (its first run() simulates
    # min_delay more), so a parameter set between two runs would take effect min_delay
    # late. Splitting the NEST runs min_delay earlier makes the new i_offset act from
    # t = RUNS[0] exactly, as the protocol means and as other simulators do it.
    shift = MIN_DELAY if is_nest else 0.0
    sim.run(RUNS[0] - shift)
    for model, (pop, _) in pops.items():   # a step in the injected current
        pop.set(i_offset=np.array(MODELS[model]["i_offset_2"], dtype=float))
    sim.run(RUNS[1] + shift)

    src_seg = src.get_data().segments[0]
    src_rec, src_rec_counts = flatten(spiketrains_by_index(src_seg, N_SRC))
    src_req, src_req_counts = flatten(SRC_TIMES)
    out = dict(
        sim_module=np.array(module_name),
        dt=DT, min_delay=MIN_DELAY, max_delay=MAX_DELAY,
        run_durations=np.array(RUNS),
        models=np.array(list(MODELS)),
        src_spike_times=src_req, src_spike_counts=src_req_counts,
        src_rec_spike_times=src_rec, src_rec_spike_counts=src_rec_counts,
    )
    for model, (pop, variables) in pops.items():
        cfg = MODELS[model]
        n = len(cfg["params"])
        seg = pop.get_data().segments[0]
        spike_times, spike_counts = flatten(spiketrains_by_index(seg, n))
        out.update({
            f"{model}_param_names": np.array(cfg["names"]),
            f"{model}_params": np.array(cfg["params"], dtype=float),
            f"{model}_i_offset_2": np.array(cfg["i_offset_2"], dtype=float),
            f"{model}_v_init": np.array(cfg["v_init"], dtype=float),
            f"{model}_conn_exc": np.array(cfg["exc"], dtype=float),
            f"{model}_conn_inh": np.array(cfg["inh"], dtype=float),
            f"{model}_spike_times": spike_times,
            f"{model}_spike_counts": spike_counts,
            f"{model}_variables": np.array(variables),
        })
        for var in variables:
            data, times, units = analogsignal(seg, var)
            out[f"{model}_{var}"] = data if var == "v" else data.astype(np.float32)
            out[f"{model}_{var}_units"] = np.array(units)
            out["v_times"] = times
    sim.end()
    np.savez_compressed(out_path, **out)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
