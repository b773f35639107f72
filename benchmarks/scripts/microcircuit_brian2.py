"""Potjans & Diesmann (2014) microcircuit with DC background in Brian2 -- the same model as
shared/bench/microcircuit.py (plain PyNN) and shared/bench/native/microcircuit_nest.py.

Usage: python microcircuit_brian2.py [SCALE] [SIM_MS] [THREADS]
Env B2_MODE=cpp_standalone (default) or cython (runtime mode, single-threaded; THREADS ignored).
Env B2_DIR: standalone project directory / cython cache dir (default: a fresh one under /tmp,
i.e. a cold compile every time). Prints one JSON line with the fields of
shared/bench/native/va_cuba_brian2.py (define_s, py_s, codegen_s, compile_s, setup_s, run_s,
build_s = all wall time but run_s) plus scale, spikes, synapses and per-population rates.

The connectivity (FixedTotalNumber with multapses and autapses, normal_clipped weights and
delays) is drawn in numpy and handed to Brian2 as arrays, so the random numbers differ from
PyNN's and NEST's; the statistics are the same. All excitatory synapses live in one Synapses
object and all inhibitory ones in another (global neuron indices), which keeps the generated
code -- and so the compile time -- independent of the number of projections.
"""
import json, math, os, sys, tempfile, time
import numpy as np
import brian2 as b2
from brian2 import ms, mV, pA, pF

scale = float(sys.argv[1]) if len(sys.argv) > 1 else 0.1
tstop = float(sys.argv[2]) if len(sys.argv) > 2 else 1000.0
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 1
mode = os.environ.get("B2_MODE", "cpp_standalone")
workdir = os.environ.get("B2_DIR") or tempfile.mkdtemp(prefix="b2_mc_", dir="/tmp")

names = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]
full_n = [20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948]
conn_probs = np.array([
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443]])
k_ext = [1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100]
bg_rate = 8.0          # Hz
w_mean = 87.81         # pA (0.15 mV PSP); microcircuit.py uses 87.81e-3 nA
tau_syn_ms = 0.5       # ms


def clipped_normal(rng, mean, std, lo, hi, size):
    """PyNN's normal_clipped / NEST's redraw: resample until inside [lo, hi]."""
    x = rng.normal(mean, std, size)
    bad = (x < lo) | (x > hi)
    while bad.any():
        x[bad] = rng.normal(mean, std, int(bad.sum()))
        bad = (x < lo) | (x > hi)
    return x


t0 = time.perf_counter()                      # like microcircuit.py: clock starts after the import
if mode == "cpp_standalone":
    b2.set_device("cpp_standalone", directory=workdir, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = threads if threads > 1 else 0
else:
    b2.prefs.codegen.target = "cython"
    b2.prefs.codegen.runtime.cython.cache_dir = workdir
    threads = 1
b2.defaultclock.dt = 0.1 * ms
b2.seed(4242)
rng = np.random.default_rng(4242)
sizes = [max(1, int(round(nf * scale))) for nf in full_n]
offsets = np.concatenate([[0], np.cumsum(sizes)])
n_total = int(offsets[-1])
i_dc = np.concatenate([np.full(n, bg_rate * k * w_mean * tau_syn_ms * 1e-3)   # pA
                       for n, k in zip(sizes, k_ext)])
ns = dict(C_m=250 * pF, tau_m=10 * ms, E_L=-65 * mV, V_th=-50 * mV, V_reset=-65 * mV,
          tau_syn=tau_syn_ms * ms)
# IF_curr_exp / iaf_psc_exp: exponential current synapses, v clamped while refractory
eqs = """
dv/dt = (E_L - v)/tau_m + (I_e + I_i + I_dc)/C_m : volt (unless refractory)
dI_e/dt = -I_e/tau_syn : amp
dI_i/dt = -I_i/tau_syn : amp
I_dc : amp (constant)
"""
P = b2.NeuronGroup(n_total, eqs, threshold="v >= V_th", reset="v = V_reset",
                   refractory=2 * ms, method="exact", namespace=ns)
P.I_dc = i_dc * pA
P.v = rng.normal(-58.0, 10.0, n_total) * mV
pre = {True: [], False: []}
post = {True: [], False: []}
wts = {True: [], False: []}
dls = {True: [], False: []}
n_syn = 0
for ti in range(8):
    for si in range(8):
        prob = conn_probs[ti, si]
        if prob <= 0:
            continue
        nf_pre, nf_post = full_n[si], full_n[ti]
        k_full = math.log(1.0 - prob) / math.log(1.0 - 1.0 / (nf_pre * nf_post))
        k = int(round(k_full * scale))
        if k <= 0:
            continue
        exc = names[si].endswith("E")
        w_pa = w_mean * (2.0 if (si == 2 and ti == 0) else 1.0) * (1.0 if exc else -4.0)
        d_mean = 1.5 if exc else 0.75
        # FixedTotalNumberConnector(k) defaults: self-connections and multapses allowed
        pre[exc].append((offsets[si] + rng.integers(0, sizes[si], k)).astype(np.int32))
        post[exc].append((offsets[ti] + rng.integers(0, sizes[ti], k)).astype(np.int32))
        wts[exc].append(clipped_normal(rng, w_pa, abs(w_pa) * 0.1, 0.0 if exc else -np.inf,
                                       np.inf if exc else 0.0, k))
        dls[exc].append(clipped_normal(rng, d_mean, d_mean * 0.5, 0.1, np.inf, k))
        n_syn += k
# Brian2's magic run() only simulates objects bound to a name in this scope (not ones kept in a
# list), hence the two named Synapses objects.
S_exc = S_inh = None
for exc, target in ((True, "I_e"), (False, "I_i")):
    if not pre[exc]:
        continue
    S = b2.Synapses(P, P, "w : amp (constant)", on_pre=f"{target}_post += w", namespace=ns,
                    name="syn_exc" if exc else "syn_inh")
    S.connect(i=np.concatenate(pre[exc]), j=np.concatenate(post[exc]))
    S.w = np.concatenate(wts[exc]) * pA
    S.delay = np.concatenate(dls[exc]) * ms
    if exc:
        S_exc = S
    else:
        S_inh = S
del S
syns = [S for S in (S_exc, S_inh) if S is not None]
del pre, post, wts, dls
mon = b2.SpikeMonitor(P, record=True)
t1 = time.perf_counter()
if mode == "cpp_standalone":
    b2.run(tstop * ms)                        # only records the run; nothing is executed yet
    t2 = time.perf_counter()
    b2.device.build(directory=workdir, compile=True, run=True, with_output=False)
    t3 = time.perf_counter()
    tm = b2.device.timers
    compile_s = (tm["compile"]["make"] or 0.0) + (tm["compile"]["clean"] or 0.0)
    binary_s = tm["run_binary"]
    run_s = b2.device._last_run_time           # wall time of the simulation loop in the binary
    res = {"define_s": t1 - t0, "py_s": t2 - t0, "codegen_s": (t3 - t2) - compile_s - binary_s,
           "compile_s": compile_s, "setup_s": binary_s - run_s, "run_s": run_s}
    res["build_s"] = (t3 - t0) - run_s
else:
    b2.run(0 * ms)                            # code generation + compilation of everything else
    t2 = time.perf_counter()
    b2.run(tstop * ms)
    t3 = time.perf_counter()
    res = {"build_s": t1 - t0, "prep_s": t2 - t1, "run_s": t3 - t2}
counts = np.bincount(np.searchsorted(offsets, np.asarray(mon.i[:]), side="right") - 1,
                     minlength=8)
rates = {nm: round(int(c) / n / (tstop / 1000.0), 2) for nm, c, n in zip(names, counts, sizes)}
out = {"sim": "brian2-" + mode, "brian2": b2.__version__, "scale": scale, "n": n_total,
       "threads": threads, "tstop_ms": tstop}
out.update({k: round(v, 3) for k, v in res.items()})
out.update({"spikes": int(counts.sum()), "synapses": int(sum(len(S) for S in syns)),
            "synapses_drawn": n_syn, "rates_hz": rates})
print(json.dumps(out))
