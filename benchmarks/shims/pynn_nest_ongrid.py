"""pyNN.nest with ``setup(spike_precision="on_grid")``, for the like-for-like PyNN+NEST rows.

pyNN.nest 0.13 defaults to ``spike_precision="off_grid"``, which maps IF_curr_exp onto NEST's
``iaf_psc_exp_ps`` (precise spike times) instead of the grid-based ``iaf_psc_exp`` that
spinnframe, native NEST (``va_cuba_nest.py``) and Brian2 run.  The shared scripts in
``shared/bench`` call ``sim.setup(timestep=..., threads=...)`` and nothing else, so they are run
unmodified with this module as ``SIMULATOR_MODULE``: it is pyNN.nest, except that ``setup``
defaults to the grid.  benchmarks/run.py puts this folder on PYTHONPATH.
"""
from pyNN.nest import *  # noqa: F401,F403  (every public name of pyNN.nest)
import pyNN.nest as _nest


def setup(*args, **kwargs):
    kwargs.setdefault("spike_precision", "on_grid")
    return _nest.setup(*args, **kwargs)
