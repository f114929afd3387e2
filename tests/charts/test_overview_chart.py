"""Overview chart builders: traces, order, colours by sign, translated and inert labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.charts import overview as charts
from forecasting.i18n import t
from forecasting.planning.overview import overview_table
from forecasting.schema import hi_col, lo_col


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    """8 series with known growth: s0 grows most in units, s7 falls most; plus the total."""
    end = pd.Timestamp("2025-03-31")
    hist_ds = pd.date_range(end=end, periods=14, freq="D")
    fc_ds = pd.date_range(end + pd.Timedelta(days=1), periods=7, freq="D")
    changes = {f"s{i}": 40 - 10 * i for i in range(8)}  # +40 ... -30 per day
    changes["<b>x</b>"] = 1
    changes["total"] = 5
    hist, fc = [], []
    for k, (uid, step) in enumerate(changes.items()):
        level = 100.0 + 20 * k
        hist.append(pd.DataFrame({"unique_id": uid, "ds": hist_ds, "y": level}))
        part = pd.DataFrame({"unique_id": uid, "ds": fc_ds, "m": level + step})
        part[lo_col("m", 80)] = part["m"] - 5
        part[hi_col("m", 80)] = part["m"] + 5 + k
        fc.append(part)
    return overview_table(pd.concat(hist), pd.concat(fc), "m")


def test_volume_chart_two_bars_per_series_largest_on_top(table):
    fig = charts.top_figure(table, "volume", n=5, lang="en")
    assert [tr.meta["role"] for tr in fig.data] == ["actual", "forecast"]
    assert all(tr.orientation == "h" and len(tr.y) == 5 for tr in fig.data)
    top = table.sort_values("forecast", ascending=False)["unique_id"].head(5).tolist()
    assert fig.layout.meta["series"] == top
    assert fig.data[1].y[-1] == charts.labels(pd.Series(top[:1]), "en")[0]  # top bar = largest
    assert list(fig.data[1].x)[::-1] == table.set_index("unique_id").loc[top, "forecast"].tolist()
    assert fig.layout.title.text == t(
        "overview.chart.top", "en", n=5, by=t("overview.by.volume", "en")
    )
    assert "80%" in fig.layout.title.subtitle.text


def test_growth_chart_is_coloured_by_sign(table):
    fig = charts.top_figure(table, "growth", n=20, lang="zh")
    (bar,) = fig.data
    assert len(bar.x) == len(table)
    colors = dict(zip(bar.x, bar.marker.color, strict=True))
    assert all((c == charts.RISE_COLOR) == (x >= 0) for x, c in colors.items())
    assert {charts.RISE_COLOR, charts.FALL_COLOR} <= set(colors.values())
    assert bar.x[-1] == np.nanmax(table["growth_pct"])  # the largest growth on top
    assert fig.layout.xaxis.title.text == t("overview.axis.percent", "zh")


def test_names_are_translated_and_inert(table):
    fig = charts.top_figure(table, "volume", n=20, lang="zh")
    shown = set(fig.data[0].y)
    assert t("chart.total", "zh") in shown and "total" not in shown
    assert "&lt;b&gt;x&lt;/b&gt;" in shown and "<b>x</b>" not in shown
    shown_en = set(charts.top_figure(table, "uncertainty", n=20, lang="en").data[0].y)
    assert t("chart.total", "en") in shown_en


def test_movers_diverge_with_the_largest_moves_outside(table):
    fig = charts.movers_figure(table, n=3, lang="en")
    rise, fall = fig.data
    assert (rise.meta["role"], fall.meta["role"]) == ("rise", "fall")
    assert rise.meta["series"] == ["s0", "s1", "s2"] and fall.meta["series"] == ["s7", "s6", "s5"]
    assert all(x > 0 for x in rise.x) and all(x < 0 for x in fall.x)
    order = list(fig.layout.yaxis.categoryarray)
    assert order[-1] == "s0" and order[0] == "s7"  # largest rise on top, largest fall at bottom
    assert fig.layout.barmode == "relative"
    assert fig.layout.title.text == t("overview.chart.movers", "en", n=3)


def test_display_table_headers_and_labels(table):
    out = charts.display_table(table, "en")
    names = charts.column_names("en")
    assert list(out.columns) == [names[c] for c in table.columns]
    assert t("chart.total", "en") in set(out[names["unique_id"]])
    assert set(charts.column_names("zh").values()) != set(names.values())
    assert pd.api.types.is_numeric_dtype(out[names["growth_pct"]])  # sortable as numbers
