"""Plugin discovery and registries.

Plugins are found through the ``spinnframe`` entry-point group. Each entry point is loaded
inside its own ``try``: a plugin that fails to import or register gives one
:class:`PluginWarning` naming it and the cause, and everything else keeps working. Set
``SPINNFRAME_STRICT_PLUGINS=1`` to turn that warning into a :class:`PluginError` (for CI).
``SPINNFRAME_DISABLE_PLUGINS=name1,name2`` skips plugins by entry-point name.

Discovery is lazy: nothing is imported until a registry is first asked for.
"""
from __future__ import annotations

import os
import threading
import warnings
from importlib import metadata
from typing import Any

import attrs
import pluggy

from . import hookspecs
from .errors import PluginError
from .specs import (BackendSpec, CurrentSourceSpec, NeuronModelSpec, RecorderSpec,
                    StructureSpec)

ENTRY_POINT_GROUP = "spinnframe"
STRICT_ENV = "SPINNFRAME_STRICT_PLUGINS"
DISABLE_ENV = "SPINNFRAME_DISABLE_PLUGINS"


class PluginWarning(UserWarning):
    """A plugin could not be loaded; the rest of spinnframe keeps working."""


@attrs.frozen
class PluginInfo:
    """Where a plugin came from and what it provides."""

    name: str
    distribution: str
    version: str
    value: str
    provides: dict[str, tuple[str, ...]] = attrs.field(factory=dict)
    error: str | None = None

    @property
    def kind(self) -> str:
        kinds = [k for k, v in self.provides.items() if v]
        return ", ".join(kinds) if kinds else ("broken" if self.error else "none")


@attrs.frozen
class Provided:
    """A descriptor together with the plugin that provided it."""

    spec: Any
    plugin: str


class PluginManager:
    """Loads plugins once and keeps registries of what they provide."""

    def __init__(self, entry_points=None):
        self._entry_points = entry_points
        self._lock = threading.RLock()
        self._loaded = False
        self.pm = pluggy.PluginManager("spinnframe")
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = {}
        self.neuron_models: dict[str, Provided] = {}
        self.backends: dict[str, Provided] = {}
        self.current_sources: dict[str, Provided] = {}
        self.structures: dict[str, Provided] = {}
        self.recorders: dict[str, Provided] = {}

    # -- loading ----------------------------------------------------------------------
    def _iter_entry_points(self):
        if self._entry_points is not None:
            return list(self._entry_points)
        return list(metadata.entry_points(group=ENTRY_POINT_GROUP))

    def _fail(self, name: str, dist: str, cause: str) -> None:
        msg = f'Error loading spinnframe plugin "{name}" (from {dist}): {cause}'
        if os.environ.get(STRICT_ENV, "").strip() not in ("", "0", "false", "no"):
            raise PluginError(msg)
        warnings.warn(msg + " - the plugin is skipped, everything else keeps working.",
                      PluginWarning, stacklevel=4)

    def load(self) -> None:
        with self._lock:
            if self._loaded:
                return
            self._loaded = True
            disabled = {s.strip() for s in os.environ.get(DISABLE_ENV, "").split(",") if s.strip()}
            for ep in sorted(self._iter_entry_points(), key=lambda e: e.name):
                if ep.name in disabled or ep.name in self.plugins:
                    continue
                dist = getattr(ep, "dist", None)
                dist_name = dist.name if dist is not None else "unknown distribution"
                version = dist.version if dist is not None else "?"
                info = dict(name=ep.name, distribution=dist_name, version=version, value=ep.value)
                try:
                    plugin = ep.load()
                    self.pm.register(plugin, name=ep.name)
                    provides = self._collect(ep.name, plugin)
                except PluginError:
                    raise
                except Exception as exc:  # a broken plugin must not take the others down
                    try:
                        self.pm.unregister(name=ep.name)
                    except Exception:
                        pass
                    cause = f"{type(exc).__name__}: {exc}"
                    self.plugins[ep.name] = PluginInfo(**info, error=cause)
                    self._fail(ep.name, dist_name, cause)
                    continue
                self.plugins[ep.name] = PluginInfo(**info, provides=provides)

    def _collect(self, name: str, plugin) -> dict[str, tuple[str, ...]]:
        """Call one plugin's hooks and add what they return to the registries."""
        hooks = (
            ("spinnframe_neuron_models", NeuronModelSpec, self.neuron_models, "neuron models"),
            ("spinnframe_backends", BackendSpec, self.backends, "backends"),
            ("spinnframe_current_sources", CurrentSourceSpec, self.current_sources,
             "current sources"),
            ("spinnframe_structures", StructureSpec, self.structures, "structures"),
            ("spinnframe_recorders", RecorderSpec, self.recorders, "recorders"),
        )
        found = {label: [] for _, _, _, label in hooks}
        staged = []
        for hook, cls, registry, label in hooks:
            impl = getattr(plugin, hook, None)
            if impl is None:
                continue
            specs = impl() or []
            for spec in specs:
                if not isinstance(spec, cls):
                    raise TypeError(f"{hook}() returned {type(spec).__name__}, "
                                    f"expected {cls.__name__}")
                if spec.name in registry:
                    raise PluginError(
                        f"Conflicting plugins: {label[:-1]} {spec.name!r} is provided by both "
                        f"{registry[spec.name].plugin!r} and {name!r}. Uninstall one, or "
                        f"disable one with {DISABLE_ENV}={name}.")
                staged.append((registry, spec))
                found[label].append(spec.name)
        for registry, spec in staged:
            registry[spec.name] = Provided(spec, name)
        return {k: tuple(v) for k, v in found.items()}

    # -- queries ------------------------------------------------------------------------
    def neuron_model(self, name: str) -> NeuronModelSpec:
        self.load()
        try:
            return self.neuron_models[name].spec
        except KeyError:
            raise KeyError(f"no neuron model {name!r} is installed; installed models: "
                           f"{', '.join(sorted(self.neuron_models)) or 'none'}") from None

    def current_source(self, name: str) -> CurrentSourceSpec:
        self.load()
        try:
            return self.current_sources[name].spec
        except KeyError:
            raise KeyError(f"no current source {name!r} is installed; installed: "
                           f"{', '.join(sorted(self.current_sources)) or 'none'}") from None

    def structure(self, name: str) -> StructureSpec:
        self.load()
        try:
            return self.structures[name].spec
        except KeyError:
            raise KeyError(f"no structure {name!r} is installed; installed: "
                           f"{', '.join(sorted(self.structures)) or 'none'}") from None

    def recorder(self, name: str) -> RecorderSpec:
        self.load()
        try:
            return self.recorders[name].spec
        except KeyError:
            raise PluginError(
                f"recorder {name!r} is not installed; installed recorders: "
                f"{', '.join(sorted(self.recorders)) or 'none'}") from None

    def backend(self, name: str) -> BackendSpec:
        self.load()
        try:
            return self.backends[name].spec
        except KeyError:
            raise PluginError(
                f"backend {name!r} is not installed; installed backends: "
                f"{', '.join(sorted(self.backends)) or 'none'}") from None

    def provider(self, kind: str, name: str) -> PluginInfo:
        self.load()
        registry = {"neuron_model": self.neuron_models, "backend": self.backends,
                    "current_source": self.current_sources, "structure": self.structures,
                    "recorder": self.recorders}[kind]
        return self.plugins[registry[name].plugin]


_manager: PluginManager | None = None


def get_manager() -> PluginManager:
    """The process-wide plugin manager (created on first use)."""
    global _manager
    if _manager is None:
        _manager = PluginManager()
    return _manager


def set_manager(manager: PluginManager | None) -> None:
    """Replace the process-wide manager (tests use this to load a fake set of plugins)."""
    global _manager
    _manager = manager
