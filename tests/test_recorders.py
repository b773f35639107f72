"""Recorder plugins: the hook spinnframe_recorders, the data they receive while the
simulation runs, bounded memory, failures, the bundled neo and streaming recorders, and
the example UDP recorder installed with pip.

1. The contract: a recorder selected by name from a PyNN script (``setup(recorders=...)``)
   receives ``start_run`` (dt, segment, populations with labels, sizes, first IDs,
   recorded neurons and variables with their sampling grids and units), chunks of spikes
   and samples of at most 10 000 steps as the run goes (``flush`` after each), ``end_run``,
   ``reset`` (with the segment's annotations) and ``close``; the chunks put together are
   exactly what get_data() returns.
2. Memory: with ``setup(keep_in_memory=False)`` the core keeps nothing (tracemalloc's
   peak during a run stays around one chunk while the data is ten chunks), and get_data()
   and friends raise a RecordingError saying where the data went.
3. A recorder that raises is disabled with a RecorderWarning, the run goes on (other
   recorders and get_data() get everything) and run() then raises RecorderError.
4. The streaming recorder writes as the run goes (its file grows at every chunk), and its
   reader gives back neo Blocks equal to get_data()'s, also for a run kept nowhere else.
5. The neo recorder: write_data() to .pkl, .mat, .nix, .nwb, read back with neo.
6. The example examples/plugins/udp_spikes, installed with plain pip, streams spikes to
   a listener on 127.0.0.1 while a PyNN script runs; what arrives equals get_data()'s.
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
import warnings
from importlib import metadata
from importlib.metadata import EntryPoint
from pathlib import Path

import neo
import numpy as np
import pytest
import quantities as pq

import spinnframe.pyNN as sim
import spinnframe_streaming_recorder as streaming
from spinnframe import plugins
from spinnframe.errors import PluginError, RecorderError, RecordingError
from spinnframe.recording import MAX_CHUNK_STEPS, DataRecorder
from spinnframe.recording.hub import RecorderWarning, RecordingHub
from spinnframe.simulator import state

ROOT = Path(__file__).parent.parent
UDP_EXAMPLE = ROOT / "examples" / "plugins" / "udp_spikes"


@pytest.fixture(autouse=True)
def _end_simulation():
    yield
    if state.phase == "setup":
        sim.end()


def network(n=6, label="cells", seed=7, sampling_interval=None):
    """Neurons that fire regularly, driven by Poisson inputs; spikes and v recorded."""
    cells = sim.Population(n, sim.IF_curr_exp(i_offset=np.linspace(0.6, 1.6, n)), label=label)
    noise = sim.Population(4, sim.SpikeSourcePoisson(rate=30.0), label=label + "_in",
                           additional_parameters={"seed": seed})
    sim.Projection(noise, cells, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=0.4, delay=1.0))
    cells.record(["spikes", "v"], sampling_interval=sampling_interval)
    noise.record("spikes")
    return cells, noise


def assert_blocks_equal(got: neo.Block, want: neo.Block):
    """Same structure and data: segments, spike trains with their annotations and times,
    signals with units, timing, channel ids and values."""
    assert got.name == want.name
    assert got.annotations == want.annotations
    assert [s.name for s in got.segments] == [s.name for s in want.segments]
    for sg, sw in zip(got.segments, want.segments):
        assert sg.annotations == sw.annotations
        assert len(sg.spiketrains) == len(sw.spiketrains)
        for a, b in zip(sg.spiketrains, sw.spiketrains):
            assert a.annotations == b.annotations
            assert (a.t_start, a.t_stop, a.units) == (b.t_start, b.t_stop, b.units)
            np.testing.assert_array_equal(a.magnitude, b.magnitude)
        ag = sorted(sg.analogsignals, key=lambda s: s.name)
        aw = sorted(sw.analogsignals, key=lambda s: s.name)
        assert [s.name for s in ag] == [s.name for s in aw]
        for a, b in zip(ag, aw):
            assert (a.units, a.t_start, a.sampling_period, a.shape) == \
                (b.units, b.t_start, b.sampling_period, b.shape)
            np.testing.assert_array_equal(a.magnitude, b.magnitude)
            np.testing.assert_array_equal(a.annotations["channel_ids"],
                                          b.annotations["channel_ids"])
            np.testing.assert_array_equal(a.array_annotations["channel_index"],
                                          b.array_annotations["channel_index"])
            assert a.annotations["source_population"] == b.annotations["source_population"]


# --------------------------------------------------------------------------------------
# 1. the hook and the contract
# --------------------------------------------------------------------------------------
PROBE_PLUGIN = textwrap.dedent('''
    """A recorder plugin for the tests: keeps a log of every call."""
    from spinnframe import hookimpl
    from spinnframe.recording import DataRecorder
    from spinnframe.specs import RecorderSpec

    made = []

    class Probe(DataRecorder):
        def __init__(self, context, tag="none"):
            self.context, self.tag, self.log = context, tag, []
            made.append(self)
        def start_run(self, run): self.log.append(("start_run", run))
        def spikes(self, chunk): self.log.append(("spikes", chunk))
        def samples(self, chunk): self.log.append(("samples", chunk))
        def flush(self, step, t): self.log.append(("flush", step, t))
        def end_run(self, run): self.log.append(("end_run", run))
        def reset(self, segment): self.log.append(("reset", segment))
        def close(self): self.log.append(("close",))

    @hookimpl
    def spinnframe_recorders():
        return [RecorderSpec("probe", factory=Probe, description="logs every call")]
''')


@pytest.fixture
def probe_plugin(tmp_path, monkeypatch):
    """The installed plugins plus the probe recorder plugin (entry point 'probe')."""
    (tmp_path / "sf_probe_recorder.py").write_text(PROBE_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    old = plugins.get_manager()
    eps = list(metadata.entry_points(group="spinnframe")) + [
        EntryPoint("probe", "sf_probe_recorder", "spinnframe")]
    plugins.set_manager(plugins.PluginManager(eps))
    yield sys.modules.get("sf_probe_recorder") or __import__("sf_probe_recorder")
    if state.phase == "setup":
        sim.end()
    plugins.set_manager(old)
    sys.modules.pop("sf_probe_recorder", None)


def test_spinnframe_recorders_hook_registers_the_bundled_recorders():
    mgr = plugins.PluginManager()
    mgr.load()
    assert {"neo", "streaming"} <= set(mgr.recorders)
    assert mgr.provider("recorder", "neo").distribution == "spinnframe-neo-recorder"
    assert mgr.provider("recorder", "streaming").distribution == \
        "spinnframe-streaming-recorder"
    assert mgr.plugins["streaming_recorder"].kind == "recorders"
    with pytest.raises(PluginError, match="recorder 'nope' is not installed.*neo.*streaming"):
        mgr.recorder("nope")


def test_a_recorder_selected_by_name_gets_runs_chunks_resets_and_close(probe_plugin):
    sim.setup(timestep=0.1, recorders={"probe": {"tag": "t1"}})
    cells, noise = network(sampling_interval=0.5)
    cells[1:4].record("isyn_exc", sampling_interval=0.5)
    sim.run(2500.0)                          # 25 000 steps: three chunks
    sim.run(100.0)
    sim.reset(annotations={"trial": 1})
    sim.run(300.0)
    data = cells.get_data()
    inputs = noise.get_data()
    sim.end()
    (probe,) = probe_plugin.made
    assert probe.tag == "t1" and probe.name == "probe" and probe.context.dt == 0.1
    kinds = [e[0] for e in probe.log]
    assert kinds[0] == "start_run" and kinds[-1] == "close"
    assert kinds.count("start_run") == kinds.count("end_run") == 3
    assert kinds.count("reset") == 1 and kinds.count("close") == 1

    run = probe.log[0][1]
    assert (run.dt, run.segment, run.start_step, run.n_steps) == (0.1, 0, 0, 25000)
    assert run.t_stop == 2500.0
    info = {p.label: p for p in run.populations}
    c, n = info["cells"], info["cells_in"]
    assert (c.size, c.first_id, c.celltype, c.index) == (6, int(cells.first_id), "IF_curr_exp", 0)
    np.testing.assert_array_equal(c.spikes, np.arange(6))
    assert sorted(c.variables) == ["isyn_exc", "v"] and c.recorded == ("spikes", "isyn_exc", "v")
    v, isyn = c.variables["v"], c.variables["isyn_exc"]
    assert (v.unit, v.interval, v.origin) == ("mV", 5, 0) and (isyn.unit, isyn.interval) == ("nA", 5)
    np.testing.assert_array_equal(isyn.indices, [1, 2, 3])
    assert n.variables == {} and len(n.spikes) == 4

    # chunks: at most 10 000 steps, in time order, flushed as the run goes
    first_run = probe.log[:kinds.index("end_run")]
    flushes = [e[1] for e in first_run if e[0] == "flush"]
    assert flushes == [10000, 20000, 25000]
    for e in probe.log:
        if e[0] == "spikes":
            assert e[1].steps[-1] - e[1].steps[0] < MAX_CHUNK_STEPS
            assert (np.diff(e[1].steps) >= 0).all()
            np.testing.assert_array_equal(e[1].times, e[1].steps * 0.1)
        if e[0] == "samples":
            assert (len(e[1]) - 1) * e[1].interval < MAX_CHUNK_STEPS
    # the sample at t = 0 comes first, before any chunk of the run
    first_samples = [e[1] for e in first_run if e[0] == "samples"]
    assert first_samples[0].first_step == 0 and len(first_samples[0]) == 1

    # the reset: the segment, the time it reached and the annotations
    (seg,) = [e[1] for e in probe.log if e[0] == "reset"]
    assert (seg.number, seg.t_stop, seg.annotations) == (0, 2600.0, {"trial": 1})
    assert probe.log[kinds.index("reset") + 1][1].segment == 1

    # the chunks put together are what get_data() gives, segment by segment
    for k, segment in enumerate(data.segments):
        chunks = [e[1] for e in probe.log if e[0] == "spikes" and e[1].segment == k]
        mine = [x for x in chunks if x.label == "cells"]
        times = np.concatenate([x.times for x in mine])
        index = np.concatenate([x.indices for x in mine])
        for st in segment.spiketrains:
            np.testing.assert_array_equal(np.sort(times[index == st.annotations["source_index"]]),
                                          st.magnitude)
        samples = [e[1] for e in probe.log if e[0] == "samples" and e[1].segment == k
                   and e[1].variable == "v"]
        rows = np.concatenate([x.values for x in samples])
        steps = np.concatenate([x.steps for x in samples])
        assert (np.diff(steps) == 5).all()
        np.testing.assert_array_equal(rows, segment.filter(name="v")[0].magnitude)
    n_input = sum(len(x) for e in probe.log if e[0] == "spikes" and (x := e[1]).label ==
                  "cells_in")
    assert n_input == sum(len(st) for seg in inputs.segments for st in seg.spiketrains)


def test_a_recorder_added_between_runs_gets_data_from_the_next_run(probe_plugin):
    sim.setup(timestep=0.1)
    cells, _ = network()
    sim.run(50.0)
    probe = sim.add_recorder("probe", tag="late")
    assert probe in probe_plugin.made and probe.tag == "late"
    sim.run(50.0)
    starts = [e[1] for e in probe.log if e[0] == "samples"]
    assert starts[0].first_step == 500             # the sample at now, which it lacked
    v = np.concatenate([c.values for c in starts])
    want = cells.get_data().segments[0].filter(name="v")[0].magnitude
    np.testing.assert_array_equal(v, want[500:])


def test_selecting_recorders_mistakes_are_explained(probe_plugin, tmp_path):
    with pytest.raises(PluginError, match="recorder 'nope' is not installed.*probe"):
        sim.setup(recorders=["nope"])
    with pytest.raises(ValueError, match=r"recorder 'probe' \(plugin 'probe'\) does not "
                                         r"accept the options \{'colour': 1\}"):
        sim.setup(recorders={"probe": {"colour": 1}})
    with pytest.raises(ValueError, match="'neo' is the in-memory recorder"):
        sim.setup(recorders="neo")
    with pytest.raises(ValueError, match="recorders must be a recorder name"):
        sim.setup(recorders=42)
    with pytest.raises(ValueError, match="keep_in_memory must be True or False"):
        sim.setup(keep_in_memory="no")
    sim.setup(recorders="probe")
    with pytest.raises(ValueError, match="already attached"):
        sim.add_recorder("probe")
    with pytest.raises(TypeError, match="not a recorder"):
        sim.add_recorder(object())
    sim.setup(recorders={"streaming": {"directory": str(tmp_path / "rec")}})
    sim.end()
    with pytest.raises(FileExistsError, match="already holds a recording.*overwrite=True"):
        sim.setup(recorders={"streaming": {"directory": str(tmp_path / "rec")}})
    sim.setup(recorders={"streaming": {"directory": str(tmp_path / "rec"), "overwrite": True}})


def test_the_hub_cuts_long_deliveries_into_chunks():
    """A backend may deliver a whole run at once (the SpiNNaker backend does); recorders
    still get chunks of at most MAX_CHUNK_STEPS steps."""
    sim.setup(timestep=1.0)
    cells = sim.Population(3, sim.IF_curr_exp(), label="c")
    cells.record(["spikes", "v"])

    class Log(DataRecorder):
        def __init__(self):
            self.spans = []

        def spikes(self, chunk):
            self.spans.append(("spikes", int(chunk.steps[0]), int(chunk.steps[-1])))

        def samples(self, chunk):
            self.spans.append(("samples", chunk.first_step, int(chunk.steps[-1])))

    hub = RecordingHub(state, keep_in_memory=False)
    log = hub.add(Log())
    steps = np.arange(1, 35001, 7)
    hub.spikes(0, steps[::-1], np.zeros(len(steps), np.int64))        # unsorted too
    hub.samples(0, "v", 1, 2, np.arange(3), np.zeros((17500, 3)))
    spikes = [s for s in log.spans if s[0] == "spikes"]
    assert len(spikes) == 4 and all(b - a < MAX_CHUNK_STEPS for _, a, b in spikes)
    assert spikes[0][1] == 1 and spikes[-1][2] == steps[-1]
    samples = [s for s in log.spans if s[0] == "samples"]
    assert [s[1] for s in samples] == [1, 10001, 20001, 30001]
    assert all(b - a < MAX_CHUNK_STEPS for _, a, b in samples)


# --------------------------------------------------------------------------------------
# 2. memory, 4. the streaming recorder
# --------------------------------------------------------------------------------------
def long_network():
    """50 neurons whose v is recorded: 100 000 steps of data are 40 MB, ten chunks."""
    sim.setup(timestep=0.1, rng_seed=11)
    cells, noise = network(50, label="big", seed=3)
    return cells, noise


def test_keep_in_memory_false_streams_a_long_run_completely_in_bounded_memory(tmp_path):
    n_steps = 100_000
    kept = tmp_path / "kept"
    cells, noise = long_network()
    sim.add_recorder("streaming", directory=str(kept))
    sim.run(n_steps * 0.1)
    want = {"big": cells.get_data(), "big_in": noise.get_data()}
    sim.end()
    data_bytes = 50 * (n_steps + 1) * 8
    assert_blocks_equal(streaming.read_block(kept, "big"), want["big"])

    only_files = tmp_path / "only_files"      # the same network and seeds, kept nowhere
    sim.setup(timestep=0.1, rng_seed=11, keep_in_memory=False,
              recorders={"streaming": {"directory": str(only_files)}})
    cells, noise = network(50, label="big", seed=3)
    tracemalloc.start()
    try:
        sim.run(n_steps * 0.1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    chunk_bytes = 50 * MAX_CHUNK_STEPS * 8
    print(f"peak {peak / 1e6:.1f} MB while streaming {data_bytes / 1e6:.0f} MB")
    assert peak < 3 * chunk_bytes < data_bytes / 3, (peak, chunk_bytes, data_bytes)
    assert cells.recorder.store.signals == {} and cells.recorder.store.spike_index == []
    for call in (cells.get_data, lambda: cells.write_data(str(tmp_path / "x.pkl")),
                 cells.get_spike_counts, lambda: cells.spinnaker_get_data("v"),
                 lambda: cells[0:2].get_data()):
        with pytest.raises(RecordingError) as err:
            call()
        msg = str(err.value)
        assert "keep_in_memory=False" in msg and "'big'" in msg
        assert f"'streaming' (files in {only_files}" in msg
    sim.reset()                                   # no segment to keep in memory: fine
    sim.end()
    with pytest.raises(RecordingError, match="keep_in_memory=False"):
        cells.get_data()                          # after end() too
    got = streaming.read(only_files)
    assert set(got) == {"big", "big_in"}
    for label in got:          # the same data as the run kept in memory
        assert_blocks_equal(got[label], want[label])


def test_without_the_neo_recorder_get_data_needs_keep_in_memory_false(tmp_path):
    """The in-memory store is fed by the bundled neo recorder plugin: without it, a run
    that records says how to go on, and keep_in_memory=False with another recorder
    works."""
    old = plugins.get_manager()
    eps = [e for e in metadata.entry_points(group="spinnframe") if e.name != "neo_recorder"]
    plugins.set_manager(plugins.PluginManager(eps))
    try:
        sim.setup()
        p = sim.Population(2, sim.IF_curr_exp(i_offset=1.0), label="p")
        sim.run(1.0)                                   # records nothing: nothing needed
        p.record("spikes")
        with pytest.raises(PluginError, match=r"recorder 'neo' \(the bundled plugin "
                                              r"spinnframe-neo-recorder\), which is not "
                                              r"installed.*keep_in_memory=False"):
            sim.run(1.0)
        sim.setup(keep_in_memory=False,
                  recorders={"streaming": {"directory": str(tmp_path / "s")}})
        p = sim.Population(2, sim.IF_curr_exp(i_offset=1.0), label="p")
        p.record("spikes")
        sim.run(100.0)
        sim.end()
        assert sum(len(st) for st in streaming.read_block(tmp_path / "s", "p")
                   .segments[0].spiketrains) > 2
    finally:
        plugins.set_manager(old)


def test_keep_in_memory_false_without_recorders_warns_that_data_goes_nowhere():
    sim.setup(keep_in_memory=False)
    p = sim.Population(2, sim.IF_curr_exp(), label="p")
    p.record("v")
    with pytest.warns(RecorderWarning, match="not kept anywhere"):
        sim.run(1.0)
    with pytest.raises(RecordingError, match="no recorder was selected"):
        p.get_data()


def test_streaming_recorder_matches_get_data_across_runs_resets_and_views(tmp_path):
    sim.setup(timestep=0.1, recorders={"streaming": {"directory": str(tmp_path / "r")}})
    cells, noise = network(8, sampling_interval=0.3)
    cells.annotate(experiment="e1")
    other = sim.Population(5, sim.IF_curr_exp(i_offset=1.2), label="other")
    other[1:3].record(["spikes", "isyn_exc"])
    sim.run(700.0)
    late = sim.Population(3, sim.IF_curr_exp(i_offset=1.0), label="late")   # from 700 ms
    late.record(["v", "spikes"])
    sim.run(13.7)
    sim.reset(annotations={"condition": "B"})
    other[3:5].record("spikes")                   # more cells from the second segment on
    sim.run(250.0)
    blocks = {p.label: p.get_data() for p in (cells, noise, other, late)}
    sim.end()
    meta = streaming.read_meta(tmp_path / "r")
    assert meta["closed"] and [s["number"] for s in meta["segments"]] == [0, 1]
    got = streaming.read(tmp_path / "r")
    assert set(got) == set(blocks)
    for label, block in blocks.items():
        assert_blocks_equal(got[label], block)
    assert got["cells"].annotations["experiment"] == "e1"
    assert got["cells"].segments[0].annotations == {"condition": "B"}
    assert [len(s.spiketrains) for s in got["other"].segments] == [2, 4]
    assert got["late"].segments[0].filter(name="v")[0].t_start == 700.0 * pq.ms
    kinds = {r.kind for r in streaming.iter_records(tmp_path / "r", 0)}
    assert kinds == {"spikes", "samples", "end"}


def test_streaming_file_grows_while_the_run_goes_on(tmp_path):
    directory = tmp_path / "grow"
    sim.setup(timestep=0.1, recorders={"streaming": {"directory": str(directory)}})
    network(20)

    class Watch(DataRecorder):
        """Called after the streaming recorder: sees its file at each chunk boundary."""

        def __init__(self):
            self.sizes, self.running = [], False

        def start_run(self, run):
            self.running = True

        def flush(self, step, t):
            self.sizes.append((step, self.running,
                               (directory / "segment000.sfr").stat().st_size))

        def end_run(self, run):
            self.running = False

    watch = sim.add_recorder(Watch())
    sim.run(4000.0)
    assert [s for s, _, _ in watch.sizes] == [10000, 20000, 30000, 40000]
    assert all(running for _, running, _ in watch.sizes)
    sizes = [size for _, _, size in watch.sizes]
    assert sizes[0] > 20 * 10000 * 8 and all(b > a for a, b in zip(sizes, sizes[1:]))


# --------------------------------------------------------------------------------------
# 3. a recorder that fails
# --------------------------------------------------------------------------------------
class Failing(DataRecorder):
    def __init__(self, when="spikes"):
        self.when, self.calls, self.closed = when, 0, False

    def spikes(self, chunk):
        self.calls += 1
        if self.when == "spikes" and self.calls == 2:
            raise OSError("disk full")

    def close(self):
        self.closed = True
        if self.when == "close":
            raise RuntimeError("cannot close")


def test_a_failing_recorder_is_disabled_the_run_completes_and_run_raises(tmp_path):
    sim.setup(timestep=0.1, recorders={"streaming": {"directory": str(tmp_path / "s")}})
    cells, _ = network()
    bad = sim.add_recorder(Failing())
    with pytest.warns(RecorderWarning, match="recorder 'Failing' failed .*disk full"):
        with pytest.raises(RecorderError) as err:
            sim.run(3000.0)
    msg = str(err.value)
    assert "recorder 'Failing' failed during the run from 0 to 3000 ms (segment 0)" in msg
    assert "spikes() raised OSError: disk full" in msg and "disabled" in msg
    assert isinstance(err.value.__cause__, OSError)
    assert sim.get_current_time() == 3000.0       # the run went to its end
    assert bad.calls == 2                          # and the recorder got nothing more
    sim.run(100.0)                                 # later runs go on without it
    assert bad.calls == 2
    data = cells.get_data()                        # the other recorders have everything
    assert data.segments[0].filter(name="v")[0].shape == (31001, 6)
    sim.end()
    assert bad.closed                              # closed all the same
    assert_blocks_equal(streaming.read_block(tmp_path / "s", "cells"), data)


def test_a_recorder_failing_at_end_makes_end_raise_after_closing_the_others(tmp_path):
    sim.setup(recorders={"streaming": {"directory": str(tmp_path / "s")}})
    network()
    bad = sim.add_recorder(Failing("close"))
    sim.run(10.0)
    with pytest.warns(RecorderWarning), pytest.raises(RecorderError, match="cannot close"):
        sim.end()
    assert bad.closed and state.phase == "ended"
    assert streaming.read_meta(tmp_path / "s")["closed"]


# --------------------------------------------------------------------------------------
# 5. the neo recorder: get_data / write_data in neo's formats
# --------------------------------------------------------------------------------------
FORMATS = {".pkl": None, ".mat": "scipy", ".nix": "nixio", ".nwb": "pynwb"}


@pytest.mark.filterwarnings("ignore::FutureWarning")     # pynwb, called by neo's NWBIO
@pytest.mark.parametrize("ext", list(FORMATS))
def test_write_data_in_each_neo_format_reads_back(ext, tmp_path):
    needs = FORMATS[ext]
    if needs and importlib.util.find_spec(needs) is None:
        pytest.skip(f"neo writes {ext} files with {needs}, which is not installed "
                    f"(pip install {needs})")
    sim.setup(timestep=0.1)
    cells, _ = network()
    sim.run(200.0)
    want = cells.get_data().segments[0]
    path = tmp_path / f"data{ext}"
    cells.write_data(str(path))
    sim.end()
    io = neo.io.NWBIO(str(path), mode="r") if ext == ".nwb" else neo.io.get_io(str(path))
    try:
        seg = io.read_block().segments[0]
    finally:
        if hasattr(io, "close"):
            io.close()
    (v,) = [s for s in seg.analogsignals if s.name.split()[-2:-1] == ["v"] or s.name == "v"]
    want_v = want.filter(name="v")[0]
    np.testing.assert_allclose(np.asarray(v.rescale("mV")), want_v.magnitude, rtol=0,
                               atol=1e-12)
    assert float(v.sampling_period.rescale("ms")) == pytest.approx(0.1)
    trains = sorted(seg.spiketrains, key=lambda st: float(st[0]) if len(st) else 1e9)
    wanted = sorted(want.spiketrains, key=lambda st: float(st[0]) if len(st) else 1e9)
    assert len(trains) == len(wanted) == 6
    for a, b in zip(trains, wanted):
        np.testing.assert_allclose(a.rescale("ms").magnitude, b.magnitude, atol=1e-12)
    if ext in (".pkl", ".mat", ".nix"):            # these keep PyNN's annotations
        assert {int(st.annotations["source_index"]) for st in seg.spiketrains} == set(range(6))


# --------------------------------------------------------------------------------------
# 6. the example UDP recorder, installed with pip, selected from a PyNN script
# --------------------------------------------------------------------------------------
UDP_SCRIPT = textwrap.dedent('''
    """A PyNN script: only the import and the recorder choice are spinnframe's."""
    import sys, time
    import numpy as np
    import spinnframe.pyNN as sim

    port = int(sys.argv[1])
    sim.setup(timestep=0.1, recorders={"udp_spikes": {"port": port}})
    bulk = sim.Population(2000, sim.IF_curr_exp(i_offset=0.5), label="bulk")  # load
    cells = sim.Population(10, sim.IF_curr_exp(i_offset=np.linspace(1.0, 2.0, 10)),
                           label="cells")
    cells.record("spikes")
    started = time.time()
    sim.run(10000.0)                       # 100 000 steps: ten chunks
    returned = time.time()
    trains = cells.get_data().segments[0].spiketrains
    np.savez(sys.argv[2], started=started, returned=returned,
             index=np.concatenate([np.full(len(t), t.annotations["source_index"])
                                   for t in trains]),
             times=np.concatenate([t.magnitude for t in trains]),
             module=sys.modules["spinnframe_udp_spikes"].__file__)
    sim.end()
''')


def pip_install(source: Path, target: Path) -> None:
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
           str(target), str(source)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")


def test_udp_example_installed_with_pip_streams_spikes_while_the_run_goes(tmp_path):
    src = tmp_path / "src"          # a copy: building in place would leave build/ behind
    shutil.copytree(UDP_EXAMPLE, src, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__"))
    site = tmp_path / "site"
    pip_install(src, site)
    shutil.rmtree(src / "spinnframe_udp_spikes")          # only the installed copy is left
    dist = next(site.glob("spinnframe_udp_spikes-*.dist-info"))
    assert not json.loads((dist / "direct_url.json").read_text()).get(
        "dir_info", {}).get("editable", False)

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind(("127.0.0.1", 0))                           # an ephemeral port, loopback only
    sock.settimeout(0.5)
    port = sock.getsockname()[1]
    received, stop = [], threading.Event()

    def listen():
        deadline = time.monotonic() + 120
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                data = sock.recv(65536)
            except socket.timeout:
                continue
            received.append((time.time(), json.loads(data)))
            if received[-1][1]["type"] == "close":
                return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    script = tmp_path / "udp_network.py"
    script.write_text(UDP_SCRIPT)
    out = tmp_path / "result.npz"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(site)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    try:
        run = subprocess.run([sys.executable, str(script), str(port), str(out)],
                             capture_output=True, text=True, env=env, cwd=tmp_path,
                             timeout=180)
        listener.join(timeout=10)
    finally:
        stop.set()
        listener.join(timeout=5)
        sock.close()
    assert run.returncode == 0, run.stderr
    got = np.load(out)
    assert Path(str(got["module"])).is_relative_to(site)
    messages = [m for _, m in received]
    assert [m["seq"] for m in messages] == list(range(len(messages))), "datagrams lost"
    assert [m["type"] for m in messages][0] == "start" and messages[-1]["type"] == "close"
    assert messages[0]["populations"] == {"cells": 10}
    spikes = [(t, m) for t, m in received if m["type"] == "spikes"]
    # spikes arrived while run() was still running: before it returned, from several chunks
    early = [m for t, m in spikes if t < float(got["returned"])]
    assert early, "no spikes arrived before run() returned"
    assert len({int(max(m["times"]) // 1000.0) for m in early}) >= 2
    # and what arrived is exactly get_data()'s spikes
    index = np.concatenate([m["indices"] for _, m in spikes])
    times = np.concatenate([m["times"] for _, m in spikes])
    order = np.lexsort((times, index))
    want = np.lexsort((got["times"], got["index"]))
    np.testing.assert_array_equal(index[order], got["index"][want])
    np.testing.assert_array_equal(times[order], got["times"][want])
    assert len(times) > 1000
    print(f"{len(early)} of {len(spikes)} spike datagrams before run() returned; run took "
          f"{float(got['returned'] - got['started']):.2f} s")


def test_the_recorder_guide_is_linked_and_covers_the_interface():
    guide = (ROOT / "docs" / "plugins" / "writing-a-recorder.md").read_text()
    assert "docs/plugins/writing-a-recorder.md" in (ROOT / "README.md").read_text()
    for method in ("start_run", "spikes", "samples", "flush", "end_run", "reset", "close",
                   "destination"):
        assert f"{method}(" in guide, method
        assert callable(getattr(DataRecorder, method))
    for word in ("keep_in_memory=False", "add_recorder", "RecorderError", "spinnframe_recorders",
                 "pip install --no-deps --target"):
        assert word in guide, word
