"""Imports deferred to first use, to keep ``import spinnframe.pyNN`` fast.

pyNN.connectors imports the ``csa`` package when it is installed (sPyNNaker depends on
it), and csa imports matplotlib.pyplot as it loads: about 0.3 s that only scripts using
CSAConnector need. ``defer("csa")`` puts a stand-in module in ``sys.modules`` that
imports the real one the first time an attribute is asked for, then becomes a copy of it.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import types


class _Deferred(types.ModuleType):
    """A module that imports the real one on first attribute access."""

    def __getattr__(self, name: str):
        real = self._load()
        return getattr(real, name)

    def _load(self) -> types.ModuleType:
        me = self.__name__
        if sys.modules.get(me) is self:
            del sys.modules[me]
        real = importlib.import_module(me)
        self.__dict__.update(real.__dict__)
        return real


def defer(name: str) -> None:
    """Defer importing top-level module ``name`` until it is used (if it is installed and
    not imported yet)."""
    if name in sys.modules:
        return
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return
    if spec is None:
        return
    module = _Deferred(name)
    # what the import statement reads of a module already in sys.modules, answered
    # without loading it
    module.__spec__ = spec
    module.__loader__ = spec.loader
    sys.modules[name] = module
