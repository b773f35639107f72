"""From one model declaration to both memory layouts: numpy dtypes and C structs.

The numpy dtypes are built with ``align=True``, which reproduces the C compiler's natural
alignment for the field types used here, so a numpy structured array can be handed to the
kernel as an array of C structs. The loader still checks every offset against what the
compiled kernel reports (``sf_model_info``) and refuses a mismatch.
"""
from __future__ import annotations

import functools

import numpy as np

from ..specs import KINDS, NeuronModelSpec

#: Placeholder field for a struct that would otherwise be empty (C99 forbids that).
UNUSED = "sf_unused_"


def _np_type(kind: str):
    t = KINDS[kind][1]
    return np.dtype(t, align=True) if isinstance(t, list) else np.dtype(t)


def _struct(fields) -> np.dtype:
    fields = [(n, _np_type(k)) for n, k in fields] or [(UNUSED, np.dtype("i4"))]
    return np.dtype(fields, align=True)


@functools.lru_cache(maxsize=None)
def dtypes(spec: NeuronModelSpec) -> tuple[np.dtype, np.dtype, np.dtype]:
    """(params, derived, state) numpy dtypes for a model, in declaration order."""
    return (_struct((p.name, p.kind) for p in spec.parameters),
            _struct((d.name, d.kind) for d in spec.derived),
            _struct((s.name, s.kind) for s in spec.state))


def c_struct(type_name: str, fields) -> str:
    """C typedef for a list of (name, kind)."""
    lines = [f"typedef struct {type_name} {{"]
    fields = list(fields)
    if not fields:
        lines.append(f"    int32_t {UNUSED};")
    for name, kind in fields:
        lines.append(f"    {KINDS[kind][0]} {name};")
    lines.append(f"}} {type_name};")
    return "\n".join(lines)


def field_table(dtype: np.dtype) -> list[tuple[str, int, int]]:
    """(name, offset, size) of every field of a structured dtype."""
    return [(n, dtype.fields[n][1], dtype.fields[n][0].itemsize) for n in dtype.names]
