"""Seeded panels that stress what real shops have and the dev sets lack.

Each returns ``(frame, freq, h, season)`` in the data contract (``unique_id, ds, y``),
no drivers: these are the series where Shopcast has nothing but the history to go on.
With ``truth=True`` the frame also carries the process's true conditional ``mean`` and
``median`` of ``y`` on each day (the same draws: ``y`` is unchanged), from which
``benchmarks/oracle.py`` computes the best WAPE any forecast could expect.

- ``intermittent``: daily item sales, mostly zeros (Bernoulli demand x a weekly shape).
- ``new_items``: daily SKUs, half launched 60–150 days before the end (short histories).
- ``declining``: daily shop totals with a falling trend and weekly/yearly season.
- ``level_shift``: daily series whose level steps up or down by 30–60% at a random date
  in the last third of the history.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from forecasting.schema import DS, ID, Y

END = pd.Timestamp("2024-06-30")
DAYS = 3 * 365


def _days(n: int, end: pd.Timestamp = END) -> pd.DatetimeIndex:
    return pd.date_range(end=end, periods=n, freq="D")


def _weekly(t: np.ndarray, phase: float, amp: float) -> np.ndarray:
    return 1 + amp * np.sin(2 * np.pi * (t + phase) / 7)


def intermittent(n_series: int | None = None, seed: int = 11, truth: bool = False):
    """Mostly-zero daily demand (20–45% of days sell), sizes 1–6 units."""
    rng = np.random.default_rng(seed)
    ds = _days(2 * 365)
    t = np.arange(len(ds))
    frames = []
    for i in range(n_series or 40):
        p = rng.uniform(0.08, 0.45) * _weekly(t, rng.uniform(0, 7), 0.3)
        lam = rng.uniform(1, 5)
        size = rng.poisson(lam, len(ds)) + 1
        y = (rng.random(len(ds)) < p) * size
        frame = pd.DataFrame({ID: f"item{i:03d}", DS: ds, Y: y.astype(float)})
        if truth:
            # y = sale (prob p) x (1 + Poisson(lam)): median 0 while p <= 1/2, else the size
            # quantile that brings P(y <= k) = 1 - p + p P(size <= k) to 1/2
            q = np.clip((p - 0.5) / p, 0, 1)
            median = np.where(p <= 0.5, 0.0, 1 + stats.poisson.ppf(q, lam))
            frame = frame.assign(mean=p * (lam + 1), median=median)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True), "D", 28, 7


def new_items(n_series: int | None = None, seed: int = 12, truth: bool = False):
    """Half the SKUs have 3 years of history, half were launched 60–150 days ago."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n_series or 40):
        n = DAYS if i % 2 == 0 else int(rng.integers(60, 151))
        ds = _days(n)
        t = np.arange(n)
        base = rng.uniform(20, 200)
        ramp = 1 - np.exp(-(t + 5) / rng.uniform(10, 40)) if i % 2 else np.ones(n)
        level = base * ramp * _weekly(t, rng.uniform(0, 7), 0.25)
        rate = np.maximum(level, 0.1)
        y = rng.poisson(rate)
        frame = pd.DataFrame({ID: f"sku{i:03d}", DS: ds, Y: y.astype(float)})
        if truth:
            frame = frame.assign(mean=rate, median=stats.poisson.median(rate))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True), "D", 28, 7


def declining(n_series: int | None = None, seed: int = 13, truth: bool = False):
    """Shop totals losing 20–60% a year, with weekly and yearly season and noise."""
    rng = np.random.default_rng(seed)
    ds = _days(DAYS)
    t = np.arange(DAYS)
    frames = []
    for i in range(n_series or 25):
        base = rng.uniform(500, 5000)
        decay = np.exp(np.log(1 - rng.uniform(0.2, 0.6)) * t / 365)
        yearly = 1 + 0.15 * np.sin(2 * np.pi * (t + rng.uniform(0, 365)) / 365.25)
        level = base * decay * yearly * _weekly(t, rng.uniform(0, 7), 0.2)
        y = np.maximum(0, level * (1 + rng.normal(0, 0.08, DAYS)))
        frame = pd.DataFrame({ID: f"shop{i:02d}", DS: ds, Y: y})
        # symmetric noise 12 standard deviations from the floor: mean = median = level
        frames.append(frame.assign(mean=level, median=level) if truth else frame)
    return pd.concat(frames, ignore_index=True), "D", 28, 7


def level_shift(n_series: int | None = None, seed: int = 14, truth: bool = False):
    """A permanent step of -60%..+60% somewhere in the last third of the history."""
    rng = np.random.default_rng(seed)
    ds = _days(DAYS)
    t = np.arange(DAYS)
    frames = []
    for i in range(n_series or 30):
        base = rng.uniform(50, 800)
        at = int(rng.integers(2 * DAYS // 3, DAYS - 35))
        step = rng.choice([-1, 1]) * rng.uniform(0.3, 0.6)
        level = base * np.where(t >= at, 1 + step, 1.0) * _weekly(t, rng.uniform(0, 7), 0.25)
        y = np.maximum(0, level * (1 + rng.normal(0, 0.1, DAYS)))
        frame = pd.DataFrame({ID: f"s{i:02d}", DS: ds, Y: y})
        # symmetric noise 10 standard deviations from the floor: mean = median = level
        frames.append(frame.assign(mean=level, median=level) if truth else frame)
    return pd.concat(frames, ignore_index=True), "D", 28, 7


GENERATED = {
    "intermittent": intermittent,
    "new_items": new_items,
    "declining": declining,
    "level_shift": level_shift,
}
