"""Reference for Vogels2011Rule: NEST's native vogels_sprekeler_synapse (pyNN.nest 0.13 has
no mapping for PyNN's Vogels2011Rule). Writes the weight (nA) every 5 ms.

Usage: python vogels_nest_native.py OUTPUT.npz     (needs NEST 3.10)

Network (the spinnframe side is built in tests/test_synapse_dynamics.py):
pre: parrot_neuron re-emitting PRE_TIMES; post: iaf_psc_exp made to fire at POST_TIMES by a
strong static input; plastic synapse pre -> post, delay 1.5 ms, receptor excitatory.
The weight is read at 5.1, 10.1, ... ms in NEST (see main) and 5, 10, ... in spinnframe.
PyNN units: weights, eta and w_max in nA (x1000 for NEST's pA), rho in Hz, tau in ms;
NEST's alpha = 2 rho tau / 1000.
"""
import sys

import numpy as np

PRE_TIMES = [10.0, 30.0, 31.5, 50.0, 70.0, 90.0, 91.0, 120.0, 140.0, 141.0, 160.0]
POST_TIMES = [12.0, 28.0, 33.0, 52.0, 69.0, 95.0, 119.0, 139.5, 158.0]
TAU, ETA, RHO, W_MAX, W0, DELAY = 20.0, 0.02, 5.0, 1.0, 0.5, 1.5
POST = dict(tau_refrac=5.0, v_thresh=-55.0, v_reset=-70.0, tau_syn_E=0.5)


def main(out_path):
    import nest
    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.resolution = 0.1
    gen_pre = nest.Create("spike_generator", params={"spike_times": [t - 0.1 for t in PRE_TIMES]})
    parrot = nest.Create("parrot_neuron")
    nest.Connect(gen_pre, parrot, syn_spec={"delay": 0.1})
    post = nest.Create("iaf_psc_exp", params={
        "t_ref": POST["tau_refrac"], "V_th": POST["v_thresh"], "V_reset": POST["v_reset"],
        "tau_syn_ex": POST["tau_syn_E"], "E_L": -65.0, "V_m": -65.0, "C_m": 1000.0,
        "tau_m": 20.0, "tau_minus": TAU})
    drive = nest.Create("spike_generator", params={"spike_times": [t - 1.0 for t in POST_TIMES]})
    nest.Connect(drive, post, syn_spec={"weight": 20000.0, "delay": 0.9})
    nest.Connect(parrot, post, syn_spec={
        "synapse_model": "vogels_sprekeler_synapse", "weight": 1000.0 * W0, "delay": DELAY,
        "tau": TAU, "eta": 1000.0 * ETA, "alpha": 2.0 * RHO * TAU / 1000.0,
        "Wmax": 1000.0 * W_MAX})
    rec = nest.Create("spike_recorder")
    nest.Connect(post, rec)
    conn = nest.GetConnections(parrot, post)
    weights = []
    # NEST updates a plastic synapse when it delivers the spike, one step after the spike
    # was emitted; spinnframe updates it at emission. Read NEST one step later so both
    # readings include the same spikes.
    nest.Simulate(0.1)
    for _ in range(100):
        nest.Simulate(5.0)
        weights.append(conn.get("weight") / 1000.0)
    np.savez(out_path, weights=np.array(weights), post_spikes=np.asarray(rec.events["times"]),
             nest_version=nest.__version__)


if __name__ == "__main__":
    main(sys.argv[1])
