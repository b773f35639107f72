"""Neuron models: declarations (from plugins) turned into cell types, layouts and C code."""
from __future__ import annotations

from .celltype import cell_type_class, check_sequence, check_values
from .codegen import generate_wrapper
from .layout import dtypes, state_array


def spec_of(celltype):
    """The declaration behind a cell type instance or class, or None for foreign types."""
    return getattr(celltype, "spinnframe_spec", None)


__all__ = ["cell_type_class", "check_values", "check_sequence", "generate_wrapper", "dtypes",
           "state_array", "spec_of"]
