"""Compile and check a neuron model's kernel when its Population is created.

This is the host backend's ``BackendSpec.prepare``: ``Population()`` calls it, so that a
kernel that is missing, does not compile, was built for another kernel interface or does
not match its declaration is reported there, naming the model, the plugin and its
distribution, and never in the middle of ``run()``. The compiled library goes into the same
caches (on disk and in this process) that the engine uses at ``run()``, so nothing is
compiled twice; a failed build is not cached, and every other model keeps working.
"""
from __future__ import annotations

import re

from spinnframe.errors import KernelBuildError


def prepare_model(spec, options: dict) -> None:
    """Compile (or load from the cache) and check the kernel of neuron model ``spec``."""
    from . import compiler
    from .engine import model_library

    try:
        model_library(spec, compiler.cache_dir(options.get("cache_dir")),
                      options.get("numerics"))
    except KernelBuildError as exc:
        raise KernelBuildError(explain(spec, str(exc))) from None


def _origin(spec) -> str:
    """'plugin 'x' (distribution spinnframe-x 0.1.0)', or what is known of it."""
    from spinnframe.plugins import get_manager

    try:
        info = get_manager().provider("neuron_model", spec.name)
    except KeyError:
        return "a model that no installed plugin provides"
    if info.version == "?":          # an entry point without a distribution (tests)
        return f"plugin {info.name!r}"
    return f"plugin {info.name!r} (distribution {info.distribution} {info.version})"


def _fields(spec) -> str:
    def names(items):
        return ", ".join(x.name for x in items) or "none"

    return (f"parameters (sf_params_t): {names(spec.parameters)}; "
            f"derived constants (sf_derived_t): {names(spec.derived)}; "
            f"state variables (sf_state_t): {names(spec.state)}")


def _hints(spec, message: str) -> list[str]:
    """Plain-language hints for the mistakes plugin authors make most often."""
    hints = []
    if "not found" in message and "kernel source" in message:
        hints.append(
            "The declaration's kernel= path does not exist. If the plugin was installed "
            "from a wheel or sdist, check that its pyproject.toml ships the kernel as "
            "package data, e.g. [tool.setuptools.package-data] "
            f'"{spec.kernel.parent.name or "<module>"}" = ["*.c", "*.h"], and that kernel= '
            "is built from Path(__file__), not from the current directory.")
    missing = sorted(set(re.findall(r"has no member named ['‘\"]?(\w+)", message)))
    if missing:
        hints.append(
            f"The kernel uses {', '.join(repr(m) for m in missing)}, which the declaration "
            f"of {spec.name} does not declare. The C structs are generated from the "
            f"declaration: {_fields(spec)}. Add the field to the declaration (Parameter, "
            f"Derived or StateVariable) or correct the name in the kernel.")
    receptors = sorted(set(re.findall(r"['‘\"]?(SF_RECEPTOR_\w+)['’\"]? undeclared", message)))
    if receptors:
        declared = ", ".join(f"SF_RECEPTOR_{r.upper()}" for r in spec.receptors) or "none"
        hints.append(
            f"{', '.join(receptors)} is not defined: receptor macros come from the "
            f"declaration's receptors={tuple(spec.receptors)!r} (defined: {declared}).")
    if re.search(r"sf_(prepare|start|step)['’\"]? (undeclared|was not declared)|"
                 r"implicit declaration of function ['‘\"]?sf_(prepare|start|step)", message):
        hints.append(
            "A neuron-model kernel defines three functions, static inline, with fixed "
            "names and signatures: sf_prepare, sf_start and sf_step (see "
            "spinnframe_kernel.h, or a kernel made by `spinnframe new-model`).")
    if re.search(r"kernel interface (version )?\d+|SF_KERNEL_ABI_VERSION", message):
        hints.append(
            "The plugin was written for another version of spinnframe's kernel interface: "
            "install a release of the plugin made for this spinnframe, or update its "
            "kernel (docs/plugins/writing-a-neuron-model.md lists what changed).")
    if "does not match its declaration" in message:
        hints.append(
            "The compiled layout differs from the one the declaration implies; clear the "
            "kernel cache (SPINNFRAME_CACHE_DIR or ~/.cache/spinnframe/kernels) and report "
            "it if it persists.")
    return hints


def explain(spec, message: str) -> str:
    """``message`` with a first line naming the model and plugin, and hints."""
    text = f"neuron model {spec.name} from {_origin(spec)} cannot be used:\n{message}"
    hints = _hints(spec, message)
    if hints:
        text += "\n" + "\n".join(f"Hint: {h}" for h in hints)
    return text
