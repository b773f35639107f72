"""Third-party neuron models.

1. The example plugin examples/plugins/adaptive_lif (AdaptiveIF_curr_exp, a LIF neuron with
   an adaptation current w) is installed with plain `pip install` (not editable) into a
   target folder put on PYTHONPATH: pip's own build of a wheel, with the kernel shipped as
   package data, into a site folder the dev venv's spinnframe sees (a `venv
   --system-site-packages` made from the dev venv would see the base interpreter's
   site-packages, not the dev venv's, so a target folder is the robust choice). A PyNN
   script that only imports spinnframe.pyNN then uses the model and records w, and the
   recording is checked against an independent numpy implementation that integrates each
   step exactly (matrix exponential):

   * v within 1e-6 mV and w within 1e-8 nA: the kernel integrates with RKF45 (sf_ode.h),
     keeping each step's error below ~1e-9 (measured over 4000 steps: ~1e-10 mV, ~1e-13
     nA); these tolerances are far below every distance from threshold in the scenario.
   * spike times identical (the same step).

   The example package's own tests (which use spinnframe.testing's fixtures and
   compare_with_reference) also pass against the installed copy.

2. A plugin whose kernel does not compile, declares another kernel interface, does not
   match its declaration or lacks its kernel file gives a KernelBuildError at
   Population(), naming the plugin, with the compiler's message and the kernel's file and
   line; models from other plugins keep working. Two plugins providing the same model name
   give a PluginError naming both. None of these waits for run().

3. spinnframe.testing: compare_with_reference gives the reference exactly the input the
   neuron received (checked with IF_curr_exp, whose equations a numpy version reproduces
   to rounding), reports disagreements and mistakes clearly, and the pytest plugin's
   fixtures work without a conftest.py.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from importlib import metadata
from importlib.metadata import EntryPoint
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import spinnframe.pyNN as sim
from spinnframe import plugins
from spinnframe.cli import new_model_files, snake_case
from spinnframe.errors import KernelBuildError, PluginError
from spinnframe.simulator import state
from spinnframe.testing import Drive, ReferenceMismatch, compare_with_reference

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "plugins" / "adaptive_lif"
DT = 0.1


def pip_install(sources, target: Path) -> None:
    """Plain `pip install` (a wheel built by pip, not editable) into ``target``."""
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
           str(target)] + [str(s) for s in sources]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")


def load_reference():
    path = EXAMPLE / "tests" / "adaptive_lif_reference.py"
    spec = importlib.util.spec_from_file_location("adaptive_lif_reference_for_tests", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------------------
# 1. the example plugin, installed with pip
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def installed_example(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("third_party")
    src = tmp / "src"      # a copy: building in place would leave build/ in the repository
    shutil.copytree(EXAMPLE, src, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__", ".pytest_cache"))
    site = tmp / "site"
    pip_install([src], site)
    # from here on only the installed copy exists
    shutil.rmtree(src / "spinnframe_adaptive_lif")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(site)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    return SimpleNamespace(src=src, site=site, env=env)


def test_example_is_installed_as_a_wheel_and_discovered(installed_example):
    site = installed_example.site
    assert (site / "spinnframe_adaptive_lif" / "adaptive_lif.c").is_file()  # package data
    dist = next(site.glob("spinnframe_adaptive_lif-*.dist-info"))
    direct = json.loads((dist / "direct_url.json").read_text())
    assert not direct.get("dir_info", {}).get("editable", False)
    out = subprocess.run([sys.executable, "-m", "spinnframe.cli", "plugins", "--json"],
                         capture_output=True, text=True, env=installed_example.env)
    assert out.returncode == 0, out.stderr
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    assert rows["adaptive_lif"]["provides"] == "neuron models: AdaptiveIF_curr_exp"
    assert rows["adaptive_lif"]["distribution"] == "spinnframe-adaptive-lif"
    assert rows["if_curr_exp"]["provides"] == "neuron models: IF_curr_exp"


SCRIPT = textwrap.dedent('''
    """A PyNN script: nothing in it is specific to spinnframe but the import."""
    import sys

    import numpy as np
    import spinnframe.pyNN as sim

    sim.setup(timestep=0.1)
    cells = sim.Population(3, sim.AdaptiveIF_curr_exp(
        a=[0.0, 4.0, 12.0], b=[0.08, 0.05, 0.02], tau_w=[60.0, 150.0, 300.0],
        i_offset=0.1, tau_refrac=[2.0, 2.04, 0.0]), label="adaptive")
    stim = sim.Population(1, sim.SpikeSourceArray(spike_times=[15.0, 15.5, 300.0]))
    inh = sim.Population(1, sim.SpikeSourceArray(spike_times=[120.0]))
    sim.Projection(stim, cells, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=1.2, delay=1.0), receptor_type="excitatory")
    sim.Projection(inh, cells, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=-0.5, delay=2.0), receptor_type="inhibitory")
    cells.inject(sim.DCSource(amplitude=0.3, start=50.0, stop=250.0))
    cells.record(["v", "w", "spikes"])
    sim.run(400.0)
    segment = cells.get_data().segments[0]
    v = segment.filter(name="v")[0]
    w = segment.filter(name="w")[0]
    spikes = [st.magnitude for st in sorted(segment.spiketrains,
                                            key=lambda st: st.annotations["source_index"])]
    np.savez(sys.argv[1], t=v.times.magnitude, v=v.magnitude, w=w.magnitude,
             w_unit=str(w.units.dimensionality),
             spikes=np.concatenate(spikes), counts=[len(s) for s in spikes],
             module=sys.modules["spinnframe_adaptive_lif"].__file__)
    sim.end()
''')


def script_inputs(n_steps: int):
    """What each neuron of SCRIPT receives, per step (the engine's conventions, see
    docs/architecture.md "Time conventions"): the DCSource is on for the steps that start
    at 50 <= t < 250 ms; a spike a SpikeSourceArray emits at t (stamped at the end of step
    t/dt - 1) with delay d arrives at the end of step t/dt - 1 + d/dt."""
    i_inj = np.zeros(n_steps)
    i_inj[500:2500] = 0.3
    exc = np.zeros(n_steps)
    inh = np.zeros(n_steps)
    for t in (15.0, 15.5, 300.0):
        exc[round(t / DT) - 1 + 10] += 1.2
    inh[round(120.0 / DT) - 1 + 20] += -0.5
    return i_inj, exc, inh


def test_pynn_script_with_the_installed_model_matches_numpy(installed_example, tmp_path):
    script = tmp_path / "adaptive_network.py"
    script.write_text(SCRIPT)
    out = tmp_path / "result.npz"
    run = subprocess.run([sys.executable, str(script), str(out)], capture_output=True,
                         text=True, env=installed_example.env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    got = np.load(out)
    assert Path(str(got["module"])).is_relative_to(installed_example.site)
    assert str(got["w_unit"]) == "nA"
    n_steps = 4000
    assert got["v"].shape == got["w"].shape == (n_steps + 1, 3)
    ref = load_reference()
    i_inj, exc, inh = script_inputs(n_steps)
    common = dict(v_rest=-70.0, cm=0.25, tau_m=20.0, tau_syn_E=5.0, tau_syn_I=5.0,
                  i_offset=0.1, v_reset=-70.0, v_thresh=-50.0)
    neurons = [dict(common, a=0.0, b=0.08, tau_w=60.0, tau_refrac=2.0),
               dict(common, a=4.0, b=0.05, tau_w=150.0, tau_refrac=2.04),
               dict(common, a=12.0, b=0.02, tau_w=300.0, tau_refrac=0.0)]
    edges = np.r_[0, np.cumsum(got["counts"])]
    for j, params in enumerate(neurons):
        want = ref.simulate(params, DT, i_inj, exc, inh)
        spikes = got["spikes"][edges[j]:edges[j + 1]]
        assert len(want["spikes"]) >= 3, "the scenario must make every neuron fire"
        np.testing.assert_allclose(spikes, want["spikes"], rtol=0, atol=1e-9,
                                   err_msg=f"spike times of neuron {j}")
        np.testing.assert_allclose(got["v"][:, j], want["v"], rtol=0, atol=1e-6,
                                   err_msg=f"v of neuron {j}")
        np.testing.assert_allclose(got["w"][:, j], want["w"], rtol=0, atol=1e-8,
                                   err_msg=f"w of neuron {j}")
        assert want["w"].max() > 0.05        # adaptation really happened
    # the neurons differ, so the per-neuron parameters were used
    assert len(set(np.asarray(got["counts"]).tolist())) > 1


def test_example_package_tests_pass_against_the_installed_package(installed_example):
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          str(installed_example.src / "tests")],
                         capture_output=True, text=True, env=installed_example.env,
                         cwd=installed_example.src / "tests")
    assert run.returncode == 0, run.stdout + run.stderr
    assert " passed" in run.stdout and "failed" not in run.stdout


# --------------------------------------------------------------------------------------
# 2. broken plugins: clear errors at Population(), the rest keeps working
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def kernel_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("kernel_cache")


@pytest.fixture
def third_party(tmp_path, monkeypatch, kernel_cache):
    """Make plugins with `spinnframe new-model`'s files, edit them, and put them beside
    the installed plugins (a private plugin manager) for one test."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    old_manager = plugins.get_manager()
    made = []

    def make(name, *, module=None, entry=None, kernel=None, declaration=None):
        files = new_model_files(name)
        entry = entry or snake_case(name)
        module = module or f"spinnframe_{entry}"
        paths = {}
        for rel, text in files.items():
            if not rel.startswith(f"spinnframe_{snake_case(name)}/"):
                continue
            rel = rel.replace(f"spinnframe_{snake_case(name)}/", f"{module}/")
            path = site / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if rel.endswith(".c") and kernel:
                text = kernel(text)
            if rel.endswith("__init__.py") and declaration:
                text = declaration(text)
            path.write_text(text)
            paths[path.suffix] = path
        plugin = SimpleNamespace(name=name, module=module, entry=entry, kernel=paths[".c"])
        made.append(plugin)
        return plugin

    def activate(extra_modules=()):
        eps = list(metadata.entry_points(group="spinnframe")) + [
            EntryPoint(p.entry, p.module, "spinnframe") for p in made] + [
            EntryPoint(m, m, "spinnframe") for m in extra_modules]
        made.extend(SimpleNamespace(name=None, module=m) for m in extra_modules)
        plugins.set_manager(plugins.PluginManager(eps))
        sim.setup(timestep=DT, cache_dir=str(kernel_cache))

    yield SimpleNamespace(make=make, activate=activate, site=site)
    if state.phase == "setup":
        sim.end()
    plugins.set_manager(old_manager)
    for p in made:
        if p.name:
            vars(sim).pop(p.name, None)      # spinnframe.pyNN caches cell types it resolved
        for mod in [m for m in sys.modules if m == p.module or m.startswith(p.module + ".")]:
            del sys.modules[mod]


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def still_works(extra_model: str | None = None):
    """Other models (bundled and third-party) can still be created, run and recorded."""
    pops = [sim.Population(2, sim.IF_curr_exp(i_offset=2.0))]
    if extra_model:
        pops.append(sim.Population(2, getattr(sim, extra_model)(i_offset=2.0)))
    for p in pops:
        p.record(["v", "spikes"])
    sim.run(50.0)
    for p in pops:
        seg = p.get_data().segments[-1]
        assert seg.filter(name="v")[0].shape == (501, 2)
        assert sum(len(st) for st in seg.spiketrains) > 0


def test_kernel_that_does_not_compile_fails_at_population(third_party):
    bad = third_party.make("BrokenNeuron", kernel=lambda c: c.replace(
        "s->v += in->syn[SF_RECEPTOR_EXCITATORY]",
        "s->v += no_such_variable + in->syn[SF_RECEPTOR_EXCITATORY]"))
    third_party.make("HealthyNeuron")
    third_party.activate()
    cls = sim.BrokenNeuron                   # declared fine: the cell type exists
    with pytest.raises(KernelBuildError) as err:
        sim.Population(3, cls())
    msg = str(err.value)
    line = line_of(bad.kernel, "no_such_variable")
    assert f"{bad.kernel}:{line}:" in msg                # the compiler's file:line
    assert "no_such_variable" in msg and "undeclared" in msg   # the compiler's message
    assert "plugin 'broken_neuron'" in msg and "BrokenNeuron" in msg
    assert state.populations == []                        # nothing half-made
    still_works("HealthyNeuron")
    with pytest.raises(KernelBuildError, match="no_such_variable"):   # not cached as good
        sim.Population(1, cls())


def test_kernel_using_a_field_the_declaration_lacks(third_party):
    bad = third_party.make("UndeclaredField", kernel=lambda c: c.replace(
        "s->v = p->v_reset;", "s->v = p->v_reset;\n        s->u = 0.0;"))
    third_party.activate()
    with pytest.raises(KernelBuildError) as err:
        sim.Population(1, sim.UndeclaredField())
    msg = str(err.value)
    assert f"{bad.kernel}:{line_of(bad.kernel, 's->u = 0.0')}:" in msg
    assert "plugin 'undeclared_field'" in msg
    assert "The kernel uses 'u', which the declaration of UndeclaredField does not " \
           "declare" in msg
    assert "state variables (sf_state_t): v" in msg
    still_works()


def test_kernel_using_a_receptor_the_declaration_lacks(third_party):
    bad = third_party.make("OneReceptor", declaration=lambda d: d.replace(
        'receptors=("excitatory", "inhibitory")', 'receptors=("excitatory",)'))
    third_party.activate()
    with pytest.raises(KernelBuildError) as err:
        sim.Population(1, sim.OneReceptor())
    msg = str(err.value)
    assert f"{bad.kernel}:{line_of(bad.kernel, 'SF_RECEPTOR_INHIBITORY')}:" in msg
    assert "SF_RECEPTOR_INHIBITORY is not defined" in msg
    assert "receptors=('excitatory',)" in msg
    still_works()


def test_kernel_written_for_another_interface_version(third_party):
    bad = third_party.make("FutureNeuron", kernel=lambda c: c.replace(
        "#if SF_KERNEL_ABI_VERSION != 1", "#if SF_KERNEL_ABI_VERSION != 2").replace(
        "kernel interface 1", "kernel interface 2"))
    third_party.activate()
    with pytest.raises(KernelBuildError) as err:
        sim.Population(1, sim.FutureNeuron())
    msg = str(err.value)
    assert f"{bad.kernel}:{line_of(bad.kernel, '#error')}:" in msg
    assert "written for spinnframe kernel interface 2" in msg
    assert "plugin 'future_neuron'" in msg
    assert "another version of spinnframe's kernel interface" in msg
    still_works()


def test_library_reporting_another_interface_version(third_party):
    """The loader's check of the compiled library (a kernel built against another SDK)."""
    third_party.make("OtherAbi", kernel=lambda c: c + "\n#undef SF_KERNEL_ABI_VERSION\n"
                                                      "#define SF_KERNEL_ABI_VERSION 7u\n")
    third_party.activate()
    with pytest.raises(KernelBuildError) as err:
        sim.Population(1, sim.OtherAbi())
    msg = str(err.value)
    assert "kernel interface version 7" in msg and "plugin 'other_abi'" in msg
    still_works()


_DEFERRED = """
#define SF_STEP_DEFERRED 1
static inline uint32_t sf_step_deferred(const sf_params_t *p, const sf_derived_t *d,
                                        sf_state_t *s, const sf_input *in,
                                        const sf_context *ctx) {
    return sf_step(p, d, s, in, ctx);
}
"""


def test_deferred_step_needs_a_model_without_receptors(third_party):
    third_party.make("DeferringNeuron", kernel=lambda c: c + _DEFERRED)
    third_party.activate()
    with pytest.raises(KernelBuildError, match="SF_STEP_DEFERRED is for models without "
                                               "receptors"):
        sim.Population(3, sim.DeferringNeuron())


def _no_receptors(text: str) -> str:
    return text.replace('receptors=("excitatory", "inhibitory"),', "receptors=(),")


def _direct_step(text: str) -> str:
    return text.replace(
        "    s->v += in->syn[SF_RECEPTOR_EXCITATORY] + in->syn[SF_RECEPTOR_INHIBITORY];\n", "")


def _deferring_step(text: str) -> str:
    """The same neuron, its step split: sf_step advances v unless v would cross the
    threshold, and then defers (changing nothing) to sf_step_deferred, the full step."""
    text = _direct_step(text)
    head, tail = text.split("/* Advance one neuron")
    return head + """#define SF_STEP_DEFERRED 1
static inline uint32_t sf_step_deferred(const sf_params_t *p, const sf_derived_t *d,
                                        sf_state_t *s, const sf_input *in,
                                        const sf_context *ctx) {
    (void)ctx;
    s->v = p->v_rest + (s->v - p->v_rest) * d->decay + (p->i_offset + in->i_inj) * d->gain;
    if (s->v >= p->v_thresh) {
        s->v = p->v_reset;
        return 1;
    }
    return 0;
}
static inline uint32_t sf_step(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                               const sf_input *in, const sf_context *ctx) {
    (void)ctx;
    const sf_real v = p->v_rest + (s->v - p->v_rest) * d->decay
                      + (p->i_offset + in->i_inj) * d->gain;
    if (v >= p->v_thresh) return SF_DEFER;
    s->v = v;
    return 0;
}
"""


@pytest.mark.parametrize("layout", ["arrays", "structs"])
@pytest.mark.parametrize("threads", [1, 2])
def test_deferred_steps_give_what_the_whole_step_gives(third_party, threads, layout):
    """A model that defers its spiking steps (SF_STEP_DEFERRED) gives the spikes and
    voltages of the same model stepped whole: per-neuron parameters (a parameter index),
    injected current, populations of 37 (a tail after two blocks of sixteen flags), one
    and two threads, two runs; with its state field by field (deferred steps run after
    the others) or one struct per neuron (run at once)."""
    def declare(text):
        return _no_receptors(text).replace(
            '    receptors=(),', f'    receptors=(),\n    state_layout="{layout}",')
    third_party.make("WholeStep", declaration=_no_receptors, kernel=_direct_step)
    third_party.make("SplitStep", declaration=declare, kernel=_deferring_step)
    third_party.activate()
    sim.end()
    sim.setup(timestep=DT, threads=threads, cache_dir=str(third_party.site / "cache"))
    rng = np.random.default_rng(4)
    i_offset = rng.uniform(0.5, 3.0, 37)
    pops = [sim.Population(37, cls(i_offset=i_offset, cm=0.25))
            for cls in (sim.WholeStep, sim.SplitStep)]
    dc = sim.DCSource(amplitude=0.4, start=20.0, stop=60.0)
    for p in pops:
        p.record(["v", "spikes"])
        dc.inject_into(p[::3])
    sim.run(50.0)
    sim.run(50.0)
    assert sim.SplitStep.spinnframe_spec.state_layout == layout
    (whole, split) = [p.get_data().segments[0] for p in pops]
    assert sum(len(st) for st in whole.spiketrains) > 100
    for a, b in zip(whole.spiketrains, split.spiketrains):
        assert np.array_equal(np.asarray(a), np.asarray(b))
    assert np.array_equal(whole.filter(name="v")[0].magnitude,
                          split.filter(name="v")[0].magnitude)


def test_missing_kernel_file(third_party):
    bad = third_party.make("NoKernel")
    bad.kernel.unlink()
    third_party.activate()
    with pytest.raises(KernelBuildError) as err:
        sim.Population(1, sim.NoKernel())
    msg = str(err.value)
    assert "kernel source of NoKernel not found" in msg and str(bad.kernel) in msg
    assert "plugin 'no_kernel'" in msg and "package-data" in msg
    still_works()


def test_same_model_name_in_two_plugins(third_party):
    third_party.make("TwinNeuron", entry="twin_a", module="spinnframe_twin_a")
    third_party.make("TwinNeuron", entry="twin_b", module="spinnframe_twin_b")
    third_party.activate()
    with pytest.raises(PluginError, match=r"'TwinNeuron' is provided by both 'twin_a' and "
                                          r"'twin_b'.*SPINNFRAME_DISABLE_PLUGINS"):
        sim.Population(1, sim.TwinNeuron())
    assert state.populations == []


def test_cli_reports_two_installed_plugins_with_the_same_model(tmp_path):
    """Two installed distributions (as pip leaves them) providing one model name."""
    site = tmp_path / "site"
    for entry in ("twin_a", "twin_b"):
        files = new_model_files("TwinNeuron")
        for rel, text in files.items():
            if rel.startswith("spinnframe_twin_neuron/"):
                path = site / rel.replace("spinnframe_twin_neuron", f"spinnframe_{entry}")
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
        dist = site / f"spinnframe_{entry}-0.1.0.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: spinnframe-{entry}\n"
                                       f"Version: 0.1.0\n")
        (dist / "entry_points.txt").write_text(f"[spinnframe]\n{entry} = spinnframe_{entry}\n")
    env = dict(os.environ, PYTHONPATH=str(site))
    env.pop("SPINNFRAME_STRICT_PLUGINS", None)
    out = subprocess.run([sys.executable, "-m", "spinnframe.cli", "plugins"],
                         capture_output=True, text=True, env=env)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert "'TwinNeuron' is provided by both 'twin_a' and 'twin_b'" in out.stderr
    script = ("import spinnframe.pyNN as sim\nsim.setup()\n"
              "sim.Population(1, sim.TwinNeuron())\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env)
    assert run.returncode != 0
    assert "PluginError" in run.stderr and "'twin_a' and 'twin_b'" in run.stderr


# --------------------------------------------------------------------------------------
# the core stays backend-neutral and light
# --------------------------------------------------------------------------------------
def test_population_asks_the_backend_through_backendspec_prepare(third_party, tmp_path):
    """Population() calls BackendSpec.prepare of the chosen backend, if it has one; a
    backend without it compiles nothing at Population()."""
    third_party.make("NeverCompiled", kernel=lambda c: "this is not C;\n" + c)
    (third_party.site / "sf_test_backends.py").write_text(textwrap.dedent("""
        from spinnframe import hookimpl
        from spinnframe.specs import BackendSpec

        prepared = []

        @hookimpl
        def spinnframe_backends():
            return [BackendSpec("recording_backend", factory=lambda state: None,
                                prepare=lambda spec, options: prepared.append(
                                    (spec.name, options.get("cache_dir")))),
                    BackendSpec("lazy_backend", factory=lambda state: None)]
    """))
    third_party.activate(extra_modules=["sf_test_backends"])
    sim.setup(backend="recording_backend", cache_dir=str(tmp_path))
    sim.Population(2, sim.NeverCompiled())
    assert sys.modules["sf_test_backends"].prepared == [("NeverCompiled", str(tmp_path))]
    sim.setup(backend="lazy_backend")
    sim.Population(2, sim.NeverCompiled())       # nothing compiled, nothing raised
    with pytest.raises(KernelBuildError, match="this is not C"):   # the host backend does
        sim.setup(backend="host", cache_dir=str(tmp_path))
        sim.Population(2, sim.NeverCompiled())


def test_importing_the_api_loads_no_backend():
    code = ("import sys, spinnframe.pyNN\n"
            "print(sorted(m for m in sys.modules if m.startswith('spinnframe_')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------------------
# 3. spinnframe.testing: compare_with_reference and the pytest plugin
# --------------------------------------------------------------------------------------
def if_curr_exp_reference(inputs):
    """IF_curr_exp's equations in numpy: exact propagators, NEST's update order."""
    p, h = inputs.params, inputs.dt

    def p21(tau_syn):
        rate = 1.0 / tau_syn - 1.0 / p["tau_m"]
        if abs(rate) * h < 1e-12:                   # tau_syn == tau_m: the limit
            return h / p["cm"] * np.exp(-h / p["tau_m"])
        return np.exp(-h / p["tau_m"]) * np.expm1(-h * rate) / (-rate * p["cm"])

    p22, p20 = np.exp(-h / p["tau_m"]), -p["tau_m"] / p["cm"] * np.expm1(-h / p["tau_m"])
    p21e, p21i = p21(p["tau_syn_E"]), p21(p["tau_syn_I"])
    p11e, p11i = np.exp(-h / p["tau_syn_E"]), np.exp(-h / p["tau_syn_I"])
    r_steps = -(-round(p["tau_refrac"] * 1000) // round(h * 1000))
    v, ie, ii, refrac = inputs.initial["v"], 0.0, 0.0, 0
    out = {"v": [v], "isyn_exc": [ie], "isyn_inh": [ii]}
    spikes = []
    for m in range(inputs.n_steps):
        if refrac == 0:
            v = (p["v_rest"] + (v - p["v_rest"]) * p22 + ie * p21e + ii * p21i
                 + (p["i_offset"] + inputs.i_inj[m]) * p20)
        else:
            refrac -= 1
        ie = ie * p11e + inputs.syn["excitatory"][m]
        ii = ii * p11i + inputs.syn["inhibitory"][m]
        if v >= p["v_thresh"]:
            refrac, v = r_steps, p["v_reset"]
            spikes.append((m + 1) * h)
        out["v"].append(v)
        out["isyn_exc"].append(ie)
        out["isyn_inh"].append(ii)
    return {**{k: np.array(a) for k, a in out.items()}, "spikes": np.array(spikes)}


IF_DRIVE = Drive(duration=150.0, current=[(10.0, 0.8), (60.0, 2.5), (60.0, 3.0), (90.0, 0.0)],
                 spikes={"excitatory": [(20.0, 2.0), (20.0, 1.0), (40.03, 3.0)],
                         "inhibitory": [(100.0, -4.0)]},
                 delay=1.5)


def test_compare_with_reference_feeds_the_reference_what_the_neuron_received():
    """A bundled model and its equations agree to rounding, so the drive (a step current
    with two steps at one time, spikes on both receptors, two at one time, one off the
    grid, a delay of 15 steps) reached both in the same way."""
    result = compare_with_reference(
        "IF_curr_exp", [{}, {"tau_m": 5.0, "tau_refrac": 2.04}, {"i_offset": 0.3}],
        IF_DRIVE, if_curr_exp_reference, tolerance=1e-9)
    assert result.ok and result.max_error["v"] < 1e-9
    assert set(result.max_error) == {"v", "isyn_exc", "isyn_inh"}
    assert sum(len(s) for s in result.spikes_simulated) > 3
    inp = result.inputs[0]
    assert inp.n_steps == 1500 and len(inp.t) == 1501
    assert inp.i_inj[99] == 0 and inp.i_inj[100] == 0.8 and inp.i_inj[600] == 3.0
    assert inp.i_inj[900] == 0
    # 20 ms: emitted at the end of step 199, 15 steps of delay: the end of step 214
    assert inp.syn["excitatory"][214] == 3.0
    assert inp.spikes["excitatory"][:2] == [(21.5, 1.0), (21.5, 2.0)]
    assert inp.syn["excitatory"][415] == 3.0                  # 40.03 ms moves up to 40.1
    assert inp.syn["inhibitory"][1014] == -4.0
    assert Drive.dc(0.5, start=1.0, stop=2.0).current == [(1.0, 0.5), (2.0, 0.0)]


def test_compare_with_reference_says_where_and_when_they_differ():
    def wrong(inputs):                    # a reference with a slower membrane
        return if_curr_exp_reference(dataclasses.replace(
            inputs, params=dict(inputs.params, tau_m=inputs.params["tau_m"] * 1.05)))

    with pytest.raises(ReferenceMismatch) as err:
        compare_with_reference("IF_curr_exp", {"tau_m": 10.0}, IF_DRIVE, wrong,
                               tolerance={"v": 1e-6})
    msg = str(err.value)
    assert msg.startswith("IF_curr_exp does not match the reference implementation "
                          "(dt = 0.1 ms, 1500 steps, parameters {'tau_m': 10.0})")
    assert "v: max |simulated - reference| =" in msg and "tolerance 1e-06 mV" in msg
    assert re.search(r"It first exceeds the tolerance at t = 10\.\d ms \(neuron 0: "
                     r"simulated -6\d\.\d+, reference -6\d\.\d+\)", msg)
    assert "injected current became 0.8 nA at 10 ms" in msg
    assert "spikes of neuron 0:" in msg and "first difference at spike" in msg
    result = compare_with_reference("IF_curr_exp", {"tau_m": 10.0}, IF_DRIVE, wrong,
                                    tolerance=1e-6, check=False)
    assert not result.ok and result.max_error["v"] > 1e-6 and "v:" in result.summary()


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(drive=Drive(spikes={"gaba": [(5.0, 1.0)]})), ValueError,
     r"receptor types \['gaba'\].*excitatory"),
    (dict(drive=Drive(spikes={"excitatory": [(0.0, 1.0)]})), ValueError, "t <= 0"),
    (dict(params={"tau_membrane": 3.0}), ValueError, r"no parameters \['tau_membrane'\]"),
    (dict(reference_fn=lambda i: {"v": np.zeros(3)}), ValueError,
     r"returned 3 values of 'v'; expected 1001: one at each of t = 0, 0.1, \.\.\., 100 ms"),
    (dict(reference_fn=lambda i: {"u": np.zeros(1001)}), ValueError, r"cannot record \['u'\]"),
    (dict(reference_fn=lambda i: [1, 2]), TypeError, "must return a dict"),
])
def test_compare_with_reference_rejects_mistakes_clearly(kwargs, error, message):
    args = dict(model="IF_curr_exp", params={}, drive=Drive(), tolerance=1e-9,
                reference_fn=if_curr_exp_reference)
    args.update(kwargs)
    with pytest.raises(error, match=message):
        compare_with_reference(**args)
    assert state.phase != "setup"                      # the simulation was ended anyway


def test_compare_with_reference_refuses_to_run_inside_a_simulation(spinnframe_sim):
    with pytest.raises(RuntimeError, match="spinnframe_sim"):
        compare_with_reference("IF_curr_exp", {}, Drive(), if_curr_exp_reference, 1e-9)


def test_pytest_plugin_is_registered_and_its_fixtures_work(tmp_path):
    """The fixtures need no import and no conftest.py: the pytest11 entry point loads
    spinnframe.testing; the marker is registered; the simulation ends after the test."""
    (tmp_path / "test_fixtures.py").write_text(textwrap.dedent('''
        import pytest
        from spinnframe.simulator import state

        @pytest.mark.spinnframe_setup(timestep=0.05)
        def test_sim(spinnframe_sim):
            assert spinnframe_sim.get_time_step() == 0.05
            p = spinnframe_sim.Population(2, spinnframe_sim.IF_curr_exp())
            spinnframe_sim.run(1.0)
            assert state.phase == "setup"

        def test_ended_after_the_test():
            assert state.phase == "ended"

        def test_plugins(spinnframe_plugins):
            assert "IF_curr_exp" in spinnframe_plugins.neuron_models
    '''))
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "--strict-markers", "test_fixtures.py"], capture_output=True,
                         text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 passed" in run.stdout
    meta = metadata.distribution("spinnframe").entry_points
    assert [(e.name, e.value) for e in meta if e.group == "pytest11"] == [
        ("spinnframe", "spinnframe.testing")]
