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
                specs.BackendSpec):
        fields = ", ".join(f.name for f in cls.__attrs_attrs__)
        out += [f"## `{cls.__name__}({fields})`", "", inspect.cleandoc(cls.__doc__ or ""), ""]
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
