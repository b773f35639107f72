#!/usr/bin/env python3
"""What one ``run()`` call costs beyond its time steps: a closed-loop experiment runs the
network in many short calls, with reads and changes between them.

    python benchmarks/scripts/run_calls.py [THREADS] [CHUNK_MS ...]

Builds a VA-CUBA-like network (3 200 + 800 IF_curr_exp neurons, 2 % connectivity, 100
Poisson sources, E spikes recorded), runs 10 ms to warm up (kernels compiled or loaded,
engine built), then 1 s of model time in calls of CHUNK_MS each (default 1000 10 1 0.1),
and prints per chunk size the wall time, the time per call and the recorded spikes, which
must be the same for every chunk size."""
from __future__ import annotations

import sys
import time

import spinnframe.pyNN as sim


def main(threads: int, chunk: float) -> None:
    sim.setup(timestep=0.1, threads=threads)
    cell = dict(tau_refrac=5.0, v_thresh=-50.0, v_reset=-60.0, tau_syn_E=5.0, tau_syn_I=10.0)
    exc = sim.Population(3200, sim.IF_curr_exp(**cell))
    inh = sim.Population(800, sim.IF_curr_exp(**cell))
    src = sim.Population(100, sim.SpikeSourcePoisson(rate=20.0))
    rng = sim.NumpyRNG(seed=1)
    for pre, w, rec in ((exc, 0.027, "excitatory"), (inh, -0.45, "inhibitory")):
        for post in (exc, inh):
            sim.Projection(pre, post, sim.FixedProbabilityConnector(0.02, rng=rng),
                           sim.StaticSynapse(weight=w, delay=0.1), receptor_type=rec)
    sim.Projection(src, exc, sim.FixedProbabilityConnector(0.1, rng=rng),
                   sim.StaticSynapse(weight=1.0, delay=0.1))
    exc.record("spikes")
    sim.run(10.0)                        # compiles or loads the kernels, builds the engine
    n = int(round(1000.0 / chunk))
    t0 = time.perf_counter()
    for _ in range(n):
        sim.run(chunk)
    wall = time.perf_counter() - t0
    spikes = sum(exc.get_spike_counts().values())
    sim.end()
    print(f"threads {threads}, {n} calls of {chunk:g} ms: {wall:.3f} s, "
          f"{1e6 * wall / n:.0f} us per call, {spikes} spikes")


if __name__ == "__main__":
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    for chunk in [float(x) for x in sys.argv[2:]] or [1000.0, 10.0, 1.0, 0.1]:
        main(threads, chunk)
