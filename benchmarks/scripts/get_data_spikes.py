"""Time get_data() plus iterating the spike trains of 20 000 Poisson sources (1 s at 3 Hz).

Usage: python benchmarks/scripts/get_data_spikes.py SIMULATOR_MODULE  (spinnframe.pyNN, pyNN.nest)
"""
import sys, time, importlib
sim = importlib.import_module(sys.argv[1])
sim.setup(timestep=0.1)
p = sim.Population(20000, sim.SpikeSourcePoisson(rate=3.0))
p.record("spikes")
sim.run(1000.0)
t = time.perf_counter()
seg = p.get_data().segments[0]
n = sum(len(s) for s in seg.spiketrains)
print(sys.argv[1], "get_data + iterate 20000 trains: %.3f s, %d spikes" % (time.perf_counter() - t, n))
