"""Plugin discovery, guarded loading, strict mode, conflicts, and the `spinnframe plugins` CLI."""
import json
import os
import subprocess
import sys
import textwrap
import warnings
from importlib.metadata import EntryPoint

import pytest

from spinnframe.errors import PluginError
from spinnframe.plugins import PluginManager, PluginWarning, get_manager


def ep(name, value):
    return EntryPoint(name=name, value=value, group="spinnframe")


BUNDLED = {"host": "backends", "if_curr_exp": "neuron models",
           "spike_source_array": "neuron models", "spike_source_poisson": "neuron models"}


def test_bundled_plugins_are_discovered_through_entry_points():
    mgr = PluginManager()
    mgr.load()
    for name, kind in BUNDLED.items():
        info = mgr.plugins[name]
        assert info.error is None
        assert info.kind == kind
        assert info.distribution.startswith("spinnframe-")
    assert {"IF_curr_exp", "SpikeSourceArray", "SpikeSourcePoisson"} <= set(mgr.neuron_models)
    assert "host" in mgr.backends
    assert mgr.provider("neuron_model", "IF_curr_exp").name == "if_curr_exp"


def test_broken_plugin_gives_one_warning_and_the_rest_works(monkeypatch):
    monkeypatch.delenv("SPINNFRAME_STRICT_PLUGINS", raising=False)
    mgr = PluginManager([ep("broken_one", "no_such_module_for_spinnframe_tests"),
                         ep("if_curr_exp", "spinnframe_if_curr_exp")])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mgr.load()
    msgs = [str(w.message) for w in caught if issubclass(w.category, PluginWarning)]
    assert len(msgs) == 1
    assert '"broken_one"' in msgs[0] and "no_such_module_for_spinnframe_tests" in msgs[0]
    assert mgr.plugins["broken_one"].error.startswith("ModuleNotFoundError")
    assert "IF_curr_exp" in mgr.neuron_models


def test_plugin_whose_hook_fails_is_skipped(monkeypatch, tmp_path):
    monkeypatch.delenv("SPINNFRAME_STRICT_PLUGINS", raising=False)
    (tmp_path / "sf_bad_hook.py").write_text(textwrap.dedent("""
        from spinnframe import hookimpl
        @hookimpl
        def spinnframe_neuron_models():
            return ["not a spec"]
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    mgr = PluginManager([ep("bad_hook", "sf_bad_hook"), ep("host", "spinnframe_host")])
    with pytest.warns(PluginWarning, match=r'"bad_hook".*TypeError.*expected NeuronModelSpec'):
        mgr.load()
    assert "host" in mgr.backends and mgr.plugins["bad_hook"].error


def test_strict_mode_turns_the_warning_into_an_error(monkeypatch):
    monkeypatch.setenv("SPINNFRAME_STRICT_PLUGINS", "1")
    mgr = PluginManager([ep("broken_one", "no_such_module_for_spinnframe_tests")])
    with pytest.raises(PluginError, match=r'"broken_one".*no_such_module_for_spinnframe_tests'):
        mgr.load()


def test_conflicting_model_names_name_both_plugins(monkeypatch):
    monkeypatch.delenv("SPINNFRAME_STRICT_PLUGINS", raising=False)
    mgr = PluginManager([ep("a_first", "spinnframe_if_curr_exp"),
                         ep("b_second", "spinnframe_if_curr_exp:IF_CURR_EXP_HOOKS")])
    # a second plugin object providing the same model name
    import spinnframe_if_curr_exp as mod
    mod.IF_CURR_EXP_HOOKS = type("Hooks", (), {
        "spinnframe_neuron_models": staticmethod(mod.spinnframe_neuron_models)})()
    try:
        with pytest.raises(PluginError, match=r"IF_curr_exp.*'a_first' and 'b_second'"):
            mgr.load()
    finally:
        del mod.IF_CURR_EXP_HOOKS


def test_disable_plugins_by_name(monkeypatch):
    monkeypatch.setenv("SPINNFRAME_DISABLE_PLUGINS", "spike_source_poisson")
    mgr = PluginManager()
    mgr.load()
    assert "SpikeSourcePoisson" not in mgr.neuron_models
    assert "SpikeSourceArray" in mgr.neuron_models


def test_unknown_backend_lists_installed_ones():
    with pytest.raises(PluginError, match=r"backend 'nonexistent' is not installed.*host"):
        get_manager().backend("nonexistent")


def test_unknown_cell_type_lists_installed_ones():
    import spinnframe.pyNN as sim
    with pytest.raises(AttributeError, match=r"NoSuchModel.*IF_curr_exp"):
        sim.NoSuchModel


@pytest.fixture
def broken_distribution(tmp_path):
    """A real installed-looking distribution whose plugin module fails at import."""
    site = tmp_path / "site"
    dist = site / "spinnframe_broken_demo-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: spinnframe-broken-demo\n"
                                   "Version: 0.1\n")
    (dist / "entry_points.txt").write_text("[spinnframe]\nbroken_demo = spinnframe_broken_demo\n")
    (site / "spinnframe_broken_demo.py").write_text("raise RuntimeError('kernel folder missing')\n")
    env = dict(os.environ, PYTHONPATH=str(site))
    env.pop("SPINNFRAME_STRICT_PLUGINS", None)
    return env


def test_cli_lists_every_plugin():
    out = subprocess.run([sys.executable, "-m", "spinnframe.cli", "plugins", "--json"],
                         capture_output=True, text=True, check=True)
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    assert set(BUNDLED) <= set(rows)
    assert rows["if_curr_exp"]["provides"] == "neuron models: IF_curr_exp"
    assert rows["host"]["kind"] == "backends"
    assert rows["host"]["version"] == "0.1.0"
    text = subprocess.run([sys.executable, "-m", "spinnframe.cli", "plugins"],
                          capture_output=True, text=True, check=True).stdout
    assert text.splitlines()[0].split() == ["NAME", "VERSION", "KIND", "PROVIDES", "DISTRIBUTION"]
    assert any(line.startswith("spike_source_poisson") for line in text.splitlines())


def test_cli_and_simulation_survive_a_broken_installed_plugin(broken_distribution):
    out = subprocess.run([sys.executable, "-m", "spinnframe.cli", "plugins"],
                         capture_output=True, text=True, env=broken_distribution)
    assert out.returncode == 1
    assert "broken_demo" in out.stdout and "kernel folder missing" in out.stdout
    assert out.stderr.count('Error loading spinnframe plugin "broken_demo"') == 1
    assert "if_curr_exp" in out.stdout
    script = ("import warnings, spinnframe.pyNN as sim\n"
              "sim.setup()\n"
              "p = sim.Population(2, sim.IF_curr_exp(i_offset=2.0))\n"
              "p.record('spikes')\n"
              "sim.run(50)\n"
              "print(sum(len(s) for s in p.get_data().segments[0].spiketrains))\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=broken_distribution)
    assert run.returncode == 0, run.stderr
    assert int(run.stdout.strip()) > 0
    assert run.stderr.count("broken_demo") == 1
    strict = dict(broken_distribution, SPINNFRAME_STRICT_PLUGINS="1")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=strict)
    assert run.returncode != 0 and "PluginError" in run.stderr


def test_hooks_are_called_through_pluggy():
    mgr = PluginManager()
    mgr.load()
    models = [s.name for specs in mgr.pm.hook.spinnframe_neuron_models() for s in specs]
    backends = [s.name for specs in mgr.pm.hook.spinnframe_backends() for s in specs]
    assert {"IF_curr_exp", "SpikeSourceArray", "SpikeSourcePoisson"} <= set(models)
    assert "host" in backends and len(backends) == len(set(backends))


EXTRA_HOOKS = textwrap.dedent("""
    from pathlib import Path
    from pyNN.space import Line
    from spinnframe import hookimpl
    from spinnframe.specs import CurrentSourceSpec, Parameter, StructureSpec

    class MyLine(Line):
        pass

    @hookimpl
    def spinnframe_current_sources():
        return [CurrentSourceSpec(name="MyDC", parameters=[Parameter("amplitude", "nA", 1.0)],
                                  kernel=Path(__file__).with_name("my_dc.c"))]

    @hookimpl
    def spinnframe_structures():
        return [StructureSpec(name="MyLine", cls=MyLine)]
""")


def test_current_source_and_structure_hooks_register(monkeypatch, tmp_path):
    """A plugin implementing spinnframe_current_sources and spinnframe_structures is
    registered, and duplicates are refused like model names."""
    (tmp_path / "sf_extra_hooks.py").write_text(EXTRA_HOOKS)
    (tmp_path / "sf_extra_hooks2.py").write_text(EXTRA_HOOKS)
    monkeypatch.syspath_prepend(str(tmp_path))
    mgr = PluginManager([ep("extra", "sf_extra_hooks")])
    mgr.load()
    assert mgr.current_source("MyDC").parameters[0].name == "amplitude"
    assert mgr.structure("MyLine").cls.__name__ == "MyLine"
    assert mgr.plugins["extra"].provides == {
        "neuron models": (), "backends": (), "current sources": ("MyDC",),
        "structures": ("MyLine",), "recorders": ()}
    with pytest.raises(KeyError, match="no structure 'Nope'.*MyLine"):
        mgr.structure("Nope")
    dup = PluginManager([ep("extra", "sf_extra_hooks"), ep("extra2", "sf_extra_hooks2")])
    with pytest.raises(PluginError, match="current source 'MyDC'.*'extra' and 'extra2'"):
        dup.load()
