"""A balanced network of excitatory and inhibitory neurons driven by Poisson input.

An ordinary PyNN script: only the import line names spinnframe. It builds 1000
IF_curr_exp neurons (800 excitatory, 200 inhibitory) with random recurrent connections,
drives them with 100 Poisson sources, runs 1 s of model time, prints a summary and
saves a raster plot.

Usage: python examples/balanced_network.py [OUTPUT.png]
"""
import sys
import time

import numpy as np
import spinnframe.pyNN as sim
from pyNN.random import NumpyRNG, RandomDistribution

out_png = sys.argv[1] if len(sys.argv) > 1 else "balanced_network.png"
t0 = time.perf_counter()
sim.setup(timestep=0.1, min_delay=0.1, max_delay=10.0, rng_seed=42)

cell = sim.IF_curr_exp(tau_m=20.0, cm=0.25, tau_syn_E=5.0, tau_syn_I=5.0, tau_refrac=2.0,
                       v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0, i_offset=0.1)
exc = sim.Population(800, cell, label="excitatory")
inh = sim.Population(200, cell, label="inhibitory")
noise = sim.Population(100, sim.SpikeSourcePoisson(rate=20.0), label="poisson input")
rng = NumpyRNG(seed=1)
for pop in (exc, inh):
    pop.initialize(v=RandomDistribution("uniform", (-65.0, -50.0), rng=rng))

cells = exc + inh                      # an Assembly of both populations
w_exc, w_inh, w_ext = 0.03, -0.5, 0.1  # nA; inhibitory weights are negative in PyNN
projections = [
    sim.Projection(exc, cells, sim.FixedProbabilityConnector(0.1, rng=NumpyRNG(2)),
                   sim.StaticSynapse(weight=w_exc, delay=1.5), receptor_type="excitatory"),
    sim.Projection(inh, cells, sim.FixedProbabilityConnector(0.1, rng=NumpyRNG(3)),
                   sim.StaticSynapse(weight=w_inh, delay=1.5), receptor_type="inhibitory"),
    sim.Projection(noise, cells, sim.FixedProbabilityConnector(0.3, rng=NumpyRNG(4)),
                   sim.StaticSynapse(weight=w_ext, delay=1.5), receptor_type="excitatory"),
]
cells.record("spikes")
exc[:5].record("v")                    # membrane traces of five neurons, through a view
build_s = time.perf_counter() - t0

t1 = time.perf_counter()
sim.run(1000.0)
run_s = time.perf_counter() - t1

data = cells.get_data().segments[0]
v = exc.get_data("v").segments[0].filter(name="v")[0]
n_syn = sum(len(p) for p in projections)
counts = np.array([len(st) for st in data.spiketrains])
print(f"spinnframe balanced network: {cells.size} neurons, {n_syn} synapses, "
      f"{sim.get_current_time():.0f} ms simulated")
print(f"  build {build_s:.2f} s, run {run_s:.2f} s (the first run on a machine includes "
      f"compiling the C kernels, a few seconds; later runs load them from a cache)")
print(f"  mean rate: excitatory {counts[:exc.size].mean():.2f} Hz, "
      f"inhibitory {counts[exc.size:].mean():.2f} Hz, silent neurons {np.mean(counts == 0):.0%}")
print(f"  recorded v: {v.shape[1]} traces x {v.shape[0]} samples, "
      f"mean {float(v.magnitude.mean()):.2f} mV")
sim.end()

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 6), sharex=True,
                               gridspec_kw={"height_ratios": [3, 1]})
for i, st in enumerate(data.spiketrains):
    ax1.plot(st.magnitude, np.full(len(st), i), ",", color="C0" if i < exc.size else "C3")
ax1.set_ylabel("neuron (blue exc, red inh)")
ax1.set_title("spinnframe: balanced network raster")
ax2.plot(v.times.magnitude, v.magnitude, lw=0.6)
ax2.set_xlabel("time (ms)")
ax2.set_ylabel("v (mV)")
fig.tight_layout()
fig.savefig(out_png, dpi=120)
print(f"  raster plot saved to {out_png}")
