"""Scaling plot of a benchmarks/run.py results .json: time and memory against neurons and synapses.

    python benchmarks/plot.py RESULTS.json [OUT.png]

Log-log; one colour per simulator, solid/dashed/dotted lines (filled/hollow markers) for
1/2/more threads, circles for VA CUBA and squares for the microcircuit (each family is its own
line: the two models differ in synapses per neuron). Needs matplotlib.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import aggregate, SHORT  # noqa: E402

COLORS = {"spinnframe": "tab:blue", "nest-native": "tab:orange", "pynn-nest": "tab:green",
          "brian2": "tab:red", "pynn-nest-offgrid": "tab:purple", "nest-native-ps": "tab:brown"}
MARKERS = {"va": "o", "mc": "s"}
FAMILY = {"va": "VA CUBA", "mc": "microcircuit"}


def _style(threads: int) -> str:
    return {1: "-", 2: "--"}.get(threads, ":")


def _face(sim: str, threads: int) -> str:
    """Filled markers for 1 thread, hollow for more (single points have no line style)."""
    return COLORS.get(sim, "k") if threads == 1 else "white"


def plot(results: dict, png_path) -> None:
    agg = aggregate(results)
    rows = [("run_s", "run time (s)"), ("build_s", "build time (s)"),
            ("rss_mb", "peak RSS (MB)")]
    cols = [("neurons", "neurons"), ("synapses", "synapses")]
    fig, axes = plt.subplots(len(rows), len(cols), figsize=(12, 13), squeeze=False)
    sims = results["sims"]
    fams = [f for f in ("va", "mc") if any(b["family"] == f for b in results["benchmarks"])]
    for s in sims:
        for t in results["threads"]:
            for fam in fams:
                pts = [agg[(b["id"], s, t)] for b in results["benchmarks"]
                       if b["family"] == fam and agg.get((b["id"], s, t), {}).get("status") == "ok"]
                if not pts:
                    continue
                for i, (field, _) in enumerate(rows):
                    for j, (xf, _) in enumerate(cols):
                        series = [(p[xf], p[field]) for p in pts if p.get(xf) and p.get(field)]
                        series.sort()
                        if series:
                            axes[i][j].plot(*zip(*series), color=COLORS.get(s, "k"),
                                            linestyle=_style(t), marker=MARKERS[fam], ms=6, lw=1.6,
                                            alpha=0.9, markerfacecolor=_face(s, t))
                        if field == "rss_mb" and s == "brian2":
                            b2 = sorted((p[xf], p["sim_rss_mb"]) for p in pts
                                        if p.get(xf) and p.get("sim_rss_mb"))
                            if b2:
                                axes[i][j].plot(*zip(*b2), color=COLORS["brian2"],
                                                linestyle=_style(t), marker="x", ms=5,
                                                lw=0.8, alpha=0.5)
    for i, (_, ylabel) in enumerate(rows):
        for j, (_, xlabel) in enumerate(cols):
            ax = axes[i][j]
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.grid(True, which="both", alpha=0.3)
            ax.margins(x=0.06, y=0.08)
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
    handles = [Line2D([], [], color=COLORS.get(s, "k"), lw=2.5, label=SHORT.get(s, s) + f" ({s})")
               for s in sims]
    handles += [Line2D([], [], color="gray", linestyle=_style(t), lw=1.6, marker="o",
                       markerfacecolor="gray" if t == 1 else "white",
                       label=f"{t} thread(s)") for t in results["threads"]]
    handles += [Line2D([], [], color="gray", marker=MARKERS[f], linestyle="none", ms=7,
                       label=FAMILY[f]) for f in fams]
    if "brian2" in sims:
        handles.append(Line2D([], [], color=COLORS["brian2"], lw=0.8, alpha=0.5, marker="x",
                              label="Brian2 binary alone (RSS)"))
    fig.legend(handles=handles, loc="upper center", ncol=min(4, len(handles)), frameon=False,
               bbox_to_anchor=(0.5, 0.995), fontsize=10)
    m = results.get("machine", {})
    title = (f"{results['name']}: {results['tstop_ms']:g} ms model time, dt 0.1 ms - "
             f"{m.get('cpu_model')}, {m.get('nproc')} CPUs")
    if results.get("quick"):
        title = "SMOKE RUN (--quick, tiny sizes): " + title
    fig.suptitle(title, y=0.935 if len(handles) > 8 else 0.95, fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.92))
    fig.savefig(png_path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    src = Path(sys.argv[1])
    dst = Path(sys.argv[2]) if len(sys.argv) > 2 else src.with_suffix(".png")
    plot(json.loads(src.read_text()), dst)
    print(f"wrote {dst}")
