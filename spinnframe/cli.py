"""The ``spinnframe`` command line.

    spinnframe plugins [--json]           list installed plugins and what each provides
    spinnframe new-model NAME [--dir DIR] create a pip-installable neuron-model plugin
"""
from __future__ import annotations

import argparse
import os
import json
import keyword
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

from . import __version__


def _plugins(args) -> int:
    from .errors import PluginError
    from .plugins import PluginWarning, get_manager

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PluginWarning)
        mgr = get_manager()
        try:
            mgr.load()
        except PluginError as exc:     # e.g. two plugins provide the same model
            print(f"error: {exc}", file=sys.stderr)
            return 1
    rows = []
    for info in sorted(mgr.plugins.values(), key=lambda i: i.name):
        provided = "; ".join(f"{kind}: {', '.join(names)}"
                             for kind, names in info.provides.items() if names)
        rows.append({"name": info.name, "version": info.version, "kind": info.kind,
                     "provides": provided or (f"ERROR: {info.error}" if info.error else "-"),
                     "distribution": info.distribution})
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        headers = ("name", "version", "kind", "provides", "distribution")
        widths = [max([len(h)] + [len(r[h]) for r in rows]) for h in headers]
        line = "  ".join(h.upper().ljust(w) for h, w in zip(headers, widths))
        print(line.rstrip())
        for r in rows:
            print("  ".join(r[h].ljust(w) for h, w in zip(headers, widths)).rstrip())
        if not rows:
            print("(no plugins installed: install spinnframe-host and a neuron-model plugin)")
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    return 1 if any(i.error for i in mgr.plugins.values()) else 0


# --------------------------------------------------------------------------------------
# new-model
# --------------------------------------------------------------------------------------
class NewModelError(Exception):
    """The name or the destination of `spinnframe new-model` is not usable."""


_CELL_TYPE_NAME = re.compile(r"^[A-Z][A-Za-z0-9_]*$")


def snake_case(name: str) -> str:
    """``LeakyNeuron`` -> ``leaky_neuron``, ``AdaptiveIF_curr_exp`` -> ``adaptive_if_curr_exp``."""
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    s = re.sub(r"(?<=[A-Z])(?=[A-Z][a-z])", "_", s)
    return re.sub(r"_+", "_", s).strip("_").lower()


def _taken_names() -> tuple[dict[str, str], set[str], set[str]]:
    """(model/class name -> what has it, installed plugin entry-point names, installed
    distribution names)."""
    from importlib import metadata

    from pyNN.standardmodels import StandardModelType, cells, electrodes, synapses

    taken: dict[str, str] = {}
    for module, what in ((cells, "a PyNN standard cell type (a model of that name must "
                                 "implement PyNN's definition: NeuronModelSpec(pynn_base=...))"),
                         (electrodes, "a PyNN standard current source"),
                         (synapses, "a PyNN standard synapse type")):
        for n, obj in vars(module).items():
            if isinstance(obj, type) and issubclass(obj, StandardModelType) and n[:1].isupper():
                taken.setdefault(n, what)
    import spinnframe.pyNN as sim

    for n in vars(sim):
        if n[:1].isupper():
            taken[n] = "a name in spinnframe.pyNN"
    from .errors import PluginError
    from .plugins import PluginWarning, get_manager

    mgr = get_manager()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginWarning)
        try:
            mgr.load()
        except PluginError as exc:
            print(f"warning: could not check every installed plugin: {exc}", file=sys.stderr)
    for registry, what in ((mgr.neuron_models, "a neuron model"),
                           (mgr.current_sources, "a current source"),
                           (mgr.structures, "a structure")):
        for n, provided in registry.items():
            info = mgr.plugins.get(provided.plugin)
            dist = f", distribution {info.distribution}" if info else ""
            taken[n] = f"{what} provided by the installed plugin {provided.plugin!r}{dist}"
    shapes = getattr(sim, "_shapes", None)      # volumes that structures use (Cuboid, ...)
    for n in (shapes(mgr) if callable(shapes) else {}):
        taken.setdefault(n, "a shape of an installed structure plugin")
    plugins = set(mgr.plugins)
    dists = {(d.metadata["Name"] or "").lower().replace("_", "-")
             for d in metadata.distributions()}
    return taken, plugins, dists


def check_model_name(name: str) -> None:
    """Raise NewModelError unless ``name`` can be a new cell type (``sim.<name>``)."""
    if not isinstance(name, str) or not _CELL_TYPE_NAME.match(name):
        raise NewModelError(
            f"invalid model name {name!r}: a model is a PyNN cell type that scripts use as "
            f"sim.<name>(...), so its name must be a Python identifier that starts with an "
            f"upper-case letter and has only ASCII letters, digits and underscores (e.g. "
            f"LeakyNeuron, AdaptiveIF_curr_exp)")
    if keyword.iskeyword(name):
        raise NewModelError(f"invalid model name {name!r}: it is a Python keyword, so "
                            f"sim.{name} cannot be written; choose another name")
    taken, plugins, dists = _taken_names()
    if name in taken:
        raise NewModelError(f"model name {name!r} is already taken: it is {taken[name]}. "
                            f"Choose another name.")
    entry = snake_case(name)
    if entry in plugins:
        raise NewModelError(f"a plugin named {entry!r} (the entry-point name {name!r} gives) "
                            f"is already installed; choose another model name")
    dist = "spinnframe-" + entry.replace("_", "-")
    if dist in dists:
        raise NewModelError(f"a distribution named {dist!r} is already installed; choose "
                            f"another model name")


def new_model_files(name: str) -> dict[str, str]:
    """Relative path -> contents of the package ``spinnframe new-model NAME`` creates."""
    entry = snake_case(name)
    values = {
        "name": name,
        "entry": entry,
        "module": f"spinnframe_{entry}",
        "dist": "spinnframe-" + entry.replace("_", "-"),
        "spinnframe_version": __version__,
        "kernel_abi": str(_kernel_abi()),
    }

    def fill(text: str) -> str:
        for key, value in values.items():
            text = text.replace("{{" + key + "}}", value)
        return text

    return {fill(path): fill(text).lstrip("\n") for path, text in _TEMPLATE.items()}


def _kernel_abi() -> int:
    from .sdk import kernel_abi_version
    return kernel_abi_version()


def create_model_package(name: str, parent: Path) -> Path:
    """Write the package for model ``name`` into ``parent/spinnframe-<name>``."""
    check_model_name(name)
    files = new_model_files(name)
    dest = Path(parent) / ("spinnframe-" + snake_case(name).replace("_", "-"))
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise NewModelError(f"{dest} already exists and is not empty; remove it or choose "
                            f"another --dir")
    for rel, text in files.items():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return dest


def _new_model(args) -> int:
    try:
        dest = create_model_package(args.name, Path(args.dir))
    except (NewModelError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    entry = snake_case(args.name)
    print(f"Created {dest}: model {args.name} in package spinnframe-"
          f"{entry.replace('_', '-')} (module spinnframe_{entry}).")
    for path in sorted(p.relative_to(dest) for p in dest.rglob("*") if p.is_file()):
        print(f"  {path}")
    print(f"Next:\n  cd {dest}\n  pip install -e \".[test]\"\n  pytest\n"
          f"then edit spinnframe_{entry}/__init__.py (the declaration) and "
          f"spinnframe_{entry}/{entry}.c (the kernel); see "
          f"docs/plugins/writing-a-neuron-model.md.")
    return 0


# --------------------------------------------------------------------------------------
# The package `spinnframe new-model` writes ({{key}} is replaced; see new_model_files)
# --------------------------------------------------------------------------------------
_TEMPLATE: dict[str, str] = {}

_TEMPLATE["pyproject.toml"] = '''
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "{{dist}}"
version = "0.1.0"
description = "{{name}}: a neuron model for spinnframe"
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["spinnframe>={{spinnframe_version}}"]

[project.optional-dependencies]
test = ["pytest>=8"]

# spinnframe finds the model through this entry point (group "spinnframe"):
# plugin name = "the module whose hooks provide it"
[project.entry-points.spinnframe]
{{entry}} = "{{module}}"

[tool.setuptools]
packages = ["{{module}}"]

# the C kernel must be installed with the module, or Population() reports it missing
[tool.setuptools.package-data]
"{{module}}" = ["*.c", "*.h"]

[tool.pytest.ini_options]
testpaths = ["tests"]
'''

_TEMPLATE[".gitignore"] = '''
__pycache__/
*.egg-info/
build/
dist/
.pytest_cache/
'''

_TEMPLATE["README.md"] = '''
# {{dist}}

`{{name}}`, a neuron model for spinnframe, the PyNN simulator built from plugins. Once this package is installed, PyNN scripts run with
spinnframe can use it like any built-in cell type:

```python
import spinnframe.pyNN as sim

sim.setup(timestep=0.1)
cells = sim.Population(10, sim.{{name}}(tau_m=10.0, i_offset=2.0))
cells.record(["v", "spikes"])
sim.run(100.0)
data = cells.get_data()
sim.end()
```

`spinnframe plugins` lists it (plugin `{{entry}}`, distribution `{{dist}}`).

## The model

As generated by `spinnframe new-model`, a leaky integrate-and-fire neuron with voltage-jump
(delta) synapses, integrated exactly (v in mV, currents in nA, cm in nF, times in ms):

    cm dv/dt = cm (v_rest - v) / tau_m + i_offset + i_inj
    a spike of weight q (mV) arriving on "excitatory" or "inhibitory" adds q to v
    v >= v_thresh: a spike, and v = v_reset

| parameter | unit | default | |
|---|---|---|---|
| v_rest | mV | -65 | resting potential |
| tau_m | ms | 20 | membrane time constant (> 0) |
| cm | nF | 1 | membrane capacitance (> 0) |
| i_offset | nA | 0 | constant injected current |
| v_thresh | mV | -50 | spike threshold |
| v_reset | mV | -65 | reset potential (< v_thresh) |

Recordable: `spikes`, `v`. Receptor types: `excitatory`, `inhibitory` (inhibitory weights
are negative, PyNN's convention for current-based synapses).

## Files

    pyproject.toml              package metadata, the "spinnframe" entry point, package data
    {{module}}/__init__.py      the declaration: parameters, state variables, receptors
    {{module}}/{{entry}}.c      the C kernel: sf_prepare, sf_start, sf_step
    tests/test_{{entry}}.py     discovery, a small network, agreement with a numpy reference

## Develop

    pip install -e ".[test]"     # in an environment where spinnframe is installed
    pytest

Change the declaration and the kernel together: the C structs the kernel uses
(`sf_params_t`, `sf_derived_t`, `sf_state_t`) and the receptor macros (`SF_RECEPTOR_*`)
are generated from the declaration. The kernel is compiled the first time a Population of
the model is created (and cached), so a C error shows up at `sim.Population(...)`, with the
compiler's message and the line in `{{entry}}.c`. Keep the reference implementation in the
tests in step with the equations: `compare_with_reference` (from `spinnframe.testing`)
runs both on the same input and says where they differ.

## Publish

    python -m pip install build twine
    python -m build              # dist/{{module}}-0.1.0.tar.gz and a wheel
    python -m twine upload dist/*

Users then `pip install {{dist}}`; spinnframe finds the model through the entry point.
'''

_TEMPLATE["{{module}}/__init__.py"] = '''
"""{{name}}: a leaky integrate-and-fire neuron with voltage-jump synapses (a spinnframe
neuron-model plugin; edit it into your model).

Equations (v in mV, currents in nA, cm in nF, times in ms)::

    cm dv/dt = cm (v_rest - v) / tau_m + i_offset + i_inj

A spike of weight q arriving on receptor "excitatory" or "inhibitory" adds q mV to v.
When v >= v_thresh the neuron spikes and v is set to v_reset. Each time step is
integrated exactly, then the arriving spikes are added, then the threshold is checked.
"""
from pathlib import Path

from spinnframe import hookimpl
from spinnframe.specs import Derived, NeuronModelSpec, Parameter, StateVariable, below

__version__ = "0.1.0"

POSITIVE = dict(low=0.0, low_open=True)

#: The declaration. spinnframe generates from it the PyNN cell type (sim.{{name}}), the
#: range checks, the numpy layout of parameters and state, and the C structs the kernel
#: uses (sf_params_t, sf_derived_t, sf_state_t, in this order of fields).
MODEL = NeuronModelSpec(
    name="{{name}}",
    parameters=[
        Parameter("v_rest", "mV", -65.0, doc="resting membrane potential"),
        Parameter("tau_m", "ms", 20.0, **POSITIVE, doc="membrane time constant"),
        Parameter("cm", "nF", 1.0, **POSITIVE, doc="membrane capacitance"),
        Parameter("i_offset", "nA", 0.0, doc="constant injected current"),
        Parameter("v_thresh", "mV", -50.0, doc="spike threshold"),
        Parameter("v_reset", "mV", -65.0, doc="reset potential after a spike"),
    ],
    state=[
        # initial value "v_rest": each neuron starts at its own v_rest
        StateVariable("v", "mV", "v_rest", recordable=True, doc="membrane potential"),
    ],
    derived=[
        Derived("decay", doc="exp(-dt / tau_m): membrane decay over one step"),
        Derived("gain", doc="response (mV) to a constant 1 nA over one step"),
    ],
    receptors=("excitatory", "inhibitory"),
    kernel=Path(__file__).with_name("{{entry}}.c"),
    description=__doc__,
    validate=below("v_reset", "v_thresh"),
)


@hookimpl
def spinnframe_neuron_models():
    """The hook spinnframe calls to find the models of this plugin."""
    return [MODEL]
'''

_TEMPLATE["{{module}}/{{entry}}.c"] = '''
/* {{name}} kernel (spinnframe neuron-model plugin {{dist}}).
 *
 * Never compiled on its own: spinnframe generates a wrapper from the declaration in
 * __init__.py that defines sf_params_t, sf_derived_t and sf_state_t (one field per
 * Parameter, Derived and StateVariable, in declaration order), SF_RECEPTOR_<NAME> and
 * SF_N_RECEPTORS, includes spinnframe_kernel.h and then this file. The kernel defines
 * sf_prepare, sf_start and sf_step; see spinnframe_kernel.h for the full contract.
 */
#if SF_KERNEL_ABI_VERSION != {{kernel_abi}}
#error "{{dist}} was written for spinnframe kernel interface {{kernel_abi}}"
#endif

/* Derived constants of one parameter set; called whenever parameters or dt change. */
static inline void sf_prepare(const sf_params_t *p, sf_derived_t *d, const sf_context *ctx) {
    const double h = ctx->dt;
    d->decay = exp(-h / p->tau_m);
    d->gain = -p->tau_m / p->cm * expm1(-h / p->tau_m);   /* R (1 - decay), mV per nA */
}

/* Called for every neuron at the start of each run(); nothing to do here. */
static inline void sf_start(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                            const sf_context *ctx, uint64_t neuron) {
    (void)p; (void)d; (void)s; (void)ctx; (void)neuron;
}

/* Advance one neuron from ctx->t to ctx->t + ctx->dt; return the number of spikes. */
static inline uint32_t sf_step(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                               const sf_input *in, const sf_context *ctx) {
    (void)ctx;
    const sf_real i_total = p->i_offset + in->i_inj;                 /* nA */
    s->v = p->v_rest + (s->v - p->v_rest) * d->decay + i_total * d->gain;
    /* spikes arriving at the end of the step: weights in mV */
    s->v += in->syn[SF_RECEPTOR_EXCITATORY] + in->syn[SF_RECEPTOR_INHIBITORY];
    if (s->v >= p->v_thresh) {
        s->v = p->v_reset;
        return 1;
    }
    return 0;
}
'''

_TEMPLATE["tests/test_{{entry}}.py"] = '''
"""Tests of {{dist}}. Run with `pytest` once the package is installed.

The fixtures spinnframe_sim (a set-up spinnframe.pyNN, ended after the test) and
spinnframe_plugins (the loaded plugin manager) come from spinnframe's pytest plugin,
which pytest loads automatically wherever spinnframe is installed.
"""
import json
import subprocess
import sys

import numpy as np
import pytest
from pyNN import errors

from spinnframe.testing import Drive, compare_with_reference

MODEL = "{{name}}"


def reference(inputs):
    """The model's equations, written independently of the kernel (numpy, exact)."""
    p, dt = inputs.params, inputs.dt
    decay = np.exp(-dt / p["tau_m"])
    gain = -p["tau_m"] / p["cm"] * np.expm1(-dt / p["tau_m"])
    v = inputs.initial["v"]
    values, spikes = [v], []
    for m in range(inputs.n_steps):
        v = p["v_rest"] + (v - p["v_rest"]) * decay + (p["i_offset"] + inputs.i_inj[m]) * gain
        v += inputs.syn["excitatory"][m] + inputs.syn["inhibitory"][m]
        if v >= p["v_thresh"]:
            v = p["v_reset"]
            spikes.append((m + 1) * dt)
        values.append(v)
    return {"v": np.array(values), "spikes": np.array(spikes)}


def test_plugin_is_discovered(spinnframe_plugins):
    assert MODEL in spinnframe_plugins.neuron_models
    assert spinnframe_plugins.provider("neuron_model", MODEL).name == "{{entry}}"


def test_listed_by_spinnframe_plugins():
    out = subprocess.run([sys.executable, "-m", "spinnframe.cli", "plugins", "--json"],
                         capture_output=True, text=True)
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    assert rows["{{entry}}"]["provides"] == "neuron models: " + MODEL
    assert rows["{{entry}}"]["distribution"] == "{{dist}}"


def test_runs_in_a_small_network_and_records(spinnframe_sim):
    sim = spinnframe_sim
    inputs = sim.Population(5, sim.SpikeSourceArray(spike_times=[10.0, 30.0, 50.0]))
    cells = sim.Population(3, sim.{{name}}(tau_m=[10.0, 20.0, 30.0], i_offset=1.0))
    sim.Projection(inputs, cells, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=1.0, delay=1.0), receptor_type="excitatory")
    cells.record(["v", "spikes"])
    sim.run(100.0)
    segment = cells.get_data().segments[0]
    v = segment.filter(name="v")[0]
    assert v.shape == (1001, 3)
    assert np.all(np.asarray(v)[0] == -65.0)                 # initial value: v_rest
    assert np.all(np.asarray(v) < -50.0)                     # reset below threshold
    assert sum(len(st) for st in segment.spiketrains) > 0


def test_matches_reference():
    drive = Drive(duration=200.0, current=[(20.0, 0.5), (150.0, 0.0)],
                  spikes={"excitatory": [(40.0, 4.0), (41.0, 4.0)],
                          "inhibitory": [(100.0, -3.0)]})
    # the kernel and the reference do the same arithmetic: they agree to rounding
    compare_with_reference(MODEL, [{}, {"tau_m": 5.0, "i_offset": 2.0}], drive, reference,
                           tolerance=1e-9)


def test_invalid_parameters_are_refused(spinnframe_sim):
    sim = spinnframe_sim
    with pytest.raises(errors.InvalidParameterValueError, match="tau_m"):
        sim.{{name}}(tau_m=0.0)
    with pytest.raises(errors.InvalidParameterValueError, match="v_reset must be below"):
        sim.Population(1, sim.{{name}}(v_reset=-40.0))
'''


def _doctor(args) -> int:
    """Check the installation: C compiler and OpenMP, kernel cache, plugins, an engine
    build, and (with --board) a SpiNNaker machine through the spinnaker backend plugin."""
    import tempfile
    import warnings as _w

    problems = 0

    def report(ok: bool, what: str, detail: str = "") -> None:
        nonlocal problems
        problems += not ok
        print(f"[{'ok' if ok else 'FAIL'}] {what}" + (f": {detail}" if detail else ""))

    from .plugins import PluginWarning, get_manager
    with _w.catch_warnings(record=True) as caught:
        _w.simplefilter("always", PluginWarning)
        mgr = get_manager()
        try:
            mgr.load()
            load_error = None
        except Exception as exc:            # e.g. conflicting plugins
            load_error = f"{type(exc).__name__}: {exc}"
    broken = [i for i in mgr.plugins.values() if i.error]
    report(load_error is None and not broken, "plugins",
           load_error or (f"{len(mgr.plugins)} loaded; broken: " +
                          "; ".join(f"{i.name} ({i.error})" for i in broken) if broken else
                          f"{len(mgr.plugins)} loaded, {len(mgr.neuron_models)} cell types, "
                          f"backends: {', '.join(sorted(mgr.backends)) or 'none'}"))
    for w in caught:
        print(f"       {w.message}")
    if "host" in mgr.backends:
        from spinnframe_host import compiler
        try:
            cc = compiler.compiler()
            report(True, "C compiler", " ".join(cc) + (
                ", OpenMP available" if compiler.openmp_flags() else
                ", no OpenMP (the engine runs on one thread)") + (
                ", kernels built for this CPU (-march=native)" if compiler.native_flags()
                else ", kernels built for the baseline instruction set"))
            from spinnframe_host.engine import (EVENT_BINS_CACHE_FRACTION,
                                                last_level_cache_bytes)
            llc = last_level_cache_bytes()
            print(f"       last-level cache {llc / 2 ** 20:.0f} MiB: spike delivery "
                  f"collects events in bins once a network's ring buffers exceed "
                  f"{EVENT_BINS_CACHE_FRACTION * llc / 2 ** 20:.0f} MiB")
        except Exception as exc:
            report(False, "C compiler", str(exc))
        cache = compiler.cache_dir(args.cache_dir)
        libs = list(cache.glob("*.so"))
        size = sum(p.stat().st_size for p in libs) / 1e6
        writable = os.access(cache, os.W_OK)
        report(writable, "kernel cache", f"{cache} ({len(libs)} libraries, {size:.1f} MB"
               f"{'' if writable else ', NOT writable'})")
        try:
            from spinnframe_host.engine import engine_library
            with tempfile.TemporaryDirectory() as tmp:
                engine_library(Path(tmp) if args.rebuild else cache)
            report(True, "host engine builds and loads")
        except Exception as exc:
            report(False, "host engine", f"{type(exc).__name__}: {exc}")
    else:
        report(False, "host backend", "spinnframe-host is not installed")
    # optional: the cross-compiler that checks kernels build for SpiNNaker's ARM968 cores
    arm = shutil.which("arm-none-eabi-gcc")
    if arm:
        version = subprocess.run([arm, "-dumpversion"], capture_output=True, text=True,
                                 timeout=30).stdout.strip()
        print(f"[ok] ARM cross-compiler: {arm} {version} (kernels can be built for SpiNNaker)")
    else:
        print("[--] ARM cross-compiler: not found (optional; only to build kernels for "
              "SpiNNaker: apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)")
    try:
        from spinnframe_spinnaker.doctor import check_board, check_installation
    except ImportError:
        check_board = check_installation = None
    if check_installation is not None:
        info = check_installation()
        report("error" not in info, "spinnaker backend",
               info.get("error") or f"sPyNNaker {info.get('spynnaker')}, spinnman "
                                    f"{info.get('spinnman')}")
    if args.board:
        if check_board is None:
            report(False, f"SpiNNaker board {args.board}",
                   "the spinnaker backend plugin (spinnframe-spinnaker) is not installed")
        else:
            try:
                details = check_board(args.board, timeout_s=args.timeout)
                report(True, f"SpiNNaker board {args.board}", details.describe())
            except Exception as exc:
                report(False, f"SpiNNaker board {args.board}", str(exc))
    print("all checks passed" if not problems else f"{problems} check(s) failed")
    return 0 if not problems else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="spinnframe",
                                     description="spinnframe: a PyNN simulator built from plugins")
    parser.add_argument("--version", action="version", version=f"spinnframe {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("plugins", help="list installed plugins: name, version, kind, what "
                                       "each provides")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_plugins)
    p = sub.add_parser("new-model", help="create a pip-installable neuron-model plugin "
                                         "(declaration, C kernel, tests, README)",
                       description="Create the package spinnframe-<name> for a new neuron "
                                   "model NAME: pyproject.toml with the entry point, the "
                                   "declaration, a C kernel that compiles and runs (a leaky "
                                   "integrate-and-fire neuron to start from), tests and a "
                                   "README.")
    p.add_argument("name", help="the cell type name users will write, e.g. LeakyNeuron "
                                "(sim.LeakyNeuron)")
    p.add_argument("--dir", default=".", help="folder in which to create the package "
                                              "folder (default: the current folder)")
    p.set_defaults(func=_new_model)
    p = sub.add_parser("doctor", help="check the installation (compiler, kernel cache, "
                                      "plugins) and optionally a SpiNNaker board")
    p.add_argument("--board", help="address of a SpiNNaker board to ask for its details")
    p.add_argument("--timeout", type=float, default=5.0,
                   help="seconds to wait for the board (default 5)")
    p.add_argument("--cache-dir", default=None, help="kernel cache to check (default: "
                                                     "$SPINNFRAME_CACHE_DIR or ~/.cache)")
    p.add_argument("--rebuild", action="store_true",
                   help="compile the engine afresh in a temporary folder")
    p.set_defaults(func=_doctor)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
