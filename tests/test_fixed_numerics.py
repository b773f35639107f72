"""setup(numerics="fixed"): the host engine at SpiNNaker's s16.15 resolution."""
import numpy as np
import pytest

import spinnframe.pyNN as sim


def v_trace(numerics, i_offset, t_stop=200.0, **cell):
    sim.setup(timestep=0.1, numerics=numerics)
    try:
        p = sim.Population(1, sim.IF_curr_exp(i_offset=i_offset, **cell))
        p.initialize(v=-65.0)
        p.record("v")
        sim.run(t_stop)
        return np.asarray(p.get_data().segments[0].filter(name="v")[0]).ravel()
    finally:
        sim.end()


def test_increments_below_the_resolution_are_lost():
    """A current so small that v changes by less than half of 2^-15 mV per step: in double
    precision v creeps up; at s16.15 (rounded to nearest) each step's change rounds away and
    v never moves, the kind of effect seen on SpiNNaker."""
    cell = dict(tau_m=1000.0, cm=1.0, v_rest=-65.0, v_thresh=-50.0)
    per_step = 1e-4 * 0.1 / 1.0                     # i * dt / cm = 1e-5 mV < 2^-16 mV
    assert per_step < 2 ** -16
    double = v_trace("double", 1e-4, **cell)
    fixed = v_trace("fixed", 1e-4, **cell)
    # the exact passive response: R I (1 - exp(-t / tau_m)), R = tau_m / cm
    assert double[-1] - double[0] == pytest.approx(1e-4 * 1000.0 * (1 - np.exp(-0.2)),
                                                   rel=1e-9)
    assert (fixed == -65.0).all()


def test_fixed_values_lie_on_the_grid_and_stay_close_to_double():
    cell = dict(tau_m=20.0, cm=1.0, v_thresh=-40.0)
    double = v_trace("double", 0.55, **cell)
    fixed = v_trace("fixed", 0.55, **cell)
    scaled = fixed * 32768.0
    np.testing.assert_array_equal(scaled, np.round(scaled))
    diff = np.abs(fixed - double).max()
    assert 0 < diff < 0.05                  # a visible but small difference


def test_bad_numerics():
    with pytest.raises(ValueError, match="numerics must be 'double'.*got 'float16'"):
        sim.setup(numerics="float16")
