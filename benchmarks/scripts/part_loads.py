#!/usr/bin/env python3
"""How the work of a benchmark is divided between the host engine's threads.

    python benchmarks/scripts/part_loads.py SCRIPT [ARGS...]

runs SCRIPT (a benchmark script written against PyNN, e.g. ../shared/bench/microcircuit.py
spinnframe.pyNN 0.05 1000 2) unchanged, and prints one JSON line: per population its
size, its neurons in each thread's part, the spikes it fired, the synapses onto it and the
synaptic events delivered onto it (each projection's connections x its source's spikes /
the source's size); then per part the neurons it updates and the synapses and events
delivered onto them. Delivery time follows the events, update time the neurons.
"""
from __future__ import annotations

import ctypes
import json
import runpy
import sys


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    from spinnframe_host import engine as host
    seen: dict = {}
    run = host.HostBackend.run

    def watched_run(self, net, *args, **kwargs):
        out = run(self, net, *args, **kwargs)
        lib = self.lib
        lib.sf_engine_total_spikes.restype = ctypes.c_uint64
        lib.sf_engine_total_spikes.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
        seen["net"] = net
        seen["parts"] = self.parts
        seen["spikes"] = [int(lib.sf_engine_total_spikes(self.engine, k))
                          for k in range(len(net.populations))]
        return out

    host.HostBackend.run = watched_run
    sys.argv = sys.argv[1:]
    runpy.run_path(sys.argv[0], run_name="__main__")
    if "net" not in seen:
        sys.exit("the script ran nothing on the host engine")
    net, parts, spikes = seen["net"], seen["parts"], seen["spikes"]
    sizes = [p.size for p in net.populations]
    synapses = [0] * len(sizes)
    events = [0.0] * len(sizes)
    for prj in net.projections:
        synapses[prj.post] += len(prj)
        events[prj.post] += len(prj) * spikes[prj.pre] / max(sizes[prj.pre], 1)
    n_parts = len(parts[0]) - 1 if parts else 1
    pops = [{"label": p.label, "size": sizes[k],
             "part_neurons": [parts[k][t + 1] - parts[k][t] for t in range(n_parts)],
             "spikes": spikes[k], "synapses_in": synapses[k], "events_in": round(events[k])}
            for k, p in enumerate(net.populations)]
    totals = []
    for t in range(n_parts):
        share = [(parts[k][t + 1] - parts[k][t]) / max(sizes[k], 1) for k in range(len(sizes))]
        totals.append({"neurons": sum(parts[k][t + 1] - parts[k][t] for k in range(len(sizes))),
                       "synapses_in": round(sum(s * f for s, f in zip(synapses, share))),
                       "events_in": round(sum(e * f for e, f in zip(events, share)))})
    print(json.dumps({"script": sys.argv[0], "args": sys.argv[1:], "populations": pops,
                      "parts": totals}))


if __name__ == "__main__":
    main()
