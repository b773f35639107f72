"""Current sources: PyNN's electrode classes, generated from plugin declarations.

``sim.DCSource(amplitude=0.5, start=10, stop=50)`` is a class made by
:func:`current_source_class` from the plugin's :class:`~spinnframe.specs.CurrentSourceSpec`.
It behaves as PyNN defines: ``inject_into(cells)`` (or ``population.inject(source)``),
parameters changed as attributes between runs (``source.amplitude = 1.0``),
``record()`` and ``get_data()``. Timing follows PyNN (as pyNN.nest corrects NEST's device
delay): the current a source injects during the time step from t to t + dt is its value
at t; times given to a source are rounded to the nearest time step.
"""
from __future__ import annotations

import functools

import neo
import numpy as np
import quantities as pq
from pyNN import errors
from pyNN.parameters import ParameterSpace, Sequence
from pyNN.standardmodels import StandardCurrentSource, build_translations

from . import models
from .errors import RecordingError
from .populations.indexing import resolve
from .simulator import state
from .specs import CurrentSourceSpec


class CurrentSource(StandardCurrentSource):
    """Behaviour shared by every spinnframe current source (the generated classes add the
    declaration and PyNN's metadata)."""

    spinnframe_spec: CurrentSourceSpec

    def __init__(self, **parameters):
        state.check(f"{type(self).__name__}()", mutating=True)
        rng = parameters.pop("rng", None)
        spec = self.spinnframe_spec
        d = self.__dict__
        d["_generation"] = state.generation
        d["_targets"] = []             # [(Population, base indices)]
        d["_version"] = 0
        d["_recording"] = False
        d["_record"] = {}              # step -> amplitude (current segment)
        d["_seed"] = getattr(rng, "seed", None)
        _, _, state_dtype = models.dtypes(spec)
        d["_state"] = np.zeros(1, dtype=state_dtype)
        known = {p.name for p in spec.parameters}
        for name, value in parameters.items():
            if name in known:
                _check_value(spec, name, value)
        StandardCurrentSource.__init__(self, **parameters)
        d["_params"] = {}
        self.set_native_parameters(self.parameter_space)
        d["_version"] = 0

    # -- parameters (PyNN's StandardCurrentSource calls these) -------------------------------
    def set_native_parameters(self, parameters):
        state.check(f"{type(self).__name__} parameter change", mutating=True,
                    generation=self._generation)
        spec = self.spinnframe_spec
        parameters.shape = (1,)
        parameters.evaluate(simplify=True)
        new = dict(self.__dict__.get("_params") or {})
        for name, value in parameters.items():
            p = spec.parameter(name)
            if p.kind == "sequence":
                seq = value if isinstance(value, Sequence) else Sequence(np.ravel(value))
                models.check_sequence(spec, name, seq)
                new[name] = seq
            else:
                arr = np.asarray(value, dtype=float).ravel()
                models.check_values(spec, name, arr, scalar=True)
                new[name] = float(arr[0])
        if spec.validate is not None:
            spec.validate(new)
        if spec.normalize is not None:
            new = spec.normalize(new, state.dt)
        self.__dict__["_params"] = new
        self.__dict__["_version"] += 1

    def get_native_parameters(self):
        # sequences as arrays of their values (PyNN's sources report `times` that way)
        return ParameterSpace({k: (np.asarray(v.value) if isinstance(v, Sequence) else v)
                               for k, v in self._params.items()})

    # -- injection ---------------------------------------------------------------------------
    def inject_into(self, cells):
        """Inject this source's current into ``cells``: a Population, PopulationView,
        Assembly, a cell, or a list of cells."""
        state.check(f"{type(self).__name__}.inject_into", mutating=True,
                    generation=self._generation)
        parts = []
        items = cells if isinstance(cells, (list, tuple)) else [cells]
        for item in items:
            try:
                parts.extend(resolve(item))
            except TypeError:
                raise TypeError(f"{type(self).__name__}.inject_into takes a Population, "
                                f"PopulationView, Assembly or cells, not "
                                f"{type(item).__name__}") from None
        for pop, _ in parts:
            if pop._spec.is_source:
                raise TypeError(f"Can't inject current into a spike source "
                                f"({pop.label!r} is a {pop._spec.name})")
        self._targets.extend(parts)
        if self not in state.current_sources:
            state.current_sources.append(self)
        state.structure_version += 1

    def targets(self) -> list[tuple[int, np.ndarray]]:
        """(population number, base indices) of every target, merged per population."""
        merged: dict[int, list] = {}
        for pop, idx in self._targets:
            merged.setdefault(state.populations.index(pop), []).append(idx)
        return [(k, np.concatenate(v)) for k, v in merged.items()]

    # -- recording -----------------------------------------------------------------------------
    def record(self):
        """Record the injected current (nA) at every time step from now on."""
        state.check(f"{type(self).__name__}.record", mutating=True, generation=self._generation)
        self.__dict__["_recording"] = True

    def _add_record(self, first_step: int, values: np.ndarray) -> None:
        # a run recomputes the value of its first step (parameters may have changed since
        # the end of the previous run): later values replace earlier ones for the same step
        for k, v in enumerate(values):
            self._record[first_step + k] = float(v)

    def _new_segment(self) -> None:
        self.__dict__["_record"] = {}

    def get_data(self):
        """The recorded current as a neo AnalogSignal (nA), one sample per time step, the
        sample at t being the current injected from t to t + dt."""
        state.check(f"{type(self).__name__}.get_data", generation=self._generation)
        if not self._recording:
            raise RecordingError(f"the current of {type(self).__name__} was not recorded; "
                                 f"call source.record() before run()")
        dt = state.dt
        last = state.step
        if self._record:
            first = min(self._record)
            steps = np.arange(first, last + 1)
            values = np.array([self._record.get(int(s), np.nan) for s in steps])
        else:
            first, values = 0, np.zeros(0)
        return neo.AnalogSignal(values.reshape(-1, 1), units="nA", t_start=first * dt * pq.ms,
                                sampling_period=dt * pq.ms, name="i",
                                source=type(self).__name__)

    def __repr__(self):
        params = ", ".join(f"{k}={v!r}" for k, v in self._params.items())
        return f"{type(self).__name__}({params})"


def _check_value(spec: CurrentSourceSpec, name: str, value) -> None:
    """Reject values of the wrong type with a message naming them."""
    p = spec.parameter(name)
    if isinstance(value, (str, bytes, bool, dict, set)) or value is None:
        what = "a sequence of numbers" if p.kind == "sequence" else "a number"
        raise errors.InvalidParameterValueError(
            f"{spec.name} parameter {name!r} must be {what} ({p.unit}), got {value!r}")


@functools.lru_cache(maxsize=None)
def current_source_class(spec: CurrentSourceSpec) -> type:
    """The class users instantiate, e.g. ``sim.DCSource(amplitude=0.5)``."""
    bases = (CurrentSource,) + ((spec.pynn_base,) if spec.pynn_base else ())
    defaults = {}
    for p in spec.parameters:
        defaults[p.name] = Sequence(list(p.default or [])) if p.kind == "sequence" else p.default
    namespace = {
        "__doc__": spec.description or (spec.pynn_base.__doc__ if spec.pynn_base else spec.name),
        "__module__": "spinnframe.pyNN",
        "default_parameters": defaults,
        "units": {p.name: p.unit for p in spec.parameters},
        "translations": build_translations(*[(p.name, p.name) for p in spec.parameters]),
        "spinnframe_spec": spec,
    }
    return type(spec.name, bases, namespace)
