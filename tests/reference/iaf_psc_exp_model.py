"""Small independent NumPy model of grid-based IF_curr_exp as NEST runs it.

Written from the conventions documented in README.md (exact integration on
the dt grid, NEST's update order).  make_nest_reference.py uses it to check
that the if_curr_exp_drive fixture is fully explained by those conventions
(agreement to ~1e-12 mV) and to report how close the fixture's neurons come
to threshold.  It needs only numpy; it can also be used by tests.

    from iaf_psc_exp_model import simulate_fixture
    res = simulate_fixture(np.load(".../if_curr_exp_drive_nest.npz"))
    res["v"], res["isyn_exc"], res["isyn_inh"], res["spikes"], ...
"""
import numpy as np


def _split(flat, counts):
    edges = np.concatenate([[0], np.cumsum(counts)])
    return [flat[edges[i]:edges[i + 1]] for i in range(len(counts))]


def simulate(params, v_init, src_times, conn_exc, conn_inh, dt, t_stop):
    """params: dict name -> (n,) array with PyNN IF_curr_exp names/units.
    src_times: list of arrays, source spike times as delivered (ms).
    conn_*: rows (source, target, weight nA, delay ms).
    Returns dict with v (m, n), isyn_exc, isyn_inh (m, n), spikes (list),
    overshoot (smallest V - V_th at a spike step, mV) and
    undershoot (n,) smallest V_th - V over non-refractory, non-spiking steps.
    """
    n = len(v_init)
    nsteps = int(round(t_stop / dt))
    # weight arriving in the step that ends at k*dt: source time + delay
    w_ex = np.zeros((nsteps + 1, n))
    w_in = np.zeros((nsteps + 1, n))
    for table, w in ((conn_exc, w_ex), (conn_inh, w_in)):
        for s, j, weight, delay in np.asarray(table, dtype=float):
            for ts in src_times[int(s)]:
                k = int(round((ts + delay) / dt))
                if k <= nsteps:
                    w[k, int(j)] += weight

    tau_m = np.asarray(params["tau_m"], float)
    cm = np.asarray(params["cm"], float)

    def p21(tau_s):
        tau_s = np.asarray(tau_s, float)
        same = np.isclose(tau_s, tau_m, rtol=0, atol=1e-12)
        denom = np.where(same, 1.0, tau_m - tau_s)
        regular = (tau_s * tau_m / (cm * denom)
                   * (np.exp(-dt / tau_m) - np.exp(-dt / tau_s)))
        singular = dt / cm * np.exp(-dt / tau_m)
        return np.where(same, singular, regular)

    p22 = np.exp(-dt / tau_m)
    p20 = tau_m / cm * (1.0 - p22)
    p11e = np.exp(-dt / np.asarray(params["tau_syn_E"], float))
    p11i = np.exp(-dt / np.asarray(params["tau_syn_I"], float))
    p21e = p21(params["tau_syn_E"])
    p21i = p21(params["tau_syn_I"])
    e_l = np.asarray(params["v_rest"], float)
    theta = np.asarray(params["v_thresh"], float) - e_l
    y_reset = np.asarray(params["v_reset"], float) - e_l
    i_e = np.asarray(params["i_offset"], float)
    ref_steps = np.rint(np.asarray(params["tau_refrac"], float) / dt)
    ref_steps = ref_steps.astype(int)

    y = np.asarray(v_init, float) - e_l
    ie = np.zeros(n)
    ii = np.zeros(n)
    r = np.zeros(n, dtype=int)
    v_out = [y + e_l]
    ie_out = [ie.copy()]
    ii_out = [ii.copy()]
    spikes = [[] for _ in range(n)]
    overshoot = np.inf
    undershoot = np.full(n, np.inf)
    for k in range(1, nsteps + 1):
        free = r == 0
        y = np.where(free, p22 * y + p21e * ie + p21i * ii + p20 * i_e, y)
        r = np.where(free, r, r - 1)
        ie = ie * p11e + w_ex[k]
        ii = ii * p11i + w_in[k]
        fire = y >= theta
        for i in np.flatnonzero(fire):
            spikes[i].append(k * dt)
            overshoot = min(overshoot, y[i] - theta[i])
        quiet = free & ~fire
        undershoot[quiet] = np.minimum(undershoot[quiet],
                                       theta[quiet] - y[quiet])
        r = np.where(fire, ref_steps, r)
        y = np.where(fire, y_reset, y)
        v_out.append(y + e_l)
        ie_out.append(ie.copy())
        ii_out.append(ii.copy())
    return dict(v=np.array(v_out), isyn_exc=np.array(ie_out),
                isyn_inh=np.array(ii_out),
                spikes=[np.array(s) for s in spikes],
                overshoot=overshoot, undershoot=undershoot)


def simulate_fixture(d):
    """Run the model on the inputs stored in an if_curr_exp_drive .npz."""
    names = [str(x) for x in d["param_names"]]
    params = {name: d["param_" + name] for name in names}
    src = _split(d["src_rec_spike_times"], d["src_rec_spike_counts"])
    return simulate(params, d["v_init"], src, d["conn_exc"], d["conn_inh"],
                    float(d["dt"]), float(np.sum(d["run_durations"])))
