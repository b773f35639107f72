"""Markdown report of a benchmarks/run.py results .json (standard library only)."""
from __future__ import annotations

import statistics

SHORT = {"spinnframe": "sf", "nest-native": "NEST", "pynn-nest": "PyNN+NEST",
         "brian2": "Brian2", "pynn-nest-offgrid": "PyNN+NEST(ps)", "nest-native-ps": "NEST(ps)"}
RATIO_TO = ["nest-native", "pynn-nest", "brian2", "pynn-nest-offgrid", "nest-native-ps"]



def cores_line(c) -> str:
    """One line for a scripts/cores.py result: the gain of two threads on a compute loop
    and on a time-stepped loop (results of older runs lack the latter), and the slowdown
    of two threads writing the same pages."""
    if not c:
        return "not run"
    if c.get("status") != "ok":
        return f"failed ({c.get('reason')})"
    stepped = (f", a stepped loop {c['stepped_2x']:.2f}x" if "stepped_2x" in c else "")
    return (f"compute {c['compute_2x']:.2f}x with two threads{stepped}, writing shared "
            f"pages {c['shared_pages_slowdown']:.1f}x slower")

def _med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def aggregate(results: dict) -> dict:
    """(bench, sim, threads) -> summary over its repeats."""
    groups: dict = {}
    for r in results["runs"]:
        groups.setdefault((r["bench"], r["sim"], r["threads"]), []).append(r)
    agg = {}
    for key, runs in groups.items():
        ok = [r for r in runs if r["status"] == "ok"]
        if not ok:
            first = runs[0]
            agg[key] = {"status": first["status"], "reason": first.get("reason"), "n_ok": 0,
                        "n_runs": len(runs)}
            continue
        res = [r["result"] for r in ok]
        first = ok[0]
        tstop = first["tstop_ms"]
        neurons = res[0].get("n") if first["family"] == "mc" and res[0].get("n") else first["neurons"]
        spikes = res[0].get("spikes")
        a = {"status": "ok", "n_ok": len(ok), "n_runs": len(runs),
             "family": first["family"], "size": first["size"], "neurons": neurons,
             "synapses": res[0].get("synapses"),
             "build_s": _med(x.get("build_s") for x in res),
             "run_s": _med(x.get("run_s") for x in res),
             "wall_s": _med(r.get("wall_s") for r in ok),
             "rss_mb": _med((r.get("peak_rss_kb") or 0) / 1024 for r in ok),
             "sim_rss_mb": _med((x.get("sim_rss_kb") / 1024) if x.get("sim_rss_kb") else None
                                for x in res),
             "compile_s": _med(x.get("compile_s") for x in res),
             "spikes": spikes, "spikes_all": [x.get("spikes") for x in res],
             "rate_hz": (spikes / neurons / (tstop / 1000.0)) if spikes is not None else None,
             "rates_hz": res[0].get("rates_hz")}
        agg[key] = a
    return agg


def _f(x, unit=""):
    if x is None:
        return "–"
    if isinstance(x, str):
        return x
    ax = abs(x)
    s = f"{x:.3f}" if ax < 1 else f"{x:.2f}" if ax < 10 else f"{x:.1f}" if ax < 100 else f"{x:.0f}"
    return s + unit


def _int(x):
    return "–" if x is None else f"{int(x):,}"


def _cell(agg, key, field, unit=""):
    a = agg.get(key)
    if a is None:
        return "–"
    if a["status"] != "ok":
        return f"*{a['status']}*"
    return _f(a.get(field), unit)


def _ratio(agg, k_sf, k_other, field):
    a, b = agg.get(k_sf), agg.get(k_other)
    if not a or not b or a["status"] != "ok" or b["status"] != "ok":
        return "–"
    x, y = a.get(field), b.get(field)
    if x is None or not y:
        return "–"
    return f"{x / y:.2f}"


def _table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def _bench_rows(results, agg):
    """(bench dict, threads, neurons, synapses) in run order."""
    rows = []
    for b in results["benchmarks"]:
        for t in results["threads"]:
            neurons, syn = b["neurons"], None
            for s in results["sims"]:
                a = agg.get((b["id"], s, t))
                if a and a["status"] == "ok":
                    neurons = a["neurons"] or neurons
                    syn = syn or a["synapses"]
            rows.append((b, t, neurons, syn))
    return rows


def _metric_table(results, agg, field, unit, note=""):
    sims = results["sims"]
    ratio_to = [s for s in RATIO_TO if s in sims] if "spinnframe" in sims else []
    header = ["benchmark", "thr", "neurons", "synapses"] + [SHORT.get(s, s) for s in sims] + \
             [f"sf/{SHORT.get(s, s)}" for s in ratio_to]
    rows = []
    for b, t, n, syn in _bench_rows(results, agg):
        row = [b["label"], t, _int(n), _int(syn)]
        row += [_cell(agg, (b["id"], s, t), field, unit) for s in sims]
        row += [_ratio(agg, (b["id"], "spinnframe", t), (b["id"], s, t), field) for s in ratio_to]
        rows.append(row)
    return _table(header, rows) + ("\n\n" + note if note else "")


def _rates_table(results, agg):
    sims = results["sims"]
    header = ["benchmark", "thr"] + [f"{SHORT.get(s, s)} Hz (spikes)" for s in sims]
    if "spinnframe" in sims and "nest-native" in sims:
        header.append("sf vs NEST")
    rows = []
    for b, t, _, _ in _bench_rows(results, agg):
        row = [b["label"], t]
        for s in sims:
            a = agg.get((b["id"], s, t))
            if not a:
                row.append("–")
            elif a["status"] != "ok":
                row.append(f"*{a['status']}*")
            else:
                row.append(f"{_f(a['rate_hz'])} ({_int(a['spikes'])})")
        if "spinnframe" in sims and "nest-native" in sims:
            a, n = agg.get((b["id"], "spinnframe", t)), agg.get((b["id"], "nest-native", t))
            if a and n and a["status"] == n["status"] == "ok" and n["rate_hz"]:
                row.append(f"{100 * (a['rate_hz'] / n['rate_hz'] - 1):+.1f} %")
            else:
                row.append("–")
        rows.append(row)
    return _table(header, rows)


def _pop_rates_table(results, agg):
    mcs = [b for b in results["benchmarks"] if b["family"] == "mc"]
    if not mcs:
        return ""
    t = results["threads"][0]
    pops = None
    rows = []
    for b in mcs:
        for s in results["sims"]:
            a = agg.get((b["id"], s, t))
            if not a or a["status"] != "ok" or not a.get("rates_hz"):
                continue
            pops = pops or list(a["rates_hz"])
            rows.append([b["label"], SHORT.get(s, s)] + [_f(a["rates_hz"].get(p)) for p in pops])
    if not rows:
        return ""
    return (f"Microcircuit rates per population (Hz), {t} thread(s):\n\n" +
            _table(["benchmark", "sim"] + pops, rows))


def _thread_check(results, agg):
    """spinnframe claims identical results for any thread count: say whether that held."""
    if "spinnframe" not in results["sims"] or len(results["threads"]) < 2:
        return ""
    lines = []
    for b in results["benchmarks"]:
        counts = {t: agg.get((b["id"], "spinnframe", t), {}).get("spikes_all")
                  for t in results["threads"]}
        if any(c is None for c in counts.values()):
            continue
        flat = {x for c in counts.values() for x in c}
        lines.append(f"- {b['label']}: spinnframe spike counts over threads "
                     f"{', '.join(f'{t}: {c}' for t, c in counts.items())} -> "
                     + ("identical" if len(flat) == 1 else "**DIFFERENT**"))
    return "\n".join(lines)


def thread_scaling(results: dict) -> list[dict]:
    """For every benchmark and simulator run with one thread and with more: the run time
    with 1 thread over that with n, as the ratio of the medians and as the median (and
    range) of the ratios within each round (the runs of one repeat index, made one after
    another by benchmarks/run.py, so that a noisy stretch of the machine weighs on both)."""
    threads = sorted(results.get("threads", []))
    if 1 not in threads:
        return []
    runs = {}
    for r in results["runs"]:
        if r["status"] == "ok" and (r.get("result") or {}).get("run_s"):
            runs[(r["bench"], r["sim"], r["threads"], r["repeat"])] = r["result"]["run_s"]
    out = []
    for b in results["benchmarks"]:
        for s in results["sims"]:
            for n in threads:
                if n == 1:
                    continue
                one = {k[3]: v for k, v in runs.items() if k[:3] == (b["id"], s, 1)}
                many = {k[3]: v for k, v in runs.items() if k[:3] == (b["id"], s, n)}
                if not one or not many:
                    continue
                rounds = [r for r in sorted(one) if r in many]
                paired = [one[r] / many[r] for r in rounds]
                checks = results.get("cores_rounds") or {}
                stepped = [(checks.get(f"{b['id']}:{r}") or {}).get("stepped_2x")
                           for r in rounds]
                out.append({"bench": b["id"], "label": b["label"], "sim": s, "threads": n,
                            "stepped_2x": stepped,
                            "run_1": _med(one.values()), "run_n": _med(many.values()),
                            "ratio_of_medians": _med(one.values()) / _med(many.values()),
                            "paired": paired, "paired_median": _med(paired),
                            "n_rounds": len(paired)})
    return out


def _thread_table(results):
    scaling = thread_scaling(results)
    rows = [[x["label"], SHORT.get(x["sim"], x["sim"]), x["threads"], _f(x["run_1"]),
             _f(x["run_n"]), f"{x['ratio_of_medians']:.2f}",
             f"{x['paired_median']:.2f}" if x["paired"] else "–",
             (f"{min(x['paired']):.2f}-{max(x['paired']):.2f}" if x["paired"] else "–"),
             x["n_rounds"]]
            for x in scaling]
    if not rows:
        return ""
    out = _table(["benchmark", "sim", "n", "run s, 1 thread", "run s, n threads",
                  "1/n of medians", "1/n paired, median", "paired range", "rounds"], rows)
    per_round = [[x["label"], SHORT.get(x["sim"], x["sim"]), x["threads"],
                  " ".join(f"{p:.2f}" for p in x["paired"]),
                  " ".join("–" if c is None else f"{c:.2f}" for c in x["stepped_2x"])]
                 for x in scaling if any(c is not None for c in x["stepped_2x"])]
    if per_round:
        out += ("\n\nEach round's ratio beside the core check made just before that round "
                "(`--core-check-rounds`: scripts/cores.py's stepped loop, two threads against "
                "one, no simulator):\n\n" +
                _table(["benchmark", "sim", "n", "1/n each round", "machine's stepped loop, "
                        "each round"], per_round))
    return out


def _bytes_per_synapse(results, agg):
    """Marginal memory per synapse: the slope of peak RSS against synapse count between the
    sizes of one family (Brian2: of its simulation binary alone)."""
    rows = []
    for s in results["sims"]:
        for fam in ("va", "mc"):
            for t in results["threads"]:
                pts = []
                for b in results["benchmarks"]:
                    a = agg.get((b["id"], s, t))
                    if b["family"] != fam or not a or a["status"] != "ok" or not a.get("synapses"):
                        continue
                    mem = a["sim_rss_mb"] if s == "brian2" and a.get("sim_rss_mb") else a["rss_mb"]
                    pts.append((a["synapses"], mem * 2**20, b["id"]))
                if len(pts) < 2:
                    continue
                pts.sort()
                n = len(pts)
                mx = sum(p[0] for p in pts) / n
                my = sum(p[1] for p in pts) / n
                sxx = sum((p[0] - mx) ** 2 for p in pts)
                if sxx <= 0:
                    continue
                slope = sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx
                rows.append([SHORT.get(s, s), fam, t, ", ".join(p[2] for p in pts),
                             f"{slope:.1f}"])
    if not rows:
        return "(needs two sizes of one family)"
    return _table(["sim", "family", "thr", "from", "bytes / synapse"], rows)


def _all_runs(results):
    rows = []
    for r in results["runs"]:
        res = r.get("result") or {}
        extra = []
        for k in ("prepare_s", "extract_s", "compile_s", "setup_s"):
            if res.get(k) is not None:
                extra.append(f"{k[:-2]} {_f(res[k])}")
        rows.append([r["bench"], SHORT.get(r["sim"], r["sim"]), r["threads"], r["repeat"],
                     r["status"] if r["status"] == "ok" else f"**{r['status']}**: {r.get('reason')}",
                     _f(res.get("build_s")), _f(res.get("run_s")), ", ".join(extra) or "",
                     _f(r.get("wall_s")),
                     _f((r.get("peak_rss_kb") or 0) / 1024) if r.get("peak_rss_kb") else "–",
                     _f(res["sim_rss_kb"] / 1024) if res.get("sim_rss_kb") else "",
                     _int(res.get("synapses")), _int(res.get("spikes"))])
    return _table(["bench", "sim", "thr", "rep", "status", "build s", "run s", "parts (s)",
                   "wall s", "peak RSS MB", "binary RSS MB", "synapses", "spikes"], rows)


def markdown(results: dict, png_name: str) -> str:
    agg = aggregate(results)
    m = results.get("machine", {})
    git = results.get("spinnframe_git") or {}
    L = [f"# Benchmark results `{results['name']}`", ""]
    if results.get("quick"):
        L += ["> **Smoke run (`--quick`): tiny sizes, not a benchmark result.** "
              "Timings on a loaded machine mean nothing beyond 'it runs'.", ""]
    L += [f"- command: `{results['command']}`",
          f"- started {results.get('started')}, finished {results.get('finished', '?')}, "
          f"{results.get('total_s', '?')} s in all",
          f"- machine: {m.get('cpu_model')}, {m.get('nproc')} CPUs "
          f"({m.get('cpus_usable', '?')} usable), {m.get('mem_total_gib')} GiB, {m.get('platform')}",
          f"- load average (1, 5, 15 min) at start {results.get('loadavg_start')}, "
          f"at end {results.get('loadavg_end')}",
          *([f"- second thread, without any simulator (scripts/cores.py), at start: "
             f"{cores_line(results.get('cores_start'))}; at end: "
             f"{cores_line(results.get('cores_end'))}"]
            if results.get("cores_start") or results.get("cores_end") else []),
          f"- model time {results['tstop_ms']:g} ms, dt 0.1 ms; threads "
          f"{', '.join(map(str, results['threads']))}; {results['repeat']} run(s) each "
          "(medians shown); timeout "
          f"{results.get('timeout_s', '?'):g} s",
          f"- spinnframe commit {git.get('commit')}{' + local changes' if git.get('dirty') else ''}",
          ""]
    L += ["## Simulators", ""]
    rows = []
    for s, info in results["simulators"].items():
        rows.append([s, info["status"] if info["status"] == "ok" else f"**{info['status']}**: "
                     f"{info.get('reason')}", info.get("version") or "–",
                     f"`{info.get('python')}` ({info.get('python_version', '?')})", info.get("what")])
    L += [_table(["sim", "status", "version", "interpreter", "what runs"], rows), ""]
    if results.get("warmup"):
        L += [f"spinnframe warm-up (untimed, fills the kernel cache): {results['warmup']}", ""]
    L += ["## Run time (s)", "",
          _metric_table(results, agg, "run_s", "",
                        "The simulation itself as each script times it: `sim.run()` for PyNN "
                        "(spinnframe, PyNN+NEST), Prepare+Run+Cleanup for native NEST, the time-step "
                        "loop inside the compiled binary for Brian2. sf/X < 1: spinnframe faster."),
          "", "## Build time (s)", "",
          _metric_table(results, agg, "build_s", "",
                        "Network construction: setup, populations, connectors (PyNN, NEST); for "
                        "Brian2 all wall time but the loop, so code generation and the C++ "
                        "compile (cold, every run) are in it."),
          "", "## Peak RSS (MB)", "",
          _metric_table(results, agg, "rss_mb", "",
                        "Peak resident set of the benchmark's process tree (wait4 ru_maxrss, the "
                        "largest process): for Brian2 that includes the C++ compiler; its "
                        "binary alone is in the 'binary RSS' column below."),
          "", "## Same answers: mean firing rate (Hz) and spike count", "",
          _rates_table(results, agg), ""]
    pr = _pop_rates_table(results, agg)
    if pr:
        L += [pr, ""]
    tc = _thread_check(results, agg)
    if tc:
        L += [tc, ""]
    tt = _thread_table(results)
    if tt:
        L += ["## Threads: run time with 1 thread over n threads", "",
              "Paired: the ratio within each round (the runs of one repeat index, made one "
              "after another), whose median is less swayed than the ratio of medians by a "
              "stretch of the run in which another tenant held a core.", "", tt, ""]
    L += ["## Memory per synapse (marginal)", "",
          "Slope of peak RSS against synapse count across the sizes of one family (Brian2: its "
          "binary's RSS): the bytes that one more synapse costs, per-neuron and fixed costs "
          "included only as far as they grow with the synapses. Tiny --quick sizes make it noisy.",
          "", _bytes_per_synapse(results, agg), ""]
    L += ["## Scaling plot", "", f"![scaling]({png_name})", ""]
    if str(results.get("plot", "")).startswith("skipped"):
        L += [f"Plot {results['plot']}", ""]
    L += ["## All runs", "", _all_runs(results), ""]
    bad = [r for r in results["runs"] if r["status"] not in ("ok", "missing")]
    if bad:
        L += ["## Failures", ""]
        for r in bad:
            L += [f"### {r['bench']} {r['sim']} threads {r['threads']} repeat {r['repeat']}: "
                  f"{r['status']} ({r.get('reason')})", "", f"`{r.get('cmd')}`", "", "```",
                  (r.get("stderr_tail") or "").strip()[-2000:], "```", ""]
    return "\n".join(L)
