"""The progress line for long runs."""
import io

import pytest

import spinnframe.pyNN as sim
from spinnframe import progress
from spinnframe.progress import Progress


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_line_appears_after_a_few_seconds_with_eta():
    out, clock = io.StringIO(), Clock()
    bar = Progress(10000, "run", 0.1, "ms", stream=out, clock=clock)
    bar.update(100)
    assert out.getvalue() == ""                 # quick runs stay silent
    clock.t = 4.0
    bar.update(4000)                            # 40 % after 4 s: 6 s to go
    text = out.getvalue()
    assert "run  40%" in text and "400/1000 ms" in text and "ETA 6.0 s" in text
    clock.t = 4.1
    bar.update(4100)
    assert out.getvalue() == text               # not redrawn more than twice a second
    clock.t = 10.0
    bar.update(10000)
    bar.close()
    assert "100%" in out.getvalue() and out.getvalue().endswith("\n")


def test_switches(monkeypatch):
    monkeypatch.delenv("SPINNFRAME_PROGRESS", raising=False)
    assert progress.enabled(False) is False and progress.enabled(True) is True
    assert progress.enabled(None, io.StringIO()) is False       # not a terminal
    monkeypatch.setenv("SPINNFRAME_PROGRESS", "1")
    assert progress.enabled(None, io.StringIO()) is True
    monkeypatch.setenv("SPINNFRAME_PROGRESS", "0")
    assert progress.enabled(None) is False


def test_a_long_run_reports_progress(monkeypatch, capsys):
    monkeypatch.setattr(progress, "SHOW_AFTER", 0.0)
    monkeypatch.setattr(progress, "REDRAW", 0.0)
    sim.setup(timestep=0.1, progress=True)
    try:
        sim.Population(10, sim.IF_curr_exp(i_offset=1.0))
        sim.run(3000.0)                          # 30000 steps: three engine chunks
    finally:
        sim.end()
    err = capsys.readouterr().err
    assert err.count("[spinnframe] run") >= 3 and "100%" in err


def test_build_line_estimates_the_time_left(monkeypatch):
    out, clock = io.StringIO(), Clock()
    monkeypatch.setattr(progress, "_SECONDS_PER_CONNECTION", [1e-6])
    bar = progress.BuildProgress("Projection 'a -> b'", 4e6, stream=out, clock=clock)
    bar.draw()
    assert out.getvalue() == ""                 # quick builds stay silent
    clock.t = 3.0                               # 4 M connections at 1 us: 4 s, 1 s to go
    bar.draw()
    text = out.getvalue()
    assert "Projection 'a -> b'  75%" in text and "~4 M connections" in text
    assert "elapsed 3.0 s" in text and "ETA 1.0 s" in text
    unknown = progress.BuildProgress("Projection 'c'", None, stream=out, clock=clock)
    clock.t = 10.0
    unknown.draw()
    assert "Projection 'c': building, elapsed 7.0 s" in out.getvalue()


def test_a_long_projection_reports_progress(monkeypatch, capsys):
    """A Projection() that takes a while shows the line from a background thread (its work
    is a few long array operations), ends it with what was made, and learns the rate."""
    monkeypatch.setattr(progress, "SHOW_AFTER", 0.0)
    monkeypatch.setattr(progress, "REDRAW", 0.0)
    monkeypatch.setattr(progress, "_SECONDS_PER_CONNECTION", [1e-6])
    sim.setup(timestep=0.1, progress=True)
    try:
        a = sim.Population(2000, sim.SpikeSourcePoisson(rate=1.0))
        b = sim.Population(2000, sim.IF_curr_exp())
        sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(
            weight=sim.RandomDistribution("uniform", (0.0, 1.0)), delay=0.5), label="big")
    finally:
        sim.end()
    err = capsys.readouterr().err
    assert "[spinnframe] Projection 'big'" in err and "~4 M connections" in err
    assert "ETA" in err and "4,000,000 connections in" in err
    assert progress._SECONDS_PER_CONNECTION[0] < 1e-6       # learnt: faster than 1 us
    sim.setup(timestep=0.1, progress=False)
    try:
        a = sim.Population(2000, sim.SpikeSourcePoisson(rate=1.0))
        b = sim.Population(2000, sim.IF_curr_exp())
        sim.Projection(a, b, sim.AllToAllConnector(), label="quiet")
    finally:
        sim.end()
    assert "[spinnframe]" not in capsys.readouterr().err
