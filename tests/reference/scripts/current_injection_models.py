"""Current sources injected into every cell type that has a NEST counterpart (plain PyNN).

Usage:  python current_injection_models.py <simulator module> <output.npz>
   e.g. python current_injection_models.py pyNN.nest       out.npz
        python current_injection_models.py spinnframe.pyNN out.npz

Eleven populations of two neurons, one per cell type (IF_curr_exp, IF_curr_alpha,
IF_curr_delta, IF_cond_exp, IF_cond_alpha, IF_cond_exp_gsfa_grr, EIF_cond_exp_isfa_ista,
EIF_cond_alpha_isfa_ista, Izhikevich, HH_cond_exp, GIF_cond_exp). The two neurons of a
population have different parameters. There is no synaptic input. Each population
receives

* its own StepCurrentSource, STEP_TIMES with SCALE * STEP_PATTERN nA (sub-threshold,
  supra-threshold, a negative step, a strong step, a zero step; one step time off the
  grid: 160.47 ms rounds to 160.5);
* its own DCSource, SCALE * DC_PATTERN nA from DC_START to DC_STOP, on top of the steps;
* neuron 1 also has a constant i_offset = I_OFFSET_1 * SCALE (NEST's I_e, added to the
  injected current in the same expression), neuron 0 none.

SCALE is the model's current scale (about the rheobase of neuron 0). For Izhikevich it is
0.005 nA: pyNN.nest gives NEST 1000 * amplitude pA, which NEST's izhikevich adds to dv/dt
as mV/ms, so 0.005 nA is Izhikevich's "I = 5" (the same scaling as i_offset; see
README_adex_izhikevich.md, quirk 9). The net current is therefore, in units of SCALE:
0 until 10 ms, 0.5, 1.6 (from 40), 1.9 (DC on at 55), -0.7 (70.3), 0.7 (100), 2.8 (130),
2.5 (DC off at 145), 0 (160.5), 1.3 (185 ms to the end), plus 0.15 for neuron 1.

One run(200): no set() between runs (pyNN.nest acts one step late on those), no current
in the very first step and no half-step ties (see current_sources_drive.py). 2001 samples
of v per neuron, every step, and the spikes.

NEST-only workarounds (module name exactly "pyNN.nest"; see README_current_injection.md):
setup(spike_precision="on_grid"); IF_cond_exp_gsfa_grr's missing g_r/g_s variable_map
entries are added; IF_curr_delta's V_m is set and recorded through NEST directly (pyNN.nest
0.13 has no v mapping for it); GIF's initial v_t only labels row 0 (NEST cannot set it).

Saved keys (M = model name, n = 2 neurons, m = 2001 samples):
  sim_module, dt, min_delay, max_delay, duration, models (names, in order)
  times                     (m,) sample times, ms
  step_times, step_pattern, dc_pattern, dc_start, dc_stop
  M_scale                   float, nA
  M_param_names             str array; M_param_<name> (n,) per-neuron values, i_offset
                            included (GIF array parameters: (n, 3), padded with NaN)
  M_v_init                  (n,) initial v
  M_v                       (m, n) float64, mV
  M_spike_times, M_spike_counts   flat neuron by neuron, ms
  GIF_cond_exp_v_t          (m, n) float32, mV (to check that the spikes are deterministic)
  i_step, i_dc              (m,) recorded currents of IF_curr_exp's two sources, nA
"""
import importlib
import sys

import numpy as np

DT = 0.1
MIN_DELAY = 0.1
MAX_DELAY = 5.0
DURATION = 200.0

STEP_TIMES = [10.0, 40.0, 70.3, 100.0, 130.0, 160.47, 185.0]
STEP_PATTERN = [0.5, 1.6, -1.0, 0.4, 2.5, 0.0, 1.3]
DC_PATTERN = 0.3
DC_START, DC_STOP = 55.0, 145.0
I_OFFSET_1 = 0.15    # neuron 1 also has i_offset = I_OFFSET_1 * SCALE (NEST's I_e)

_IF_CURR = dict(tau_m=[20.0, 10.0], cm=[1.0, 0.5], v_rest=[-65.0, -65.0],
                v_reset=[-70.0, -68.0], v_thresh=[-50.0, -54.0], tau_refrac=[2.0, 0.1])
_IF_COND = dict(_IF_CURR, e_rev_E=[0.0, 0.0], e_rev_I=[-70.0, -80.0])
_EIF = dict(cm=[0.281, 0.2], tau_refrac=[0.1, 2.0], v_spike=[-40.0, -35.0],
            v_reset=[-70.6, -60.0], v_rest=[-70.6, -68.0], tau_m=[9.3667, 15.0],
            a=[4.0, 2.0], b=[0.0805, 0.05], delta_T=[2.0, 1.0], tau_w=[144.0, 50.0],
            v_thresh=[-50.4, -52.0])

# model: (current scale nA, parameters per neuron, initial v)
MODELS = {
    "IF_curr_exp": (1.0, dict(_IF_CURR, tau_syn_E=[5.0, 2.0], tau_syn_I=[5.0, 8.0]),
                    [-65.0, -60.0]),
    "IF_curr_alpha": (1.0, dict(_IF_CURR, tau_m=[15.0, 12.0], cm=[0.8, 0.5],
                                tau_syn_E=[0.5, 2.0], tau_syn_I=[0.5, 8.0]),
                      [-62.0, -60.0]),
    "IF_curr_delta": (1.0, dict(_IF_CURR, tau_m=[25.0, 10.0], cm=[1.2, 0.5],
                                tau_refrac=[2.0, 0.0]),
                      [-66.0, -60.0]),
    "IF_cond_exp": (1.0, dict(_IF_COND, tau_m=[18.0, 8.0], cm=[0.9, 0.4],
                              tau_syn_E=[5.0, 2.0], tau_syn_I=[5.0, 8.0]),
                    [-65.0, -60.0]),
    "IF_cond_alpha": (1.0, dict(_IF_COND, tau_m=[30.0, 10.0], cm=[1.5, 0.5],
                                v_thresh=[-50.5, -54.0], v_reset=[-66.0, -68.0],
                                tau_refrac=[5.0, 0.1], tau_syn_E=[0.3, 2.0],
                                tau_syn_I=[0.5, 8.0]),
                      [-64.0, -60.0]),
    "IF_cond_exp_gsfa_grr": (0.7, dict(
        tau_m=[20.0, 10.0], cm=[1.0, 0.5], v_rest=[-65.0, -65.0], v_reset=[-70.0, -68.0],
        v_thresh=[-57.0, -54.0], tau_refrac=[0.1, 0.0], tau_syn_E=[5.0, 5.0],
        tau_syn_I=[5.0, 5.0], e_rev_E=[0.0, 0.0], e_rev_I=[-70.0, -70.0],
        tau_sfa=[100.0, 50.0], e_rev_sfa=[-75.0, -80.0], q_sfa=[15.0, 30.0],
        tau_rr=[2.0, 1.0], e_rev_rr=[-75.0, -80.0], q_rr=[3000.0, 500.0]),
        [-65.0, -62.0]),
    "EIF_cond_exp_isfa_ista": (0.8, dict(_EIF, tau_syn_E=[5.0, 2.0], tau_syn_I=[5.0, 8.0],
                                         e_rev_E=[0.0, 0.0], e_rev_I=[-80.0, -80.0]),
                               [-70.6, -65.0]),
    "EIF_cond_alpha_isfa_ista": (0.8, dict(_EIF, tau_syn_E=[5.0, 2.0], tau_syn_I=[5.0, 8.0],
                                           e_rev_E=[0.0, 0.0], e_rev_I=[-80.0, -80.0]),
                                 [-70.6, -65.0]),
    # regular spiking and fast spiking (Izhikevich 2003)
    "Izhikevich": (0.005, dict(a=[0.02, 0.1], b=[0.2, 0.2], c=[-65.0, -65.0], d=[8.0, 2.0]),
                   [-70.0, -65.0]),
    "HH_cond_exp": (0.3, dict(gbar_Na=[20.0, 25.0], gbar_K=[6.0, 7.0], g_leak=[0.01, 0.02],
                               cm=[0.2, 0.3], v_offset=[-63.0, -60.0],
                               e_rev_leak=[-65.0, -63.0]),
                    [-65.0, -62.0]),
    # neuron 0: lambda0 = 0 (never fires); neuron 1: hard threshold (delta_v = 1e-5 mV,
    # lambda0 = 1000 /s), deterministic (as in hh_gif_drive.py)
    "GIF_cond_exp": (1.0, dict(v_rest=[-65.0, -65.0], cm=[1.0, 1.0], tau_m=[20.0, 20.0],
                               tau_refrac=[4.0, 2.0], v_reset=[-65.0, -68.0],
                               delta_v=[0.5, 1e-5], v_t_star=[-48.0, -50.0],
                               lambda0=[0.0, 1000.0],
                               tau_eta=[[1.0, 10.0, 100.0], [2.0, 20.0]],
                               a_eta=[[1.0, 1.0, 1.0], [0.1, 0.05]],
                               tau_gamma=[[1.0, 10.0, 100.0], [5.0, 50.0]],
                               a_gamma=[[1.0, 1.0, 1.0], [0.5, 2.0]]),
                     [-65.0, -60.0]),
}
for _scale, _params, _ in MODELS.values():
    _params["i_offset"] = [0.0, I_OFFSET_1 * _scale]
GIF_ARRAY_NAMES = ("tau_eta", "a_eta", "tau_gamma", "a_gamma")


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
    """V_m from a NEST multimeter, laid out like get_data(): rows t = 0 .. T. NEST does
    not sample t = 0; row 0 is the initial value, as PyNN does."""
    ev = mm.get("events")
    senders = np.asarray(ev["senders"])
    steps = np.rint(np.asarray(ev["times"]) / DT).astype(int)
    v = np.full((n_steps + 1, pop.size), np.nan)
    v[0] = v_init
    for col, gid in enumerate(pop.node_collection.tolist()):
        sel = (senders == gid) & (steps <= n_steps)
        v[steps[sel], col] = np.asarray(ev["V_m"])[sel]
    assert np.isfinite(v).all()
    return v


def _patch_pynn_nest_gsfa_grr():
    """pyNN.nest 0.13 maps g_rr/g_sfa but PyNN's IF_cond_exp_gsfa_grr names them g_r/g_s
    (README_if_cond.md, quirk 1); both use nS."""
    from pyNN.nest.standardmodels.cells import IF_cond_exp_gsfa_grr as cls
    if "g_r" not in cls.variable_map:
        cls.variable_map = {**cls.variable_map, "g_r": "g_rr", "g_s": "g_sfa"}
        cls.scale_factors = {**cls.scale_factors, "g_r": 1.0, "g_s": 1.0}


def cell_parameters(model, params):
    out = {}
    for name, value in params.items():
        if model == "GIF_cond_exp" and name in GIF_ARRAY_NAMES:
            out[name] = [list(a) for a in value]
        else:
            out[name] = np.asarray(value, dtype=float)
    return out


def main(module_name, out_path):
    sim = importlib.import_module(module_name)
    is_nest = module_name == "pyNN.nest"
    if is_nest:
        _patch_pynn_nest_gsfa_grr()
    extra = {"spike_precision": "on_grid"} if is_nest else {}
    sim.setup(timestep=DT, min_delay=MIN_DELAY, max_delay=MAX_DELAY, **extra)
    n_steps = int(round(DURATION / DT))

    pops, sources, meters = {}, {}, {}
    for model, (scale, params, v_init) in MODELS.items():
        pop = sim.Population(2, getattr(sim, model)(**cell_parameters(model, params)),
                             label=model)
        init = {"v": np.asarray(v_init, dtype=float)}
        if model == "Izhikevich":
            init["u"] = np.asarray(params["b"]) * init["v"]
        if model == "GIF_cond_exp":
            # NEST cannot set v_t (E_sfa), it starts at v_t_star; this only makes row 0
            # of the recording show it (spinnframe's initial v_t is v_t_star anyway)
            init["v_t"] = np.asarray(params["v_t_star"], dtype=float)
        pop.initialize(**init)
        step = sim.StepCurrentSource(times=STEP_TIMES,
                                     amplitudes=[scale * a for a in STEP_PATTERN])
        dc = sim.DCSource(amplitude=scale * DC_PATTERN, start=DC_START, stop=DC_STOP)
        step.inject_into(pop)
        dc.inject_into(pop)
        if model == "IF_curr_exp":
            step.record()
            dc.record()
        variables = ["spikes", "v"] + (["v_t"] if model == "GIF_cond_exp" else [])
        if is_nest and model == "IF_curr_delta":
            # pyNN.nest 0.13's IF_curr_delta has no variable_map: initialize(v=...) is
            # ignored and record("v") fails (README_if_curr.md). Set and record V_m in NEST.
            import nest
            pop.node_collection.set(V_m=init["v"])
            meters[model] = nest.Create("multimeter",
                                        params={"record_from": ["V_m"], "interval": DT})
            nest.Connect(meters[model], pop.node_collection)
            variables.remove("v")
        pop.record(variables)
        pops[model] = pop
        sources[model] = (step, dc)

    sim.run(DURATION)

    out = dict(sim_module=np.array(module_name), dt=DT, min_delay=MIN_DELAY,
               max_delay=MAX_DELAY, duration=DURATION, models=np.array(list(MODELS)),
               step_times=np.array(STEP_TIMES), step_pattern=np.array(STEP_PATTERN),
               dc_pattern=DC_PATTERN, dc_start=DC_START, dc_stop=DC_STOP)
    for model, (scale, params, v_init) in MODELS.items():
        seg = pops[model].get_data().segments[0]
        if model in meters:
            v = multimeter_v(meters[model], pops[model], v_init, n_steps)
        else:
            v, times = analogsignal(seg, "v")
            out["times"] = times
        out[f"{model}_v"] = v
        out[f"{model}_scale"] = scale
        out[f"{model}_v_init"] = np.asarray(v_init, dtype=float)
        out[f"{model}_param_names"] = np.array(list(params))
        for name, value in params.items():
            out[f"{model}_param_{name}"] = (np.array(value, dtype=float)
                                            if name not in GIF_ARRAY_NAMES else
                                            np.array([np.pad(a, (0, 3 - len(a)),
                                                             constant_values=np.nan)
                                                      for a in value]))
        out[f"{model}_spike_times"], out[f"{model}_spike_counts"] = flatten(
            spiketrains_by_index(seg, 2))
        if model == "GIF_cond_exp":
            out[f"{model}_v_t"] = analogsignal(seg, "v_t")[0].astype(np.float32)
    step, dc = sources["IF_curr_exp"]
    out["i_step"] = np.asarray(step.get_data(), dtype=float).ravel()
    out["i_dc"] = np.asarray(dc.get_data(), dtype=float).ravel()
    sim.end()
    np.savez_compressed(out_path, **out)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
