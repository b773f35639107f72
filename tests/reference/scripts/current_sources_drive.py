"""Current sources injected into IF_curr_exp neurons: DC, AC and step currents, into a
population, a view and an assembly, over two run() calls.

Usage: python current_sources_drive.py SIMULATOR_MODULE OUTPUT.npz
Plain PyNN: the same file runs with pyNN.nest (grid model) and spinnframe.pyNN.
Avoided on purpose, because pyNN.nest's correction of NEST's one-step device delay does not
cover them: exact half-step ties in source times (PyNN rounds with rint; pyNN.nest resolves
ties the other way), current during the very first step (NEST cannot deliver it: a source
starting at 0 acts from dt), and parameter changes between runs (NEST applies them two
steps late). spinnframe's behaviour for those is tested analytically in
tests/test_current_sources.py.
"""
import importlib
import sys

import numpy as np

DT = 0.1


def main(module_name, out_path):
    sim = importlib.import_module(module_name)
    extra = {"spike_precision": "on_grid"} if module_name == "pyNN.nest" else {}
    sim.setup(timestep=DT, min_delay=DT, max_delay=5.0, **extra)
    cell = sim.IF_curr_exp(tau_m=10.0, cm=0.5, v_rest=-65.0, v_reset=-70.0, v_thresh=-55.0,
                           tau_refrac=2.0)
    a = sim.Population(3, cell, label="a")
    b = sim.Population(2, cell, label="b")
    a.initialize(v=-65.0)
    b.initialize(v=-65.0)
    dc = sim.DCSource(amplitude=0.4, start=5.0, stop=60.0)
    ac = sim.ACSource(amplitude=0.3, offset=0.2, frequency=40.0, phase=30.0, start=12.3,
                      stop=80.0)
    step = sim.StepCurrentSource(times=[3.0, 20.2, 33.3, 47.0, 70.1],
                                 amplitudes=[0.5, -0.2, 1.2, 0.0, 0.8])
    dc.inject_into(a[0:1])          # a view
    ac.inject_into(a[1:3])
    step.inject_into(a + b)         # an assembly
    b.inject(sim.DCSource(amplitude=0.25, start=0.5, stop=1e12))
    for src in (dc, ac, step):
        src.record()
    a.record(["v", "spikes"])
    b.record("v")
    run1 = 49.9 if module_name == "pyNN.nest" else 50.0  # pyNN.nest runs one step ahead
    sim.run(run1)
    sim.run(100.0 - run1)
    va = a.get_data().segments[0].filter(name="v")[0]
    vb = b.get_data().segments[0].filter(name="v")[0]
    spikes = [np.asarray(st) for st in a.get_data().segments[0].spiketrains]
    currents = {name: np.asarray(src.get_data()).ravel()
                for name, src in (("dc", dc), ("ac", ac), ("step", step))}
    np.savez(out_path, v_a=np.asarray(va), v_b=np.asarray(vb),
             times=np.asarray(va.times), spike_counts=[len(s) for s in spikes],
             spike_times=np.concatenate(spikes) if spikes else np.zeros(0),
             **{f"i_{k}": v for k, v in currents.items()}, module=module_name)
    sim.end()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
