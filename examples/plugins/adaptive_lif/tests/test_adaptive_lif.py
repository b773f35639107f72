"""Tests of spinnframe-adaptive-lif, run against the installed package.

The fixtures ``spinnframe_sim`` and ``spinnframe_plugins`` come from spinnframe's pytest
plugin (spinnframe.testing), which pytest loads automatically wherever spinnframe is
installed.
"""
import numpy as np
import pytest
from pyNN import errors

from spinnframe.testing import Drive, compare_with_reference

from adaptive_lif_reference import simulate

MODEL = "AdaptiveIF_curr_exp"


def reference(inputs):
    """The model's equations, integrated exactly by numpy (adaptive_lif_reference.py)."""
    return simulate(inputs.params, inputs.dt, inputs.i_inj, inputs.syn["excitatory"],
                    inputs.syn["inhibitory"], v0=inputs.initial["v"], w0=inputs.initial["w"])


def test_plugin_is_discovered(spinnframe_plugins):
    assert MODEL in spinnframe_plugins.neuron_models
    info = spinnframe_plugins.provider("neuron_model", MODEL)
    assert info.name == "adaptive_lif"
    assert info.distribution == "spinnframe-adaptive-lif"


def test_adaptation_current_records_and_slows_firing(spinnframe_sim):
    sim = spinnframe_sim
    cells = sim.Population(2, getattr(sim, MODEL)(i_offset=0.4, a=[0.0, 2.0], b=[0.0, 0.02]))
    cells.record(["v", "w", "spikes"])
    sim.run(500.0)
    seg = cells.get_data().segments[0]
    w = seg.filter(name="w")[0]
    assert w.shape == (5001, 2) and str(w.units.dimensionality) == "nA"
    assert np.all(np.asarray(w)[:, 0] == 0.0)          # no adaptation without a and b
    assert np.asarray(w)[-1, 1] > 0.05
    counts = [len(st) for st in seg.spiketrains]
    assert counts[0] > counts[1] > 0                     # adaptation slows firing
    isi = np.diff(seg.spiketrains[1].magnitude)
    assert np.all(np.diff(isi) > 0)                      # and increasingly so


@pytest.mark.parametrize("params", [
    {},                                                  # the defaults
    {"a": 0.0, "b": 0.1, "tau_w": 50.0},                 # spike-triggered adaptation only
    {"a": 20.0, "tau_refrac": 0.0, "tau_syn_E": 2.0},    # strong subthreshold coupling
])
def test_matches_exact_integration(params):
    drive = Drive(duration=400.0, current=[(20.0, 0.35), (250.0, 0.1), (330.0, 0.0)],
                  spikes={"excitatory": [(30.0, 0.5), (300.0, 1.5), (301.0, 1.5)],
                          "inhibitory": [(120.0, -0.8)]})
    # RKF45 keeps each step's error below ~1e-9 (mV, nA); over 4000 steps the error
    # stays far below these tolerances, which are far below any distance to threshold
    compare_with_reference(MODEL, params, drive, reference,
                           tolerance={"v": 1e-6, "w": 1e-8, "isyn_exc": 1e-8,
                                      "isyn_inh": 1e-8})


def test_reset_must_be_below_threshold(spinnframe_sim):
    sim = spinnframe_sim
    with pytest.raises(errors.InvalidParameterValueError, match="v_reset must be below"):
        sim.Population(1, getattr(sim, MODEL)(v_reset=-40.0, v_thresh=-50.0))
