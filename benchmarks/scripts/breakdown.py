#!/usr/bin/env python3
"""Where the time and the memory of a benchmark go, on spinnframe's host engine.

    python benchmarks/scripts/breakdown.py SCRIPT [ARGS...]

runs SCRIPT (a benchmark script written against PyNN, e.g. ../shared/bench/microcircuit.py
spinnframe.pyNN 1.0 1000 2) unchanged, and prints one JSON line: resident memory after the
network is built, after the first run and at the peak (MB); the engine's synaptic rows
(bytes, synapses, bytes per synapse); and the host engine's profile (setup, loop and, per
thread, neuron update, spike delivery, bookkeeping and barrier waits, in seconds).
"""
from __future__ import annotations

import json
import resource
import runpy
import sys


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    import spinnframe.pyNN as sim
    from spinnframe.simulator import state
    out: dict = {"script": sys.argv[1], "args": sys.argv[2:]}
    run, end = sim.run, sim.end

    def measured_run(*args, **kwargs):
        if "rss_built_mb" not in out:
            out["rss_built_mb"] = round(rss_mb(), 1)
        result = run(*args, **kwargs)
        if "rss_after_run_mb" not in out:
            out["rss_after_run_mb"] = round(rss_mb(), 1)
            nbytes, n = state.backend.synapse_memory()
            out.update(engine_synapse_bytes=nbytes, synapses=n,
                       bytes_per_synapse=round(nbytes / n, 2) if n else None)
        return result

    def measured_end(*args, **kwargs):
        if state.backend is not None and hasattr(state.backend, "profile"):
            out["profile"] = state.backend.profile()
        return end(*args, **kwargs)

    sim.run, sim.end = measured_run, measured_end
    sys.argv = sys.argv[1:]
    runpy.run_path(sys.argv[0], run_name="__main__")
    out["peak_mb"] = round(peak_mb(), 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
