"""The SpiNNaker backend (plugin spinnframe-spinnaker) on sPyNNaker's virtual board.

No board is reachable here, so networks are mapped onto a virtual SpiNNaker board (version
5, 48 chips): sPyNNaker partitions, places, routes and generates the data of the whole
network, and only loading and running are skipped. The tests check what reached the
mapping (placements, cores and chips, the parameters sPyNNaker holds, the connections,
synapse dynamics, current sources and recording it was given), the translation piece by
piece, the errors before mapping, the configuration (never a ~/.spynnaker.cfg template),
and the board check of `spinnframe doctor`, which only ever talks to 127.0.0.1.
"""
import math
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import warnings

import numpy as np
import pytest
from pyNN.random import NumpyRNG, RandomDistribution

import spinnframe.pyNN as sim
from spinnframe.simulator import state

spinnframe_spinnaker = pytest.importorskip(
    "spinnframe_spinnaker", reason="the spinnaker backend plugin (pip install -e "
    "plugins/spinnaker) is not installed")
from spinnframe_spinnaker import config, data, support  # noqa: E402
from spinnframe_spinnaker.errors import (  # noqa: E402
    BoardNotReachableError, MachineConfigError, UnsupportedError)

try:
    import spynnaker.pyNN  # noqa: F401
    WHY_NOT = None
except Exception as exc:  # noqa: BLE001 - the reason is the skip message
    WHY_NOT = f"{type(exc).__name__}: {exc}"

needs_spynnaker = pytest.mark.skipif(
    WHY_NOT is not None, reason=f"sPyNNaker cannot be imported ({WHY_NOT}); install it with "
    f"pip install -e plugins/spinnaker")
pytestmark = pytest.mark.filterwarnings(
    "ignore::spinnframe_spinnaker.backend.VirtualBoardWarning")


@pytest.fixture(autouse=True)
def simulation():
    yield
    if state.phase == "setup":
        sim.end()


@pytest.fixture
def home(monkeypatch, tmp_path):
    """An empty home and config folders (no sPyNNaker cfg anywhere), a fresh working
    directory, the host engine's kernel cache where it was."""
    from spinnframe.simulator import default_cache_dir

    monkeypatch.setenv("SPINNFRAME_CACHE_DIR", os.environ.get(
        "SPINNFRAME_CACHE_DIR", os.path.join(default_cache_dir(), "kernels")))
    for name, sub in (("HOME", "home"), ("XDG_CONFIG_HOME", "xdg"),
                      ("XDG_CONFIG_DIRS", "xdg-site")):
        (tmp_path / sub).mkdir()
        monkeypatch.setenv(name, str(tmp_path / sub))
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    for name in (config.ENV_MACHINE, config.ENV_VERSION, config.ENV_VERBOSE):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(config.ENV_DIR, str(tmp_path / "spinnaker"))
    return tmp_path


@pytest.fixture
def virtual(home, monkeypatch):
    """The machine is a virtual board, given through the environment variable."""
    monkeypatch.setenv(config.ENV_MACHINE, "virtual")
    return home


def mapping():
    return spinnframe_spinnaker.last_mapping()


def initial_v(pop):
    """The initial membrane potentials spinnframe holds for ``pop``."""
    lazy = pop.initial_values["v"]
    return np.broadcast_to(np.asarray(lazy.evaluate(simplify=False), dtype=float), (pop.size,))


def atoms_covered(pm) -> list:
    """The neuron ranges of a population's cores, merged (each slice counts once)."""
    return sorted({(lo, hi) for *_, lo, hi in pm.cores})


def assert_complete(pm, size):
    """Every neuron of the population is on some core, and slices do not overlap."""
    ranges = atoms_covered(pm)
    assert ranges[0][0] == 0 and ranges[-1][1] == size - 1, ranges
    for (_, hi), (lo, _) in zip(ranges, ranges[1:]):
        assert lo == hi + 1, ranges


# ------------------------------------------------------------------------------------------
# the plugin and its configuration
# ------------------------------------------------------------------------------------------
def test_backend_is_a_plugin_found_through_its_entry_point():
    from spinnframe.plugins import PluginManager

    mgr = PluginManager()
    mgr.load()
    info = mgr.plugins["spinnaker"]
    assert info.error is None and info.kind == "backends"
    assert info.distribution == "spinnframe-spinnaker"
    assert "spinnaker" in mgr.backends and "host" in mgr.backends
    # discovering the plugin does not import sPyNNaker (it is imported at the first run)
    script = ("import sys; from spinnframe.plugins import PluginManager; m = PluginManager(); "
              "m.load(); assert 'spinnaker' in m.backends; "
              "print(sorted(k for k in sys.modules if k.startswith(('spynnaker', 'spinnman'))))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


@needs_spynnaker
def test_environment_names_the_machine(home):
    def machine(value, **extra):
        s = config.settings({}, environ={config.ENV_MACHINE: value, **extra})
        return s.virtual_board, s.version, s.machine, s.spalloc_server

    assert machine("virtual") == (True, 5, None, None)
    assert machine("virtual:5") == (True, 5, None, None)
    assert machine("127.0.0.1") == (False, 5, "127.0.0.1", None)
    assert machine("127.0.0.1", **{config.ENV_VERSION: "3"}) == (False, 3, "127.0.0.1", None)
    assert machine("spalloc:http://127.0.0.1:1/") == (False, None, None, "http://127.0.0.1:1/")
    assert machine("https://127.0.0.1:1/spalloc") == (False, None, None,
                                                      "https://127.0.0.1:1/spalloc")
    with pytest.raises(MachineConfigError, match="version must be one of"):
        machine("virtual:7")


@needs_spynnaker
def test_setup_options_win_over_the_environment_and_are_checked(home):
    env = {config.ENV_MACHINE: "127.0.0.1"}
    s = config.settings({"spinnaker": {"virtual_board": True, "time_scale_factor": 2}},
                        environ=env)
    assert s.virtual_board and s.time_scale_factor == 2 and s.machine is None
    assert s.sources == ("setup(spinnaker=...)",)
    with pytest.raises(MachineConfigError, match=r"unknown key\(s\) \['virtual'\].*"
                                                 r"virtual_board"):
        config.settings({"spinnaker": {"virtual": True}}, environ={})
    with pytest.raises(MachineConfigError, match="more than one machine"):
        config.settings({"spinnaker": {"virtual_board": True, "machine": "127.0.0.1"}},
                        environ={})


@needs_spynnaker
def test_no_machine_is_a_clear_error_naming_every_way_to_give_one(home):
    with pytest.raises(MachineConfigError) as err:
        config.settings({}, environ={})
    for hint in ("spinnaker={'machine'", "spalloc_server", "virtual_board",
                 config.ENV_MACHINE, "~/.spynnaker.cfg"):
        assert hint in str(err.value)


@needs_spynnaker
def test_an_existing_spynnaker_cfg_is_used_and_spinnframe_settings_override_it(home):
    user_cfg = home / "home" / ".spynnaker.cfg"
    user_cfg.write_text("[Machine]\nmachineName = 127.0.0.1\nversion = 5\n"
                        "[Reports]\nwrite_energy_report = True\n")
    s = config.settings({}, environ={})
    assert s.machine == "127.0.0.1" and not s.virtual_board and str(user_cfg) in s.sources[0]
    s = config.settings({}, environ={config.ENV_MACHINE: "virtual",
                                     config.ENV_DIR: str(home / "spinnaker")})
    written = s.write_cfg().read_text()
    assert "virtualboard = True" in written and "machinename = None" in written
    assert "writeenergyreport = True" in written          # the user's other settings stay
    assert f"defaultreportfilepath = {home / 'spinnaker'}" in written


@needs_spynnaker
def test_a_run_never_writes_a_spynnaker_cfg_template_into_home(virtual):
    sim.setup(timestep=1.0, backend="spinnaker")
    sim.Population(4, sim.IF_curr_exp(), label="cells")
    with pytest.warns(spinnframe_spinnaker.backend.VirtualBoardWarning,
                      match="mapped but nothing ran"):
        sim.run(10.0)
    assert mapping().virtual
    assert not (virtual / "home" / ".spynnaker.cfg").exists()
    assert not any((virtual / "cwd").iterdir())          # reports go to the work folder
    assert (virtual / "spinnaker" / "spynnaker.cfg").is_file()
    assert (virtual / "spinnaker" / "reports").is_dir()
    # sPyNNaker's exception and Ctrl-C handlers do not stay installed in the script
    assert sys.excepthook is sys.__excepthook__
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@needs_spynnaker
def test_setup_keyword_chooses_a_virtual_board(home):
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # the keyword is the backend's, not unknown
        sim.setup(timestep=1.0, backend="spinnaker", spinnaker={"virtual_board": True})
    assert state.options["spinnaker"] == {"virtual_board": True}
    sim.Population(4, sim.IF_curr_exp(), label="cells")
    sim.run(1.0)
    assert mapping().virtual


# ------------------------------------------------------------------------------------------
# errors before mapping
# ------------------------------------------------------------------------------------------
def test_an_unsupported_model_fails_at_population_naming_it_and_what_is_supported(home,
                                                                                  monkeypatch):
    monkeypatch.setenv(config.ENV_MACHINE, "virtual")
    sim.setup(timestep=0.1, backend="spinnaker")
    with pytest.raises(UnsupportedError) as err:
        sim.Population(2, sim.HH_cond_exp())
    msg = str(err.value)
    assert "neuron model HH_cond_exp is not supported" in msg
    for name in support.MODELS:
        assert name in msg
    assert "STDPMechanism" in msg and "DCSource" in msg


def test_unsupported_pieces_are_all_named_before_anything_is_mapped(home, monkeypatch):
    monkeypatch.setenv(config.ENV_MACHINE, "virtual")
    sim.setup(timestep=0.1, backend="spinnaker")
    izh = sim.Population(3, sim.Izhikevich(), label="izh")
    cells = sim.Population(3, sim.IF_curr_exp(), label="cells")
    sim.Projection(cells, cells, sim.AllToAllConnector(),
                   sim.TsodyksMarkramSynapse(weight=0.1, delay=1.0, U=0.5))
    gutig = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.01,
                                            A_minus=0.01),
        weight_dependence=sim.GutigWeightDependence(w_min=0.0, w_max=1.0, mu_plus=0.5,
                                                    mu_minus=0.5),
        weight=0.5, delay=1.0)
    sim.Projection(izh, cells, sim.OneToOneConnector(), gutig)
    izh.record("u")
    dc = sim.DCSource(amplitude=0.1)
    dc.inject_into(cells)
    dc.record()
    sim.NoisyCurrentSource(mean=0.1, stdev=0.1, dt=1.0).inject_into(cells)
    cells.add_placement_constraint(1, 1, 3)
    with pytest.raises(UnsupportedError) as err:
        sim.run(10.0)
    msg = str(err.value)
    for piece in ("TsodyksMarkramSynapse", "mu_plus=0.5", "recording 'u' of Izhikevich",
                  "recording the current of a DCSource", "NoisyCurrentSource with dt=1",
                  "core number (p=3)",
                  "The spinnaker backend supports"):
        assert piece in msg, piece
    assert not (home / "spinnaker").exists()          # sPyNNaker was never started


def test_a_timestep_that_is_not_whole_microseconds_is_refused():
    assert support.timestep_problems(0.1) == []
    assert "whole number of microseconds" in support.timestep_problems(0.0005)[0]


@needs_spynnaker
def test_changing_the_network_between_runs_needs_reset(virtual):
    sim.setup(timestep=1.0, backend="spinnaker")
    a = sim.Population(5, sim.IF_curr_exp(), label="a")
    sim.run(5.0)
    a.set(tau_m=12.0)                       # parameters may change between runs
    sim.run(5.0)
    assert np.all(mapping().population("a").parameters["tau_m"] == 12.0)
    sim.Population(2, sim.IF_curr_exp(), label="b")
    with pytest.raises(UnsupportedError, match="without reset"):
        sim.run(5.0)
    sim.reset()
    a.initialize(v=-55.0)
    sim.run(5.0)                            # after reset() the new network is mapped
    m = mapping()
    assert [p.label for p in m.populations] == ["a", "b"]
    assert np.all(m.population("a").parameters["initial v"] == -55.0)


# ------------------------------------------------------------------------------------------
# the benchmark networks map completely
# ------------------------------------------------------------------------------------------
def va_network(n=4000):
    """/work/shared/bench/va_cuba.py's network (Vogels-Abbott CUBA), through spinnframe's
    API, with a placement constraint on the inhibitory population."""
    sim.setup(timestep=0.1, min_delay=0.1, max_delay=10.0, backend="spinnaker")
    n_exc = int(0.8 * n)
    cell = sim.IF_curr_exp(tau_m=20.0, cm=0.2, v_rest=-49.0, v_thresh=-50.0, v_reset=-60.0,
                           tau_refrac=5.0, tau_syn_E=5.0, tau_syn_I=10.0, i_offset=0.0)
    rng = NumpyRNG(seed=1234)
    exc = sim.Population(n_exc, cell, label="exc")
    inh = sim.Population(n - n_exc, cell, label="inh")
    v_init = RandomDistribution("uniform", (-60.0, -50.0), rng=rng)
    exc.initialize(v=v_init)
    inh.initialize(v=v_init)
    conn = sim.FixedProbabilityConnector(0.02, rng=rng, allow_self_connections=False)
    scale = 4000.0 / n
    syn_e = sim.StaticSynapse(weight=1e-3 * 0.27 * 60.0 * scale, delay=0.1)
    syn_i = sim.StaticSynapse(weight=1e-3 * 4.5 * -20.0 * scale, delay=0.1)
    prjs = [sim.Projection(exc, exc, conn, syn_e, receptor_type="excitatory"),
            sim.Projection(exc, inh, conn, syn_e, receptor_type="excitatory"),
            sim.Projection(inh, exc, conn, syn_i, receptor_type="inhibitory"),
            sim.Projection(inh, inh, conn, syn_i, receptor_type="inhibitory")]
    exc.record("spikes")
    inh.record("spikes")
    inh.add_placement_constraint(1, 1)
    return exc, inh, prjs


@needs_spynnaker
def test_va_benchmark_maps_completely(virtual):
    exc, inh, prjs = va_network(4000)
    sim.run(1000.0)
    m = mapping()
    assert m.machine == "a virtual SpiNNaker board (version 5)" and m.machine_chips == 48
    pe, pi = m.population("exc"), m.population("inh")
    assert_complete(pe, 3200)
    assert_complete(pi, 800)
    # sPyNNaker 7.4: 256 neurons per slice, each slice a neuron core and a synapse core
    assert len(atoms_covered(pe)) == 13 and len(atoms_covered(pi)) == 4
    assert (pe.n_cores, pi.n_cores) == (26, 8)
    assert m.n_cores == 34 and m.n_chips == 3
    assert pi.chips == {(1, 1)}                          # the placement constraint
    assert m.n_cores_total >= m.n_cores and m.n_chips_total <= 48
    # parameters and initial values as the script set them
    for p, pop in ((pe, exc), (pi, inh)):
        for name, value in dict(tau_m=20.0, cm=0.2, v_rest=-49.0, v_thresh=-50.0,
                                v_reset=-60.0, tau_refrac=5.0, tau_syn_E=5.0,
                                tau_syn_I=10.0, i_offset=0.0).items():
            np.testing.assert_allclose(p.parameters[name], value, err_msg=name)
        np.testing.assert_allclose(p.parameters["initial v"],
                                   initial_v(pop), rtol=0, atol=1e-12)
        assert p.recording["spikes"] == (tuple(range(pop.size)), None)
    # every connection, with inhibitory weights as magnitudes
    assert [p.n_connections for p in m.projections] == [len(p) for p in prjs]
    assert [p.receptor for p in m.projections] == ["excitatory"] * 2 + ["inhibitory"] * 2


def microcircuit(scale=0.05):
    """/work/shared/bench/microcircuit.py's network (Potjans & Diesmann 2014, DC input),
    through spinnframe's API, with a placement constraint on L5I."""
    names = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]
    full_n = [20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948]
    conn_probs = np.array([
        [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
        [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
        [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
        [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
        [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
        [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
        [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
        [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443]])
    k_ext = [1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100]
    w_mean, tau_syn = 87.81e-3, 0.5
    sim.setup(timestep=0.1, min_delay=0.1, max_delay=20.0, backend="spinnaker")
    rng = NumpyRNG(seed=4242)
    pops, i_dc = [], {}
    for name, n_full, k in zip(names, full_n, k_ext):
        i_dc[name] = 8.0 * k * w_mean * tau_syn * 1e-3
        cell = sim.IF_curr_exp(tau_m=10.0, cm=0.25, v_rest=-65.0, v_thresh=-50.0,
                               v_reset=-65.0, tau_refrac=2.0, tau_syn_E=tau_syn,
                               tau_syn_I=tau_syn, i_offset=i_dc[name])
        p = sim.Population(max(1, int(round(n_full * scale))), cell, label=name)
        p.initialize(v=RandomDistribution("normal", (-58.0, 10.0), rng=rng))
        p.record("spikes")
        pops.append(p)
    n_syn = 0
    for ti, tgt in enumerate(pops):
        for si, src in enumerate(pops):
            prob = conn_probs[ti, si]
            if prob <= 0:
                continue
            k_full = math.log(1.0 - prob) / math.log(1.0 - 1.0 / (full_n[si] * full_n[ti]))
            k = int(round(k_full * scale))
            if k <= 0:
                continue
            exc = names[si].endswith("E")
            w = w_mean * (2.0 if (si == 2 and ti == 0) else 1.0) * (1.0 if exc else -4.0)
            d_mean = 1.5 if exc else 0.75
            weight = RandomDistribution("normal_clipped", (w, abs(w) * 0.1, 0.0, np.inf) if exc
                                        else (w, abs(w) * 0.1, -np.inf, 0.0), rng=rng)
            delay = RandomDistribution("normal_clipped", (d_mean, d_mean * 0.5, 0.1, np.inf),
                                       rng=rng)
            sim.Projection(src, tgt, sim.FixedTotalNumberConnector(k, rng=rng),
                           sim.StaticSynapse(weight=weight, delay=delay),
                           receptor_type="excitatory" if exc else "inhibitory")
            n_syn += k
    pops[5].add_placement_constraint(2, 2)
    return pops, i_dc, n_syn


@needs_spynnaker
def test_microcircuit_at_scale_0_05_maps_completely(virtual):
    pops, i_dc, n_syn = microcircuit(0.05)
    sim.run(100.0)
    m = mapping()
    assert sum(p.n_connections for p in m.projections) == n_syn > 10_000_000
    for pop in pops:
        pm = m.population(pop.label)
        assert_complete(pm, pop.size)
        np.testing.assert_allclose(pm.parameters["i_offset"], i_dc[pop.label])
        np.testing.assert_allclose(pm.parameters["tau_syn_E"], 0.5)
        np.testing.assert_allclose(pm.parameters["initial v"],
                                   initial_v(pop), atol=1e-12)
    assert m.population("L5I").chips == {(2, 2)}       # the placement constraint
    # rows of this scaled-down network (in-degree kept) are too long for 256 neurons per
    # core: the backend chose fewer, and said so
    assert m.atoms_per_core["L23E"] < 256 and "L5I" in m.atoms_per_core
    # sPyNNaker 7.4's placement of the network with those atoms per core
    assert m.n_cores == 174 and m.n_chips == 13
    assert m.n_chips_total <= 48


# ------------------------------------------------------------------------------------------
# the translation, piece by piece (one mapping holds every piece)
# ------------------------------------------------------------------------------------------
MODEL_PARAMS = {
    "IF_curr_exp": dict(tau_m=12.0, cm=0.5, v_rest=-60.0, v_reset=-70.0, v_thresh=-45.0,
                        tau_refrac=3.0, tau_syn_E=2.0, tau_syn_I=4.0, i_offset=0.25),
    "IF_cond_exp": dict(tau_m=15.0, cm=0.4, v_rest=-62.0, v_reset=-68.0, v_thresh=-52.0,
                        tau_refrac=1.5, tau_syn_E=3.0, tau_syn_I=6.0, e_rev_E=5.0,
                        e_rev_I=-75.0, i_offset=0.1),
    "IF_curr_alpha": dict(tau_m=18.0, cm=0.8, v_rest=-64.0, v_reset=-66.0, v_thresh=-49.0,
                          tau_refrac=2.5, tau_syn_E=0.7, tau_syn_I=0.9, i_offset=0.05),
    "IF_curr_delta": dict(tau_m=11.0, cm=0.3, v_rest=-63.0, v_reset=-67.0, v_thresh=-51.0,
                          tau_refrac=4.0, i_offset=0.15),
    "Izhikevich": dict(a=0.03, b=0.25, c=-60.0, d=4.0, i_offset=0.01),
    "SpikeSourcePoisson": dict(rate=15.0, start=5.0, duration=50.0),
}
INITIAL = {"IF_curr_exp": dict(v=-61.0, isyn_exc=0.1), "IF_cond_exp": dict(v=-63.0),
           "IF_curr_alpha": dict(v=-62.5), "IF_curr_delta": dict(v=-60.5),
           "Izhikevich": dict(v=-68.0, u=-12.0)}


@pytest.fixture(scope="module")
def everything(tmp_path_factory):
    """One network with every supported model, synapse type, current source and several
    connectors, views and an assembly, mapped once onto the virtual board."""
    if WHY_NOT is not None:
        pytest.skip(f"sPyNNaker cannot be imported ({WHY_NOT})")
    mp = pytest.MonkeyPatch()
    tmp = tmp_path_factory.mktemp("everything")
    mp.setenv(config.ENV_MACHINE, "virtual")
    mp.setenv(config.ENV_DIR, str(tmp / "spinnaker"))
    mp.setenv("XDG_CONFIG_DIRS", str(tmp))
    mp.setenv("XDG_CONFIG_HOME", str(tmp))
    mp.chdir(tmp)
    try:
        sim.setup(timestep=0.1, backend="spinnaker")
        pops = {}
        for name, params in MODEL_PARAMS.items():
            cell = getattr(sim, name)(**params)
            pops[name] = sim.Population(6, cell, label=name)
            if name in INITIAL:
                pops[name].initialize(**INITIAL[name])
        pops["IF_curr_exp"].set(tau_m=np.linspace(10.0, 15.0, 6))     # heterogeneous
        pops["SpikeSourceArray"] = sim.Population(
            3, sim.SpikeSourceArray(spike_times=[[1.0, 2.0], [3.5], [4.0, 8.0, 9.5]]),
            label="SpikeSourceArray")
        stdp = {wd: sim.STDPMechanism(
            timing_dependence=sim.SpikePairRule(tau_plus=16.0, tau_minus=33.0, A_plus=0.02,
                                                A_minus=0.03),
            weight_dependence=getattr(sim, wd)(w_min=0.0, w_max=0.9), weight=0.4, delay=1.5)
            for wd in ("AdditiveWeightDependence", "MultiplicativeWeightDependence")}
        src, lif = pops["SpikeSourcePoisson"], pops["IF_curr_exp"]
        prjs = {
            "static": sim.Projection(src, lif, sim.AllToAllConnector(),
                                     sim.StaticSynapse(weight=0.3, delay=2.0), label="static"),
            "additive": sim.Projection(pops["SpikeSourceArray"], pops["IF_cond_exp"][0:3],
                                       sim.OneToOneConnector(),
                                       stdp["AdditiveWeightDependence"], label="additive"),
            "multiplicative": sim.Projection(
                lif, pops["IF_curr_alpha"], sim.FixedProbabilityConnector(0.5, rng=NumpyRNG(3)),
                stdp["MultiplicativeWeightDependence"], label="multiplicative"),
            "inhibitory": sim.Projection(
                pops["IF_curr_delta"], lif + pops["Izhikevich"],
                sim.FromListConnector([(0, 1, -0.2, 1.0), (2, 7, -0.4, 3.0), (5, 11, -0.1, 0.5)]),
                sim.StaticSynapse(), receptor_type="inhibitory", label="inhibitory"),
            "fixed_number_pre": sim.Projection(
                src, pops["IF_curr_delta"], sim.FixedNumberPreConnector(2, rng=NumpyRNG(5)),
                sim.StaticSynapse(weight=RandomDistribution("uniform", (0.1, 0.2),
                                                            rng=NumpyRNG(7)), delay=1.0),
                label="fixed_number_pre"),
        }
        sources = {
            "DCSource": sim.DCSource(amplitude=0.4, start=10.0, stop=40.0),
            "ACSource": sim.ACSource(amplitude=0.2, start=5.0, stop=45.0, frequency=20.0,
                                     offset=0.1, phase=30.0),
            "StepCurrentSource": sim.StepCurrentSource(times=[10.0, 20.0, 30.0],
                                                       amplitudes=[0.1, 0.3, 0.0]),
            "NoisyCurrentSource": sim.NoisyCurrentSource(mean=0.05, stdev=0.02, start=0.0,
                                                         stop=50.0, dt=0.1),
        }
        sources["DCSource"].inject_into(lif[1:4])
        sources["ACSource"].inject_into(pops["IF_cond_exp"])
        sources["StepCurrentSource"].inject_into(pops["IF_curr_alpha"][[0, 5]])
        sources["NoisyCurrentSource"].inject_into(pops["Izhikevich"])
        lif[0:3].record("spikes")
        lif.record("v", sampling_interval=0.5)
        pops["IF_cond_exp"].record(["gsyn_exc", "spikes"])
        (pops["IF_curr_alpha"] + pops["Izhikevich"]).record("v")
        src.record("spikes")
        pops["IF_curr_delta"].add_placement_constraint(3, 3)
        pops["SpikeSourceArray"].add_placement_constraint(4, 4, 7)
        pops["Izhikevich"].set_max_atoms_per_core(2)
        from spinnframe.runner import build_network
        net = build_network(state)
        sim.run(50.0)
        yield {"mapping": mapping(), "pops": pops, "prjs": prjs, "sources": sources,
               "net": net}
    finally:
        if state.phase == "setup":
            sim.end()
        mp.undo()


@pytest.mark.parametrize("model", list(MODEL_PARAMS) + ["SpikeSourceArray"])
def test_each_model_reaches_spynnaker_with_its_parameters(everything, model):
    pm = everything["mapping"].population(model)
    assert_complete(pm, everything["pops"][model].size)
    expected = dict(MODEL_PARAMS.get(model, {}))
    if model == "IF_curr_exp":
        expected["tau_m"] = np.linspace(10.0, 15.0, 6)
    for name, value in expected.items():
        np.testing.assert_allclose(np.asarray(pm.parameters[name], dtype=float).ravel(),
                                   np.broadcast_to(value, (6,)), rtol=1e-12, err_msg=name)
    for name, value in INITIAL.get(model, {}).items():
        np.testing.assert_allclose(pm.parameters[f"initial {name}"], value, err_msg=name)
    if model == "SpikeSourceArray":
        assert pm.parameters["spike_times"] == [[1.0, 2.0], [3.5], [4.0, 8.0, 9.5]]


def test_placement_constraint_and_atoms_per_core_reach_the_mapping(everything):
    m = everything["mapping"]
    assert m.population("IF_curr_delta").chips == {(3, 3)}
    assert m.population("SpikeSourceArray").cores == ((4, 4, 7, 0, 2),)
    izh = m.population("Izhikevich")
    assert atoms_covered(izh) == [(0, 1), (2, 3), (4, 5)]       # 2 atoms per core


@pytest.mark.parametrize("label, synapse", [
    ("static", {"dynamics": "SynapseDynamicsStatic"}),
    ("additive", {"dynamics": "SynapseDynamicsSTDP", "timing_dependence":
                  "TimingDependenceSpikePair", "weight_dependence": "WeightDependenceAdditive",
                  "tau_plus": 16.0, "tau_minus": 33.0, "A_plus": 0.02, "A_minus": 0.03,
                  "w_min": 0.0, "w_max": 0.9}),
    ("multiplicative", {"dynamics": "SynapseDynamicsSTDP", "timing_dependence":
                        "TimingDependenceSpikePair", "weight_dependence":
                        "WeightDependenceMultiplicative", "tau_plus": 16.0, "tau_minus": 33.0,
                        "A_plus": 0.02, "A_minus": 0.03, "w_min": 0.0, "w_max": 0.9}),
])
def test_each_synapse_type_reaches_spynnaker(everything, label, synapse):
    found = [p for p in everything["mapping"].projections if p.label == label]
    assert len(found) == 1
    assert found[0].synapse == pytest.approx(synapse)
    assert found[0].n_connections == len(everything["prjs"][label])


@pytest.mark.parametrize("label", ["static", "additive", "multiplicative", "inhibitory",
                                   "fixed_number_pre"])
def test_each_connector_becomes_the_same_connection_list(everything, label):
    """The IR's concrete connections, per root population pair, as FromListConnector rows:
    the same pre/post/weight/delay as the Projection reports (inhibitory weights as
    magnitudes, as sPyNNaker takes them)."""
    from spinnframe_spinnaker import translate

    prj = everything["prjs"][label]
    parts = [p for p in everything["net"].projections if p.label == prj.label]
    rows = np.concatenate([translate.connection_list(p) for p in parts])
    got = sorted(map(tuple, np.round(rows, 12)))
    expected = [(i, j, abs(w) if label == "inhibitory" else w, d)
                for i, j, w, d in prj.get(["weight", "delay"], format="list")]
    if label == "inhibitory":      # into an assembly: post indices per root population
        n_lif = everything["pops"]["IF_curr_exp"].size
        expected = [(i, j - n_lif if j >= n_lif else j, w, d) for i, j, w, d in expected]
        assert {everything["net"].populations[p.post].label for p in parts} == {
            "IF_curr_exp", "Izhikevich"}
    assert got == sorted(tuple(np.round(e, 12)) for e in expected)
    if label == "additive":        # into a view: post indices of the root population
        assert {int(p.post_index.max()) for p in parts} == {2}


@pytest.mark.parametrize("name, target, indices, expected", [
    ("DCSource", "IF_curr_exp", (1, 2, 3), {"amplitude": 0.4, "start": 100, "stop": 400}),
    ("ACSource", "IF_cond_exp", tuple(range(6)), {"amplitude": 0.2, "offset": 0.1,
                                                  "frequency": 2 * np.pi * 20.0 / 1000.0,
                                                  "phase": np.pi / 6, "start": 50,
                                                  "stop": 450}),
    ("StepCurrentSource", "IF_curr_alpha", (0, 5), {"amplitudes": [0.1, 0.3, 0.0],
                                                    "times": [100, 200, 300]}),
    ("NoisyCurrentSource", "Izhikevich", tuple(range(6)), {"mean": 0.05, "stdev": 0.02,
                                                           "start": 0, "stop": 500,
                                                           "dt": 1}),
])
def test_each_current_source_is_injected_into_its_cells(everything, name, target, indices,
                                                        expected):
    """sPyNNaker holds times in time steps (10 ms = 100 steps of 0.1 ms), an AC source's
    frequency in radians per ms and its phase in radians."""
    found = [s for s in everything["mapping"].population(target).current_sources
             if s[0] == name]
    assert len(found) == 1
    cls, params, cells = found[0]
    assert cells == indices
    for key, value in expected.items():
        np.testing.assert_allclose(np.asarray(params[key], dtype=float), value, err_msg=key)


@pytest.mark.parametrize("label, variable, cells, interval", [
    ("IF_curr_exp", "spikes", (0, 1, 2), None),
    ("IF_curr_exp", "v", tuple(range(6)), 0.5),
    ("IF_cond_exp", "gsyn_exc", tuple(range(6)), 0.1),
    ("IF_cond_exp", "spikes", tuple(range(6)), None),
    ("IF_curr_alpha", "v", tuple(range(6)), 0.1),
    ("Izhikevich", "v", tuple(range(6)), 0.1),
    ("SpikeSourcePoisson", "spikes", tuple(range(6)), None),
])
def test_each_recording_request_reaches_spynnaker(everything, label, variable, cells,
                                                  interval):
    rec = everything["mapping"].population(label).recording
    assert rec[variable][0] == cells
    assert rec[variable][1] == (None if interval is None else pytest.approx(interval))


def test_nothing_else_is_recorded(everything):
    m = everything["mapping"]
    assert set(m.population("IF_curr_delta").recording) == set()
    assert set(m.population("IF_curr_exp").recording) == {"spikes", "v"}


# ------------------------------------------------------------------------------------------
# data: sPyNNaker's arrays to spinnframe's steps, and the neo output
# ------------------------------------------------------------------------------------------
def test_spikes_of_one_run_are_moved_to_nest_time_stamps():
    raw = np.array([[3, 0.0], [1, 0.5], [2, 1.0], [1, 1.9], [0, 2.0]])   # index, ms
    steps, index = data.spikes_in_run(raw, 0.1, start_step=5, n_steps=15)
    assert steps.tolist() == [6, 11, 20] and index.tolist() == [1, 2, 1]
    assert [len(a) for a in data.spikes_in_run(np.empty((0, 0)), 0.1, 0, 10)] == [0, 0]


def test_samples_of_one_run_land_on_spinnframes_grid():
    dt, interval = 0.1, 2
    rows = [(n, t * dt, 100 * n + t) for t in range(0, 10, interval) for n in (4, 7)]
    first, values = data.samples_in_run(np.array(rows, float), dt, interval, [7, 4], 0, 10)
    assert first == 2                           # tick 0 shown at step 2 (0 is the core's)
    np.testing.assert_array_equal(values[:, 0], [700, 702, 704, 706, 708])
    np.testing.assert_array_equal(values[:, 1], [400, 402, 404, 406, 408])
    first, values = data.samples_in_run(np.array(rows, float), dt, interval, [4], 4, 4)
    assert first == 6 and values[:, 0].tolist() == [404, 406]
    assert data.samples_in_run(np.empty((0, 3)), dt, 1, [0], 0, 10) == (None, None)


class _StubPopulation:
    """Stands in for a sPyNNaker Population on hardware: spinnaker_get_data's arrays."""

    def __init__(self, arrays):
        self.arrays = arrays
        self.asked = []

    def spinnaker_get_data(self, variable):
        self.asked.append(variable)
        return self.arrays[variable]


class _Sink:
    def __init__(self):
        self.got = []

    def spikes(self, population, steps, indices):
        self.got.append(("spikes", population, steps.tolist(), indices.tolist()))

    def samples(self, population, variable, first_step, interval, indices, values):
        self.got.append((variable, population, first_step, interval, list(indices),
                         values.tolist()))


@needs_spynnaker
def test_recorded_data_from_the_machine_reaches_spinnframes_recorders(home):
    """The hardware path of a run, with sPyNNaker's data arrays stubbed: the variables are
    asked for under sPyNNaker's names and arrive at spinnframe's steps."""
    from spinnframe.runner import build_network
    from spinnframe_spinnaker import session, translate
    from spinnframe_spinnaker.backend import SpinnakerBackend

    monkey_env = {config.ENV_MACHINE: "127.0.0.1", config.ENV_DIR: str(home / "spinnaker")}
    sim.setup(timestep=0.1, backend="spinnaker")
    a = sim.Population(4, sim.IF_curr_exp(), label="a")
    a[1:3].record(["spikes", "isyn_exc"])
    net = build_network(state)
    backend = SpinnakerBackend.__new__(SpinnakerBackend)
    backend.settings = config.settings({}, environ=monkey_env)
    backend.output = session.Output(backend.settings)
    stub = _StubPopulation({
        "spikes": np.array([[1, 0.4], [2, 0.9], [1, 1.5]]),
        "gsyn_exc": np.array([[n, t * 0.1, 10 * n + t] for t in range(20) for n in (1, 2)])})
    backend.built = translate.Built(
        populations=[stub], projections=[], sources=[], dynamics=[], connectors=[],
        params_versions=[], initial=[], key=(), loaded=[], auto_atoms={})
    sink = _Sink()
    backend._fetch(net, 10, 10, sink)             # the second run: steps 10..19
    assert stub.asked == ["spikes", "gsyn_exc"]
    assert sink.got[0] == ("spikes", 0, [16], [1])
    variable, pop, first, interval, indices, values = sink.got[1]
    assert (variable, pop, first, interval, indices) == ("isyn_exc", 0, 11, 1, [1, 2])
    assert np.array(values)[:, 0].tolist() == [10 + t for t in range(10, 20)]


def _structure(block):
    seg = block.segments
    return [(len(s.spiketrains), sorted(s.spiketrains[0].annotations) if s.spiketrains else [],
             [(a.name, a.shape, str(a.units), float(a.sampling_period), float(a.t_start),
               sorted(a.annotations), sorted(a.array_annotations)) for a in s.analogsignals],
             float(s.t_stop) if s.spiketrains else None) for s in seg], sorted(block.annotations)


@needs_spynnaker
def test_neo_output_has_the_host_backends_structure(virtual):
    def run(backend):
        sim.setup(timestep=0.1, backend=backend)
        a = sim.Population(8, sim.IF_curr_exp(i_offset=0.5), label="a")
        a[2:6].record(["spikes", "v"])
        sim.run(20.0)
        blocks = (a.get_data(), a[3:5].get_data("v"))
        sim.end()
        return [_structure(b) for b in blocks]

    assert run("spinnaker") == run("host")


# ------------------------------------------------------------------------------------------
# doctor: asking a board for its details
# ------------------------------------------------------------------------------------------
@needs_spynnaker
def test_check_board_where_nothing_answers_fails_clearly_within_seconds():
    from spinnframe_spinnaker.doctor import check_board

    t0 = time.monotonic()
    with pytest.raises(BoardNotReachableError) as err:
        check_board("127.0.0.1", timeout_s=1.5)
    assert time.monotonic() - t0 < 4.0
    assert "no SpiNNaker board answered at 127.0.0.1 (UDP port 17893)" in str(err.value)
    with pytest.raises(BoardNotReachableError, match="host name or IP address"):
        check_board("", timeout_s=1.0)


class FakeBoard:
    """A loopback UDP server answering the three SCP requests of check_board as SC&MP
    would (version 3.11, an 8 x 8 machine, 18 cores on the boot chip)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        deadline = time.monotonic() + 20.0          # bounded, whatever happens
        while not self.stop.is_set() and time.monotonic() < deadline:
            try:
                msg, addr = self.sock.recvfrom(2048)
            except socket.timeout:
                continue
            cmd, seq = struct.unpack_from("<HH", msg, 10)
            if cmd == 0:                                           # CMD_VER
                body = struct.pack("<BBBBHHI", 0, 0, 0, 0, 0, 311, 0) + b"SC&MP/SpiNNaker\0"
            elif cmd == 2:                                         # CMD_READ: y_size, x_size
                body = bytes([8, 8])
            else:                                                  # CMD_INFO
                body = struct.pack("<3I", 18 | (1 << 25), 1 << 20, 1 << 10) + bytes(20) + \
                    bytes([127, 0, 0, 1])
            self.sock.sendto(b"\0\0" + bytes([7, 255, 0, 0, 0, 0, 0, 0]) +
                             struct.pack("<HH", 0x80, seq) + body, addr)

    def close(self):
        self.stop.set()
        self.thread.join()
        self.sock.close()


@needs_spynnaker
def test_check_board_reads_the_details_of_a_board_that_answers():
    from spinnframe_spinnaker.doctor import check_board, check_installation

    board = FakeBoard()
    try:
        info = check_board("127.0.0.1", timeout_s=3.0, port=board.port)
    finally:
        board.close()
    assert (info.software, info.hardware, info.width, info.height, info.n_cores) == (
        "SC&MP 3.11.0", "SpiNNaker", 8, 8, 18)
    assert info.ethernet_address == "127.0.0.1" and info.boot_chip == (0, 0)
    assert "8 x 8 chips" in info.describe()
    assert check_installation()["spynnaker"].startswith("1!7.4")


def test_backend_chosen_by_environment(monkeypatch):
    monkeypatch.setenv("SPINNFRAME_BACKEND", "spinnaker")
    sim.setup(timestep=1.0)
    try:
        assert state.backend_name == "spinnaker"
    finally:
        sim.end()
    monkeypatch.delenv("SPINNFRAME_BACKEND")
    sim.setup(timestep=1.0)
    try:
        assert state.backend_name == "host"
    finally:
        sim.end()
