"""Deterministic reference scenario for the adaptive-exponential and Izhikevich cells
(plain PyNN).

Usage:  python adex_izhikevich_drive.py <simulator module> <output.npz>
   e.g. python adex_izhikevich_drive.py pyNN.nest       out.npz
        python adex_izhikevich_drive.py spinnframe.pyNN out.npz

Three populations, five neurons each, every neuron with its own parameters:

  exp    EIF_cond_exp_isfa_ista    (NEST aeif_cond_exp)
  alpha  EIF_cond_alpha_isfa_ista  (NEST aeif_cond_alpha)
  izh    Izhikevich                (NEST izhikevich)

They are driven by five SpikeSourceArray sources (three excitatory, two inhibitory)
through FromListConnector projections with assorted delays, and by i_offset, which is
changed with Population.set() between run(120) and run(80) (a current step at 120 ms).
Initial values differ from the defaults. Two NEST-only corrections (see
tests/reference/README_adex_izhikevich.md) make pyNN.nest do what the script says:
initial w/gsyn are set again in NEST's units, and the run() split is shifted by
min_delay so that the set() acts at t = 120 ms. Everything that PyNN can record is recorded
(spikes, v, w, gsyn_exc, gsyn_inh for the AdEx cells; spikes, v, u for Izhikevich).

Saved keys (for each model prefix X in "exp", "alpha", "izh"; n = 5 neurons,
m = number of samples):
  sim_module, dt, min_delay, max_delay, run_durations
  models                      (3,) str, the prefixes; X_celltype: PyNN class name
  X_param_names               str array, the parameter names set per neuron
  X_param_<name>              (n,) value per neuron (first run)
  X_i_offset_2                (n,) i_offset set before the second run()
  X_init_names, X_init_<var>  initial values passed to initialize()
  X_conn_exc, X_conn_inh      (k, 4) rows (source, target, weight, delay)
                              weights: uS for the AdEx cells (both positive); for
                              Izhikevich "nA" as PyNN calls them, which pyNN.nest turns
                              into a jump of v in mV; inhibitory ones negative
  X_spike_times, X_spike_counts   output spikes flattened neuron by neuron
  X_<var>                     (m, n) recorded variable, PyNN units
                              (v mV, w nA, gsyn_* uS, u mV/ms)
  X_recorded                  str array, which variables were recorded
  times                       (m,) sample times (ms)
  src_spike_times, src_spike_counts            requested source spike times
  src_rec_spike_times, src_rec_spike_counts    as recorded by the simulator
"""
import importlib
import sys

import numpy as np

DT = 0.1
MIN_DELAY = 0.1
MAX_DELAY = 10.0
RUNS = (120.0, 80.0)

# Source spike times (ms), on the 0.1 ms grid, earliest 0.2 (0.1 is impossible with
# pyNN.nest and min_delay 0.1), avoiding 4.4 and 64.4-76.4 (pyNN.nest delivers those a
# step late; see tests/reference/README.md).
SRC_TIMES = [
    # 0: excitatory bursts, one spike exactly at the run boundary (120.0)
    [0.2, 1.0, 1.5, 2.0, 5.0, 5.1, 5.2, 5.3, 20.0, 20.1, 20.2, 40.0, 40.5, 41.0,
     90.0, 90.2, 90.4, 119.9, 120.0, 120.1, 150.0, 150.3, 150.6, 151.0, 180.0],
    # 1: excitatory regular train every 6.3 ms from 3.3
    list(np.round(np.arange(33, 2000, 63) * DT, 1)),
    # 2: inhibitory bursts
    [0.5, 10.0, 10.1, 10.2, 30.0, 30.3, 30.6, 100.0, 100.5, 101.0, 130.0, 130.1,
     160.0, 160.2, 160.4, 199.9],
    # 3: inhibitory, irregular
    [7.7, 33.3, 44.6, 55.5, 88.8, 99.9, 111.1, 144.4, 177.7, 188.8],
    # 4: excitatory, two single strong kicks
    [60.0, 150.0],
]
N_SRC = len(SRC_TIMES)

N = 5

# ---- EIF_cond_exp_isfa_ista -------------------------------------------------------------
ADEX_NAMES = ("cm", "tau_refrac", "v_spike", "v_reset", "v_rest", "tau_m", "i_offset",
              "a", "b", "delta_T", "tau_w", "v_thresh", "e_rev_E", "tau_syn_E",
              "e_rev_I", "tau_syn_I")

EXP_PARAMS = np.array([
    # cm    t_ref v_spk v_reset v_rest tau_m  i_off  a    b       dT   tau_w v_th  E_E  tsE  E_I  tsI
    [0.281, 0.1, -40.0, -70.6, -70.6, 9.3667, 0.0,  4.0, 0.0805, 2.0, 144.0, -50.4, 0.0, 5.0, -80.0, 5.0],   # 0 PyNN defaults, synaptic drive only
    [0.200, 2.0, -30.0, -58.0, -70.0, 10.0,  0.55, 2.0, 0.05,   2.0,  60.0, -50.0, 0.0, 2.0, -75.0, 8.0],   # 1 tonic with adaptation, bias step
    [0.150, 5.0, -35.0, -60.0, -65.0,  3.0,  0.0,  8.0, 0.02,   1.0,  20.0, -52.0, 10.0, 0.5, -85.0, 1.5],  # 2 small time constants
    [0.300, 1.0, -45.0, -65.0, -68.0, 15.0,  0.35, 1.0, 0.03,   0.0, 100.0, -55.0, 0.0, 3.0, -80.0, 4.0],   # 3 delta_T = 0 (LIF + adaptation)
    [0.100, 0.0, -30.0, -45.0, -66.0, 50.0,  0.02, 0.0, 0.01,   4.0, 500.0, -50.0, 0.0, 0.5, -70.0, 20.0],  # 4 tau_refrac 0, large tau_m/tau_w/tau_syn_I; bursts of several spikes per step
])
EXP_I2 = np.array([0.0, 0.9, 0.6, 0.2, 0.03])
EXP_INIT = dict(v=np.array([-65.0, -70.0, -60.0, -55.5, -66.0]),
                w=np.array([0.0, 0.1, 0.0, -0.05, 0.02]),
                gsyn_exc=np.array([0.0, 0.0, 0.01, 0.0, 0.0]),
                gsyn_inh=np.array([0.0, 0.0, 0.0, 0.0, 0.005]))
# (source, target, weight uS, delay ms); both receptors positive (conductances)
EXP_CONN_EXC = [(0, 0, 0.05, 0.1), (0, 0, 0.03, 2.5), (1, 0, 0.02, 1.0),
                (0, 1, 0.02, 0.5), (1, 1, 0.01, 0.1),
                (0, 2, 0.08, 1.0), (1, 2, 0.03, 5.0),
                (0, 3, 0.03, 0.1), (1, 3, 0.02, 9.9),
                (0, 4, 0.002, 2.5), (1, 4, 0.001, 0.5), (4, 4, 1.5, 1.0)]
EXP_CONN_INH = [(2, 0, 0.08, 0.1), (3, 0, 0.05, 1.0),
                (2, 1, 0.05, 2.5), (3, 1, 0.03, 0.1),
                (2, 2, 0.1, 0.5), (3, 3, 0.04, 5.0), (2, 4, 0.003, 1.0), (3, 4, 0.005, 9.9)]

# ---- EIF_cond_alpha_isfa_ista -----------------------------------------------------------
ALPHA_PARAMS = np.array([
    [0.281, 0.1, -40.0, -70.6, -70.6, 9.3667, 0.0,  4.0, 0.0805, 2.0, 144.0, -50.4, 0.0, 5.0, -80.0, 5.0],  # 0 PyNN defaults
    [0.250, 3.0, -25.0, -55.0, -68.0, 12.0,  0.6,  3.0, 0.06,   1.5,  80.0, -51.0, 0.0, 1.0, -78.0, 3.0],  # 1 tonic bursting-ish
    [0.100, 0.1, -38.0, -62.0, -64.0,  2.0,  0.0,  0.5, 0.01,   3.0,  10.0, -48.0, 5.0, 0.3, -82.0, 0.8],  # 2 very small time constants
    [0.400, 2.0, -42.0, -67.0, -67.0, 25.0, -0.1,  6.0, 0.0,    0.0, 200.0, -54.0, 0.0, 8.0, -90.0, 10.0], # 3 delta_T = 0, negative bias
    [0.350, 6.0, -10.0, -60.0, -70.0, 40.0,  0.5, -1.0, 0.1,    5.0, 400.0, -49.0, 0.0, 15.0, -75.0, 25.0],# 4 large time constants, a < 0
])
ALPHA_I2 = np.array([0.1, 0.3, 0.25, 0.7, 0.9])
ALPHA_INIT = dict(v=np.array([-60.0, -68.0, -64.0, -70.0, -50.0]),
                  w=np.array([0.0, 0.0, 0.02, 0.0, -0.1]),
                  gsyn_exc=np.array([0.0, 0.02, 0.0, 0.0, 0.0]),
                  gsyn_inh=np.array([0.0, 0.0, 0.0, 0.01, 0.0]))
ALPHA_CONN_EXC = [(0, 0, 0.04, 0.1), (0, 0, 0.02, 2.5), (1, 0, 0.015, 1.0),
                  (0, 1, 0.03, 0.5), (1, 1, 0.01, 0.1),
                  (0, 2, 0.2, 1.0), (1, 2, 0.1, 5.0),
                  (0, 3, 0.012, 0.1), (1, 3, 0.004, 9.9),
                  (0, 4, 0.01, 2.5), (1, 4, 0.01, 0.5)]
ALPHA_CONN_INH = [(2, 0, 0.06, 0.1), (3, 0, 0.04, 1.0),
                  (2, 1, 0.05, 2.5), (3, 1, 0.02, 0.1),
                  (2, 2, 0.3, 0.5), (3, 3, 0.03, 5.0), (2, 4, 0.02, 1.0), (3, 4, 0.03, 9.9)]

# ---- Izhikevich -------------------------------------------------------------------------
IZH_NAMES = ("a", "b", "c", "d", "i_offset")
# i_offset in nA: pyNN.nest passes 1000 * i_offset to NEST's I_e, which the model adds
# to dv/dt in mV/ms; 0.01 nA therefore means the "I = 10" of Izhikevich's papers.
IZH_PARAMS = np.array([
    # a     b     c      d    i_offset
    [0.02, 0.20, -65.0, 8.0, 0.0],     # 0 regular spiking, synaptic drive only
    [0.10, 0.20, -65.0, 2.0, 0.005],   # 1 fast spiking
    [0.02, 0.20, -50.0, 2.0, 0.010],   # 2 chattering
    [0.02, 0.20, -55.0, 4.0, 0.0],     # 3 intrinsically bursting, driven after the step
    [0.02, 0.25, -65.0, 2.0, -0.002],  # 4 low threshold, negative bias
])
IZH_I2 = np.array([0.0, 0.0, 0.004, 0.012, 0.003])
IZH_INIT = dict(v=np.array([-70.0, -65.0, -60.0, -75.0, -64.0]),
                u=np.array([-14.0, -13.0, -10.0, -15.0, -16.0]))
# weights: PyNN nA, a jump of v in mV with pyNN.nest; inhibitory ones negative
IZH_CONN_EXC = [(0, 0, 12.0, 0.1), (0, 0, 8.0, 2.5), (1, 0, 6.0, 1.0),
                (0, 1, 5.0, 0.5), (1, 1, 3.0, 0.1),
                (0, 2, 4.0, 1.0), (1, 2, 2.0, 5.0),
                (0, 3, 10.0, 0.1), (1, 3, 4.0, 9.9),
                (0, 4, 6.0, 2.5), (1, 4, 5.0, 0.5)]
IZH_CONN_INH = [(2, 0, -6.0, 0.1), (3, 0, -4.0, 1.0),
                (2, 1, -5.0, 2.5), (3, 1, -3.0, 0.1),
                (2, 2, -8.0, 0.5), (3, 3, -4.0, 5.0), (2, 4, -3.0, 1.0), (3, 4, -5.0, 9.9)]

MODELS = {
    # prefix: (cell type, parameter names, parameters, i_offset of run 2, initial values,
    #          exc connections, inh connections, variables)
    "exp": ("EIF_cond_exp_isfa_ista", ADEX_NAMES, EXP_PARAMS, EXP_I2, EXP_INIT,
            EXP_CONN_EXC, EXP_CONN_INH, ("v", "w", "gsyn_exc", "gsyn_inh")),
    "alpha": ("EIF_cond_alpha_isfa_ista", ADEX_NAMES, ALPHA_PARAMS, ALPHA_I2, ALPHA_INIT,
              ALPHA_CONN_EXC, ALPHA_CONN_INH, ("v", "w", "gsyn_exc", "gsyn_inh")),
    "izh": ("Izhikevich", IZH_NAMES, IZH_PARAMS, IZH_I2, IZH_INIT,
            IZH_CONN_EXC, IZH_CONN_INH, ("v", "u")),
}


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


# NEST's names and units (x 1000: nA -> pA, uS -> nS) of initial values that pyNN.nest
# passes to NEST without the unit conversion.
NEST_STATE = {"w": ("w", 1000.0), "gsyn_exc": ("g_ex", 1000.0),
              "gsyn_inh": ("g_in", 1000.0)}


def nest_set_initial_state(pop, init):
    """pyNN.nest only: PyNN 0.13's initialize() hands w, gsyn_exc and gsyn_inh to NEST
    unconverted (w = 0.1 nA becomes 0.1 pA in NEST, although the t = 0 sample shows
    0.1 nA). Set them again in NEST's units, directly, so that NEST starts from the state
    the script asks for."""
    import nest
    items = [(NEST_STATE[k], np.asarray(v, dtype=float)) for k, v in init.items()
             if k in NEST_STATE]
    if items:
        nest.SetStatus(pop.node_collection,
                       [{name: float(v[i] * scale) for (name, scale), v in items}
                        for i in range(len(pop))])


def main(module_name, out_path):
    sim = importlib.import_module(module_name)
    is_nest = module_name == "pyNN.nest"
    extra = {"spike_precision": "on_grid"} if is_nest else {}
    sim.setup(timestep=DT, min_delay=MIN_DELAY, max_delay=MAX_DELAY, **extra)

    src = sim.Population(N_SRC, sim.SpikeSourceArray(
        spike_times=[sim.Sequence(t) for t in SRC_TIMES]), label="sources")
    src.record("spikes")

    pops = {}
    for prefix, (celltype, names, params, _, init, c_exc, c_inh, variables) in \
            MODELS.items():
        cls = getattr(sim, celltype)
        pop = sim.Population(N, cls(**{n: params[:, i] for i, n in enumerate(names)}),
                             label=prefix)
        pop.initialize(**init)
        if is_nest:
            nest_set_initial_state(pop, init)
        sim.Projection(src, pop, sim.FromListConnector(c_exc), sim.StaticSynapse(),
                       receptor_type="excitatory")
        sim.Projection(src, pop, sim.FromListConnector(c_inh), sim.StaticSynapse(),
                       receptor_type="inhibitory")
        pop.record(["spikes"] + list(variables))
        pops[prefix] = pop

    # pyNN.nest keeps NEST one min_delay ahead of PyNN's clock (its first run() simulates
    # min_delay more), so a set() between run() calls reaches NEST one step late. For
    # pyNN.nest only, the first run is shortened and the second lengthened by min_delay,
    # which puts the i_offset step at exactly t = RUNS[0] as the script means it.
    shift = MIN_DELAY if is_nest else 0.0
    sim.run(RUNS[0] - shift)
    for prefix, (_, _, _, i2, *_rest) in MODELS.items():
        pops[prefix].set(i_offset=i2)
    sim.run(RUNS[1] + shift)

    out = dict(sim_module=np.array(module_name), dt=DT, min_delay=MIN_DELAY,
               max_delay=MAX_DELAY, run_durations=np.array(RUNS),
               models=np.array(list(MODELS)))
    times = None
    for prefix, (celltype, names, params, i2, init, c_exc, c_inh, variables) in \
            MODELS.items():
        seg = pops[prefix].get_data().segments[0]
        out[f"{prefix}_celltype"] = np.array(celltype)
        out[f"{prefix}_param_names"] = np.array(names)
        for i, n in enumerate(names):
            out[f"{prefix}_param_{n}"] = params[:, i].copy()
        out[f"{prefix}_i_offset_2"] = i2
        out[f"{prefix}_init_names"] = np.array(list(init))
        for k, v in init.items():
            out[f"{prefix}_init_{k}"] = v
        out[f"{prefix}_conn_exc"] = np.array(c_exc, dtype=float)
        out[f"{prefix}_conn_inh"] = np.array(c_inh, dtype=float)
        st, sc = flatten(spiketrains_by_index(seg, N))
        out[f"{prefix}_spike_times"] = st
        out[f"{prefix}_spike_counts"] = sc
        out[f"{prefix}_recorded"] = np.array(variables)
        for var in variables:
            data, t, units = analogsignal(seg, var)
            out[f"{prefix}_{var}"] = data
            out[f"{prefix}_{var}_units"] = np.array(units)
            times = t if times is None else times
    out["times"] = times

    src_seg = src.get_data().segments[0]
    out["src_rec_spike_times"], out["src_rec_spike_counts"] = flatten(
        spiketrains_by_index(src_seg, N_SRC))
    out["src_spike_times"], out["src_spike_counts"] = flatten(SRC_TIMES)
    sim.end()
    np.savez_compressed(out_path, **out)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
