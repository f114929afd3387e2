"""Forecast-page insights in a real Streamlit run: the recommendation, what drives the
forecast, the KPI cards (AppTest.from_function, trained through the app's caches)."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
from streamlit.testing.v1 import AppTest

from tests.support import make_panel
from tests.ui.apptest import TIMEOUT, texts


def _page(models: list[str], lang: str) -> None:
    """Train on a small panel through the app's caches, then show every insight."""
    import streamlit as st

    from forecasting.engine.forecast import TrainConfig
    from forecasting.ui import training
    from forecasting.ui.views import insights
    from tests.support import make_panel

    df = make_panel(n_series=2, days=300, seed=7)
    params = {
        "lightgbm": {"n_estimators": 30},
        "auto": {
            "members": ["seasonal_naive", "lightgbm"],
            "member_params": {"lightgbm": {"n_estimators": 30}},
        },
    }
    config = TrainConfig(models=models, horizon=14, levels=[80], model_params=params)
    result, _ = training.train(df, "D", config, data_name="shop.csv", level="sku")
    rec = insights.recommendation(result, lang)
    st.session_state["rec"] = rec
    insights.kpi_cards(result, "sku1", rec or models[0], lang)
    insights.explanation(result, "sku1", lang)


def _run(models: list[str], lang: str) -> AppTest:
    at = AppTest.from_function(_page, args=(models, lang), default_timeout=TIMEOUT)
    return at.run()


def test_auto_recommends_from_its_inner_backtest_and_explains():
    at = _run(["seasonal_naive", "lightgbm", "auto"], "en")
    assert not at.exception, at.exception
    rec = at.session_state["rec"]
    assert rec in ("seasonal_naive", "lightgbm", "auto")
    shown = texts(at)
    assert "Recommended:" in at.success[0].value and "typically within ±" in at.success[0].value
    assert "over 14 days per series" in at.success[0].value
    from forecasting.models.ensemble import WINDOWS

    assert "inner backtest" in shown and f"{WINDOWS} windows × 2 series" in shown
    assert len(at.metric) == 3 and at.metric[0].label == "Forecast units (14 days)"
    toggle = at.toggle(key="ins_explain_on")
    assert toggle.label == "What drives this forecast?"
    at = toggle.set_value(True).run()  # nothing is computed until asked
    assert not at.exception, at.exception
    shown = texts(at)
    assert "Over the horizon" in shown
    assert any("Trend & recent level" in str(c.proto.spec) for c in at.get("plotly_chart"))


def test_without_a_backtest_a_hint_in_chinese():
    at = _run(["seasonal_naive", "lightgbm"], "zh")
    assert not at.exception, at.exception
    assert at.session_state["rec"] is None
    assert "还没有回测结果" in at.info[0].value
    assert at.metric[1].label == "去年同期" and at.metric[2].label == "上一周期"
    assert at.toggle(key="ins_explain_on").label == "这个预测由什么构成？"


def _page_with_report(same: bool) -> None:
    """Train two models, backtest them as the Backtest page does, recommend from that."""
    import pandas as pd
    import streamlit as st

    from forecasting.engine.forecast import TrainConfig
    from forecasting.evaluation.backtest import backtest
    from forecasting.ui import training
    from forecasting.ui.views import insights
    from forecasting.ui.views.backtest import Report, Settings
    from tests.support import make_panel

    df = make_panel(n_series=2, days=300, seed=7)
    params = {"lightgbm": {"n_estimators": 30}}
    models = ["seasonal_naive", "lightgbm"]
    config = TrainConfig(models=models, horizon=14, levels=[80], model_params=params)
    result, _ = training.train(df, "D", config, data_name="shop.csv", level="sku")
    data = df if same else df.assign(y=df["y"] * 2)
    res = backtest(data, "D", models, 14, n_windows=2, levels=[80], model_params=params)
    start = res.cv["cutoff"].min() - pd.Timedelta(days=14)
    ctx = data.loc[data["ds"] >= start, ["unique_id", "ds", "y"]].reset_index(drop=True)
    settings = Settings(tuple(models), 14, 2, 0, (80,))
    empty = pd.DataFrame()
    report = Report("k", "shop.csv", "sku", "D", settings, res, ctx, empty, empty, empty, empty)
    st.session_state["rec"] = insights.recommendation(result, "en", report=report)


def test_a_backtest_page_report_of_the_same_data_recommends():
    at = AppTest.from_function(_page_with_report, args=(True,), default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    assert at.session_state["rec"] in ("seasonal_naive", "lightgbm")
    shown = texts(at)
    assert "the Backtest page's backtest: 2 windows × 2 series" in shown
    assert "The 80% range held" in shown
    other = AppTest.from_function(_page_with_report, args=(False,), default_timeout=TIMEOUT)
    other = other.run()
    assert not other.exception, other.exception
    assert other.session_state["rec"] is None
    assert "for other data or another level" in texts(other)


def test_same_data_check():
    from forecasting.ui.views.insights import same_data

    df = make_panel(n_series=2, days=120, seed=1)
    result = SimpleNamespace(history=df, freq="D")
    ctx = df[df["ds"] >= "2023-03-01"][["unique_id", "ds", "y"]]
    assert same_data(SimpleNamespace(freq="D", history=ctx), result)
    assert not same_data(SimpleNamespace(freq="W-MON", history=ctx), result)
    changed = ctx.assign(y=ctx["y"] + 1.0)
    assert not same_data(SimpleNamespace(freq="D", history=changed), result)
    fewer = ctx[ctx["unique_id"] == "sku0"]
    assert not same_data(SimpleNamespace(freq="D", history=fewer), result)
    assert not same_data(SimpleNamespace(freq="D", history=pd.DataFrame()), result)
