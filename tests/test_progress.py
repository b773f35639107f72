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
