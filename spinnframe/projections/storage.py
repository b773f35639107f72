"""Compact storage of a projection's weights and delays.

A projection holds one weight and one delay per connection. Most networks repeat values
(one weight per projection, a few delays), so they are stored in the smallest form that
keeps them exact:

- one value for every connection: a read-only zero-stride view (no memory per connection);
- at most WEIGHT_TABLE_MAX distinct weights: a uint16 index per connection into a table of
  float64 values (exact);
- more distinct weights than that (weights drawn from a continuous distribution) on static
  synapses: float32 per connection, the precision the engine simulates them in (relative
  rounding at most 6e-8); synapses with dynamics keep float64;
- delays: uint16 time steps per connection (delays are rounded to the time grid anyway).

The same forms travel in the IR (ProjectionIR.weight_values / weight_table / delay_steps),
so a backend can use them without another copy.
"""
from __future__ import annotations

import numpy as np

#: Most distinct weights a projection may have and still be stored as a 16-bit index.
WEIGHT_TABLE_MAX = 65536
#: Longest delay, in time steps, that a delay column holds.
MAX_DELAY_STEPS = 65535


def _same(n: int, value, dtype) -> np.ndarray:
    """``value`` for each of n connections, without memory per connection."""
    return np.broadcast_to(np.asarray(value, dtype=dtype), (n,))


def is_uniform(column: np.ndarray) -> bool:
    """True for a zero-stride column: one value shared by every connection."""
    return len(column) > 0 and column.strides == (0,)


def store_weights(weights: np.ndarray, dynamics: str) -> tuple[np.ndarray, np.ndarray | None]:
    """The stored form of finite float64 ``weights``: (values, table), see the module doc.
    Plastic weights (STDP, Vogels) stay a writable float64 array: the engine returns them
    after every run. The choice is made per projection, so it never depends on threads."""
    n = len(weights)
    if dynamics in ("stdp", "vogels"):
        return np.array(weights, dtype=np.float64), None
    if n == 0:
        return np.zeros(0, np.uint16), np.zeros(1)
    lo, hi = weights.min(), weights.max()
    if lo == hi:
        return _same(n, 0, np.uint16), np.array([lo], dtype=np.float64)
    def many():
        return (weights.astype(np.float32) if dynamics == "static" else weights), None
    if n > WEIGHT_TABLE_MAX:                   # random weights: a sample decides cheaply
        sample = weights[:: max(1, n // 4096)][:4096]
        if len(np.unique(sample)) > len(sample) // 2:
            return many()
    table, index = np.unique(weights, return_inverse=True)
    if len(table) <= WEIGHT_TABLE_MAX:
        return index.reshape(-1).astype(np.uint16), table.astype(np.float64)
    return many()


def delay_steps(delay_ms: np.ndarray, dt: float) -> np.ndarray:
    """Delays (ms, already checked to lie in [dt, MAX_DELAY_STEPS * dt]) as uint16 steps,
    rounded to the nearest step, at least 1."""
    n = len(delay_ms)
    if n and delay_ms.min() == delay_ms.max():
        return _same(n, max(1.0, np.floor(delay_ms[0] / dt + 0.5)), np.uint16)
    steps = np.divide(delay_ms, dt)            # the same operations, in place
    steps += 0.5
    np.floor(steps, out=steps)
    np.maximum(steps, 1.0, out=steps)
    return steps.astype(np.uint16)
