"""The IF_curr kernels compile for SpiNNaker's ARM968 cores in s16.15 fixed point.

Cross-compiles the generated wrapper of each model with Debian's gcc-arm-none-eabi
(``SPINNFRAME_FIXED_POINT``: sf_real is ``accum``), then checks the object code: the per-step
update (sf_model_update, with sf_step inlined) calls no floating-point routine (the
ARM968 has no FPU; only libgcc's fixed-point helpers are allowed), and the structs have the
layout of the declaration with every real field as a 4-byte s16.15 word. Skipped (with the
reason) where the cross-compiler is not installed: ``apt install gcc-arm-none-eabi``.
"""
from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

from spinnframe.models import generate_wrapper
from spinnframe.plugins import get_manager
from spinnframe.sdk import include_dir
from spinnframe.specs import KINDS

ARM_GCC = shutil.which("arm-none-eabi-gcc")
ARM_OBJDUMP = shutil.which("arm-none-eabi-objdump")
pytestmark = pytest.mark.skipif(
    not (ARM_GCC and ARM_OBJDUMP),
    reason="arm-none-eabi-gcc/objdump not installed (Debian: apt install gcc-arm-none-eabi)")

#: Models whose step is written for both numeric types.
FIXED_POINT_MODELS = ["IF_curr_exp", "IF_curr_alpha", "IF_curr_delta", "Izhikevich"]
FLAGS = ["-mcpu=arm968e-s", "-marm", "-O2", "-std=gnu11", "-Wall", "-Werror",
         "-DSPINNFRAME_FIXED_POINT"]
#: Soft-float arithmetic, float/double conversions and libm: none may run per step.
FLOATING = re.compile(r"^__aeabi_[df]\w*|^__aeabi_\w+2[df]$|^__gnu_\w*(df|sf)\w*$|"
                      r"^(exp|expm1|log|sqrt|ceil|floor|pow|fabs|nearbyint|llround)f?$")


def _s1615_dtype(items) -> np.dtype:
    """The declaration's struct with each real field as an int32 (raw s16.15 word)."""
    def np_type(kind):
        t = "i4" if kind == "real" else KINDS[kind][1]
        return np.dtype(t, align=True) if isinstance(t, list) else np.dtype(t)
    fields = [(x.name, np_type(x.kind)) for x in items] or [("sf_unused_", np.dtype("i4"))]
    return np.dtype(fields, align=True)


def _layout_asserts(spec) -> str:
    out = []
    for struct, items in (("sf_params_t", spec.parameters), ("sf_derived_t", spec.derived),
                          ("sf_state_t", spec.state)):
        dt = _s1615_dtype(items)
        out.append(f'_Static_assert(sizeof({struct}) == {dt.itemsize}, "size of {struct}");')
        for name in dt.names:
            out.append(f"_Static_assert(offsetof({struct}, {name}) == {dt.fields[name][1]}, "
                       f'"offset of {struct}.{name}");')
    return "\n".join(out)


def _function_calls(disassembly: str, function: str) -> set[str]:
    start = disassembly.find(f"<{function}>:")
    assert start >= 0, f"{function} not in the object code"
    end = disassembly.find("\n\n", start)
    return set(re.findall(r"R_ARM_(?:CALL|JUMP24|PC24)\s+(\S+)", disassembly[start:end]))


@pytest.fixture(scope="module")
def arm_objects(tmp_path_factory):
    out = tmp_path_factory.mktemp("arm")
    manager = get_manager()
    objects = {}
    for name in FIXED_POINT_MODELS:
        spec = manager.neuron_model(name)
        src = out / f"{name}.c"
        src.write_text(generate_wrapper(spec) + "\n" + _layout_asserts(spec) + "\n")
        obj = out / f"{name}.o"
        r = subprocess.run([ARM_GCC, *FLAGS, f"-I{include_dir()}", "-c", str(src), "-o",
                            str(obj)], capture_output=True, text=True)
        dis = subprocess.run([ARM_OBJDUMP, "-dr", str(obj)], capture_output=True,
                             text=True).stdout if r.returncode == 0 else ""
        objects[name] = (r, dis)
    return objects


@pytest.mark.parametrize("model", FIXED_POINT_MODELS)
def test_kernel_compiles_for_arm968_in_fixed_point(arm_objects, model):
    """-Wall -Werror, and the _Static_asserts: the s16.15 struct layout."""
    result, _ = arm_objects[model]
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("model", FIXED_POINT_MODELS)
def test_time_step_uses_no_floating_point(arm_objects, model):
    result, dis = arm_objects[model]
    assert result.returncode == 0, result.stderr
    calls = _function_calls(dis, "sf_model_update")
    floating = sorted(c for c in calls if FLOATING.search(c))
    assert not floating, f"{model}: the time step calls {floating}"
    # whatever it calls is one of libgcc's fixed-point helpers (e.g. __gnu_cmpsa2)
    assert all(c.startswith("__gnu_") for c in calls), sorted(calls)
    # ... and the check can fail: sf_model_prepare computes exponentials in soft-float
    prepare = _function_calls(dis, "sf_model_prepare")
    assert any(FLOATING.search(c) for c in prepare), sorted(prepare)
