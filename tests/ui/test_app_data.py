"""Data page: sample and uploads (CSV, Excel, GBK, bad files), mapping, level, warnings."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.i18n import t
from tests.support import shared_file
from tests.ui.apptest import (
    SAMPLE,
    alerts,
    new_app,
    no_exceptions,
    open_page,
    shown,
    texts,
    upload,
)


def _data_page():
    return open_page(new_app(), "data")


def _metric(at, key: str, lang: str = "zh") -> str:
    label = t(key, lang)
    return next(m.value for m in at.metric if m.label == label)


def _selectbox(at, key: str, lang: str = "zh"):
    label = t(key, lang)
    return next(s for s in at.selectbox if s.label == label)


def test_empty_data_page_explains_what_to_do():
    at = _data_page()
    no_exceptions(at)
    assert t("data.none", "zh") in texts(at)
    assert at.file_uploader(key="data_upload").label == t("data.upload_label", "zh")


def test_sample_button_loads_data_with_summary_and_mapping():
    at = _data_page()
    at.button(key="data_sample").click().run()
    no_exceptions(at)
    assert not alerts(at)
    src = at.session_state["data_source"]
    assert (src.name, src.kind) == ("shop_sales.csv", "sample")
    raw = pd.read_csv(SAMPLE / "shop_sales.csv", encoding="utf-8-sig")
    assert _metric(at, "data.metric.series") == "30"  # one series per SKU by default
    assert _metric(at, "data.metric.total") == f"{raw['销量'].sum():,.0f}"
    assert _selectbox(at, "data.map.date").value == "日期"
    assert _selectbox(at, "data.map.target").value == "销量"
    ids = next(m for m in at.multiselect if m.label == t("data.map.ids", "zh"))
    assert ids.value == ["品类", "商品"]
    assert at.session_state["data_mapping"] is None  # automatic
    assert len(at.get("plotly_chart")) == 1


def test_upload_excel_through_the_uploader():
    at = _data_page()
    xlsx = (SAMPLE / "shop_sales.xlsx").read_bytes()
    upload(
        at,
        "shop_sales.xlsx",
        xlsx,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    no_exceptions(at)
    assert not alerts(at), alerts(at)
    assert at.session_state["data_source"].name == "shop_sales.xlsx"
    assert t("data.current", "zh", name="shop_sales.xlsx") in texts(at)
    assert _metric(at, "data.metric.periods") == "1,096"


def test_upload_gbk_csv_with_chinese_headers_and_change_level():
    rng = np.random.default_rng(1)
    ds = pd.date_range("2024-01-01", periods=120, freq="D")
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "日期": ds.strftime("%Y/%m/%d"),
                    "类目": cat,
                    "商品名称": f"{cat}{k}",
                    "销量": rng.poisson(20 + 10 * k, len(ds)),
                }
            )
            for cat in ("面膜", "口红")
            for k in range(2)
        ]
    )
    data = frame.to_csv(index=False).encode("gbk")
    at = _data_page()
    upload(at, "店铺销量.csv", data)
    no_exceptions(at)
    assert at.session_state["data_source"].name == "店铺销量.csv"
    assert _metric(at, "data.metric.total") == f"{frame['销量'].sum():,.0f}"
    # forecast per category: 2 series, and a series picker appears
    _selectbox(at, "data.level").set_value("类目").run()
    no_exceptions(at)
    assert _metric(at, "data.metric.series") == "2"
    picker = next(m for m in at.multiselect if m.label == t("data.series", "zh"))
    assert sorted(picker.options) == ["口红", "面膜"]
    picker.set_value(["面膜"]).run()
    assert _metric(at, "data.metric.series") == "1"


def test_mapping_change_uses_the_chosen_target():
    at = _data_page()
    at.button(key="data_sample").click().run()
    _selectbox(at, "data.map.target").set_value("销售额").run()
    no_exceptions(at)
    assert at.session_state["data_mapping"]["target"] == "销售额"
    raw = pd.read_csv(SAMPLE / "shop_sales.csv", encoding="utf-8-sig")
    assert _metric(at, "data.metric.total") == f"{raw['销售额'].sum():,.0f}"
    # back to automatic detection
    at.button(
        key=next(b.key for b in at.button if b.label == t("data.map.reset", "zh"))
    ).click().run()
    assert at.session_state["data_mapping"] is None
    assert _metric(at, "data.metric.total") == f"{raw['销量'].sum():,.0f}"


def test_a_wrong_file_shows_a_translated_error_and_keeps_the_data():
    at = _data_page()
    at.button(key="data_sample").click().run()
    upload(at, "photo.csv", bytes(range(256)) * 40, "text/csv")
    no_exceptions(at)
    (err,) = alerts(at)
    assert "photo.csv" in err and "Traceback" not in err
    assert at.session_state["data_source"].name == "shop_sales.csv"  # previous data kept
    assert _metric(at, "data.metric.periods") == "1,096"
    at.radio(key="_w_lang").set_value("en").run()
    assert t("data.current", "en", name="shop_sales.csv") in texts(at)


def test_unmapped_target_gives_a_clear_message_not_a_traceback():
    frame = pd.DataFrame(
        {
            "日期": pd.date_range("2024-01-01", periods=30).strftime("%Y-%m-%d"),
            "备注": ["无"] * 30,
            "店铺": ["A"] * 30,
        }
    )
    at = _data_page()
    upload(at, "no_sales.csv", frame.to_csv(index=False).encode("utf-8"))
    no_exceptions(at)
    errs = alerts(at) + alerts(at, "warning")
    assert any("no_sales.csv" in e for e in errs), errs


def test_real_taobao_gbk_file_uploads_and_warns_short_history():
    path = shared_file("taobao_double11", "double11_taobao_cosmetics_gbk.csv")
    at = _data_page()
    upload(at, path.name, path.read_bytes())
    no_exceptions(at)
    assert at.session_state["data_source"].name == path.name
    assert _metric(at, "data.metric.periods") == "10"
    # the 10-day history is flagged in plain language, naming the length
    flagged = alerts(at) + alerts(at, "warning")
    assert any("10" in msg for msg in flagged), flagged
    # training on it ends in a clear explanation, not a traceback
    open_page(at, "train").button(key="train_start").click().run()
    no_exceptions(at)
    errs = alerts(at)
    assert errs and all("Traceback" not in e for e in errs)


def test_data_page_states_the_rule_for_series_that_stop_early():
    """One SKU's records stop a week early: the page says how it reaches the common end."""
    days = pd.date_range("2024-01-01", periods=120, freq="D")
    rows = [{"日期": d.date(), "商品": "面霜", "销量": 10} for d in days]
    rows += [{"日期": d.date(), "商品": "口红", "销量": 5} for d in days[:-7]]
    at = _data_page()
    upload(at, "提前结束.csv", pd.DataFrame(rows).to_csv(index=False).encode("utf-8"))
    no_exceptions(at)
    _selectbox(at, "data.level").set_value("商品").run()
    no_exceptions(at)
    captions = [shown(str(c.value)) for c in at.caption]
    end = str(days[-1].date())
    assert any("1 条序列" in c and end in c and "口红" in c for c in captions), captions
