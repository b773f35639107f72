#!/usr/bin/env python3
"""Start-up times of spinnframe on the native engine.

    python benchmarks/scripts/startup.py [REPEATS]

With an empty kernel cache (a fresh temporary SPINNFRAME_CACHE_DIR), then again from that
cache, each in a new process: how long ``import spinnframe.pyNN`` takes, then a 10-neuron
IF_curr_exp Population (the model's kernel is compiled or loaded there), then the first
``run(10.0)`` (the engine is compiled or loaded there). Prints one JSON line per process.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

CHILD = """
import json, time
t0 = time.perf_counter()
import spinnframe.pyNN as sim
t1 = time.perf_counter()
sim.setup(timestep=0.1)
sim.Population(10, sim.IF_curr_exp(i_offset=1.0))
t2 = time.perf_counter()
sim.run(10.0)
t3 = time.perf_counter()
sim.end()
print(json.dumps({"import_s": round(t1 - t0, 3), "population_s": round(t2 - t1, 3),
                  "first_run_s": round(t3 - t2, 3)}))
"""


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as cache:
            env = dict(os.environ, SPINNFRAME_CACHE_DIR=cache)
            for cached in (False, True):
                out = subprocess.run([sys.executable, "-c", CHILD], env=env, check=True,
                                     capture_output=True, text=True).stdout
                line = json.loads(out.strip().splitlines()[-1])
                print(json.dumps({"cache": "warm" if cached else "empty", **line}))


if __name__ == "__main__":
    main()
