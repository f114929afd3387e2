"""A forecast for every series, to one end date, from a grid of bounded size (issues 10, 13).

From an upload to the engine's run summary: a series whose records stop early is
covered to the common end by the stated tail rule (``history().attrs["tail_rule"]``),
short series are counted in ``fallback_series``, and a file whose dates would expand
into a huge grid is refused before anything is allocated.
"""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pandas as pd
import pytest

from forecasting.data import load
from forecasting.data.aggregation import GRID_BUDGET
from forecasting.engine.forecast import TrainConfig, forecast, run_summary
from forecasting.errors import ShopcastError
from forecasting.i18n import t
from forecasting.schema import DS, ID, Y, future_dates
from tests.support import make_panel

H = 7


def _upload(stop_early: int = 7) -> bytes:
    """A shop export: three SKUs over 120 days; ``sku2`` has no rows for its last days."""
    p = make_panel(n_series=3, days=120, seed=4)
    end = p[DS].max()
    p = p[~((p[ID] == "sku2") & (p[DS] > end - pd.Timedelta(days=stop_early)))]
    raw = p.rename(columns={ID: "sku", DS: "date", Y: "units"})
    raw["date"] = raw["date"].dt.strftime("%Y-%m-%d")
    return raw.to_csv(index=False).encode()


@pytest.fixture(scope="module")
def ragged():
    return load(_upload(), name="ragged.csv")


def test_zero_rule_fills_the_missing_tail_with_zero_sales(ragged):
    h = ragged.history()
    end = h[DS].max()
    assert h.groupby(ID)[DS].max().eq(end).all()
    tail = h[(h[ID] == "sku2") & (h[DS] > end - pd.Timedelta(days=7))]
    assert len(tail) == 7 and (tail[Y] == 0).all() and (tail["promo"] == 0).all()
    assert h.attrs["tail_rule"] == "zero" and h.attrs["tail_series"] == 1
    assert h.attrs["tail_examples"] == ["sku2"] and h.attrs["tail_end"] == f"{end:%Y-%m-%d}"
    assert h.attrs["gaps_filled"] == 7
    assert t("coverage.tail.zero", "zh", n=1, end=h.attrs["tail_end"], examples="sku2")


@pytest.mark.parametrize("fill", ["interpolate", "none"])
def test_other_fills_leave_the_tail_and_say_so(ragged, fill):
    h = ragged.history(fill=fill)
    lasts = h.groupby(ID)[DS].max()
    assert lasts["sku2"] == lasts["sku0"] - pd.Timedelta(days=7)  # nothing invented
    assert h.attrs["tail_rule"] == "extend_horizon" and h.attrs["tail_series"] == 1


def test_ordinary_history_is_unchanged_and_says_no_series_stops_early():
    data = load(_upload(stop_early=0), name="even.csv")
    h = data.history()
    assert h.attrs["tail_series"] == 0 and h.attrs["gaps_filled"] == 0
    assert data.last_period() == h[DS].max()


def test_every_model_reaches_the_same_end_date(ragged):
    """With ``interpolate`` the early series is forecast from its last record, further."""
    h = ragged.history(fill="interpolate")
    cfg = TrainConfig(models=["seasonal_naive", "ets"], horizon=H, levels=[80])
    res = forecast(h, "D", cfg)
    dates = list(future_dates(h[DS].max(), H, "D"))
    for uid, g in res.forecast.groupby(ID):
        assert list(g[DS]) == dates, uid
    assert not res.forecast.isna().any().any()


def test_run_summary_counts_fallback_series(make_panel):
    p = make_panel(n_series=2, days=90, seed=5)
    new = p[p[ID] == "sku0"].tail(10).assign(**{ID: "new"})  # too short for ETS (14 days)
    res = forecast(
        pd.concat([p, new]), "D", TrainConfig(models=["seasonal_naive", "ets"], horizon=H)
    )
    assert set(res.forecast[ID]) == {"sku0", "sku1", "new"}
    assert not res.forecast.isna().any().any()
    assert res.runs["ets"].fallbacks == {"new": "seasonal_naive"}
    summary = run_summary(res).set_index("model")
    assert summary.loc["ets", "fallback_series"] == 1
    assert summary.loc["ets", "fallbacks"] == "seasonal_naive=1"
    assert summary.loc["ets", "skipped_series"] == 0
    assert summary.loc["seasonal_naive", "fallback_series"] == 0


def _sparse_upload() -> bytes:
    """Issue 13: 400 SKUs, one row dated 1901 and three in 2024 each (about 30 KB)."""
    rows = []
    for i in range(400):
        sku = f"SKU{i:03d}"
        rows.append((sku, "1901-03-04", 1))
        rows += [(sku, d, 2) for d in ("2024-05-01", "2024-05-02", "2024-05-03")]
    return pd.DataFrame(rows, columns=["sku", "date", "units"]).to_csv(index=False).encode()


def test_a_huge_grid_is_refused_fast_and_small():
    data = load(_sparse_upload(), name="old.csv")
    tracemalloc.start()
    t0 = time.perf_counter()
    with pytest.raises(ShopcastError) as err:
        data.history()
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert seconds < 5 and peak < 50e6, (seconds, peak)
    e = err.value
    assert e.key == "grid_too_large"
    assert e.params["cells"] > 17_000_000 and e.params["limit"] == GRID_BUDGET
    assert e.params["series"] == 400 and e.params["early"] == 400
    assert e.params["year"] == 1901 and e.params["example"].startswith("SKU")
    for lang in ("zh", "en"):
        text = e.message(lang)
        assert "1901" in text and "5,000,000" in text and "error." not in text
    assert len(data.history(level="total")) > 40_000  # one series: within the budget


def test_the_grid_budget_is_an_operator_setting(monkeypatch):
    """SHOPCAST_GRID_BUDGET raises (or lowers) the cell limit; a bad value keeps the default."""
    from forecasting.data.aggregation import check_grid_budget, grid_budget

    monkeypatch.setenv("SHOPCAST_GRID_BUDGET", "not a number")
    assert grid_budget() == GRID_BUDGET
    monkeypatch.setenv("SHOPCAST_GRID_BUDGET", "20_000_000")
    assert grid_budget() == 20_000_000
    one = np.array([0]), np.array([17_000_000]), np.array(["a"])
    check_grid_budget(*one, rows=10, freq="D")  # within the raised budget: no error
    monkeypatch.setenv("SHOPCAST_GRID_BUDGET", "1000")
    with pytest.raises(ShopcastError) as err:
        load(_sparse_upload(), name="old.csv").history(level="total")
    assert err.value.key == "grid_too_large" and err.value.params["limit"] == 1000
