"""Volumes within which :class:`~spinnframe_structures.RandomStructure` places cells.

Shapes are not structures: a shape only knows how to draw points uniformly inside itself
(``sample(n, rng)``, an ``(n, 3)`` array centred on the origin). Both classes derive from
:class:`pyNN.space.Shape`, so PyNN's own ``RandomStructure`` accepts them, and spinnframe's
``RandomStructure`` accepts PyNN's shapes.

With the same :class:`~pyNN.random.NumpyRNG` (same seed) they produce exactly the points
PyNN's ``pyNN.space.Cuboid`` and ``pyNN.space.Sphere`` produce, and leave the generator in
the same state, so a script places its cells identically on every PyNN simulator.
"""
from __future__ import annotations

import math
import numbers

import numpy as np
from pyNN import space


def _extent(owner: str, name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{owner}: {name} must be a finite number >= 0, got {value!r}")
    return value


def _count(owner: str, n) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
        raise ValueError(f"{owner}: the number of points must be an integer >= 0, got {n!r}")
    return int(n)


class Cuboid(space.Shape):
    """A cuboidal volume centred on the origin, within which cells may be placed.

    Arguments:
        width:  extent in the x direction
        height: extent in the y direction
        depth:  extent in the z direction
    """

    def __init__(self, width, height, depth):
        self.width = _extent("Cuboid", "width", width)
        self.height = _extent("Cuboid", "height", height)
        self.depth = _extent("Cuboid", "depth", depth)

    def __repr__(self):
        return f"Cuboid(width={self.width!r}, height={self.height!r}, depth={self.depth!r})"

    def __eq__(self, other):
        if not isinstance(other, Cuboid):
            return NotImplemented
        return (self.width, self.height, self.depth) == (other.width, other.height, other.depth)

    def __hash__(self):
        return hash((Cuboid, self.width, self.height, self.depth))

    def sample(self, n, rng):
        """``n`` points drawn with uniform density inside the cuboid, an ``(n, 3)`` array."""
        n = _count("Cuboid.sample", n)
        half = 0.5 * np.array([self.width, self.height, self.depth])
        # one draw in [-1, 1) per coordinate, scaled to the half extents
        return rng.uniform(-1, 1, size=(n, 3)) * half


class Sphere(space.Shape):
    """A spherical volume centred on the origin, within which cells may be placed.

    Arguments:
        radius: the radius of the sphere
    """

    #: Fraction of the enclosing cube [-1, 1]^3 that the unit ball fills (pi / 6).
    _ACCEPTANCE = math.pi / 6

    def __init__(self, radius):
        self.radius = _extent("Sphere", "radius", radius)

    def __repr__(self):
        return f"Sphere(radius={self.radius!r})"

    def __eq__(self, other):
        if not isinstance(other, Sphere):
            return NotImplemented
        return self.radius == other.radius

    def __hash__(self):
        return hash((Sphere, self.radius))

    def sample(self, n, rng):
        """``n`` points drawn with uniform density inside the sphere, an ``(n, 3)`` array.

        Candidates are drawn uniformly in the enclosing cube, three numbers per candidate,
        and kept when they lie strictly inside the unit ball. Candidates are drawn in
        batches; where the generator can be rewound (a NumpyRNG), the batch that
        completes the sample is replayed up to its last accepted candidate, so the
        generator ends where a one-candidate-at-a-time loop would leave it.
        """
        n = _count("Sphere.sample", n)
        inner = getattr(rng, "rng", rng)
        rewind = hasattr(inner, "get_state") and hasattr(inner, "set_state")
        points = np.empty((n, 3))
        filled = 0
        while filled < n:
            need = n - filled
            batch = int(need / self._ACCEPTANCE * 1.1) + 16
            saved = inner.get_state() if rewind else None
            candidates = np.asarray(rng.uniform(-1, 1, size=(batch, 3)), dtype=float)
            inside = np.flatnonzero((candidates ** 2).sum(axis=1) < 1.0)
            if len(inside) >= need:
                inside = inside[:need]
                used = int(inside[-1]) + 1
                if rewind and used < batch:
                    # consume exactly the candidates up to the last one kept
                    inner.set_state(saved)
                    rng.uniform(-1, 1, size=(used, 3))
            points[filled:filled + len(inside)] = candidates[inside]
            filled += len(inside)
        return self.radius * points
