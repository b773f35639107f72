#!/usr/bin/env python3
"""The neuron update alone, per model: 10 000 unconnected neurons (or sources) of each
bundled model with a constant drive, 500 ms of model time after a 10 ms warm-up run (which
compiles the kernel), one thread.

    python benchmarks/scripts/models.py [MODEL ...]      # default: all listed below
    T=2000 python benchmarks/scripts/models.py IF_curr_exp

Prints one JSON line: {model: [run seconds, spikes]}.
"""
import json
import os
import sys
import time

import numpy as np

import spinnframe.pyNN as sim
from pyNN.parameters import Sequence

MODELS = [("IF_curr_exp", dict(i_offset=1.0)), ("IF_cond_exp", dict(i_offset=1.0)),
          ("IF_curr_alpha", dict(i_offset=1.0)), ("Izhikevich", dict(i_offset=0.01)),
          ("EIF_cond_exp_isfa_ista", dict(i_offset=1.0)), ("HH_cond_exp", dict(i_offset=0.5)),
          ("SpikeSourcePoisson", dict(rate=10.0)),
          ("SpikeSourcePoissonRefractory", dict(rate=10.0, tau_refrac=3.0)),
          ("SpikeSourceGamma", dict(alpha=3.0, beta=30.0)),
          ("SpikeSourceInhGamma", dict(a=Sequence([2.0, 4.0]), b=Sequence([0.05, 0.025]),
                                       tbins=Sequence([0.0, 250.0]))),
          # five spikes per source at random times (one parameter set per source)
          ("SpikeSourceArray", dict(spike_times=[
              sorted(np.random.default_rng(k).uniform(10.0, 510.0, 5).round(1))
              for k in range(10000)]))]


def main() -> None:
    wanted = sys.argv[1:]
    t_run = float(os.environ.get("T", 500))
    out = {}
    for name, kw in MODELS:
        if wanted and name not in wanted:
            continue
        sim.setup(timestep=0.1, threads=1)
        p = sim.Population(10000, getattr(sim, name)(**kw))
        p.record("spikes")
        sim.run(10.0)
        t = time.perf_counter()
        sim.run(t_run)
        dt = time.perf_counter() - t
        n = sum(len(s) for s in p.get_data("spikes").segments[0].spiketrains)
        out[name] = (round(dt, 4), n)
        sim.end()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
