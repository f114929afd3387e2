"""Rolling-origin backtests in the forecast contract (+ ``cutoff``, ``y``).

For each of ``n_windows`` cut-offs, every model is refitted on the history up
to the cut-off (never seeing later data) and forecasts the next ``h`` periods
with the drivers really in force then — drivers such as the promotion calendar
and planned prices are known in advance, exactly as in production.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from forecasting.errors import ShopcastError
from forecasting.schema import CUTOFF, DS, ID, Y, future_dates

Progress = Callable[[float, str], None]


def cutoffs(history: pd.DataFrame, h: int, n_windows: int, freq: str,
            step: int | None = None) -> list[pd.Timestamp]:
    """Common cut-off dates, oldest first: the last window ends at the last date."""
    step = step or h
    last = history[DS].max()
    dates = pd.date_range(end=last, periods=h + step * (n_windows - 1) + 1, freq=freq)
    return [dates[-1 - h - step * k] for k in reversed(range(n_windows))]


def cross_validation(
    history: pd.DataFrame,
    freq: str,
    models: Sequence[str],
    h: int,
    n_windows: int = 3,
    step: int | None = None,
    levels: Sequence[int] = (80, 95),
    model_params: dict[str, dict] | None = None,
    seed: int = 0,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Backtest ``models`` over ``n_windows`` rolling origins.

    Returns:
        ``unique_id, ds, cutoff, y`` and each model's columns (point + bands).
        A model that fails on a window leaves NaN there rather than aborting.
    """
    from forecasting.models import create

    if n_windows < 1:
        raise ShopcastError("bad_windows", n=n_windows)
    cuts = cutoffs(history, h, n_windows, freq, step)
    if cuts[0] <= history[DS].min():
        raise ShopcastError("backtest_too_long", h=h, windows=n_windows)
    model_params = model_params or {}
    out = []
    total = len(cuts) * len(models)
    done = 0
    for cut in cuts:
        past = history[history[DS] <= cut]
        window_dates = future_dates(cut, h, freq)
        actual = history[history[DS].isin(window_dates)]
        frame = actual[[ID, DS, Y]].assign(**{CUTOFF: cut})
        fut = actual.drop(columns=[Y])
        for name in models:
            if progress:
                progress(done / total, f"{name} @ {cut.date()}")
            try:
                m = create(name, seed=seed, **model_params.get(name, {}))
                m.fit(past, freq=freq)
                fc = m.predict(h, future=fut, level=list(levels))
                frame = frame.merge(fc, on=[ID, DS], how="left")
            except ShopcastError:
                pass
            done += 1
        out.append(frame)
    if progress:
        progress(1.0, "done")
    res = pd.concat(out, ignore_index=True)
    first = [ID, DS, CUTOFF, Y]
    return res[first + [c for c in res.columns if c not in first]]
