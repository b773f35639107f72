"""Synapse dynamics: Tsodyks-Markram depression/facilitation and STDP with the four weight
dependences, in plain PyNN (the same file runs with pyNN.nest and spinnframe.pyNN).

Usage: python synapses_drive.py SIMULATOR_MODULE OUTPUT.npz

TM: one presynaptic train (regular 50 Hz, a pause, a burst) drives three passive
IF_curr_exp cells through depressing, facilitating and mixed synapses; v is recorded.
STDP: a presynaptic train and a postsynaptic neuron made to fire at chosen times by a
strong static input; the plastic weight is read every 5 ms (run() in pieces, as users do).
"""
import importlib
import sys

import numpy as np

DT = 0.1


def main(module_name, out_path):
    sim = importlib.import_module(module_name)
    extra = {"spike_precision": "on_grid"} if module_name == "pyNN.nest" else {}
    sim.setup(timestep=DT, min_delay=DT, max_delay=10.0, **extra)

    # -- Tsodyks-Markram ---------------------------------------------------------------
    train = list(np.arange(10.0, 200.0, 20.0)) + [400.0, 403.0, 406.0, 409.0, 412.0]
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=train))
    passive = sim.IF_curr_exp(tau_m=20.0, cm=1.0, v_rest=-70.0, v_reset=-70.0,
                              v_thresh=0.0, tau_syn_E=3.0, tau_syn_I=3.0)
    tm_cells = sim.Population(3, passive, label="tm")
    tm_cells.initialize(v=-70.0)
    settings = [dict(U=0.5, tau_rec=300.0, tau_facil=0.0),     # depressing
                dict(U=0.05, tau_rec=50.0, tau_facil=400.0),   # facilitating
                dict(U=0.2, tau_rec=150.0, tau_facil=150.0)]   # mixed
    for k, prm in enumerate(settings):
        sim.Projection(src, tm_cells[k:k + 1], sim.AllToAllConnector(),
                       sim.TsodyksMarkramSynapse(weight=2.0, delay=1.0, **prm),
                       receptor_type="excitatory")
    tm_cells.record("v")

    # -- STDP --------------------------------------------------------------------------
    pre_times = [10.0, 30.0, 31.5, 50.0, 70.0, 90.0, 91.0, 120.0, 140.0, 141.0, 160.0]
    post_times = [12.0, 28.0, 33.0, 52.0, 69.0, 95.0, 119.0, 139.5, 158.0]
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=pre_times))
    drive = sim.Population(1, sim.SpikeSourceArray(spike_times=[t - 1.0 for t in post_times]))
    rules = [sim.AdditiveWeightDependence(w_min=0.0, w_max=1.0),
             sim.MultiplicativeWeightDependence(w_min=0.0, w_max=1.0),
             sim.AdditivePotentiationMultiplicativeDepression(w_min=0.0, w_max=1.0),
             # mu_plus = mu_minus = 0.5: pyNN.nest 0.13 ignores other values (its
             # GutigWeightDependence.__init__ does not pass them on)
             sim.GutigWeightDependence(w_min=0.0, w_max=1.0, mu_plus=0.5, mu_minus=0.5)]
    posts = sim.Population(len(rules), sim.IF_curr_exp(
        tau_refrac=5.0, v_thresh=-55.0, v_reset=-70.0, tau_syn_E=0.5), label="stdp")
    posts.record("spikes")
    sim.Projection(drive, posts, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=20.0, delay=0.9))
    plastic = []
    for k, wd in enumerate(rules):
        rule = sim.STDPMechanism(
            timing_dependence=sim.SpikePairRule(tau_plus=16.0, tau_minus=25.0, A_plus=0.05,
                                                A_minus=0.06),
            weight_dependence=wd, weight=0.5, delay=1.5 + 0.5 * k)
        plastic.append(sim.Projection(pre, posts[k:k + 1], sim.AllToAllConnector(), rule,
                                      receptor_type="excitatory"))
    weights = []
    for _ in range(int(500.0 / 5.0)):
        sim.run(5.0)
        weights.append([prj.get("weight", format="array")[0, 0] for prj in plastic])
    v_tm = np.asarray(tm_cells.get_data().segments[0].filter(name="v")[0])
    post_spikes = [np.asarray(st) for st in posts.get_data().segments[0].spiketrains]
    np.savez(out_path, v_tm=v_tm, stdp_weights=np.array(weights),
             post_spike_counts=[len(s) for s in post_spikes],
             post_spike_times=np.concatenate(post_spikes), module=module_name)
    sim.end()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
