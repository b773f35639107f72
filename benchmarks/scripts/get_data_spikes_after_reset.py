"""Time get_data() of a segment ended by reset() (PyNN's cache): 20 000 Poisson sources,
1 s at 3 Hz, then reset() and 10 ms more; iterate the first segment's spike trains.

Usage: python benchmarks/scripts/get_data_spikes_after_reset.py spinnframe.pyNN
(pyNN.nest refuses reset() without setup(t_flush=...).)
"""
import sys, time, importlib
sim = importlib.import_module(sys.argv[1])
sim.setup(timestep=0.1)
p = sim.Population(20000, sim.SpikeSourcePoisson(rate=3.0))
p.record("spikes")
sim.run(1000.0); sim.reset(); sim.run(10.0)
t = time.perf_counter()
seg = p.get_data().segments[0]
n = sum(len(s) for s in seg.spiketrains)
print(sys.argv[1], "cached segment, 20000 trains: %.3f s, %d spikes" % (time.perf_counter() - t, n))
