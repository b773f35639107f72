"""From one model declaration to both memory layouts: numpy dtypes and C structs.

The numpy dtypes are built with ``align=True``, which reproduces the C compiler's natural
alignment for the field types used here, so a numpy structured array can be handed to the
kernel as an array of C structs (parameter sets, derived constants). The loader still
checks every offset against what the compiled kernel reports (``sf_model_info``) and
refuses a mismatch.

A population's state is laid out field by field instead (``state_array``): one block of
``stride * sizeof(sf_state_t)`` bytes in which field ``f`` of neuron ``i`` is element ``i``
of a contiguous array that starts at ``offsetof(sf_state_t, f) * stride``, where
``stride`` (``stride(n)``, C's ``sf_stride``) is ``n``, or for a population of at least
``STRIDE_MIN`` neurons ``n`` rounded up to a multiple of ``STRIDE_ALIGN``; such a block
starts on a page boundary (a smaller one on a cache line), so every array of a large
population does too (the host engine splits only large populations between threads, at
multiples of ``STRIDE_ALIGN``, and threads writing to the same page slow each other
down). The generated neuron loop then reads and writes each variable as a stream that
the compiler can vectorise, as Brian2 and GeNN lay out their state.
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


#: spinnframe_kernel.h: SF_STRIDE_MIN, SF_STRIDE_ALIGN
STRIDE_MIN = 2048
STRIDE_ALIGN = 1024
#: Alignment of a state block (bytes): a page for a population of at least STRIDE_MIN
#: neurons (the host engine may split it between threads), a cache line for a smaller one
#: (a network of many small populations would otherwise spend a page on each).
BLOCK_ALIGN = 4096
LINE_ALIGN = 64


def stride(n: int) -> int:
    """Elements from one variable's array to the next in the state block of n neurons
    (spinnframe_kernel.h: sf_stride)."""
    return n if n < STRIDE_MIN else -(-n // STRIDE_ALIGN) * STRIDE_ALIGN


def state_layout(state: np.dtype, n: int) -> np.dtype:
    """The field-by-field layout of ``n`` neurons' state (see the module docstring), as a
    structured dtype whose fields are arrays of length ``n``: ``block[name]`` is then the
    (n,) array of one variable, a view into the block the engine updates."""
    names = list(state.names)
    s = stride(n)
    try:
        return np.dtype({"names": names,
                         "formats": [(state.fields[f][0], (n,)) for f in names],
                         "offsets": [state.fields[f][1] * s for f in names],
                         "itemsize": state.itemsize * s})
    except (ValueError, OverflowError) as err:     # NumPy 1.x: at most 2**31 - 1 bytes
        raise ValueError(
            f"the state of {n} neurons ({state.itemsize * s} bytes) does not fit in one "
            f"NumPy {np.__version__} array description ({err}); NumPy 2 has no such "
            f"limit (pip install 'numpy>=2')") from err


def state_array(state: np.dtype, n: int, by_field: bool = True) -> np.ndarray:
    """A zeroed state block for ``n`` neurons: in the field-by-field layout (a 0-d
    structured array whose fields are arrays of n), or, with ``by_field=False`` (a model
    declared with ``state_layout="structs"``), an array of n structs. Both are indexed by
    variable name the same way: ``block[name]`` is the (n,) array of one variable."""
    if n < 1:
        raise ValueError(f"a state block needs at least one neuron, got n={n}")
    if not by_field:
        return np.zeros(n, dtype=state)
    dt = state_layout(state, n)
    align = BLOCK_ALIGN if n >= STRIDE_MIN else LINE_ALIGN
    buf = np.zeros(dt.itemsize + align, np.uint8)          # zeroed, then an aligned view
    at = -buf.ctypes.data % align
    return buf[at:at + dt.itemsize].view(dt).reshape(())


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
