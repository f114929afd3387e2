from __future__ import annotations

import pandas as pd

from forecasting.backtest import cross_validation, cutoffs
from tests.conftest import make_panel


def test_cutoffs_are_spaced_and_end_at_last_window():
    p = make_panel(1, 200)
    cuts = cutoffs(p, 14, 3, "D")
    assert len(cuts) == 3 and cuts[-1] == p["ds"].max() - pd.Timedelta(days=14)
    assert (cuts[1] - cuts[0]).days == 14


def test_backtest_never_sees_the_future(monkeypatch):
    p = make_panel(2, 300)
    seen = []
    import forecasting.models.naive as naive

    orig = naive.SeasonalNaive._fit

    def spy(self, df, progress):
        seen.append(df["ds"].max())
        return orig(self, df, progress)

    monkeypatch.setattr(naive.SeasonalNaive, "_fit", spy)
    cv = cross_validation(p, "D", ["seasonal_naive"], h=7, n_windows=3)
    assert sorted(cv["cutoff"].unique()) == sorted(set(seen))
    assert (cv["ds"] > cv["cutoff"]).all()
    assert len(cv) == 2 * 7 * 3
    assert {"cutoff", "y", "seasonal_naive", "seasonal_naive-lo-95"} <= set(cv.columns)
