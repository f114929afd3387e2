"""Business-friendly exports: headers as on screen, in the UI language, rounded, the
selection or everything, a translated settings sheet, and still inert files."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from forecasting.engine.forecast import TrainConfig
from forecasting.i18n import t
from forecasting.ui import exports
from forecasting.ui.training import Result

HOSTILE = '=HYPERLINK("http://x","y")'


def _forecast(ids=("护肤", "彩妆", HOSTILE), models=("ets", "lightgbm"), h=5) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    ds = pd.date_range("2025-11-01", periods=h, freq="D")
    rows = []
    for uid in ids:
        row = {"unique_id": [uid] * h, "ds": ds}
        for m in models:
            mean = rng.uniform(10, 100, h) + 1 / 3  # 15 significant digits before rounding
            row[m] = mean
            for lv in (80, 95):
                row[f"{m}-lo-{lv}"] = mean - lv / 10 - 1 / 7
                row[f"{m}-hi-{lv}"] = mean + lv / 10 + 1 / 7
        rows.append(pd.DataFrame(row))
    return pd.concat(rows, ignore_index=True)


def _result(fc: pd.DataFrame) -> Result:
    config = TrainConfig(models=["ets", "lightgbm"], horizon=5, levels=[80, 95])
    hist = pd.DataFrame({"unique_id": ["护肤"], "ds": [pd.Timestamp("2025-10-31")], "y": [1.0]})
    return Result("店铺.csv", "品类", "D", config, hist, fc, plan_name="")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_csv_has_screen_headers_in_the_ui_language_and_rounded_numbers(lang):
    fc = _forecast()
    raw = exports.to_csv(fc, lang).decode("utf-8-sig")
    back = pd.read_csv(io.StringIO(raw))
    screen = exports.forecast_table(fc, lang)
    assert list(back.columns) == list(screen.columns)
    assert back.columns[0] == t("forecast.col.series", lang)
    assert t("forecast.col.hi", lang, model=t("model.ets.name", lang), level=95) in back.columns
    assert not any(c in back.columns for c in ("unique_id", "ds", "ets-lo-95"))
    numbers = back.select_dtypes("number").to_numpy().ravel()
    np.testing.assert_allclose(numbers, np.round(numbers, 1))  # one decimal, not 15 digits
    assert "0.3333" not in raw and "2025-11-01" in raw


def test_csv_of_the_selection_keeps_only_the_series_models_and_bands_shown():
    fc = _forecast()
    raw = exports.to_csv(fc, "zh", series=["彩妆"], models=["lightgbm"], levels=[80])
    back = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig")
    name = t("model.lightgbm.name", "zh")
    assert list(back.columns) == [
        "序列",
        "日期",
        name,
        t("forecast.col.lo", "zh", model=name, level=80),
        t("forecast.col.hi", "zh", model=name, level=80),
    ]
    assert set(back["序列"]) == {"彩妆"} and len(back) == 5
    everything = pd.read_csv(io.BytesIO(exports.to_csv(fc, "zh")), encoding="utf-8-sig")
    assert len(everything) == 15 and len(everything.columns) == 2 + 2 * 5


def test_excel_settings_sheet_is_translated_values_included():
    fc = _forecast()
    result = _result(fc)
    settings = exports.run_settings(result, "zh", ["彩妆"], ["ets"])
    data = exports.to_excel(fc, "zh", settings, series=["彩妆"], models=["ets"], levels=[95])
    sheets = pd.read_excel(io.BytesIO(data), sheet_name=None)
    table = sheets[t("nav.forecast", "zh")]
    assert set(table["序列"]) == {"彩妆"} and "指数平滑 ETS 上限 95%" in table.columns
    assert "LightGBM" not in table.columns
    sheet = sheets[t("export.settings_sheet", "zh")].set_index("设置项")["值"].to_dict()
    assert sheet["预测层级"] == t("level.by", "zh", column="品类")
    assert sheet["频率"] == t("freq.D", "zh") and sheet["预测期数"] == "5 天"
    assert sheet["模型"] == "指数平滑 ETS" and sheet["置信区间（%）"] == "80%、95%"
    assert sheet["导出范围"] == t("views.export.scope_some", "zh", series="彩妆")
    assert sheet["未来计划"] == "无"
    assert not any(v in str(sheet) for v in ("total", "seasonal_naive", "'D'"))

    en = exports.run_settings(result, "en")
    assert en["level"] == t("level.by", "en", column="品类")
    assert en["freq"] == "Daily" and en["models"] == "ETS, LightGBM"
    assert en["scope"] == t("views.export.scope_all", "en")


def test_business_exports_stay_inert():
    fc = _forecast()
    raw = exports.to_csv(fc, "en").decode("utf-8-sig")
    assert "\n=HYPERLINK" not in raw and ",=HYPERLINK" not in raw
    data = exports.to_excel(fc, "en", exports.run_settings(_result(fc), "en"))
    wb = load_workbook(io.BytesIO(data))
    cells = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    texts = [v for v in cells if isinstance(v, str)]
    assert "'" + HOSTILE in texts and HOSTILE not in texts
    assert all(c.data_type != "f" for ws in wb.worksheets for row in ws.iter_rows() for c in row)


def test_programs_still_get_the_contract_csv():
    fc = _forecast()
    back = pd.read_csv(io.BytesIO(exports.to_csv(fc)), encoding="utf-8-sig")
    assert list(back.columns) == list(fc.columns)
