"""Regenerate the NEST reference fixtures in tests/reference/data/.

Run with a Python that has PyNN 0.13.0 + NEST 3.10 + neo installed:

    /tmp/refenv/bin/python tests/reference/make_nest_reference.py

Each scenario script in scripts/ is run in its own process with the
simulator module "pyNN.nest" (NEST keeps global state, so one process per
run).  Outputs:

  data/if_curr_exp_drive_nest.npz   scripts/if_curr_exp_drive.py output
  data/random_network_nest.npz      scripts/random_network.py, seeds 1..20,
                                    stacked along axis 0

Version strings (pynn_version, nest_version, numpy_version, neo_version,
python_version) are added to both files.  The fixtures are loaded back with
allow_pickle=False and checked (see verify_* below).
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from refcommon import load, versions  # noqa: E402
SCRIPTS = os.path.join(HERE, "scripts")
DATA = os.path.join(HERE, "data")
MODULE = "pyNN.nest"
SEEDS = tuple(range(1, 21))


def run_script(name, *args):
    cmd = [sys.executable, os.path.join(SCRIPTS, name), MODULE] + list(args)
    print("$", " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit("failed: %s" % " ".join(cmd))


def verify_drive(d):
    # sources delivered exactly what was requested
    assert np.array_equal(d["src_spike_counts"], d["src_rec_spike_counts"])
    assert np.allclose(d["src_spike_times"], d["src_rec_spike_times"],
                       rtol=0, atol=1e-9)
    t_stop = float(np.sum(d["run_durations"]))
    m = int(round(t_stop / float(d["dt"]))) + 1
    assert d["v"].shape == (m, len(d["v_init"])) and d["v_times"].shape == (m,)
    assert np.allclose(d["v"][0], d["v_init"])
    # the data are explained by the documented conventions
    sys.path.insert(0, HERE)
    sys.dont_write_bytecode = True
    from iaf_psc_exp_model import simulate_fixture, _split
    res = simulate_fixture(d)
    dv = np.abs(res["v"] - d["v"]).max()
    nest_sp = _split(d["spike_times"], d["spike_counts"])
    same = all(len(a) == len(b) and np.allclose(a, b, rtol=0, atol=1e-9)
               for a, b in zip(nest_sp, res["spikes"]))
    print("  independent model vs NEST: max|dv| = %.3g mV, spikes identical:"
          " %s" % (dv, same))
    if d["isyn_recorded"]:
        di = max(np.abs(res["isyn_exc"] - d["isyn_exc"]).max(),
                 np.abs(res["isyn_inh"] - d["isyn_inh"]).max())
        print("  max|disyn| = %.3g nA (isyn stored as float32)" % di)
        assert di < 1e-5
    print("  smallest threshold overshoot at a spike: %.4g mV; smallest "
          "gap below threshold per neuron: %s mV"
          % (res["overshoot"], np.array2string(res["undershoot"],
                                               precision=4)))
    assert dv < 1e-9 and same
    print("  spike counts per neuron:", d["spike_counts"].tolist())


def make_drive(tmp):
    raw = os.path.join(tmp, "drive.npz")
    run_script("if_curr_exp_drive.py", raw)
    d = load(raw)
    d.update(versions())
    out = os.path.join(DATA, "if_curr_exp_drive_nest.npz")
    np.savez_compressed(out, **d)
    verify_drive(load(out))
    return out


def make_network(tmp):
    runs = []
    for seed in SEEDS:
        raw = os.path.join(tmp, "net_%d.npz" % seed)
        run_script("random_network.py", raw, str(seed))
        runs.append(load(raw))
    first = runs[0]
    out = {k: first[k] for k in ("sim_module", "duration", "n_exc", "n_inh")}
    out["seed"] = np.array([int(r["seed"]) for r in runs], dtype=np.int64)
    for key in ("total_spike_count", "rate_exc", "rate_inh", "rate_ext",
                "cv_isi_exc", "spike_counts", "pop_hist_1ms",
                "n_connections"):
        out[key] = np.stack([r[key] for r in runs])
    out.update(versions())
    path = os.path.join(DATA, "random_network_nest.npz")
    np.savez_compressed(path, **out)
    d = load(path)
    rate = (d["total_spike_count"] / (d["n_exc"] + d["n_inh"])
            / (d["duration"] / 1000.0))
    for name, x in (("rate_all", rate), ("rate_exc", d["rate_exc"]),
                    ("rate_inh", d["rate_inh"]),
                    ("cv_isi_exc", d["cv_isi_exc"])):
        print("  %-10s %s  mean %.3f  std(ddof=1) %.3f"
              % (name, np.array2string(x, precision=3), x.mean(),
                 x.std(ddof=1)))
    print("  total spikes:", d["total_spike_count"].tolist())
    return path


def main():
    os.makedirs(DATA, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        paths = [make_drive(tmp), make_network(tmp)]
    total = sum(os.path.getsize(p) for p in paths)
    for p in paths:
        print("%8d bytes  %s" % (os.path.getsize(p), os.path.relpath(p)))
    print("%8d bytes  total" % total)
    for k, v in versions().items():
        print("  %s = %s" % (k, v))


if __name__ == "__main__":
    main()
