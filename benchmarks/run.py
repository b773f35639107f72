#!/usr/bin/env python3
"""Run the benchmark scripts against spinnframe, NEST (native and through PyNN) and Brian2.

    python benchmarks/run.py [--quick] [--only va4000,...] [--sims spinnframe,nest-native,...]
                             [--threads 1,2] [--repeat N] [--out benchmarks/results]

Every (benchmark, simulator, threads, repeat) runs in its own subprocess, with that simulator's
interpreter and a timeout; the repeats of a benchmark go in rounds (each thread count and
simulator once per round), and the report pairs the thread counts' runs by round
(``--core-check-rounds``: with what the machine gave a second thread just before each round).
The script prints one JSON line (build_s, run_s, spikes, rates, synapses); this runner adds
the wall time and the peak RSS of the subprocess tree (wait4's ru_maxrss), and writes
OUT/<name>.json (every run, the machine, the versions), OUT/<name>.md (tables, ratios
spinnframe/NEST and spinnframe/Brian2) and OUT/<name>.png (scaling plot).
``--report-only OUT/<name>.json`` redoes the .md and .png from a .json.

The runner itself needs only the standard library (the plot needs matplotlib: this interpreter's,
or else the spinnframe interpreter's). See docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import report  # noqa: E402  (benchmarks/report.py)
sys.path.insert(0, str(HERE / "scripts"))
import cores  # noqa: E402  (benchmarks/scripts/cores.py)

# -- benchmarks -------------------------------------------------------------------------------
# Ids are parsed, so any size works: va<N> (Vogels-Abbott CUBA, N neurons), mc<SCALE>
# (Potjans-Diesmann microcircuit, every population and projection scaled by SCALE).
FULL_BENCHES = ["va4000", "va20000", "mc0.05", "mc0.1"]
QUICK_BENCHES = ["va500", "va1000", "mc0.002"]   # pynn-nest builds ~25k synapses/s: keep mc tiny
FULL_TSTOP_MS = 1000.0
QUICK_TSTOP_MS = 200.0
MC_FULL_N = [20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948]   # as in microcircuit.py


def parse_bench(bid: str) -> dict:
    m = re.fullmatch(r"va(\d+)", bid)
    if m:
        n = int(m.group(1))
        return {"id": bid, "family": "va", "size": n, "neurons": n,
                "label": f"VA CUBA {n}"}
    m = re.fullmatch(r"mc(\d*\.?\d+)", bid)
    if m:
        scale = float(m.group(1))
        return {"id": bid, "family": "mc", "size": scale,
                "neurons": sum(max(1, int(round(n * scale))) for n in MC_FULL_N),
                "label": f"microcircuit {scale:g}"}
    raise ValueError(f"unknown benchmark {bid!r}: use va<N> (e.g. va4000) or mc<SCALE> (e.g. mc0.1)")


# -- simulators -------------------------------------------------------------------------------
DEFAULT_SIMS = ["spinnframe", "nest-native", "pynn-nest", "brian2"]
SIMS = {
    # name: interpreter key, module probed for the version, what runs (for the report)
    "spinnframe": dict(python="spinnframe", probe="spinnframe",
                       what="shared/bench/{va_cuba,microcircuit}.py spinnframe.pyNN"),
    "nest-native": dict(python="nest", probe="nest",
                        what="shared/bench/native/{va_cuba,microcircuit}_nest.py, NEST_MODEL=iaf_psc_exp"),
    "pynn-nest": dict(python="nest", probe="pyNN.nest",
                      what="shared/bench/{va_cuba,microcircuit}.py with benchmarks/shims/"
                           "pynn_nest_ongrid.py (pyNN.nest, spike_precision='on_grid': iaf_psc_exp)"),
    "brian2": dict(python="brian2", probe="brian2",
                   what="shared/bench/native/va_cuba_brian2.py and benchmarks/scripts/"
                        "microcircuit_brian2.py, cpp_standalone, cold compile, via scripts/brian2_wrap.py"),
    # extras, not run unless named in --sims
    "pynn-nest-offgrid": dict(python="nest", probe="pyNN.nest",
                              what="shared/bench/{va_cuba,microcircuit}.py pyNN.nest as it is "
                                   "(spike_precision='off_grid': iaf_psc_exp_ps)"),
    "nest-native-ps": dict(python="nest", probe="nest",
                           what="shared/bench/native/*_nest.py with NEST_MODEL=iaf_psc_exp_ps"),
}


def default_python(key: str) -> str:
    env = {"spinnframe": "SPINNFRAME_PYTHON", "nest": "NEST_PYTHON", "brian2": "BRIAN2_PYTHON"}[key]
    if os.environ.get(env):
        return os.environ[env]
    candidates = {"spinnframe": [REPO / ".venv/bin/python"],
                  "nest": [Path("/tmp/refenv/bin/python")],
                  "brian2": [Path("/tmp/b2env/bin/python")]}[key]
    for c in candidates:
        if c.exists():
            return str(c)
    return sys.executable if key == "spinnframe" else "python3"


def default_bench_dir() -> Path:
    if os.environ.get("SPINNFRAME_BENCH_DIR"):
        return Path(os.environ["SPINNFRAME_BENCH_DIR"])
    for c in (REPO / "shared/bench", REPO.parent / "shared/bench"):
        if (c / "va_cuba.py").exists():
            return c
    return REPO.parent / "shared/bench"


def job(sim: str, bench: dict, tstop: float, threads: int, ctx: dict):
    """(interpreter, argv, extra env, needs a Brian2 build dir) for one run."""
    bd: Path = ctx["bench_dir"]
    fam, size = bench["family"], bench["size"]
    sz = str(size) if fam == "va" else f"{size:g}"
    tail = [sz, f"{tstop:g}", str(threads)]
    if sim == "spinnframe":
        script = bd / ("va_cuba.py" if fam == "va" else "microcircuit.py")
        return ctx["py"]["spinnframe"], [str(script), "spinnframe.pyNN"] + tail, {}, False
    if sim in ("nest-native", "nest-native-ps"):
        script = bd / "native" / ("va_cuba_nest.py" if fam == "va" else "microcircuit_nest.py")
        model = "iaf_psc_exp" if sim == "nest-native" else "iaf_psc_exp_ps"
        return ctx["py"]["nest"], [str(script)] + tail, {"NEST_MODEL": model}, False
    if sim in ("pynn-nest", "pynn-nest-offgrid"):
        script = bd / ("va_cuba.py" if fam == "va" else "microcircuit.py")
        mod = "pynn_nest_ongrid" if sim == "pynn-nest" else "pyNN.nest"
        pp = str(HERE / "shims") + (os.pathsep + os.environ["PYTHONPATH"]
                                    if os.environ.get("PYTHONPATH") else "")
        return ctx["py"]["nest"], [str(script), mod] + tail, {"PYTHONPATH": pp}, False
    if sim == "brian2":
        script = (bd / "native" / "va_cuba_brian2.py") if fam == "va" else \
            (HERE / "scripts" / "microcircuit_brian2.py")
        return (ctx["py"]["brian2"], [str(HERE / "scripts" / "brian2_wrap.py"), str(script)] + tail,
                {"B2_MODE": "cpp_standalone"}, True)
    raise ValueError(sim)


def script_of(argv: list[str]) -> Path:
    return Path(argv[1] if argv[0].endswith("brian2_wrap.py") else argv[0])


# -- running ----------------------------------------------------------------------------------
def run_one(python: str, argv: list[str], extra_env: dict, timeout: float, b2_dir: bool) -> dict:
    """Run one subprocess; return status, rc, wall_s, peak RSS (KiB), merged JSON, stderr tail."""
    env = dict(os.environ)
    env.update(extra_env)
    env.setdefault("PYTHONUNBUFFERED", "1")
    work = Path(tempfile.mkdtemp(prefix="sfbench_"))
    if b2_dir:
        # a fresh standalone project (cold compile, as the script does by default) that is
        # removed afterwards; TMPDIR keeps Brian2's own log files out of /tmp too
        env["B2_DIR"] = str(work / "b2")
        env["TMPDIR"] = str(work)
    out_path, err_path = work / "stdout.txt", work / "stderr.txt"
    rec = {"status": "error", "rc": None}
    try:
        with open(out_path, "wb") as fo, open(err_path, "wb") as fe:
            t0 = time.perf_counter()
            try:
                child = subprocess.Popen([python] + argv, stdout=fo, stderr=fe, cwd=work, env=env,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
            except OSError as exc:
                return {"status": "missing", "reason": f"cannot start {python}: {exc}"}
            timed_out = False
            while True:
                pid, status, usage = os.wait4(child.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() - t0 > timeout:
                    timed_out = True
                    try:
                        os.killpg(child.pid, signal.SIGKILL)   # the child's own process group
                    except ProcessLookupError:
                        pass
                    pid, status, usage = os.wait4(child.pid, 0)
                    break
                time.sleep(0.02)
            wall = time.perf_counter() - t0
            child.returncode = os.waitstatus_to_exitcode(status)
        rec.update(rc=child.returncode, wall_s=round(wall, 3), peak_rss_kb=usage.ru_maxrss)
        stdout = out_path.read_text(errors="replace")
        stderr = err_path.read_text(errors="replace")
        data = {}
        for line in stdout.splitlines():
            line = line.strip()
            if line.startswith("{") and line.endswith("}"):
                try:
                    d = json.loads(line)
                except ValueError:
                    continue
                for k, v in d.items():
                    data.setdefault(k, v)
        rec["result"] = data
        if timed_out:
            rec.update(status="timeout", reason=f"killed after {timeout:g} s")
        elif child.returncode != 0:
            rec.update(status="error", reason=f"exit code {child.returncode}")
        elif "run_s" not in data:
            rec.update(status="error", reason="no JSON line with run_s on stdout")
        else:
            rec["status"] = "ok"
        if rec["status"] != "ok":
            rec["stderr_tail"] = stderr[-3000:]
            rec["stdout_tail"] = stdout[-1000:]
        elif stderr.strip():
            rec["stderr_lines"] = len(stderr.splitlines())
        return rec
    finally:
        shutil.rmtree(work, ignore_errors=True)


def probe(python: str, module: str) -> dict:
    code = (f"import sys, importlib; m = importlib.import_module({module!r}); "
            f"top = importlib.import_module({module.split('.')[0]!r}); "
            "print(getattr(m, '__version__', None) or getattr(top, '__version__', '?')); "
            "print(sys.version.split()[0])")
    try:
        p = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=300,
                           stdin=subprocess.DEVNULL, cwd=tempfile.gettempdir(),
                           env=dict(os.environ, PYTHONPATH=str(HERE / "shims")))
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"status": "missing", "reason": f"{python}: {exc}"}
    if p.returncode != 0:
        last = (p.stderr.strip().splitlines() or ["?"])[-1]
        return {"status": "missing", "reason": f"{python} cannot import {module}: {last}"}
    lines = p.stdout.strip().splitlines()
    return {"status": "ok", "version": lines[-2] if len(lines) >= 2 else "?",
            "python_version": lines[-1] if lines else "?"}


def machine_info() -> dict:
    info = {"platform": platform.platform(),
            "nproc": os.cpu_count()}
    try:
        info["cpus_usable"] = len(os.sched_getaffinity(0))
    except AttributeError:
        pass
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        m = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
        info["cpu_model"] = m.group(1).strip() if m else None
        m = re.search(r"^cpu MHz\s*:\s*(.+)$", cpuinfo, re.M)
        info["cpu_mhz"] = float(m.group(1)) if m else None
    except OSError:
        pass
    try:
        m = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
        info["mem_total_gib"] = round(int(m.group(1)) / 2**20, 1) if m else None
    except OSError:
        pass
    return info


def loadavg():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def git_info() -> dict:
    def git(*args):
        try:
            return subprocess.run(["git", "-C", str(REPO)] + list(args), capture_output=True,
                                  text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""
    return {"commit": git("rev-parse", "HEAD") or None,
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help=f"tiny sizes ({','.join(QUICK_BENCHES)}), {QUICK_TSTOP_MS:g} ms, "
                         "threads 1 unless --threads: a smoke test, not a benchmark")
    ap.add_argument("--only", help="comma-separated benchmark ids: va<N>, mc<SCALE> "
                                   f"(default {','.join(FULL_BENCHES)})")
    ap.add_argument("--sims", default=",".join(DEFAULT_SIMS),
                    help=f"comma-separated, from {', '.join(SIMS)} (default: %(default)s)")
    ap.add_argument("--threads", help="comma-separated thread counts (default 1,2; --quick: 1)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each combination (median)")
    ap.add_argument("--tstop", type=float, help="model time in ms (default 1000; --quick: 200)")
    ap.add_argument("--timeout", type=float, help="seconds per run (default 3600; --quick: 300)")
    ap.add_argument("--out", default=str(HERE / "results"), help="output folder")
    ap.add_argument("--name", help="file stem of the outputs (default: date and time)")
    ap.add_argument("--bench-dir", default=None,
                    help="the shared scripts (default: $SPINNFRAME_BENCH_DIR, ./shared/bench "
                         "or ../shared/bench)")
    ap.add_argument("--spinnframe-python", default=None)
    ap.add_argument("--nest-python", default=None)
    ap.add_argument("--brian2-python", default=None)
    ap.add_argument("--no-core-check", action="store_true",
                    help="skip scripts/cores.py (what a second thread gives on this machine) "
                         "at the start and the end")
    ap.add_argument("--core-check-rounds", action="store_true",
                    help="also run scripts/cores.py before every round of every benchmark, so "
                         "that the report can set each round's thread ratio beside what the "
                         "machine gave a second thread just before it")
    ap.add_argument("--no-warmup", action="store_true",
                    help="skip the untimed spinnframe run that fills the kernel cache")
    ap.add_argument("--report-only", metavar="JSON",
                    help="only rewrite the .md and .png of an earlier results .json")
    ap.add_argument("--list", action="store_true", help="list benchmarks and simulators")
    return ap.parse_args(argv)


def write_outputs(results: dict, json_path: Path) -> None:
    md_path, png_path = json_path.with_suffix(".md"), json_path.with_suffix(".png")
    plot_msg = make_plot(json_path, png_path, results)
    results["plot"] = plot_msg
    md_path.write_text(report.markdown(results, png_path.name))
    print(f"wrote {md_path}")
    print(f"plot: {plot_msg}")


def make_plot(json_path: Path, png_path: Path, results: dict) -> str:
    try:
        import plot  # noqa: F401  (benchmarks/plot.py; needs matplotlib)
        import matplotlib  # noqa: F401
    except ImportError:
        py = (results.get("interpreters") or {}).get("spinnframe") or default_python("spinnframe")
        try:
            p = subprocess.run([py, str(HERE / "plot.py"), str(json_path), str(png_path)],
                               capture_output=True, text=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"skipped ({exc})"
        if p.returncode != 0:
            return "skipped (no matplotlib here nor in " + py + "): " + \
                   (p.stderr.strip().splitlines() or ["?"])[-1]
        return f"wrote {png_path} (with {py})"
    plot.plot(results, png_path)
    return f"wrote {png_path}"


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.list:
        print("benchmarks: va<N> (Vogels-Abbott CUBA), mc<SCALE> (microcircuit)")
        print(f"  default: {','.join(FULL_BENCHES)}  --quick: {','.join(QUICK_BENCHES)}")
        for name, s in SIMS.items():
            print(f"{name:18s} {'(default) ' if name in DEFAULT_SIMS else ''}{s['what']}")
        return 0
    if args.report_only:
        path = Path(args.report_only)
        write_outputs(json.loads(path.read_text()), path)
        return 0

    benches = [parse_bench(b) for b in
               (args.only.split(",") if args.only else QUICK_BENCHES if args.quick else FULL_BENCHES)]
    sims = [s.strip() for s in args.sims.split(",") if s.strip()]
    for s in sims:
        if s not in SIMS:
            sys.exit(f"unknown simulator {s!r}; known: {', '.join(SIMS)}")
    threads = [int(t) for t in (args.threads or ("1" if args.quick else "1,2")).split(",")]
    tstop = args.tstop or (QUICK_TSTOP_MS if args.quick else FULL_TSTOP_MS)
    timeout = args.timeout or (300.0 if args.quick else 3600.0)
    bench_dir = Path(args.bench_dir) if args.bench_dir else default_bench_dir()
    py = {"spinnframe": args.spinnframe_python or default_python("spinnframe"),
          "nest": args.nest_python or default_python("nest"),
          "brian2": args.brian2_python or default_python("brian2")}
    ctx = {"bench_dir": bench_dir, "py": py}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = args.name or _dt.datetime.now().strftime("%Y-%m-%d_%H%M%S") + ("_quick" if args.quick else "")
    json_path = out / f"{stem}.json"

    results = {
        "schema": 1, "name": stem, "quick": args.quick,
        "command": " ".join(shlex.quote(a) for a in ["python", "benchmarks/run.py"] +
                            (sys.argv[1:] if argv is None else list(argv))),
        "started": _dt.datetime.now().isoformat(timespec="seconds"),
        "tstop_ms": tstop, "threads": threads, "repeat": args.repeat, "timeout_s": timeout,
        "benchmarks": benches, "sims": sims, "bench_dir": str(bench_dir),
        "interpreters": py, "machine": machine_info(), "loadavg_start": loadavg(),
        "spinnframe_git": git_info(), "simulators": {}, "runs": [],
    }
    if not args.no_core_check:
        # what a second thread gives right now, without any simulator (scripts/cores.py)
        results["cores_start"] = cores.check()
        print(f"core check: {report.cores_line(results['cores_start'])}")
    print(f"benchmarks {','.join(b['id'] for b in benches)}; sims {','.join(sims)}; "
          f"threads {','.join(map(str, threads))}; {tstop:g} ms; repeat {args.repeat}")
    if not (bench_dir / "va_cuba.py").exists():
        print(f"warning: shared scripts not found in {bench_dir} (use --bench-dir)")

    for s in sims:
        info = probe(py[SIMS[s]["python"]], SIMS[s]["probe"])
        info.update(python=py[SIMS[s]["python"]], what=SIMS[s]["what"])
        results["simulators"][s] = info
        print(f"  {s:18s} {info['status']:8s} {info.get('version') or info.get('reason')}")

    if "spinnframe" in sims and results["simulators"]["spinnframe"]["status"] == "ok" \
            and not args.no_warmup:
        # the first use of a model compiles its C kernel into ~/.cache/spinnframe (once per
        # machine); do it here so that no timed run pays it and no compiler lands in its RSS
        w = run_one(py["spinnframe"], [str(bench_dir / "va_cuba.py"), "spinnframe.pyNN", "200",
                                       "10", "1"], {}, timeout, False)
        results["warmup"] = {k: w.get(k) for k in ("status", "wall_s", "reason")}
        print(f"  spinnframe warm-up: {w['status']} ({w.get('wall_s')} s)")

    # round by round: every thread count and simulator once before the next repeat, so
    # that a noisy stretch of a shared machine falls on all of them alike and the thread
    # ratios can be paired by round (report.thread_scaling)
    combos = [(b, t, s, r) for b in benches for r in range(args.repeat) for t in threads
              for s in sims]
    t_all = time.perf_counter()
    checked = set()
    for k, (b, t, s, r) in enumerate(combos, 1):
        if args.core_check_rounds and (b["id"], r) not in checked:
            checked.add((b["id"], r))
            c = cores.check()
            results.setdefault("cores_rounds", {})[f"{b['id']}:{r}"] = c
            print(f"core check before {b['id']} round {r}: {report.cores_line(c)}", flush=True)
        rec = {"bench": b["id"], "family": b["family"], "size": b["size"], "neurons": b["neurons"],
               "sim": s, "threads": t, "repeat": r, "tstop_ms": tstop}
        if results["simulators"][s]["status"] != "ok":
            rec.update(status="missing", reason=results["simulators"][s].get("reason"))
        else:
            python, sargv, env, b2 = job(s, b, tstop, t, ctx)
            rec["cmd"] = " ".join(shlex.quote(x) for x in
                                  [f"{k}={v}" for k, v in env.items() if k != "PYTHONPATH"] +
                                  [python] + sargv)
            if not script_of(sargv).exists():
                rec.update(status="missing", reason=f"script {script_of(sargv)} not found")
            else:
                rec.update(run_one(python, sargv, env, timeout, b2))
        results["runs"].append(rec)
        res = rec.get("result") or {}
        if rec["status"] == "ok":
            msg = (f"build {res.get('build_s')} s, run {res.get('run_s')} s, "
                   f"wall {rec.get('wall_s')} s, RSS {rec['peak_rss_kb'] / 1024:.0f} MB, "
                   f"spikes {res.get('spikes')}")
        else:
            msg = f"{rec.get('reason')}"
        print(f"[{k}/{len(combos)}] {b['id']} {s} t{t} r{r}: {rec['status']}: {msg}", flush=True)
        json_path.write_text(json.dumps(results, indent=1))      # partial results survive ^C
    results["finished"] = _dt.datetime.now().isoformat(timespec="seconds")
    results["total_s"] = round(time.perf_counter() - t_all, 1)
    results["loadavg_end"] = loadavg()
    if not args.no_core_check:
        results["cores_end"] = cores.check()
        print(f"core check: {report.cores_line(results['cores_end'])}")
    json_path.write_text(json.dumps(results, indent=1))
    print(f"wrote {json_path} ({results['total_s']} s)")
    write_outputs(results, json_path)
    json_path.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
