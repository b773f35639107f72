"""The native host backend: compilation cache, layout checks, no Python per time step."""
import os
import shutil
import sys
import time
from pathlib import Path

import attrs
import numpy as np
import pytest

import spinnframe.pyNN as sim
from spinnframe.errors import KernelBuildError
from spinnframe.models import dtypes
from spinnframe_host import compiler, engine
from spinnframe_if_curr_exp import IF_CURR_EXP


@pytest.fixture
def kernel_copy(tmp_path):
    """IF_curr_exp's declaration pointing at a private copy of its kernel."""
    src = tmp_path / "kernel.c"
    shutil.copy(IF_CURR_EXP.kernel, src)
    return attrs.evolve(IF_CURR_EXP, kernel=src), src


def libs(cache: Path):
    return sorted(p.name for p in cache.glob("model_IF_curr_exp-*.so"))


def test_compiles_once_then_loads_from_cache(tmp_path, kernel_copy):
    spec, _ = kernel_copy
    cache = tmp_path / "cache"
    cache.mkdir()
    t0 = time.perf_counter()
    first = engine.model_library(spec, cache)
    t_compile = time.perf_counter() - t0
    assert len(libs(cache)) == 1
    engine._model_libs.clear()
    t0 = time.perf_counter()
    again = engine.model_library(spec, cache)
    t_cached = time.perf_counter() - t0
    assert libs(cache) == libs(cache)  # nothing new compiled
    assert len(libs(cache)) == 1
    assert again.update_ptr and first.update_ptr
    assert t_cached < t_compile


def test_changed_kernel_source_is_recompiled(tmp_path, kernel_copy):
    spec, src = kernel_copy
    cache = tmp_path / "cache"
    cache.mkdir()
    engine.model_library(spec, cache)
    src.write_text(src.read_text() + "\n/* a change */\n")
    engine._model_libs.clear()
    engine.model_library(spec, cache)
    assert len(libs(cache)) == 2


def test_changed_flags_are_recompiled(tmp_path, kernel_copy, monkeypatch):
    spec, _ = kernel_copy
    cache = tmp_path / "cache"
    cache.mkdir()
    engine.model_library(spec, cache)
    monkeypatch.setenv("SPINNFRAME_CFLAGS", "-DSPINNFRAME_TEST_FLAG=1")
    engine._model_libs.clear()
    engine.model_library(spec, cache)
    assert len(libs(cache)) == 2


def test_built_for_this_cpu_and_keyed_by_it(tmp_path, kernel_copy, monkeypatch):
    """Kernels are built with -march=native where the compiler takes it; then the CPU
    is part of the cache key (a cache shared by two machines gives each its own build),
    and SPINNFRAME_NATIVE=0 builds for the baseline instruction set."""
    spec, _ = kernel_copy
    cache = tmp_path / "cache"
    cache.mkdir()
    native = compiler.native_flags()
    if sys.platform.startswith("linux") and os.uname().machine == "x86_64":
        assert native == ("-march=native",)       # gcc and clang both take it here
    assert "vendor_id" in compiler.cpu_identity() or "Features" in \
        compiler.cpu_identity() or not sys.platform.startswith("linux")
    engine.model_library(spec, cache)
    monkeypatch.setattr(compiler, "cpu_identity", lambda: "another CPU")
    engine._model_libs.clear()
    engine.model_library(spec, cache)
    assert len(libs(cache)) == (2 if native else 1)
    monkeypatch.setenv("SPINNFRAME_NATIVE", "0")
    compiler.native_flags.cache_clear()
    try:
        assert compiler.native_flags() == ()
        assert "-march=native" not in compiler.flags()
        engine._model_libs.clear()
        engine.model_library(spec, cache)
        assert len(libs(cache)) == (3 if native else 1)
    finally:
        compiler.native_flags.cache_clear()


def test_cache_folder_from_setup_and_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SPINNFRAME_CACHE_DIR", str(tmp_path / "from_env"))
    assert compiler.cache_dir() == tmp_path / "from_env"
    assert compiler.cache_dir(str(tmp_path / "from_setup")) == tmp_path / "from_setup"
    engine._model_libs.clear()
    sim.setup(cache_dir=str(tmp_path / "from_setup"))
    try:
        sim.Population(1, sim.IF_curr_exp())
        sim.run(1.0)
    finally:
        sim.end()
    names = {p.name.split("-")[0] for p in (tmp_path / "from_setup").glob("*.so")}
    assert {"engine", "model_IF_curr_exp"} <= names


def test_library_not_matching_its_declaration_is_refused(tmp_path, kernel_copy):
    spec, _ = kernel_copy
    cache = tmp_path / "cache"
    cache.mkdir()
    engine.model_library(spec, cache)
    path = cache / libs(cache)[0]
    params = list(spec.parameters)
    params[0], params[1] = params[1], params[0]          # declaration order changed
    other = attrs.evolve(spec, parameters=params)
    with pytest.raises(KernelBuildError, match="does not match its declaration"):
        engine.ModelLibrary(other, path)


def test_compile_error_names_model_plugin_file_and_line(tmp_path, kernel_copy):
    spec, src = kernel_copy
    lines = src.read_text().splitlines()
    lines.insert(0, "this is not C;")
    src.write_text("\n".join(lines))
    cache = tmp_path / "cache"
    cache.mkdir()
    with pytest.raises(KernelBuildError) as err:
        engine.model_library(spec, cache)
    msg = str(err.value)
    assert "IF_curr_exp" in msg and "failed to compile" in msg
    assert f"{src}:1:" in msg      # the compiler's file:line, in the kernel itself


def test_generated_layout_matches_numpy(tmp_path, kernel_copy):
    spec, _ = kernel_copy
    cache = tmp_path / "cache"
    cache.mkdir()
    lib = engine.model_library(spec, cache)
    p, d, s = dtypes(spec)
    assert (lib.params_dtype, lib.derived_dtype, lib.state_dtype) == (p, d, s)
    assert p.names == tuple(x.name for x in spec.parameters)


def _network():
    src = sim.Population(20, sim.SpikeSourcePoisson(rate=50.0))
    cells = sim.Population(30, sim.IF_curr_exp(i_offset=0.5))
    sim.Projection(src, cells, sim.FixedProbabilityConnector(0.3, rng=sim.NumpyRNG(7)),
                   sim.StaticSynapse(weight=0.8, delay=1.0))
    cells.record(["spikes", "v"])
    return cells


def test_no_python_per_time_step():
    sim.setup(timestep=0.1)
    try:
        cells = _network()
        sim.run(1.0)                   # build and compile outside the measured run
        calls = 0

        def prof(frame, event, arg):
            nonlocal calls
            if event == "call":
                calls += 1
        sys.setprofile(prof)
        try:
            sim.run(2000.0)            # 20000 time steps
        finally:
            sys.setprofile(None)
        assert cells.get_data().segments[0].analogsignals[0].shape[0] == 20011
        assert calls < 2000, f"{calls} Python calls for 20000 time steps"
    finally:
        sim.end()


def _spikes(chunks, seed=3):
    sim.setup(timestep=0.1, rng_seed=seed)
    try:
        cells = _network()
        for c in chunks:
            sim.run(c)
        st = cells.get_data("spikes").segments[0].spiketrains
        return [np.asarray(s) for s in st]
    finally:
        sim.end()


def test_runs_are_deterministic_and_split_runs_equal_one_run():
    whole = _spikes([300.0])
    assert sum(len(s) for s in whole) > 50
    assert all(np.array_equal(a, b) for a, b in zip(whole, _spikes([300.0])))
    split = _spikes([100.0, 0.3, 99.7, 100.0])
    assert all(np.array_equal(a, b) for a, b in zip(whole, split))
    other = _spikes([300.0], seed=4)
    assert not all(np.array_equal(a, b) for a, b in zip(whole, other))


def _threaded(threads, t_stop=300.0):
    sim.setup(timestep=0.1, threads=threads, rng_seed=11)
    try:
        src = sim.Population(50, sim.SpikeSourcePoisson(rate=40.0))
        exc = sim.Population(120, sim.IF_curr_exp(i_offset=0.3, tau_refrac=2.0))
        inh = sim.Population(37, sim.IF_curr_exp(i_offset=0.2))
        rng = sim.NumpyRNG(5)
        sim.Projection(src, exc, sim.FixedProbabilityConnector(0.2, rng=rng),
                       sim.StaticSynapse(weight=sim.RandomDistribution("uniform", (0.2, 1.0),
                                                                       rng=rng), delay=1.0))
        sim.Projection(exc, inh + exc, sim.FixedProbabilityConnector(0.1, rng=rng),
                       sim.StaticSynapse(weight=0.3, delay=sim.RandomDistribution(
                           "uniform", (0.5, 3.0), rng=rng)), receptor_type="excitatory")
        sim.Projection(inh, exc, sim.FixedProbabilityConnector(0.3, rng=rng),
                       sim.StaticSynapse(weight=-0.9, delay=0.7), receptor_type="inhibitory")
        exc.record(["spikes", "v", "isyn_inh"])
        inh.record("spikes")
        sim.run(t_stop)
        seg = exc.get_data().segments[0]
        return ([np.asarray(s) for s in seg.spiketrains],
                {a.name: np.asarray(a) for a in seg.analogsignals},
                sum(len(s) for s in inh.get_data().segments[0].spiketrains))
    finally:
        sim.end()


def test_results_identical_for_any_thread_count():
    one = _threaded(1)
    assert sum(len(s) for s in one[0]) > 100 and one[2] > 20
    for threads in (2, 3):
        other = _threaded(threads)
        assert all(np.array_equal(a, b) for a, b in zip(one[0], other[0]))
        for name in one[1]:
            assert np.array_equal(one[1][name], other[1][name]), name  # bitwise
        assert one[2] == other[2]


def test_changed_weights_take_effect_once():
    """Projection.set between runs replaces the engine's rows (no double delivery)."""
    sim.setup(timestep=0.1)
    try:
        src = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0, 25.0]))
        cell = sim.Population(1, sim.IF_curr_exp(tau_syn_E=1e6, v_thresh=1e6))
        prj = sim.Projection(src, cell, sim.AllToAllConnector(),
                             sim.StaticSynapse(weight=0.25, delay=1.0))
        cell.record("isyn_exc")
        sim.run(20.0)
        prj.set(weight=0.5)
        sim.run(20.0)
        isyn = np.asarray(cell.get_data().segments[0].filter(name="isyn_exc")[0]).ravel()
        # tau_syn_E huge: the current is a step function of the weights received
        assert isyn[59] == 0.0 and isyn[60] == pytest.approx(0.25, abs=1e-9)
        assert isyn[260] == pytest.approx(0.25 * np.exp(-20.0 / 1e6) + 0.5, abs=1e-9)
    finally:
        sim.end()


def test_longer_delay_set_between_runs_keeps_spikes_in_flight():
    """Raising a delay beyond the ring buffer's reach grows it, keeping pending input."""
    sim.setup(timestep=0.1)
    try:
        src = sim.Population(1, sim.SpikeSourceArray(spike_times=[9.0, 15.0]))
        cell = sim.Population(1, sim.IF_curr_exp(tau_syn_E=1e6, v_thresh=1e6))
        prj = sim.Projection(src, cell, sim.AllToAllConnector(),
                             sim.StaticSynapse(weight=0.25, delay=2.0))
        cell.record("isyn_exc")
        sim.run(10.0)               # the 9 ms spike is in flight (arrives at 11 ms)
        prj.set(delay=7.5)
        sim.run(30.0)
        isyn = np.asarray(cell.get_data().segments[0].filter(name="isyn_exc")[0]).ravel()
        assert isyn[109] == 0.0 and isyn[110] > 0.2499      # arrived at 11.0 ms
        assert isyn[224] < 0.26 and isyn[225] > 0.4999     # 15 + 7.5 = 22.5 ms
    finally:
        sim.end()


def test_profile_says_where_the_time_went(capfd, monkeypatch):
    """HostBackend.profile(): setup + loop <= run, per-thread phases within the loop;
    SPINNFRAME_PROFILE=1 prints the breakdown after each run."""
    import spinnframe.pyNN as sim
    from spinnframe.simulator import state
    monkeypatch.setenv("SPINNFRAME_PROFILE", "1")
    sim.setup(timestep=0.1, threads=2)
    try:
        src = sim.Population(50, sim.SpikeSourcePoisson(rate=100.0))
        cells = sim.Population(100, sim.IF_curr_exp())
        sim.Projection(src, cells, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1))
        sim.run(100.0)
        p = state.backend.profile()
        assert 0 < p["loop"] <= p["run"] and p["setup"] + p["loop"] <= p["run"]
        assert len(p["threads"]) == state.backend.threads
        for phases in p["threads"]:
            assert set(phases) == {"update", "bookkeeping", "deliver", "wait"}
            assert 0 < sum(phases.values()) <= p["loop"] * 1.01
        assert "spinnframe host engine: run" in capfd.readouterr().err
    finally:
        sim.end()


def test_a_population_out_of_memory_says_what_its_ring_buffer_needs(monkeypatch):
    """The engine failing to allocate a population's arrays: a MemoryError that names the
    population and what sizes its ring buffer (the network's longest delay), not only
    that memory ran out."""
    real = engine.engine_library

    class Failing:
        def __init__(self, lib):
            self._lib = lib

        def __getattr__(self, name):
            return getattr(self._lib, name)

        @staticmethod
        def sf_engine_set_population(*args):
            return -1                                   # SF_ERR_NOMEM

    monkeypatch.setattr(engine, "engine_library", lambda cache: Failing(real(cache)))
    dt, delay, n = 0.1, 25.0, 1000
    steps = round(delay / dt)
    mib = (steps + 1) * 2 * n * 8 / 2 ** 20          # slots x receptors x neurons x 8 bytes
    sim.setup(timestep=dt)
    try:
        a = sim.Population(n, sim.IF_curr_exp(), label="big")
        sim.Projection(a, a, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.1, delay=delay))
        with pytest.raises(MemoryError, match=rf"population 'big': its ring buffer alone needs "
                                              rf"{mib:.1f} MiB \({steps + 1} delay slots, from "
                                              rf"the network's longest delay of {steps} time "
                                              rf"steps, x 2 receptor"):
            sim.run(1.0)
    finally:
        sim.end()


def test_parameter_sets_are_packed_once_each():
    """pack_parameters: one row for a population whose neurons share every parameter (no
    per-neuron index), else the distinct rows and each neuron's row."""
    params_dtype = dtypes(IF_CURR_EXP)[0]
    names = [p.name for p in IF_CURR_EXP.parameters]
    same = {n: np.full(500, p.default, dtype=float)
            for n, p in zip(names, IF_CURR_EXP.parameters)}
    table, index, _ = engine.pack_parameters(IF_CURR_EXP, same, params_dtype)
    assert len(table) == 1 and index is None
    assert all(table[n][0] == same[n][0] for n in names)
    mixed = dict(same, i_offset=np.tile([0.0, 0.5, 0.25], 167)[:500])
    table, index, _ = engine.pack_parameters(IF_CURR_EXP, mixed, params_dtype)
    assert len(table) == 3 and index is not None
    np.testing.assert_array_equal(table["i_offset"][index], mixed["i_offset"])
    np.testing.assert_array_equal(table["tau_m"][index], same["tau_m"])
