"""The benchmark report's arithmetic (benchmarks/report.py), on made-up results: no
simulator runs here, and nothing is timed."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

REPORT = Path(__file__).resolve().parent.parent / "benchmarks" / "report.py"


@pytest.fixture(scope="module")
def report():
    spec = importlib.util.spec_from_file_location("sf_bench_report", REPORT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _results(times):
    """times: {(threads, repeat): run_s} for one benchmark and simulator."""
    runs = [{"bench": "va20000", "sim": "spinnframe", "threads": t, "repeat": r,
             "status": "ok", "result": {"run_s": v}} for (t, r), v in times.items()]
    runs.append({"bench": "va20000", "sim": "spinnframe", "threads": 2, "repeat": 3,
                 "status": "timeout", "reason": "600 s"})
    return {"threads": [1, 2], "sims": ["spinnframe"], "runs": runs,
            "benchmarks": [{"id": "va20000", "label": "VA CUBA 20000"}]}


def test_thread_ratios_are_paired_by_round(report):
    # round 1 ran while another program held a core: both thread counts slow
    times = {(1, 0): 0.20, (2, 0): 0.10, (1, 1): 0.40, (2, 1): 0.25,
             (1, 2): 0.22, (2, 2): 0.11, (1, 3): 0.21}
    (row,) = report.thread_scaling(_results(times))
    assert row["n_rounds"] == 3                 # round 3 has no 2-thread run
    assert row["paired"] == pytest.approx([2.0, 1.6, 2.0])
    assert row["paired_median"] == pytest.approx(2.0)
    assert row["ratio_of_medians"] == pytest.approx(0.215 / 0.11)
    table = report._thread_table(_results(times))
    assert "| VA CUBA 20000 | sf | 2 |" in table and "1.60-2.00" in table


def test_no_thread_table_without_a_one_thread_run(report):
    times = {(2, 0): 0.1, (2, 1): 0.1}
    res = _results(times)
    res["threads"] = [2]
    assert report.thread_scaling(res) == []
    assert report._thread_table(res) == ""


def test_each_rounds_ratio_beside_the_core_check_before_it(report):
    times = {(1, 0): 0.20, (2, 0): 0.10, (1, 1): 0.40, (2, 1): 0.25}
    res = _results(times)
    res["cores_rounds"] = {"va20000:0": {"status": "ok", "stepped_2x": 1.95},
                           "va20000:1": {"status": "failed", "reason": "no C compiler"}}
    (row,) = report.thread_scaling(res)
    assert row["stepped_2x"] == [1.95, None]
    table = report._thread_table(res)
    assert "| 2.00 1.60 | 1.95 – |" in table
    assert "core check" not in report._thread_table(_results(times))
