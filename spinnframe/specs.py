"""Small frozen descriptors that plugins return from their hooks.

A neuron-model plugin describes its model once, with :class:`Parameter`,
:class:`StateVariable` and :class:`Derived` entries gathered in a :class:`NeuronModelSpec`.
Everything else (the PyNN cell type class, the C structs, the numpy packing, range checks)
is generated from that one declaration.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

import attrs

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Element types a parameter or state variable may have, with their C and numpy spellings.
KINDS = {
    "real": ("sf_real", "f8"),
    "int": ("int32_t", "i4"),
    "uint64": ("uint64_t", "u8"),
    "sequence": ("sf_sequence", [("start", "u4"), ("length", "u4")]),
}


def _identifier(instance, attribute, value):
    if not isinstance(value, str) or not _IDENT.match(value):
        raise ValueError(f"{attribute.name} must be a C identifier, got {value!r}")


def _kind(instance, attribute, value):
    if value not in KINDS:
        raise ValueError(f"kind must be one of {sorted(KINDS)}, got {value!r}")


@attrs.frozen
class Parameter:
    """A model parameter: PyNN name, unit, default and valid range.

    ``low``/``high`` bound the valid values (``None``: unbounded); ``low_open``/``high_open``
    make a bound exclusive (e.g. a time constant must be > 0). ``kind`` is ``"real"``
    (the default), ``"int"`` or ``"sequence"`` (a list per neuron, e.g. spike times;
    ``increasing=True`` requires it sorted).
    """

    name: str = attrs.field(validator=_identifier)
    unit: str
    default: Any = attrs.field(converter=lambda v: tuple(v) if isinstance(v, list) else v)
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    kind: str = attrs.field(default="real", validator=_kind)
    doc: str = ""
    #: for sequences: values must not decrease (e.g. spike times)
    increasing: bool = False

    def allowed(self) -> str:
        """The valid range as a person reads it, e.g. ``> 0 ms``."""
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.low_open else '>='} {self.low:g}")
        if self.high is not None:
            parts.append(f"{'<' if self.high_open else '<='} {self.high:g}")
        if not parts:
            return "a finite number" + (f" ({self.unit})" if self.unit else "")
        return " and ".join(parts) + (f" {self.unit}" if self.unit else "")

    def bad_mask(self, values):
        """Boolean array: which of ``values`` fall outside the valid range (or are NaN)."""
        import numpy as np

        v = np.asarray(values, dtype=float)
        bad = ~np.isfinite(v)
        if self.low is not None:
            bad |= (v <= self.low) if self.low_open else (v < self.low)
        if self.high is not None:
            bad |= (v >= self.high) if self.high_open else (v > self.high)
        return bad


@attrs.frozen
class StateVariable:
    """A per-neuron state variable.

    ``initial`` is a number or the name of a parameter whose value is used.
    ``recordable`` variables can be recorded with ``Population.record``; ``public=False``
    marks bookkeeping the kernel needs (refractory counters, random-number streams,
    read positions) which users neither see nor set.
    """

    name: str = attrs.field(validator=_identifier)
    unit: str
    initial: float | str = 0.0
    recordable: bool = True
    public: bool = True
    kind: str = attrs.field(default="real", validator=_kind)
    doc: str = ""


@attrs.frozen
class Derived:
    """A constant the kernel derives from one parameter set in ``sf_prepare``."""

    name: str = attrs.field(validator=_identifier)
    kind: str = attrs.field(default="real", validator=_kind)
    doc: str = ""


STATE_LAYOUTS = ("arrays", "structs")


def _state_layout(instance, attribute, value):
    if value not in STATE_LAYOUTS:
        raise ValueError(f"state_layout must be one of {STATE_LAYOUTS}, got {value!r}")


def _receptors(instance, attribute, value):
    if len(value) > 8:
        raise ValueError(f"at most 8 receptor types are supported, got {len(value)}")
    for r in value:
        if not _IDENT.match(r):
            raise ValueError(f"receptor type {r!r} is not an identifier")


@attrs.frozen
class NeuronModelSpec:
    """Everything spinnframe needs to know about one neuron model (or spike source).

    name:        the cell type name users write, e.g. ``IF_curr_exp``.
    parameters:  :class:`Parameter` entries, in the order of the C struct.
    state:       :class:`StateVariable` entries (public and internal).
    derived:     :class:`Derived` constants computed by the kernel's ``sf_prepare``.
    receptors:   receptor type names, e.g. ``("excitatory", "inhibitory")``.
    kernel:      path to the C kernel source.
    pynn_base:   optional PyNN standard cell type class whose metadata (name, docs) the
                 generated cell type extends; parameter names must then match PyNN's.
    is_source:   True for spike sources (they take no synaptic input).
    conductance_based: True if synaptic weights are conductances (uS).
    validate:    optional check across parameters, e.g. :func:`below`.
    state_layout: how a population's state is stored: ``"arrays"`` (the default: one
                 array per variable, so the neuron loop is vectorised when ``sf_step`` is
                 straight-line code) or ``"structs"`` (one ``sf_state_t`` per neuron,
                 handed to ``sf_step`` in place: 7-12 % faster for kernels whose step
                 calls a solver, which no compiler vectorises).
    """

    name: str = attrs.field(validator=_identifier)
    parameters: tuple[Parameter, ...] = attrs.field(converter=tuple)
    state: tuple[StateVariable, ...] = attrs.field(converter=tuple)
    kernel: Path = attrs.field(converter=Path)
    derived: tuple[Derived, ...] = attrs.field(converter=tuple, default=())
    receptors: tuple[str, ...] = attrs.field(converter=tuple, default=(), validator=_receptors)
    pynn_base: type | None = None
    is_source: bool = False
    conductance_based: bool = False
    description: str = ""
    #: optional rule between parameters: called with {name: array over the population},
    #: raises InvalidParameterValueError naming the problem (e.g. v_reset < v_thresh)
    validate: Callable[[dict], None] | None = attrs.field(default=None, eq=False)
    state_layout: str = attrs.field(default="arrays", validator=_state_layout)

    def __attrs_post_init__(self):
        names = [p.name for p in self.parameters] + [s.name for s in self.state] + [
            d.name for d in self.derived]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"model {self.name}: names declared twice: {dupes}")
        for s in self.state:
            if s.public and s.recordable and s.kind != "real":
                raise ValueError(f"model {self.name}: recordable state variable {s.name!r} "
                                 f"must be of kind 'real', not {s.kind!r}")
            if isinstance(s.initial, str) and s.initial not in {p.name for p in self.parameters}:
                raise ValueError(f"model {self.name}: initial value of {s.name!r} refers to "
                                 f"unknown parameter {s.initial!r}")

    @property
    def public_state(self) -> tuple[StateVariable, ...]:
        return tuple(s for s in self.state if s.public)

    @property
    def recordable(self) -> tuple[str, ...]:
        """Recordable variable names, ``spikes`` first."""
        return ("spikes",) + tuple(s.name for s in self.state if s.public and s.recordable)

    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(name)


@attrs.frozen
class BackendSpec:
    """A simulation backend. ``factory(state)`` returns an object implementing
    :class:`spinnframe.backend.Backend`; it is called at the first ``run()``.

    ``prepare(spec, options)`` (optional) is called when a Population of the neuron model
    ``spec`` is created, with the options given to ``setup()`` (e.g. ``cache_dir``). A
    backend that compiles or loads model code does it there, so that a kernel that is
    missing, does not compile or does not match its declaration is reported by
    ``Population()``, not by ``run()``: it raises
    :class:`~spinnframe.errors.KernelBuildError` naming the model and its plugin. It must
    be cheap when called again for the same model, and must not need the backend object
    (which ``factory`` creates only at the first ``run()``).

    ``prepare_projection(parts, context)`` (optional) is called when a Projection has
    made its connections, with the projection as ``ProjectionIR`` parts (one per pair of
    root populations) and a dict ``context`` holding ``sizes`` (population index ->
    size), ``receptors`` (population index -> number of receptor types), ``threads`` and
    ``options`` (those given to ``setup()``). A backend may lay
    out the connections in its own form there, and take them over through a part's
    ``hand_over`` (see :class:`spinnframe.ir.ProjectionIR`), so that a large network is
    never held twice; the same rules as for ``prepare`` apply (no backend object yet).
    """

    name: str = attrs.field(validator=_identifier)
    factory: Callable[..., Any]
    description: str = ""
    prepare: Callable[[Any, dict], None] | None = attrs.field(default=None, eq=False)
    prepare_projection: Callable[[list, dict], None] | None = attrs.field(default=None,
                                                                         eq=False)


@attrs.frozen
class CurrentSourceSpec:
    """A current source (electrode) model: declared like a neuron model, with a C kernel.

    The kernel implements ``sf_prepare`` (derived constants), ``sf_start`` (at the start of
    every run; the source positions itself in time) and ``sf_current``, which returns the
    amplitude (nA) the source injects during one time step. One amplitude per source and
    step is computed and added to the input of every target cell.
    """

    name: str = attrs.field(validator=_identifier)
    parameters: tuple[Parameter, ...] = attrs.field(converter=tuple)
    kernel: Path = attrs.field(converter=Path)
    state: tuple[StateVariable, ...] = attrs.field(converter=tuple, default=())
    derived: tuple[Derived, ...] = attrs.field(converter=tuple, default=())
    pynn_base: type | None = None
    description: str = ""
    #: optional check of the whole parameter set (e.g. two sequences of equal length):
    #: called with {name: value}, raises InvalidParameterValueError naming the problem
    validate: Callable[[dict], None] | None = attrs.field(default=None, eq=False)
    #: optional normalisation after validation, called with ({name: value}, dt) and
    #: returning the values to store (e.g. step times rounded to the time grid)
    normalize: Callable[[dict, float], dict] | None = attrs.field(default=None, eq=False)

    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def public_state(self) -> tuple[StateVariable, ...]:
        return tuple(s for s in self.state if s.public)


@attrs.frozen
class StructureSpec:
    """A spatial structure users can give to a Population (``sim.<name>(...)``).

    ``cls`` is the structure class, a subclass of :class:`pyNN.space.BaseStructure`
    (providing ``generate_positions(n)``), so PyNN's distance-dependent machinery works.
    """

    name: str = attrs.field(validator=_identifier)
    cls: type
    description: str = ""


@attrs.frozen
class RecorderSpec:
    """A recorder: a destination for recorded data, fed while the simulation runs.

    ``factory(context, **options)`` is called once per simulation that selects the
    recorder (``setup(recorders={name: options})`` or ``add_recorder(name, **options)``)
    and returns an object with the methods of
    :class:`spinnframe.recording.api.DataRecorder` (derive from it: every method is
    optional there). ``context`` is a :class:`spinnframe.recording.api.RecorderContext`;
    ``options`` are the keywords the script gave, and a factory that does not accept them
    is reported to the script naming the recorder.
    """

    name: str = attrs.field(validator=_identifier)
    factory: Callable[..., Any]
    description: str = ""


def below(low: str, high: str) -> Callable[[dict], None]:
    """A ``validate`` rule: parameter ``low`` must be smaller than ``high`` in every cell
    (e.g. ``below("v_reset", "v_thresh")``, as NEST requires)."""
    def check(params: dict) -> None:
        import numpy as np
        from pyNN import errors

        a, b = np.asarray(params[low], float), np.asarray(params[high], float)
        bad = np.flatnonzero(~(a < b))
        if bad.size:
            i = bad[0]
            raise errors.InvalidParameterValueError(
                f"{low} must be below {high}; got {low}={a.ravel()[i]:g} and "
                f"{high}={b.ravel()[i]:g} (cell index {i})")
    check.__name__ = f"{low}_below_{high}"
    return check
