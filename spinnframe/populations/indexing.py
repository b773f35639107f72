"""One index-mapping mechanism for populations, views, assemblies and cells.

Every neuron collection resolves to a list of ``(Population, base_indices)`` pairs, in the
collection's own order: a view of a view resolves through its parents to indices in the
root population; an assembly concatenates the resolutions of its members.
"""
from __future__ import annotations

import numpy as np


def resolve(obj) -> list[tuple[object, np.ndarray]]:
    """``[(population, indices into that population), ...]`` in ``obj``'s order."""
    from pyNN.common import Assembly, IDMixin
    from .population import Population, PopulationView

    if isinstance(obj, Population):
        return [(obj, np.arange(obj.size, dtype=np.int64))]
    if isinstance(obj, PopulationView):
        return [(obj.grandparent, base_indices(obj))]
    if isinstance(obj, Assembly):
        out = []
        for member in obj.populations:
            out.extend(resolve(member))
        return out
    if isinstance(obj, IDMixin):
        pop = obj.parent
        return [(pop, np.array([int(obj) - int(pop.first_id)], dtype=np.int64))]
    raise TypeError(f"expected a Population, PopulationView, Assembly or cell, got "
                    f"{type(obj).__name__}")


def base_indices(view) -> np.ndarray:
    """Indices in the root population of every cell of a view (in the view's order)."""
    cached = view.__dict__.get("_sf_base_indices")
    if cached is not None:
        return cached
    parent = view.parent
    local = np.arange(parent.size, dtype=np.int64)[view.mask]
    if hasattr(parent, "grandparent"):
        out = base_indices(parent)[local]
    else:
        out = local
    out = np.ascontiguousarray(out, dtype=np.int64)
    out.setflags(write=False)
    view.__dict__["_sf_base_indices"] = out
    return out


class Segments:
    """Map positions in a collection (0..size-1) to (population number, base index).

    ``pops`` lists the distinct root populations; ``locate(idx)`` returns, for an array of
    positions, the position of each one's population in ``pops`` and its base index.
    """

    def __init__(self, obj):
        parts = resolve(obj)
        self.pops: list = []
        pop_no = []
        self.base = np.concatenate([ix for _, ix in parts]) if parts else np.zeros(0, np.int64)
        for pop, ix in parts:
            if pop not in self.pops:
                self.pops.append(pop)
            pop_no.append(np.full(len(ix), self.pops.index(pop), dtype=np.int32))
        self.pop_no = np.concatenate(pop_no) if pop_no else np.zeros(0, np.int32)

    def locate(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.pop_no[positions], self.base[positions]
