"""Every bundled neuron-model kernel compiles for SpiNNaker's ARM968 cores in s16.15.

Cross-compiles the generated wrapper of each model with Debian's gcc-arm-none-eabi
(``SPINNFRAME_FIXED_POINT``: sf_real is ``accum``), then checks the object code: the per-step
update (sf_model_update and every function it calls in the object, such as an sf_step or a
right-hand side the compiler kept out of line) calls no floating-point routine (the ARM968
has no FPU; only libgcc's fixed-point helpers are allowed), and the structs have the layout
of the declaration with every real field as a 4-byte s16.15 word.

The models are every installed neuron model whose kernel lives in this repository (a new
bundled model is covered without editing this file), the kernel ``spinnframe new-model``
writes, and the example plugin examples/plugins/adaptive_lif: a plugin author's starting
points must be portable too.

Without the cross-compiler the tests are skipped with the reason, except in CI (the
environment variable CI set, as CI services do), where they fail: there a missing compiler
must not pass for a proof. The accuracy of the SDK's integer fixed-point helpers
(sf_fixed_exp_raw, sf_exp_neg_q32, sf_double_to_q32) is checked with the host compiler,
always: integer code gives the ARM968's results on any machine.
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import attrs
import numpy as np
import pytest

from spinnframe.cli import new_model_files
from spinnframe.models import generate_wrapper
from spinnframe.plugins import get_manager
from spinnframe.sdk import include_dir
from spinnframe.specs import KINDS

REPO = Path(__file__).resolve().parents[1]
ARM_GCC = shutil.which("arm-none-eabi-gcc")
ARM_OBJDUMP = shutil.which("arm-none-eabi-objdump")
INSTALL = "apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi"
FLAGS = ["-mcpu=arm968e-s", "-marm", "-O2", "-std=gnu11", "-Wall", "-Werror",
         "-DSPINNFRAME_FIXED_POINT"]
#: libc routines that only move bytes, allowed in a step.
BYTE_COPIES = {"memcpy", "memmove", "memset"}
#: Soft-float arithmetic, float/double conversions and libm: none may run per step.
FLOATING = re.compile(r"^__aeabi_[df]\w*|^__aeabi_\w+2[df]$|^__gnu_\w*(df|sf)\w*$|"
                      r"^(exp|expm1|log|log1p|sqrt|sin|cos|pow|ceil|floor|rint|fabs|"
                      r"nearbyint|llround)f?$")
#: Models not yet ported to fixed point, with the reason. Their tests are expected to fail
#: (strict: the suite reports when one starts to pass, so that it leaves this list).
NOT_PORTED: dict[str, str] = {}


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="module")
def _cross_compiler():
    if ARM_GCC and ARM_OBJDUMP:
        return
    reason = f"arm-none-eabi-gcc/objdump not installed (Debian: {INSTALL})"
    if _in_ci():
        pytest.fail(f"CI is set but the ARM cross-compiler is missing, so the fixed-point "
                    f"kernels cannot be checked: install it with `{INSTALL}`")
    pytest.skip(reason)


def _load_module(path: Path, name: str):
    """Import a plugin module from its file (it need not be installed)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _template_spec(tmp: Path):
    """The model `spinnframe new-model` writes, from files written to tmp."""
    for rel, text in new_model_files("TemplateModel").items():
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp / rel).write_text(text)
    module = _load_module(tmp / "spinnframe_template_model" / "__init__.py",
                          "spinnframe_template_model")
    return module.MODEL


def _bundled_models() -> list[str]:
    manager = get_manager()
    manager.load()
    return sorted(name for name, provided in manager.neuron_models.items()
                  if REPO in Path(provided.spec.kernel).resolve().parents)


EXTRA = ["new-model template", "examples/plugins/adaptive_lif"]
MODELS = _bundled_models() + EXTRA
PARAMS = [pytest.param(m, marks=pytest.mark.xfail(strict=True, reason=NOT_PORTED[m]))
          if m in NOT_PORTED else m for m in MODELS]


def _spec(name: str, tmp: Path):
    if name == "new-model template":
        return _template_spec(tmp)
    if name == "examples/plugins/adaptive_lif":
        path = REPO / "examples/plugins/adaptive_lif/spinnframe_adaptive_lif/__init__.py"
        return _load_module(path, "spinnframe_adaptive_lif").ADAPTIVE_IF_CURR_EXP
    return get_manager().neuron_model(name)


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


def _compile(spec, out: Path, stem: str):
    """Cross-compile the wrapper (with the layout asserts); (result, disassembly)."""
    src = out / f"{stem}.c"
    src.write_text(generate_wrapper(spec) + "\n" + _layout_asserts(spec) + "\n")
    obj = out / f"{stem}.o"
    r = subprocess.run([ARM_GCC, *FLAGS, f"-I{include_dir()}", "-c", str(src), "-o", str(obj)],
                       capture_output=True, text=True)
    dis = subprocess.run([ARM_OBJDUMP, "-dr", str(obj)], capture_output=True,
                         text=True).stdout if r.returncode == 0 else ""
    return r, dis


def _functions(disassembly: str) -> dict[str, str]:
    """Function name -> its disassembly."""
    parts = re.split(r"^[0-9a-f]+ <([^>]+)>:\n", disassembly, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def _calls(disassembly: str, root: str) -> set[str]:
    """Every routine root calls, directly or through functions of the same object (their
    calls need no relocation, so they are followed by name). An indirect call could hide
    one, so it is refused."""
    functions = _functions(disassembly)
    assert root in functions, f"{root} not in the object code"
    seen, todo, external = {root}, [root], set()
    while todo:
        body = functions[todo.pop()]
        assert not re.search(r"\bblx\s+r\d", body), f"indirect call in {root}: {body}"
        for target in re.findall(r"\bb(?:l|lx)?(?:eq|ne|cs|cc|mi|pl|hi|ls|ge|lt|gt|le)?\s+"
                                 r"[0-9a-f]+\s+<([^>+]+)>", body):
            if target in functions:
                if target not in seen:
                    seen.add(target)
                    todo.append(target)
            else:
                external.add(target)
        external.update(re.findall(r"R_ARM_(?:CALL|JUMP24|PC24)\s+(\S+)", body))
    return external - set(functions)


@pytest.fixture(scope="module")
def arm_objects(_cross_compiler, tmp_path_factory):
    out = tmp_path_factory.mktemp("arm")
    objects = {}
    for i, name in enumerate(MODELS):
        spec = _spec(name, out)
        objects[name] = _compile(spec, out, f"model{i}")
    return objects


@pytest.mark.parametrize("model", PARAMS)
def test_kernel_compiles_for_arm968_in_fixed_point(arm_objects, model):
    """-Wall -Werror, and the _Static_asserts: the s16.15 struct layout."""
    result, _ = arm_objects[model]
    assert result.returncode == 0, result.stderr


def _floating_in_update(dis: str) -> list[str]:
    return sorted(c for c in _calls(dis, "sf_model_update") if FLOATING.search(c))


@pytest.mark.parametrize("model", PARAMS)
def test_time_step_uses_no_floating_point(arm_objects, model):
    result, dis = arm_objects[model]
    assert result.returncode == 0, result.stderr
    floating = _floating_in_update(dis)
    assert not floating, f"{model}: the time step calls {floating}"
    # whatever it calls is one of libgcc's fixed-point helpers (e.g. __gnu_cmpsa2) or a
    # byte copy (the loop copies a population's parameter set once per call)
    calls = _calls(dis, "sf_model_update")
    assert all(c.startswith("__gnu_") or c in BYTE_COPIES for c in calls), sorted(calls)


def test_floating_point_in_a_step_is_caught(_cross_compiler, tmp_path):
    """The check can fail: a double in sf_step, even in a helper the compiler keeps out
    of line (reached only by a call without relocation), is found."""
    spec = get_manager().neuron_model("IF_curr_exp")
    kernel = Path(spec.kernel).read_text()
    helper = ("__attribute__((noinline)) static sf_real sf_test_slow(sf_real v) "
              "{ return v * 1.0000001; }\n")
    assert "    (void)ctx;\n    if (s->refrac == 0) {" in kernel
    bad = kernel.replace("    (void)ctx;\n    if (s->refrac == 0) {",
                         "    (void)ctx;\n    s->v = sf_test_slow(s->v);\n"
                         "    if (s->refrac == 0) {")
    (tmp_path / "bad.c").write_text(helper + bad)
    result, dis = _compile(attrs.evolve(spec, kernel=tmp_path / "bad.c"), tmp_path, "wrapper")
    assert result.returncode == 0, result.stderr
    assert "sf_test_slow" in _functions(dis)
    assert _floating_in_update(dis), "a soft-float multiplication in sf_step went unnoticed"


@pytest.fixture(scope="module")
def fixed_math(tmp_path_factory):
    """The worst errors tests/c/fixed_math_check.c measures, by name."""
    from spinnframe_host.compiler import compiler
    exe = tmp_path_factory.mktemp("fixed_math") / "fixed_math_check"
    subprocess.run(compiler() + ["-std=gnu99", "-O2", "-Wall", "-Werror", f"-I{include_dir()}",
                                 "-o", str(exe), str(REPO / "tests/c/fixed_math_check.c"), "-lm"],
                   check=True)
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    return {line.split()[0]: [float(x) for x in line.split()[1:]] for line in out.splitlines()}


def test_fixed_exp_is_within_one_unit(fixed_math):
    """sf_fixed_exp over its whole range: 1 unit of 2^-15 plus 2e-8 relative."""
    assert fixed_math["fixed_exp_units"][0] <= 1.0


def test_exp_neg_q32_accuracy(fixed_math):
    """exp(-y) in Q32 for y in [2^-32, 23]: within 2^-31 plus 2e-8 relative, and the chance
    of an event 1 - exp(-y) to 1.2e-5 relative down to y = 1e-5 (the renewal sources'
    rate dt at 0.1 Hz and dt = 0.1 ms): rounding to 2^-32 is all that limits it."""
    assert fixed_math["exp_neg_q32_units"][0] <= 2.0
    assert fixed_math["exp_neg_q32_chance_rel"][0] < 1.2e-5
    assert fixed_math["exp_neg_q32_ends"] == [2.0 ** 32, 0.0]


def test_double_to_q32_reads_double_bits(fixed_math):
    """x 2^32 truncated, exactly; 0 for 0, negatives and NaN; saturated from 2^32 on."""
    assert fixed_math["double_to_q32_rel"][0] == 0.0
    assert fixed_math["double_to_q32_edges"] == [0.0, 0.0, 0.0, 429496729.0, 2.0 ** 64 - 1]
