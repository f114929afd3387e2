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


def base_freq(freq: str) -> str:
    """``"W-MON"`` -> ``"W"``; ``"D"`` and ``"MS"`` unchanged."""
    return freq.split("-")[0]


def default_horizon(freq: str) -> int:
    """A sensible horizon for the frequency: 4 weeks, 12 weeks or 6 months."""
    return DEFAULT_HORIZON.get(base_freq(freq), 12)
