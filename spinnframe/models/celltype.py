"""PyNN cell type classes generated from model declarations, and value checks."""
from __future__ import annotations

import functools
import numbers
import reprlib

import numpy as np
from pyNN import errors
from pyNN.parameters import Sequence
from pyNN.standardmodels import StandardCellType, build_translations

from ..specs import NeuronModelSpec, Parameter


def _default(p: Parameter):
    if p.kind == "sequence":
        return Sequence(list(p.default or []))
    return p.default


@functools.lru_cache(maxsize=None)
def cell_type_class(spec: NeuronModelSpec) -> type:
    """The PyNN cell type class users instantiate, e.g. ``sim.IF_curr_exp(tau_m=10)``."""
    base = spec.pynn_base or StandardCellType
    public = spec.public_state
    namespace = {
        "__doc__": spec.description or (base.__doc__ if spec.pynn_base else spec.name),
        "__module__": "spinnframe.pyNN",
        "default_parameters": {p.name: _default(p) for p in spec.parameters},
        "default_initial_values": {s.name: s.initial for s in public},
        "units": {**{p.name: p.unit for p in spec.parameters},
                  **{s.name: s.unit for s in public}},
        "recordable": list(spec.recordable),
        "receptor_types": tuple(spec.receptors),
        "conductance_based": spec.conductance_based,
        "injectable": not spec.is_source,
        "translations": build_translations(*[(p.name, p.name) for p in spec.parameters]),
        "spinnframe_spec": spec,
        "__init__": _init,
    }
    # a string initial value names a parameter; PyNN wants numbers here, so use its default
    for s in public:
        if isinstance(s.initial, str):
            namespace["default_initial_values"][s.name] = spec.parameter(s.initial).default
    return type(spec.name, (base,), namespace)


def _init(self, **parameters):
    spec = self.spinnframe_spec
    known = {p.name for p in spec.parameters}
    for name, value in parameters.items():
        if name in known:       # unknown names: PyNN's NonExistentParameterError below
            _check_type(spec, name, value)
    StandardCellType.__init__(self, **parameters)
    # check what can be checked without a population: scalar values
    for name, value in parameters.items():
        if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
            check_values(spec, name, np.asarray([value], dtype=float), scalar=True)
        elif isinstance(value, (list, tuple, np.ndarray, Sequence)) and \
                spec.parameter(name).kind == "sequence":
            per_neuron = (not isinstance(value, Sequence) and len(value) > 0
                          and all(isinstance(v, (Sequence, list, tuple, np.ndarray))
                                  for v in value))
            if not per_neuron:     # per-neuron values are checked by Population(), which
                check_sequence(spec, name, value)   # PyNN expects to raise (issue 511)


def _check_type(spec: NeuronModelSpec, name: str, value) -> None:
    """Reject values of the wrong type with a message that names them (PyNN's own message
    names only the types, and a string would be taken for a function of distance)."""
    p = spec.parameter(name)
    what = "a sequence of numbers" if p.kind == "sequence" else "a number"
    if isinstance(value, (str, bytes, bool, dict, set)) or value is None:
        raise errors.InvalidParameterValueError(
            f"{spec.name} parameter {name!r} must be {what} ({p.unit}), got {value!r} "
            f"(a {type(value).__name__})")
    if isinstance(value, (list, tuple)) and p.kind == "sequence":
        for item in value:      # numbers, or one sequence per neuron
            inner = item.value if isinstance(item, Sequence) else item
            if isinstance(inner, np.ndarray) and inner.dtype.kind in "iuf":
                continue
            for v in (inner if isinstance(inner, (list, tuple, np.ndarray)) else [inner]):
                if isinstance(v, (str, bytes, bool)) or not isinstance(v, (numbers.Real,
                                                                            np.number)):
                    raise errors.InvalidParameterValueError(
                        f"{spec.name} parameter {name!r} must be a sequence of numbers "
                        f"({p.unit}), got {v!r} (a {type(v).__name__}) in {reprlib.repr(value)}")
    if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
        return                  # numeric arrays: values are checked by check_values
    if isinstance(value, (list, tuple, np.ndarray)) and p.kind != "sequence":
        arr = np.asarray(value, dtype=object).ravel()
        for v in arr:
            if isinstance(v, (str, bytes, bool)) or v is None or not isinstance(
                    v, (numbers.Real, np.number)):
                raise errors.InvalidParameterValueError(
                    f"{spec.name} parameter {name!r} must be a number ({p.unit}) per neuron, "
                    f"got {v!r} (a {type(v).__name__}) in {reprlib.repr(value)}")


def check_values(spec: NeuronModelSpec, name: str, values: np.ndarray, scalar: bool = False,
                 indices=None) -> None:
    """Raise InvalidParameterValueError if any value of parameter ``name`` is out of range."""
    p = spec.parameter(name)
    if p.kind == "sequence":
        for v in np.asarray(values, dtype=object).ravel():
            check_sequence(spec, name, v)
        return
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise errors.InvalidParameterValueError(
            f"{spec.name} parameter {name!r} must be a number ({p.unit}), got {values!r}")
    bad = p.bad_mask(arr)
    if bad.any():
        where = np.flatnonzero(bad)
        first = where[0]
        value = arr.ravel()[first]
        loc = "" if scalar else (
            f" for neuron index {indices[first] if indices is not None else first}"
            + (f" and {len(where) - 1} more" if len(where) > 1 else ""))
        raise errors.InvalidParameterValueError(
            f"{spec.name} parameter {name!r} must be {p.allowed()}, got {value:g}{loc}")


def check_sequence(spec: NeuronModelSpec, name: str, value) -> None:
    """A sequence parameter (e.g. spike times) must be finite, within its bounds, and
    sorted if declared ``increasing``."""
    p = spec.parameter(name)
    if isinstance(value, Sequence):
        value = value.value
    try:
        arr = np.asarray(value, dtype=float).ravel()
    except (TypeError, ValueError):
        raise errors.InvalidParameterValueError(
            f"{spec.name} parameter {name!r} must be a sequence of numbers ({p.unit}), "
            f"got {value!r}")
    if arr.size == 0:
        return
    bad = p.bad_mask(arr)
    if bad.any():
        raise errors.InvalidParameterValueError(
            f"{spec.name} parameter {name!r}: every value must be {p.allowed()}, "
            f"got {arr[np.flatnonzero(bad)[0]]:g}")
    dec = np.flatnonzero(np.diff(arr) < 0) if p.increasing else np.zeros(0, int)
    if dec.size:
        i = dec[0]
        raise errors.InvalidParameterValueError(
            f"{spec.name} parameter {name!r} must be sorted in increasing order; "
            f"{arr[i + 1]:g} comes after {arr[i]:g} (positions {i} and {i + 1})")
