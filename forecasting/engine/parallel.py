"""How many cores per-series work may use, and one level of parallelism at a time.

Every model that spreads work (statsforecast over series, Prophet per series, LightGBM
threads, calibration refits) asks :func:`n_jobs` how many workers to use, so one
setting governs them all:

* ``SHOPCAST_N_JOBS`` in the environment (``1`` = everything in this process, one
  thread; ``-1`` or unset = every core ``os.cpu_count()`` reports);
* inside a worker started by :func:`run_batches` (or any caller's worker wrapped in
  :func:`single_level`) it is always 1: the work is already spread over processes, so
  the libraries inside must not start threads or pools of their own (2 processes x 2
  threads on 2 cores only makes them wait for each other).

:func:`run_batches` runs a function over batches of series, in order, in a pool of
processes (joblib's loky: fresh interpreters, safe in the Streamlit server process and
on the CLI alike) or in this process when one worker is asked for, and reports
progress after every batch. Each series is fitted on its own, so the results do not
depend on the number of workers or the batching.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

ENV = "SHOPCAST_N_JOBS"
WORKER_ENV = "SHOPCAST_IN_WORKER"  # set inside single_level(): nested work stays serial
# Batches per worker: enough for a progress bar that moves and for a slow batch not to
# leave the other core idle at the end, few enough that the per-batch overhead is nil.
BATCHES_PER_JOB = 8
MIN_BATCHES = 8
# A worker process costs seconds to start (Python, pandas and the model library
# imported afresh): below this many series per worker, one process is faster.
MIN_SERIES_PER_JOB = 16
# For models whose cost grows with the history (statsforecast's AutoETS/AutoTheta fit
# 0.4-0.7 CPU-s per 3-year daily series): a worker is worth starting for this many points
# (about four such series). 30 SKUs x 3 years of daily sales then use both cores of a
# 2-core machine (single process: ETS 40 s / Theta 74 s of an ``auto`` inner backtest;
# two: 26 / 43 s), while 30 short weekly series stay in one process.
MIN_POINTS_PER_JOB = 4000

T = TypeVar("T")
R = TypeVar("R")
Progress = Callable[[float, str], None]


def n_jobs(requested: int | None = None) -> int:
    """The number of workers (processes or threads) for per-series work.

    Args:
        requested: an explicit count (a model parameter); ``None`` reads
            ``SHOPCAST_N_JOBS``; ``-1``/``0``/unset means every core. Inside a worker
            (:func:`single_level`) the answer is 1 whatever is requested.

    Returns:
        At least 1, at most ``os.cpu_count()``; 1 inside a :func:`single_level` block
        (e.g. a worker of :func:`run_batches`).
    """
    cores = os.cpu_count() or 1
    if os.environ.get(WORKER_ENV):
        return 1
    value = requested
    if value is None:
        text = os.environ.get(ENV, "").strip()
        try:
            value = int(text) if text else -1
        except ValueError:
            value = -1
    if value <= 0:
        value = cores
    return max(1, min(int(value), cores))


def jobs_for(n_series: int, min_per_job: int = MIN_SERIES_PER_JOB) -> int:
    """Workers worth starting for ``n_series`` series: :func:`n_jobs`, but no more than
    one per ``min_per_job`` series (at least 1)."""
    return max(1, min(n_jobs(), int(n_series) // max(1, int(min_per_job))))


def jobs_for_points(n_series: int, n_points: int) -> int:
    """:func:`jobs_for` when a series' cost grows with its length: one worker per
    ``MIN_POINTS_PER_JOB`` points of history, or one per ``MIN_SERIES_PER_JOB`` series,
    whichever gives more workers (never more than one per series)."""
    per_series = max(1.0, n_points / max(1, n_series))
    need = min(MIN_SERIES_PER_JOB, max(1, math.ceil(MIN_POINTS_PER_JOB / per_series)))
    return jobs_for(n_series, need)


@contextmanager
def single_level() -> Iterator[None]:
    """Inside the block :func:`n_jobs` is 1 (what a worker of a pool must use).

    Sets ``SHOPCAST_N_JOBS=1`` and ``SHOPCAST_IN_WORKER=1`` (and restores them), so
    nested models and libraries see it too, even a model given an explicit thread
    count. A Dask worker running a batch of series wraps it in this block.
    """
    old = {k: os.environ.get(k) for k in (ENV, WORKER_ENV)}
    os.environ.update({ENV: "1", WORKER_ENV: "1"})
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def batches(items: Sequence[T], jobs: int, size: int | None = None) -> list[list[T]]:
    """``items`` cut into consecutive batches for ``jobs`` workers.

    About ``BATCHES_PER_JOB`` batches per worker (at least ``MIN_BATCHES``), each at
    most ``size`` items when given; never an empty batch.
    """
    items = list(items)
    if not items:
        return []
    count = max(MIN_BATCHES, BATCHES_PER_JOB * max(1, jobs))
    step = max(1, math.ceil(len(items) / count))
    if size:
        step = min(step, max(1, int(size)))
    return [items[i : i + step] for i in range(0, len(items), step)]


def in_worker(fn: Callable[[T], R], item: T) -> R:
    """``fn(item)`` inside :func:`single_level`: what a pool's task runs (joblib here, or a
    Dask worker for the distributed engine)."""
    with single_level():
        return fn(item)


def run_batches(
    fn: Callable[[T], R],
    items: Sequence[T],
    *,
    jobs: int | None = None,
    sizes: Sequence[int] | None = None,
    progress: Progress | None = None,
) -> list[R]:
    """``[fn(item) for item in items]``, spread over ``n_jobs(jobs)`` processes.

    Args:
        fn: a picklable function (module level) of one batch.
        items: the batches.
        jobs: workers (see :func:`n_jobs`); one worker runs everything in this process.
        sizes: series per batch, for the progress label (default 1 per batch).
        progress: ``callback(fraction, "done/total")`` after every batch, in order.

    Returns:
        The results in the order of ``items``.
    """
    items = list(items)
    sizes = list(sizes) if sizes is not None else [1] * len(items)
    total = max(1, sum(sizes))
    workers = min(n_jobs(jobs), len(items))
    done = 0

    def tell(i: int) -> None:
        nonlocal done
        done += sizes[i]
        if progress:
            progress(done / total, f"{done}/{total}")

    out: list[R] = []
    if workers <= 1:
        for i, item in enumerate(items):
            out.append(fn(item))
            tell(i)
        return out
    from joblib import Parallel, delayed

    pool = Parallel(n_jobs=workers, backend="loky", return_as="generator")
    for i, res in enumerate(pool(delayed(in_worker)(fn, item) for item in items)):
        out.append(res)
        tell(i)
    return out


class Eta:
    """Time left from a growing fraction done (for progress labels).

    ``remaining(frac)`` starts the clock on its first call (and again when the
    fraction goes back, i.e. a new task); it returns None until there is enough
    to extrapolate from (some progress and a second elapsed).
    """

    def __init__(self) -> None:
        self.start: float | None = None
        self.last = 0.0

    def remaining(self, frac: float, now: float | None = None) -> float | None:
        now = time.monotonic() if now is None else now
        frac = min(max(float(frac), 0.0), 1.0)
        if self.start is None or frac < self.last:
            self.start = now
        self.last = frac
        elapsed = now - self.start
        if frac <= 0.0 or frac >= 1.0 or elapsed < 1.0:
            return None
        return elapsed * (1.0 - frac) / frac


def clock(seconds: float) -> str:
    """``65.2`` -> ``"1:05"``, ``3725`` -> ``"1:02:05"`` (language-neutral)."""
    s = max(0, int(round(seconds)))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
