"""Ready-made festival scenarios (618, Double-11, Double-12) and discount labels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from forecasting.planning.scenarios.spec import Scenario

PRESET_FESTIVALS = ("618", "double11", "double12")
PRESET_DISCOUNT = {"618": 0.25, "double11": 0.25, "double12": 0.20}
# Presets: the last MAIN_SALE_DAYS days before the peak, the peak and the days after it are
# the "main sale" window; the earlier part of the festival window is the presale.
MAIN_SALE_DAYS = 3


def discount_label(discount: float, lang: str = "zh") -> str:
    """``0.25`` -> ``"7.5折"`` (zh) or ``"25% off"`` (en)."""
    if lang == "zh":
        return f"{round((1 - discount) * 10, 2):g}折"
    return f"{round(discount * 100, 1):g}% off"


def presets(
    when: int | tuple[Any, Any] | Sequence[Any] | pd.DatetimeIndex,
    lang: str = "zh",
    festivals: Sequence[str] = PRESET_FESTIVALS,
    discount: float | Mapping[str, float] | None = None,
    windows: Mapping[str, tuple[int, int]] | None = None,
) -> list[Scenario]:
    """Ready-made 618 / Double-11 / Double-12 scenarios from the festival calendar.

    Each preset's effective window is exactly the festival window of
    ``forecasting.data.festivals`` (editable through ``windows``): the main sale runs from
    ``MAIN_SALE_DAYS`` days before the peak to the window's last day, and the
    earlier part of the window is the presale (``presale_days``). All series,
    promotion flag on, discount from ``PRESET_DISCOUNT`` unless given.

    Args:
        when: a year (every preset festival of that year), or dates (a
            ``(start, end)`` pair or the forecast dates): the festivals whose window
            overlaps that span.
        lang: language of the scenario names ("zh" or "en").
        festivals: which festivals.
        discount: one discount for all, or per festival.
        windows: festival window overrides, as in ``calendar.festival_calendar``.

    Returns:
        Scenarios sorted by date; names like ``"双十一 · 7.5折"``.
    """
    from forecasting.data.festivals import festival_calendar, festival_label

    if isinstance(when, int | np.integer) and not isinstance(when, bool):
        years, span = [int(when)], None
    else:
        dates = pd.to_datetime(pd.Index(list(when) if not isinstance(when, pd.Index) else when))
        if len(dates) == 0:
            return []
        span = (dates.min(), dates.max())
        years = list(range(span[0].year - 1, span[1].year + 2))
    cal = festival_calendar(years, windows=windows, festivals=list(festivals))
    first = cal["ds"] + pd.to_timedelta(cal["lower_window"], unit="D")
    last = cal["ds"] + pd.to_timedelta(cal["upper_window"], unit="D")
    if span is None:
        keep = cal["ds"].dt.year == years[0]
    else:
        keep = (first <= span[1]) & (last >= span[0])
    cal, first, last = cal[keep], first[keep], last[keep]
    counts = cal["holiday"].value_counts()
    out = []
    for (_, row), a, b in zip(cal.iterrows(), first, last, strict=True):
        f = row["holiday"]
        d = discount.get(f, PRESET_DISCOUNT[f]) if isinstance(discount, Mapping) else discount
        d = PRESET_DISCOUNT.get(f, 0.2) if d is None else float(d)
        main = max(pd.Timestamp(a), row["ds"] - pd.Timedelta(days=MAIN_SALE_DAYS))
        label = f"{festival_label(f, lang)} · {discount_label(d, lang)}"
        if counts[f] > 1:
            label = f"{festival_label(f, lang)} {row['ds'].year} · {discount_label(d, lang)}"
        out.append(
            Scenario(
                name=label,
                start=main,
                end=b,
                discount=d,
                promo=True,
                presale_days=int((main - a).days),
                note=f"preset:{f}:{row['ds'].date().isoformat()}",
            )
        )
    return out
