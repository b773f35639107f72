"""Render the hook reference (docs/plugins/hooks.md) from the docstrings in hookspecs.py.

Run ``python -m spinnframe.hookdoc > docs/plugins/hooks.md``; a test checks the file is
current and that every hook is documented.
"""
from __future__ import annotations

import inspect

from . import hookspecs, specs


def hooks() -> list[tuple[str, object]]:
    return [(name, obj) for name, obj in vars(hookspecs).items()
            if name.startswith("spinnframe_") and callable(obj)]


def render() -> str:
    out = ["# Hook reference", "",
           "Generated from `spinnframe/hookspecs.py` by `python -m spinnframe.hookdoc`; "
           "do not edit by hand.", "",
           inspect.cleandoc(hookspecs.__doc__), ""]
    for name, func in hooks():
        sig = str(inspect.signature(func))
        out += [f"## `{name}{sig}`", "", inspect.cleandoc(func.__doc__ or ""), ""]
    out += ["# Descriptors", ""]
    for cls in (specs.NeuronModelSpec, specs.Parameter, specs.StateVariable, specs.Derived,
                specs.BackendSpec, specs.RecorderSpec):
        fields = ", ".join(f.name for f in cls.__attrs_attrs__)
        out += [f"## `{cls.__name__}({fields})`", "", inspect.cleandoc(cls.__doc__ or ""), ""]
    out += _recorder_interface()
    return "\n".join(out).rstrip() + "\n"


def _recorder_interface() -> list[str]:
    """The objects a recorder's factory returns, and the events they receive."""
    from .recording import api

    out = ["# The recorder interface", "", "`spinnframe.recording.api`: "
           + inspect.cleandoc(api.__doc__), ""]
    cls = api.DataRecorder
    out += [f"## `class {cls.__name__}`", "", inspect.cleandoc(cls.__doc__ or ""), ""]
    for name, func in vars(cls).items():
        if callable(func) and not name.startswith("_"):
            out += [f"### `{name}{inspect.signature(func)}`", "",
                    inspect.cleandoc(func.__doc__ or ""), ""]
    for cls in (api.RunInfo, api.PopulationInfo, api.VariableInfo, api.SpikeChunk,
                api.SampleChunk, api.SegmentInfo, api.RecorderContext):
        fields = ", ".join(getattr(f, "alias", None) or f.name for f in cls.__attrs_attrs__)
        out += [f"## `{cls.__name__}({fields})`", "", inspect.cleandoc(cls.__doc__ or ""), ""]
    return out


if __name__ == "__main__":
    print(render(), end="")
