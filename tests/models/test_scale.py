"""Scale: the same forecasts on one core or two, progress that moves, slim fitted models,
float32 features that hold the float64 values."""

from __future__ import annotations

import io
import pickle
import time

import numpy as np
import pandas as pd
import pytest

from forecasting.engine.parallel import ENV, Eta
from forecasting.models import create
from forecasting.models.features import FeatureMaker
from forecasting.models.stats import fit_one_batch
from forecasting.schema import DS, ID, Y
from tests.support import make_panel

H = 14
SHORT = make_panel(n_series=40, days=70, seed=11)  # ETS on 40 series in seconds
PANEL = make_panel(n_series=6, days=400, seed=4)
FAST_GBM = {"n_estimators": 60, "learning_rate": 0.1}


def _numbers(fc: pd.DataFrame) -> np.ndarray:
    return fc.drop(columns=[ID, DS]).to_numpy(dtype=float)


def _forecast(monkeypatch, jobs: int, name: str, df: pd.DataFrame, **params) -> pd.DataFrame:
    monkeypatch.setenv(ENV, str(jobs))
    model = create(name, seed=1, **params).fit(df, freq="D")
    return model.predict(H, level=[80, 95])


def test_ets_reports_several_increasing_fractions():
    seen: list[tuple[float, str]] = []
    create("ets").fit(SHORT, freq="D", progress=lambda f, label: seen.append((f, label)))
    fractions = [f for f, _ in seen]
    assert len(fractions) >= 5, seen  # per batch of series, not once at the end
    assert fractions == sorted(fractions) and fractions[0] < 0.5 and fractions[-1] == 1.0
    assert seen[-1][1] == "40/40"  # series done / series


@pytest.mark.parametrize(
    ("name", "params"),
    [("ets", {}), ("lightgbm", FAST_GBM), ("seasonal_naive", {}), ("intermittent", {})],
)
def test_one_or_two_workers_give_the_same_forecast(monkeypatch, name, params):
    df = SHORT if name in ("ets", "intermittent") else PANEL  # enough series for 2 workers
    one = _forecast(monkeypatch, 1, name, df, **params)
    two = _forecast(monkeypatch, 2, name, df, **params)
    assert one[[ID, DS]].equals(two[[ID, DS]])
    assert np.array_equal(_numbers(one), _numbers(two))  # bit for bit, bands included


@pytest.mark.slow
def test_prophet_per_series_fits_in_workers_give_the_same_forecast(monkeypatch):
    df = make_panel(n_series=8, days=200, seed=6)  # 8 series: 2 workers of 4 (jobs_for)
    kw = {"uncertainty_samples": 40}
    one = _forecast(monkeypatch, 1, "prophet", df, **kw)
    two = _forecast(monkeypatch, 2, "prophet", df, **kw)
    assert np.array_equal(_numbers(one), _numbers(two))


def test_shared_calibration_refit_matches_the_earliest_window_and_costs_one_fit(monkeypatch):
    monkeypatch.setenv(ENV, "1")
    model = create("lightgbm", seed=2, **FAST_GBM).fit(PANEL, freq="D")
    fits = []
    real_fit = type(model).fit

    def counting(self, *a, **k):
        fits.append(self.calibration_scheme)
        return real_fit(self, *a, **k)

    monkeypatch.setattr(type(model), "fit", counting)
    shared = model.calibrate(H)["errors"]
    assert len(fits) == 1  # one refit for both windows
    monkeypatch.setattr(type(model), "calibration_scheme", "refit")
    model.calibration_.clear()
    refit = model.calibrate(H)["errors"]
    assert len(fits) == 3 and shared.shape == refit.shape == (2 * PANEL[ID].nunique(), H)
    n = PANEL[ID].nunique()
    # the earliest window: the same fit on the same past in both schemes
    np.testing.assert_array_equal(shared[n:], refit[n:])
    # the later window: forecast by an older model, so not the refit's numbers
    assert not np.array_equal(shared[:n], refit[:n]) and np.isfinite(shared).all()


def test_shared_calibration_falls_back_to_a_refit_when_the_earliest_cut_is_too_short(
    monkeypatch,
):
    monkeypatch.setenv(ENV, "1")
    short = make_panel(n_series=3, days=100, seed=8)  # 44 days before the 2nd cut: < 56
    model = create("lightgbm", seed=2, **FAST_GBM).fit(short, freq="D")
    errors = model.calibrate(28)["errors"]
    assert errors.shape == (3, 28) and np.isfinite(errors).all()  # the later window


def test_slim_ets_keeps_the_forecast_and_drops_the_history():
    from statsforecast.models import AutoETS

    task = (AutoETS(season_length=7, alias="ets"), "D", SHORT[[ID, DS, Y]].iloc[:700])
    full, slim = fit_one_batch((*task, False)), fit_one_batch((*task, True))
    a, b = full.predict(h=H, level=[80, 95]), slim.predict(h=H, level=[80, 95])
    assert np.array_equal(a.drop(columns=[ID, DS]).to_numpy(), b.drop(columns=[ID, DS]).to_numpy())
    assert len(pickle.dumps(slim.fitted_)) < 0.3 * len(pickle.dumps(full.fitted_))


@pytest.mark.parametrize("level_window", [None, 7])
def test_tabular_float32_holds_the_float64_values(level_window):
    maker = FeatureMaker("D", promo_aware_lags=True, level_window=level_window).fit(PANEL)
    panel = maker.panel(PANEL)
    rows, cols = maker.training_cells(panel)
    x = maker.tabular(panel, rows, cols)
    assert x.dtype == np.float32 and x.shape == (len(rows), len(maker.feature_names))
    from forecasting.models.features import baseline

    y = baseline(panel.y, panel.promo)
    level = maker.level(panel, rows, cols)
    for j, lag in enumerate(maker.lags):  # each lag: the float64 value, rounded once
        expect = (y[rows, cols - lag] / level).astype(np.float32)
        np.testing.assert_array_equal(x[:, j], expect)
    n_exog = panel.exog.shape[2]
    np.testing.assert_array_equal(x[:, -n_exog:], panel.exog[rows, cols])
    w = maker.windows[0]  # rolling mean of the first window, against a direct nanmean
    j = len(maker.lags)
    r, c = rows[-1], cols[-1]
    direct = np.nanmean(y[r, c - w : c]) / level[-1]
    assert x[-1, j] == pytest.approx(direct, rel=1e-6)


def test_progress_label_adds_the_time_left():
    from forecasting.ui.training import progress_label

    clock = Eta()
    clock.start = time.monotonic() - 10.0  # 10 s for a quarter of the series
    en = progress_label("10/40", clock, 0.25, "en")
    assert en.startswith("10/40") and "0:30" in en and "left" in en
    clock.start = time.monotonic() - 10.0
    assert "剩余" in progress_label("10/40", clock, 0.25, "zh")
    assert progress_label("", clock, 0.5, "en") == ""  # start/done: nothing to say
    assert progress_label("1/40", Eta(), 0.0, "en") == "1/40"  # too early to tell


def test_cli_progress_printer_shows_the_time_left(monkeypatch):
    from forecasting.cli import common

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Tty()
    monkeypatch.setattr("sys.stderr", out)
    monkeypatch.setattr("sys.argv", ["forecasting", "--lang", "en", "forecast"])
    monkeypatch.setattr(common.progress_printer, "eta", Eta(), raising=False)
    common.progress_printer.eta.start = time.monotonic() - 20.0
    common.progress_printer(0.5, "ets: 20/40")
    text = out.getvalue()
    assert "[ 50.0%] ets: 20/40" in text and "0:20" in text and "left" in text


def test_a_big_panel_calibrates_lightgbm_on_a_seeded_sample_of_series(monkeypatch):
    """The conformal refit sees ``calibration_series`` series (pooled scaled errors set
    every series' bands); all of them when there are no more than that."""
    monkeypatch.setenv(ENV, "1")
    panel = make_panel(n_series=8, days=150, seed=5)
    one, two = (
        create("lightgbm", seed=3, calibration_series=5, **FAST_GBM).fit(panel, freq="D")
        for _ in range(2)
    )
    everyone = create("lightgbm", seed=3, **FAST_GBM).fit(panel, freq="D")  # default 300
    seen: list[set] = []
    real_fit = type(one).fit

    def spying(self, df, *a, **k):
        seen.append(set(df[ID].unique()))
        return real_fit(self, df, *a, **k)

    monkeypatch.setattr(type(one), "fit", spying)
    fc = one.predict(H, level=[80])
    assert len(seen) == 1 and len(seen[0]) == 5  # one shared refit, on 5 of the 8 series
    assert fc[ID].nunique() == 8 and fc["lightgbm-lo-80"].notna().all()  # bands for all 8
    two.predict(H, level=[80])
    assert seen[1] == seen[0]  # seeded: the same sample every time
    everyone.predict(H, level=[80])
    assert seen[2] == set(panel[ID].unique())
