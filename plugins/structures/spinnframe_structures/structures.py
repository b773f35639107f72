"""The structure classes: where the cells of a Population lie in space.

Each class derives from the PyNN class of the same name in :mod:`pyNN.space` (so
``isinstance(s, pyNN.space.Grid2D)`` holds and PyNN code that inspects structures keeps
working) and takes the same arguments; the positions are computed here, with the checks
raising a ``ValueError`` that says what is wrong rather than a bare assertion.

Positions are a ``(3, n)`` array (x, y, z rows), as ``Population.positions`` returns them.
"""
from __future__ import annotations

import math
import numbers

import numpy as np
from pyNN import space
from pyNN.random import NumpyRNG

from .shapes import Cuboid, Sphere, _count

_FILL_ORDERS = ("sequential", "random")


def _real(owner: str, name: str, value, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or (positive and value <= 0):
        raise ValueError(f"{owner}: {name} must be a finite number"
                         f"{' > 0' if positive else ''}, got {value!r}")
    return value


def _fill_order(owner: str, value) -> str:
    if value not in _FILL_ORDERS:
        raise ValueError(f"{owner}: fill_order must be 'sequential' or 'random', got {value!r}")
    return value


class _StructureMixin:
    """Equality by parameters (also with PyNN's class of the same kind), and the random
    fill order shared by the grids."""

    def __eq__(self, other):
        if not isinstance(other, space.BaseStructure):
            return NotImplemented
        if getattr(other, "parameter_names", None) != self.parameter_names:
            return False
        for name in self.parameter_names:
            a, b = getattr(self, name), getattr(other, name, None)
            if isinstance(a, (tuple, list, np.ndarray)) or isinstance(b, (tuple, list, np.ndarray)):
                if np.shape(a) != np.shape(b) or not np.array_equal(a, b):
                    return False
            elif not a == b:
                return False
        return True

    __hash__ = None     # mutable, like PyNN's structures

    def _ordered(self, positions: np.ndarray) -> np.ndarray:
        if self.fill_order == "sequential":
            return positions
        if self.rng is None:
            self.rng = NumpyRNG()
        # the cells take the grid points in a random order: permute the columns
        return np.asarray(self.rng.permutation(positions.T)).T


class Line(_StructureMixin, space.Line):
    """Cells evenly spaced on a straight line parallel to the x axis.

    Arguments:
        dx:   distance between neighbouring cells
        x0:   x coordinate of the first cell
        y, z: y and z coordinates of every cell
    """

    parameter_names = ("dx", "x0", "y", "z")

    def __init__(self, dx=1.0, x0=0.0, y=0.0, z=0.0):
        self.dx = _real("Line", "dx", dx)
        self.x0 = _real("Line", "x0", x0)
        self.y = _real("Line", "y", y)
        self.z = _real("Line", "z", z)

    def generate_positions(self, n):
        """The positions of ``n`` cells, a ``(3, n)`` array: cell ``i`` lies at
        ``(x0 + i*dx, y, z)``."""
        n = _count("Line", n)
        positions = np.empty((3, n))
        positions[0] = self.x0 + self.dx * np.arange(n)
        positions[1] = self.y
        positions[2] = self.z
        return positions


class Grid2D(_StructureMixin, space.Grid2D):
    """Cells on a rectangular grid in a plane of constant z.

    Arguments:
        aspect_ratio: nx / ny, the ratio of the numbers of grid points along x and y
                      (not of the side lengths, unless dx == dy)
        dx, dy:       grid spacing along x and y
        x0, y0:       coordinates of the first grid point (a corner)
        z:            z coordinate of every cell
        fill_order:   'sequential' (y varies fastest: cell 1 is at (x0, y0 + dy)) or
                      'random' (the cells take the grid points in a random order)
        rng:          a NumpyRNG for fill_order='random'
    """

    parameter_names = ("aspect_ratio", "dx", "dy", "x0", "y0", "z", "fill_order")

    def __init__(self, aspect_ratio=1.0, dx=1.0, dy=1.0, x0=0.0, y0=0.0, z=0,
                 fill_order="sequential", rng=None):
        self.aspect_ratio = _real("Grid2D", "aspect_ratio", aspect_ratio, positive=True)
        self.dx = _real("Grid2D", "dx", dx)
        self.dy = _real("Grid2D", "dy", dy)
        self.x0 = _real("Grid2D", "x0", x0)
        self.y0 = _real("Grid2D", "y0", y0)
        self.z = _real("Grid2D", "z", z)
        self.fill_order = _fill_order("Grid2D", fill_order)
        self.rng = rng

    def calculate_size(self, n):
        """``(nx, ny)`` with ``nx * ny == n`` and ``nx / ny == aspect_ratio``; ValueError
        where no such grid exists."""
        n = _count("Grid2D", n)
        a = self.aspect_ratio
        nx = max(1, int(round(math.sqrt(n * a))))
        ny = n // nx
        if n == 0 or nx * ny != n or not math.isclose(nx, ny * a, rel_tol=1e-9):
            raise ValueError(
                f"Grid2D(aspect_ratio={a:g}) cannot hold {n} cells: it needs nx * ny == {n} "
                f"with nx / ny == {a:g} (nx = sqrt(n * aspect_ratio) = "
                f"{math.sqrt(n * a):.6g} is not a whole divisor of {n}); choose a population "
                f"size or aspect_ratio that fits, e.g. size=(nx, ny)")
        return nx, ny

    def generate_positions(self, n):
        """The positions of ``n`` cells, a ``(3, n)`` array. With fill_order='sequential'
        cell ``i`` lies at ``(x0 + (i // ny)*dx, y0 + (i % ny)*dy, z)``."""
        nx, ny = self.calculate_size(n)
        i = np.arange(n)
        positions = np.empty((3, n))
        positions[0] = self.x0 + self.dx * (i // ny)
        positions[1] = self.y0 + self.dy * (i % ny)
        positions[2] = self.z
        return self._ordered(positions)


class Grid3D(_StructureMixin, space.Grid3D):
    """Cells on a rectangular 3D grid.

    Arguments:
        aspect_ratioXY, aspect_ratioXZ: nx / ny and nx / nz, ratios of the numbers of
                                        grid points (not of the side lengths)
        dx, dy, dz:                     grid spacing along x, y and z
        x0, y0, z0:                     coordinates of the first grid point (a corner)
        fill_order:                     'sequential' (z varies fastest, then y, then x:
                                        cell 1 is at (x0, y0, z0 + dz)) or 'random'
        rng:                            a NumpyRNG for fill_order='random'
    """

    parameter_names = ("aspect_ratios", "dx", "dy", "dz", "x0", "y0", "z0", "fill_order")

    def __init__(self, aspect_ratioXY=1.0, aspect_ratioXZ=1.0, dx=1.0, dy=1.0, dz=1.0,
                 x0=0.0, y0=0.0, z0=0, fill_order="sequential", rng=None):
        self.aspect_ratios = (_real("Grid3D", "aspect_ratioXY", aspect_ratioXY, positive=True),
                              _real("Grid3D", "aspect_ratioXZ", aspect_ratioXZ, positive=True))
        self.dx = _real("Grid3D", "dx", dx)
        self.dy = _real("Grid3D", "dy", dy)
        self.dz = _real("Grid3D", "dz", dz)
        self.x0 = _real("Grid3D", "x0", x0)
        self.y0 = _real("Grid3D", "y0", y0)
        self.z0 = _real("Grid3D", "z0", z0)
        self.fill_order = _fill_order("Grid3D", fill_order)
        self.rng = rng

    def calculate_size(self, n):
        """``(nx, ny, nz)`` with ``nx * ny * nz == n``, ``nx / ny == aspect_ratioXY`` and
        ``nx / nz == aspect_ratioXZ``; ValueError where no such grid exists."""
        n = _count("Grid3D", n)
        a, b = self.aspect_ratios
        nx = max(1, int(round((n * a * b) ** (1.0 / 3.0))))
        ny = max(1, int(round(nx / a)))
        nz = max(1, int(round(nx / b)))
        if n == 0 or nx * ny * nz != n:
            raise ValueError(
                f"Grid3D(aspect_ratioXY={a:g}, aspect_ratioXZ={b:g}) cannot hold {n} cells: "
                f"the nearest grid is {nx} x {ny} x {nz} = {nx * ny * nz}; choose a "
                f"population size or aspect ratios that fit, e.g. size=(nx, ny, nz)")
        return nx, ny, nz

    def generate_positions(self, n):
        """The positions of ``n`` cells, a ``(3, n)`` array. With fill_order='sequential'
        cell ``i`` lies at grid point ``(i // (ny*nz), (i // nz) % ny, i % nz)``."""
        nx, ny, nz = self.calculate_size(n)
        i = np.arange(n)
        positions = np.empty((3, n))
        positions[0] = self.x0 + self.dx * (i // (ny * nz))
        positions[1] = self.y0 + self.dy * ((i // nz) % ny)
        positions[2] = self.z0 + self.dz * (i % nz)
        return self._ordered(positions)


class RandomStructure(_StructureMixin, space.RandomStructure):
    """Cells placed at random, with uniform density, inside a volume.

    Arguments:
        boundary: the volume, a shape such as ``Cuboid(width, height, depth)`` or
                  ``Sphere(radius)`` (spinnframe's or PyNN's ``pyNN.space`` ones)
        origin:   the (x, y, z) coordinates of the centre of the volume
        rng:      a NumpyRNG; with the same seed the positions are those PyNN computes
    """

    parameter_names = ("boundary", "origin", "rng")
    #: The shapes this structure offers users as ``sim.Cuboid`` and ``sim.Sphere``.
    shapes = (Cuboid, Sphere)

    def __init__(self, boundary, origin=(0.0, 0.0, 0.0), rng=None):
        if not (isinstance(boundary, space.Shape)
                or callable(getattr(boundary, "sample", None))):
            raise TypeError(
                f"RandomStructure: boundary must be a shape, e.g. Cuboid(width, height, depth) "
                f"or Sphere(radius), got {boundary!r}")
        try:
            xyz = tuple(float(c) for c in origin)
        except (TypeError, ValueError):
            xyz = ()
        if len(xyz) != 3 or not all(math.isfinite(c) for c in xyz):
            raise ValueError(f"RandomStructure: origin must be three finite numbers (x, y, z), "
                             f"got {origin!r}")
        self.boundary = boundary
        self.origin = xyz
        self.rng = rng if rng is not None else NumpyRNG()

    def generate_positions(self, n):
        """The positions of ``n`` cells, a ``(3, n)`` array: ``origin`` plus ``n`` points
        drawn by the boundary shape with ``rng``."""
        n = _count("RandomStructure", n)
        points = np.asarray(self.boundary.sample(n, self.rng), dtype=float)
        if points.shape != (n, 3):
            raise ValueError(f"RandomStructure: {self.boundary!r}.sample({n}) returned an array "
                             f"of shape {points.shape}, expected ({n}, 3)")
        return (points + np.asarray(self.origin)).T
