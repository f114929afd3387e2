"""Scenario chart builders: band aggregation, comparison chart, KPI bars, response bars."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from forecasting.charts import scenarios as ch
from forecasting.i18n import t
from forecasting.planning import scenarios as sc
from forecasting.schema import DS, ID, SCENARIO, hi_col, lo_col

A = "lightgbm"


def stacked(ids=("a", "b"), names=("baseline", "618 · 8折"), days=40, seed=0) -> pd.DataFrame:
    """A stacked scenario forecast with 80/95 bands; scenario k is (1 + 0.5 k) x the baseline."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2027-05-20", periods=days, freq="D")
    parts = []
    for k, name in enumerate(names):
        for j, uid in enumerate(ids):
            mean = (10 + 5 * j) * (1 + 0.5 * k) + rng.random(days)
            f = pd.DataFrame({ID: uid, DS: ds, SCENARIO: name, A: mean})
            f[lo_col(A, 95)], f[hi_col(A, 95)] = mean - 4, mean + 4
            f[lo_col(A, 80)], f[hi_col(A, 80)] = mean - 2, mean + 3
            parts.append(f)
    return pd.concat(parts, ignore_index=True)


S618 = sc.Scenario(
    name="618 · 8折",
    start=date(2027, 6, 15),
    end=date(2027, 6, 19),
    discount=0.2,
    promo=True,
    presale_days=14,
)


# ------------------------------------------------------------------ aggregation
def test_single_series_keeps_its_own_bands():
    fc = stacked()
    one = ch.aggregate_forecast(fc, A, ids=["b"])
    want = fc[fc[ID] == "b"].sort_values([SCENARIO, DS])
    assert len(one) == len(want)
    got = one.sort_values([SCENARIO, DS])
    np.testing.assert_allclose(got[hi_col(A, 80)], want[hi_col(A, 80)])


@pytest.mark.parametrize("rho", [0.0, 0.5, 1.0])
def test_bands_of_a_sum_combine_with_the_error_correlation(rho):
    fc = stacked()
    agg = ch.aggregate_forecast(fc, A, rho=rho)
    assert (agg[ID] == ch.ALL_LABEL).all()
    assert list(pd.unique(agg[SCENARIO])) == ["baseline", "618 · 8折"]  # baseline first
    day = agg[(agg[SCENARIO] == "baseline")].iloc[0]
    parts = fc[(fc[SCENARIO] == "baseline") & (fc[DS] == day[DS])]
    assert day[A] == pytest.approx(parts[A].sum())
    # each series: +3 / -2 at 80%, so two series give sqrt((1-rho)*2*w^2 + rho*(2w)^2)
    for w_up, w_dn, lv in ((3, 2, 80), (4, 4, 95)):
        up = np.sqrt((1 - rho) * 2 * w_up**2 + rho * (2 * w_up) ** 2)
        dn = np.sqrt((1 - rho) * 2 * w_dn**2 + rho * (2 * w_dn) ** 2)
        assert day[hi_col(A, lv)] - day[A] == pytest.approx(up)
        assert day[A] - day[lo_col(A, lv)] == pytest.approx(dn)
    if rho == 1.0:  # perfectly correlated errors: the sum of the edges
        assert day[hi_col(A, 95)] == pytest.approx(parts[hi_col(A, 95)].sum())


def test_sum_of_nonnegative_series_never_gets_a_negative_lower_edge():
    fc = stacked()
    fc[A] = 0.5
    fc[lo_col(A, 95)], fc[lo_col(A, 80)] = 0.0, 0.0
    agg = ch.aggregate_forecast(fc, A, rho=0.0)
    assert (agg[lo_col(A, 95)] >= 0).all()


# ------------------------------------------------------------------ comparison
def test_comparison_chart_has_a_band_and_a_line_per_scenario():
    fc = stacked(names=("baseline", "618 · 8折", "618 · 65折"))
    fig = ch.comparison_figure(fc, A, "zh", [S618], level=80, target_label="护肤")
    metas = [tr.meta for tr in fig.data]
    assert [m["role"] for m in metas] == ["band"] * 3 + ["scenario"] * 3
    assert [m["scenario"] for m in metas if m["role"] == "band"] == [
        "baseline",
        "618 · 8折",
        "618 · 65折",
    ]
    # the baseline line is drawn last (on top) but listed first in the legend
    lines = [tr for tr in fig.data if tr.meta["role"] == "scenario"]
    assert [tr.meta["scenario"] for tr in lines] == ["618 · 8折", "618 · 65折", "baseline"]
    legend = sorted(lines, key=lambda tr: tr.legendrank)
    assert [tr.meta["scenario"] for tr in legend] == ["baseline", "618 · 8折", "618 · 65折"]
    band = metas[0]
    assert (band["lo"], band["hi"]) == (lo_col(A, 80), hi_col(A, 80))
    assert legend[0].name == t("scenario.baseline", "zh")
    assert fig.layout.title.text == t("sc.chart.title", "zh", target="护肤")
    en = ch.comparison_figure(fc, A, "en", [S618], level=80, target_label="Skincare")
    assert en.layout.title.text == t("sc.chart.title", "en", target="Skincare")
    assert en.layout.title.text != fig.layout.title.text
    assert [tr.name for tr in en.data if tr.meta["role"] == "scenario"][-1] == "Baseline"


@pytest.mark.parametrize("ids", [("a",), ("a", "b")])
def test_scenarios_keep_their_order_with_one_series_or_several(ids):
    fc = stacked(ids=ids, names=("baseline", "双11 8折", "双11 65折", "个护 9折"))
    agg = ch.aggregate_forecast(fc, A)
    assert list(pd.unique(agg[SCENARIO])) == ["baseline", "双11 8折", "双11 65折", "个护 9折"]
    assert agg.groupby(SCENARIO, sort=False)[DS].is_monotonic_increasing.all()


def test_each_scenario_has_its_own_colour_and_the_baseline_is_dotted():
    fc = stacked(names=("baseline", "x", "y"))
    fig = ch.comparison_figure(fc, A, "en", level=95)
    lines = [tr for tr in fig.data if tr.meta["role"] == "scenario"]
    assert [tr.line.dash for tr in lines] == ["solid", "solid", "dot"]
    assert len({tr.line.color for tr in lines}) == 3
    bands = [tr for tr in fig.data if tr.meta["role"] == "band"]
    assert {b.meta["level"] for b in bands} == {95}


def test_window_is_shaded_and_the_view_opens_on_it():
    fc = stacked(days=60)
    fig = ch.comparison_figure(fc, A, "zh", [S618])
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    assert len(rects) == 2  # presale + main sale
    x0, x1 = (pd.Timestamp(x) for x in fig.layout.xaxis.range)
    assert x0 <= S618.promo_start and x1 >= pd.Timestamp(S618.end)
    assert x1 - x0 < fc[DS].max() - fc[DS].min()
    assert any(t("sc.chart.presale", "zh") == a.text for a in fig.layout.annotations)


def test_history_is_drawn_for_context_and_missing_bands_draw_no_band():
    fc = stacked()[[ID, DS, SCENARIO, A]]
    hist = pd.DataFrame({ID: "a", DS: pd.date_range("2027-03-01", "2027-05-19"), "y": 3.0})
    fig = ch.comparison_figure(fc, A, "zh", history=hist, history_days=30)
    roles = [tr.meta["role"] for tr in fig.data]
    assert roles == ["history", "scenario", "scenario"]
    assert len(fig.data[0].x) == 30
    assert not fig.layout.title.subtitle.text


# ------------------------------------------------------------------ KPI bars
def kpi_table(gmv: bool = True) -> pd.DataFrame:
    rows = []
    for name, units, incr in (("baseline", 100.0, 0.0), ("A", 130.0, 30.0), ("B", 90.0, -10.0)):
        rows.append(
            {
                "scenario": name,
                "level": "total",
                "group": "total",
                "units": units,
                "incr_units": incr,
                "incr_units_pct": incr,
                "gmv": units * 2 if gmv else np.nan,
                "incr_gmv": incr * 2 if gmv else np.nan,
                "incr_gmv_pct": incr if gmv else np.nan,
            }
        )
    return pd.DataFrame(rows)


def test_kpi_bars_show_increments_of_each_scenario():
    fig = ch.kpi_figure(kpi_table(), "zh")
    assert [tr.meta["measure"] for tr in fig.data] == ["incr_units", "incr_gmv"]
    units = fig.data[0]
    assert list(units.x) == ["A", "B"] and list(units.y) == [30.0, -10.0]
    assert "+30.0%" in units.text[0] and "-10.0%" in units.text[1]
    assert fig.layout.annotations[0].text == t("scenario.kpi.incr_units", "zh")


def test_kpi_bars_leave_out_gmv_without_prices():
    fig = ch.kpi_figure(kpi_table(gmv=False), "en")
    assert [tr.meta["measure"] for tr in fig.data] == ["incr_units"]
    assert fig.layout.title.text == t("sc.kpi_chart.title", "en")


# ------------------------------------------------------------------ response
def test_response_bars_have_intervals_and_mark_depths_beyond_history():
    r = pd.DataFrame(
        {
            "value": [0.1, 0.2, 0.3],
            "reference": 0.0,
            "uplift_pct": [20.0, 45.0, 70.0],
            "ci_low_pct": [15.0, 40.0, 50.0],
            "ci_high_pct": [25.0, 50.0, 90.0],
            "in_history": [True, True, False],
        }
    )
    fig = ch.response_figure(r, "zh")
    bar = fig.data[0]
    assert list(bar.x) == ["10%", "20%", "30%"] and list(bar.y) == [20.0, 45.0, 70.0]
    assert list(bar.error_y.array) == [5.0, 5.0, 20.0]
    assert list(bar.error_y.arrayminus) == [5.0, 5.0, 20.0]
    assert bar.text[2].endswith("*") and not bar.text[0].endswith("*")
    assert t("sc.resp.outside_note", "zh") in fig.layout.title.subtitle.text
    one = ch.response_figure(r.assign(ci_low_pct=np.nan, ci_high_pct=np.nan), "en")
    assert one.data[0].error_y.visible is False


def test_response_chart_keeps_bars_readable_when_an_interval_is_huge():
    """An extrapolated interval 40x the bars must not squash them to the axis."""
    from forecasting.charts.scenarios import response_figure

    table = pd.DataFrame(
        {
            "value": [0.1, 0.2, 0.4],
            "uplift_pct": [30.0, 60.0, 140.0],
            "ci_low_pct": [20.0, 40.0, 60.0],
            "ci_high_pct": [40.0, 80.0, 4000.0],
            "in_history": [True, True, False],
        }
    )
    fig = response_figure(table, "zh")
    lo, hi = fig.layout.yaxis.range
    assert lo <= 0 and hi == pytest.approx(3 * 140.0)
    normal = response_figure(table.assign(ci_high_pct=[40.0, 80.0, 200.0]), "zh")
    assert normal.layout.yaxis.range is None  # ordinary intervals: Plotly's own range


def test_response_labels_stay_readable_and_intervals_stop_at_zero():
    """Short bars keep their label (above the bar), pale bars get dark ink, and a wide
    interval of a positive uplift never reaches below 0%."""
    table = pd.DataFrame(
        {
            "value": [0.1, 0.2, 0.4],
            "uplift_pct": [3.0, 60.0, 140.0],
            "ci_low_pct": [-4.0, 40.0, -30.0],
            "ci_high_pct": [9.0, 80.0, 300.0],
            "in_history": [True, True, False],
        }
    )
    bar = ch.response_figure(table, "en").data[0]
    assert bar.textposition == "auto" and bar.constraintext == "none"
    ink = list(bar.insidetextfont.color)
    assert ink[0] == ink[1] == "#FFFFFF" and ink[2] != "#FFFFFF"
    assert bar.outsidetextfont.color != "#FFFFFF"
    low = np.asarray(bar.y) - np.asarray(bar.error_y.arrayminus)
    assert list(low) == [0.0, 40.0, 0.0]
