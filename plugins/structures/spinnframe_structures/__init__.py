"""Spatial structures for spinnframe: ``sim.Line``, ``sim.Grid2D``, ``sim.Grid3D`` and
``sim.RandomStructure``, with the shapes ``sim.Cuboid`` and ``sim.Sphere`` that
RandomStructure places cells in.

A structure gives the cells of a Population their positions (``Population.positions``, a
``(3, n)`` array), which ``nearest()``, ``save_positions()``, the distance-dependent
connectors and distance expressions of weights and delays (``"0.1 + 0.01*d"``) use::

    import spinnframe.pyNN as sim
    from pyNN.random import NumpyRNG

    sim.setup()
    layer = sim.Population(100, sim.IF_curr_exp(), structure=sim.Grid2D(dx=10.0, dy=10.0))
    blob = sim.Population(50, sim.IF_curr_exp(), structure=sim.RandomStructure(
        boundary=sim.Sphere(100.0), origin=(0.0, 0.0, 200.0), rng=NumpyRNG(seed=1)))

The classes derive from (and take the same arguments as) PyNN's ``pyNN.space`` classes;
a Population accepts either kind, and PyNN scripts that import them from ``pyNN.space``
keep working. Shapes are not structures: they are offered through ``RandomStructure.shapes``,
which is how ``sim.Cuboid`` and ``sim.Sphere`` are found.
"""
from spinnframe import hookimpl
from spinnframe.specs import StructureSpec

from .shapes import Cuboid, Sphere
from .structures import Grid2D, Grid3D, Line, RandomStructure

__version__ = "0.1.0"
__all__ = ["Cuboid", "Grid2D", "Grid3D", "Line", "RandomStructure", "Sphere"]


@hookimpl
def spinnframe_structures():
    return [
        StructureSpec(name="Line", cls=Line,
                      description="cells evenly spaced on a line along x"),
        StructureSpec(name="Grid2D", cls=Grid2D,
                      description="cells on a 2D rectangular grid"),
        StructureSpec(name="Grid3D", cls=Grid3D,
                      description="cells on a 3D rectangular grid"),
        StructureSpec(name="RandomStructure", cls=RandomStructure,
                      description="cells at random inside a volume (sim.Cuboid, sim.Sphere)"),
    ]
