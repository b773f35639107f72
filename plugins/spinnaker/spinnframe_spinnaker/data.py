"""Recorded data from sPyNNaker's arrays to spinnframe's steps (no sPyNNaker needed).

sPyNNaker reports data per machine time step ("tick") T, with time T * dt: a spike fired
during tick T, and a sample of the state after the update of tick T. spinnframe (like
NEST) stamps a spike fired in step m at (m + 1) * dt, and a sample taken after step m at
step m + 1. So a spike of tick T goes to step T + 1. A sample of tick T goes to step
T + interval: with one sample per step that is exactly the host engine's grid; with a
longer interval sPyNNaker samples ticks 0, k, 2k, ... and each sample lands on spinnframe's
next grid point (it shows the state k - 1 steps before its time stamp; see
docs/backends/spinnaker.md).
"""
from __future__ import annotations

import numpy as np


def ticks(times_ms, dt: float) -> np.ndarray:
    """sPyNNaker time stamps (ms) as machine time steps."""
    return np.rint(np.asarray(times_ms, dtype=float) / dt).astype(np.int64)


def spikes_in_run(data, dt: float, start_step: int, n_steps: int):
    """(steps, neuron indices) of the spikes of one run, from sPyNNaker's
    ``spinnaker_get_data("spikes")`` array (rows of neuron index, time in ms). Spikes of
    earlier runs in the same segment are left out."""
    data = np.asarray(data, dtype=float).reshape(-1, 2) if np.size(data) else \
        np.zeros((0, 2))
    tick = ticks(data[:, 1], dt)
    keep = (tick >= start_step) & (tick < start_step + n_steps)
    steps = tick[keep] + 1
    index = data[keep, 0].astype(np.int64)
    order = np.lexsort((index, steps))
    return steps[order], index[order]


def samples_in_run(data, dt: float, interval: int, indices, start_step: int, n_steps: int):
    """(first step, values n_samples x len(indices)) of one run, from sPyNNaker's
    ``spinnaker_get_data(variable)`` array (rows of neuron index, time in ms, value), for
    the neurons ``indices`` (in that column order). Samples are placed at tick + interval
    (see the module's documentation); those outside (start_step, start_step + n_steps]
    are left out. Returns (None, None) when there is none."""
    indices = np.asarray(indices, dtype=np.int64)
    data = np.asarray(data, dtype=float).reshape(-1, 3) if np.size(data) else \
        np.zeros((0, 3))
    step = ticks(data[:, 1], dt) + interval
    keep = (step > start_step) & (step <= start_step + n_steps)
    data, step = data[keep], step[keep]
    if not len(data):
        return None, None
    first = int(step.min())
    rows = (step - first) // interval
    column = {int(n): c for c, n in enumerate(indices)}
    cols = np.array([column.get(int(n), -1) for n in data[:, 0]], dtype=np.int64)
    ok = cols >= 0
    values = np.full((int(rows.max()) + 1, len(indices)), np.nan)
    values[rows[ok], cols[ok]] = data[ok, 2]
    return first, values
