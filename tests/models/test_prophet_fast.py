"""FastProphet builds Prophet's inputs faster and must give exactly Prophet's numbers:
the same festival feature columns, the same cmdstan input file, the same fit."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("prophet")

from prophet import Prophet  # noqa: E402
from stanio.json import dump_stan_json  # noqa: E402

from forecasting.data.festivals import festival_calendar  # noqa: E402
from forecasting.models.prophet_fast import FastProphet, prepare_data  # noqa: E402
from forecasting.models.prophet_model import _quiet  # noqa: E402


def _history(days: int = 420, start: str = "2024-01-01") -> pd.DataFrame:
    rng = np.random.default_rng(3)
    ds = pd.date_range(start, periods=days, freq="D")
    t = np.arange(days)
    y = 50 + 0.05 * t + 8 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 3, days)
    promo = (rng.random(days) < 0.2).astype(int)
    price = rng.uniform(80, 120, days).round(1)
    return pd.DataFrame({"ds": ds, "y": y + 15 * promo, "promo": promo, "price": price})


def _pair(holidays: pd.DataFrame, **kw) -> tuple[Prophet, FastProphet]:
    _quiet()
    out = []
    for cls in (Prophet, FastProphet):
        m = cls(holidays=holidays, daily_seasonality=False, **kw)
        m.add_regressor("promo", mode="additive")
        m.add_regressor("price", mode="additive")
        out.append(m)
    return out[0], out[1]


def _features(m: Prophet, dates: pd.Series):
    return m.make_holiday_features(dates, m.construct_holiday_dataframe(dates))


@pytest.mark.parametrize("country", ["CN", "DE"])
def test_festival_features_are_prophets(country):
    """Same columns, values, order, prior scales and names, for the e-commerce calendar
    (windows of up to 25 days around lunar dates) and a country's public holidays;
    dates reaching past the calendar's years and windows cut by the dates' ends."""
    cal = festival_calendar(range(2023, 2027), country=country)
    plain, fast = _pair(cal)
    hits = []
    for dates in (
        pd.Series(pd.date_range("2023-10-25", "2026-02-20", freq="D")),
        pd.Series(pd.date_range("2024-06-05", periods=40, freq="D")),  # inside 618's window
        pd.Series(pd.date_range("2022-01-01", periods=10, freq="D")),  # no festival in it
    ):
        a, b = _features(plain, dates), _features(fast, dates)
        pd.testing.assert_frame_equal(a[0], b[0])
        assert a[1] == b[1]
        assert a[2] == b[2]
        hits.append(b[0].to_numpy().sum())
    assert hits[0] > 20 and hits[2] == 0  # the long span meets festivals, the short one none


def test_after_a_fit_the_forecast_features_match_too():
    """In predict Prophet re-builds the calendar (its windows then come out as floats)
    and keeps the training festivals' names: the array path must agree there as well."""
    cal = festival_calendar(range(2023, 2027))
    plain, fast = _pair(cal, weekly_seasonality=True, yearly_seasonality=False)
    hist = _history()
    plain.fit(hist, seed=1)
    fast.fit(hist, seed=1)
    future = _history(60, start=str((hist["ds"].max() + pd.Timedelta(days=1)).date()))
    a, b = _features(plain, future["ds"]), _features(fast, future["ds"])
    pd.testing.assert_frame_equal(a[0], b[0])
    assert a[2] == b[2]
    # the fit and the forecast are Prophet's, number for number
    for key, value in plain.params.items():
        np.testing.assert_array_equal(value, fast.params[key], err_msg=key)
    plain.uncertainty_samples = fast.uncertainty_samples = 0
    np.testing.assert_array_equal(
        plain.predict(future.drop(columns="y"))["yhat"].to_numpy(),
        fast.predict(future.drop(columns="y"))["yhat"].to_numpy(),
    )


def test_unusual_calendars_use_prophets_own_code():
    """A per-festival prior scale, a missing window or repeated dates are left to
    Prophet (same result, including its errors)."""
    cal = festival_calendar(range(2024, 2026))
    dates = pd.Series(pd.date_range("2024-01-01", "2025-12-31", freq="D"))
    scaled = cal.assign(prior_scale=np.where(cal["holiday"] == "618", 5.0, 10.0))
    plain, fast = _pair(scaled)
    a, b = _features(plain, dates), _features(fast, dates)
    pd.testing.assert_frame_equal(a[0], b[0])
    assert a[1] == b[1] and 5.0 in b[1]
    twice = pd.concat([dates, dates.iloc[:3]], ignore_index=True)
    plain, fast = _pair(cal)
    pd.testing.assert_frame_equal(_features(plain, twice)[0], _features(fast, twice)[0])
    assert not FastProphet._simple_calendar(twice, cal)
    assert not FastProphet._simple_calendar(dates, cal.assign(lower_window=-0.5))
    assert FastProphet._simple_calendar(dates, cal.astype({"lower_window": float}))


def test_cmdstan_gets_the_same_file():
    """The arrays handed to stanio write the same JSON text as Prophet's lists."""
    _quiet()
    m = Prophet(holidays=festival_calendar(range(2024, 2026)), daily_seasonality=False)
    m.add_regressor("promo")
    inputs = m.preprocess(_history())
    init = dataclasses.asdict(m.calculate_initial_params(inputs.K))
    data = dataclasses.asdict(inputs)
    lists = m.stan_backend.prepare_data(init, data)
    arrays = prepare_data(init, data)
    assert isinstance(arrays[1]["X"], np.ndarray)
    assert dump_stan_json(arrays[1]) == dump_stan_json(lists[1])
    assert dump_stan_json(arrays[0]) == dump_stan_json(lists[0])
    assert FastProphet(daily_seasonality=False).stan_backend.prepare_data is prepare_data


def test_shopcast_prophet_fits_fast_prophets(tmp_path):
    """The registry's ``prophet`` builds FastProphet per series, and a fitted one goes
    through the model store (joblib) and back."""
    import joblib

    from forecasting.models import create

    hist = _history(400).assign(unique_id="A")
    hist = pd.concat([hist, hist.assign(unique_id="B", y=hist["y"] * 2)], ignore_index=True)
    model = create("prophet").fit(hist, freq="D")
    assert all(type(m) is FastProphet for m in model.models_.values())
    path = tmp_path / "m.joblib"
    joblib.dump(model, path)
    back = joblib.load(path)
    future = _history(14, start="2025-02-04").assign(unique_id="A").drop(columns="y")
    future = pd.concat([future, future.assign(unique_id="B")], ignore_index=True)
    a = model.predict(14, future=future, level=[80])
    b = back.predict(14, future=future, level=[80])
    pd.testing.assert_frame_equal(a, b)
