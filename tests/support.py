"""Plain helpers shared by the tests (fixtures that wrap them live in conftest.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
SAMPLE_DIR = ROOT / "sample_data"


def make_panel(
    n_series: int = 3,
    days: int = 730,
    seed: int = 0,
    start: str = "2023-01-02",
    promo_effect: float = 0.6,
) -> pd.DataFrame:
    """Daily panel with trend, weekly pattern, a promo driver and noise (non-negative)."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range(start, periods=days, freq="D")
    t = np.arange(days)
    frames = []
    for s in range(n_series):
        base = 50.0 * (s + 1)
        promo = (rng.random(days) < 0.12).astype(float)
        weekly = 1 + 0.25 * np.sin(2 * np.pi * (t + s) / 7)
        yearly = 1 + 0.15 * np.sin(2 * np.pi * t / 365.25)
        level = base * (1 + 0.0004 * t) * weekly * yearly * (1 + promo_effect * promo)
        y = np.maximum(0, level + rng.normal(0, 0.08 * base, days))
        frames.append(pd.DataFrame({"unique_id": f"sku{s}", "ds": ds, "y": y, "promo": promo}))
    return pd.concat(frames, ignore_index=True)


def shared_file(*parts: str) -> Path:
    """Path into ../shared/data, skipping the test when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not available: {path} (../shared/data is absent on this machine)")
    return path
