"""Page-independent defaults of the forecast settings (a leaf module, no streamlit)."""

from __future__ import annotations

DEFAULT_HORIZON = {"D": 28, "W": 12, "MS": 6}
# Holiday calendars offered on the Data page: China's e-commerce festivals first (the
# default), then national public holidays of common markets (the holidays package).
CALENDARS = (
    "CN",
    "HK",
    "TW",
    "SG",
    "MY",
    "TH",
    "VN",
    "ID",
    "JP",
    "KR",
    "AU",
    "US",
    "CA",
    "GB",
    "DE",
    "FR",
    "IT",
    "ES",
    "NL",
)
LEVEL_CHOICES = (50, 80, 90, 95, 99)
# A new file is forecast per SKU (its finest level) unless that level has more series
# than this: then the next coarser level that fits (a first forecast of 3,000 SKUs
# would take minutes). Pre-training and the app's default use the same rule.
MAX_DEFAULT_SERIES = 200


def level_candidates(levels: list[str], counts: dict[str, int]) -> list[str]:
    """Levels to try as the default, finest first, always ending with "total".

    Args:
        levels: the data's levels, coarse to fine (``SalesData.levels()``).
        counts: number of series per level.
    """
    fine = [lv for lv in reversed(levels) if lv != "total"]
    return [lv for lv in fine if counts.get(lv, 0) <= MAX_DEFAULT_SERIES] + ["total"]


def base_freq(freq: str) -> str:
    """``"W-MON"`` -> ``"W"``; ``"D"`` and ``"MS"`` unchanged."""
    return freq.split("-")[0]


def default_horizon(freq: str) -> int:
    """A sensible horizon for the frequency: 4 weeks, 12 weeks or 6 months."""
    return DEFAULT_HORIZON.get(base_freq(freq), 12)
