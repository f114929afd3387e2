"""The worker count, one level of parallelism, batches in a process pool, the ETA clock."""

from __future__ import annotations

import os

import pytest

from forecasting.engine import parallel


def test_n_jobs_reads_the_environment_and_caps_at_the_cores(monkeypatch):
    cores = os.cpu_count() or 1
    monkeypatch.delenv(parallel.ENV, raising=False)
    monkeypatch.delenv(parallel.WORKER_ENV, raising=False)
    assert parallel.n_jobs() == cores  # default: every core
    monkeypatch.setenv(parallel.ENV, "1")
    assert parallel.n_jobs() == 1
    monkeypatch.setenv(parallel.ENV, "999")
    assert parallel.n_jobs() == cores
    monkeypatch.setenv(parallel.ENV, "-1")
    assert parallel.n_jobs() == cores
    monkeypatch.setenv(parallel.ENV, "not a number")
    assert parallel.n_jobs() == cores
    assert parallel.n_jobs(1) == 1  # an explicit request wins over the environment


def test_long_histories_get_workers_sooner_than_short_ones(monkeypatch):
    monkeypatch.setenv(parallel.ENV, "2")
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    # 30 SKUs x 3 years of daily sales: worth both cores (by count alone: one process)
    assert parallel.jobs_for(30) == 1
    assert parallel.jobs_for_points(30, 30 * 1096) == 2
    # 30 short weekly series: one process, as by count
    assert parallel.jobs_for_points(30, 30 * 100) == 1
    # never fewer workers than by count, never more than one per series
    assert parallel.jobs_for_points(40, 40 * 10) == parallel.jobs_for(40) == 2
    assert parallel.jobs_for_points(1, 100_000) == 1


def test_inside_a_worker_everything_is_serial(monkeypatch):
    monkeypatch.setenv(parallel.ENV, "2")
    with parallel.single_level():
        assert parallel.n_jobs() == 1
        assert parallel.n_jobs(2) == 1  # even an explicit thread count
    assert os.environ[parallel.ENV] == "2"  # restored
    assert parallel.WORKER_ENV not in os.environ


def test_batches_cover_every_item_once_in_order():
    items = list(range(103))
    parts = parallel.batches(items, jobs=2)
    assert [x for p in parts for x in p] == items
    assert len(parts) >= parallel.MIN_BATCHES and all(parts)
    assert parallel.batches([], 2) == []
    assert parallel.batches([1, 2, 3], 2) == [[1], [2], [3]]


def worker_view(x: int) -> tuple[int, int, int]:
    """Run in a pool worker: the value, its square, and the worker's n_jobs()."""
    return x, x * x, parallel.n_jobs()


@pytest.mark.parametrize("jobs", [1, 2])
def test_run_batches_keeps_order_reports_progress_and_stays_one_level(jobs):
    seen: list[tuple[float, str]] = []
    out = parallel.run_batches(
        worker_view,
        [3, 1, 2, 5],
        jobs=jobs,
        sizes=[2, 1, 1, 4],
        progress=lambda f, s: seen.append((f, s)),
    )
    assert [o[:2] for o in out] == [(3, 9), (1, 1), (2, 4), (5, 25)]
    assert [s for _, s in seen] == ["2/8", "3/8", "4/8", "8/8"]
    assert [f for f, _ in seen] == sorted(f for f, _ in seen) and seen[-1][0] == 1.0
    if jobs > 1 and (os.cpu_count() or 1) > 1:
        assert {o[2] for o in out} == {1}  # workers do not start pools of their own


def test_eta_extrapolates_the_pace_and_restarts_on_a_new_task():
    eta = parallel.Eta()
    assert eta.remaining(0.0, now=100.0) is None  # clock starts
    assert eta.remaining(0.25, now=110.0) == pytest.approx(30.0)  # 10 s for a quarter
    assert eta.remaining(0.5, now=120.0) == pytest.approx(20.0)
    assert eta.remaining(0.1, now=130.0) is None  # went back: a new task, clock restarts
    assert eta.remaining(0.2, now=140.0) == pytest.approx(40.0)
    assert parallel.clock(65.2) == "1:05" and parallel.clock(3725) == "1:02:05"


def test_a_pool_works_from_a_script_thread_as_in_the_streamlit_server():
    """Streamlit runs a page's script in a thread of the server process: the pool must
    start (and give the same results) from there too."""
    import threading

    box: dict = {}

    def script() -> None:
        box["out"] = parallel.run_batches(worker_view, [4, 6], jobs=2)

    th = threading.Thread(target=script)
    th.start()
    th.join(timeout=120)
    assert [o[:2] for o in box["out"]] == [(4, 16), (6, 36)]
