"""The Backtest page in Streamlit's AppTest: sample data, a small backtest, errors, language."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests import toy_models
from tests.ui.apptest import (
    charts,
    new_app,
    no_exceptions,
    open_page,
    shown,
    texts,
)


def backtest_page(**state) -> AppTest:
    """The Backtest page of a session that loaded the sample on the Data page."""
    at = open_page(new_app(), "data")
    at.button(key="data_sample").click().run()
    for key, value in state.items():
        at.session_state[key] = value
    return open_page(at, "backtest")


@pytest.fixture(autouse=True)
def _fresh_memo():
    from forecasting.ui.views import backtest as backtest_view

    backtest_view.reset_memo()
    yield
    backtest_view.reset_memo()


def alert_texts(elements) -> list[str]:
    return [str(e.value) for e in elements]


def chart_titles(at: AppTest) -> list[str]:
    return [c["layout"]["title"]["text"] for c in charts(at)]


def test_without_data_the_page_explains_what_to_do():
    at = open_page(new_app(), "backtest")
    no_exceptions(at)
    assert "请先在“数据”页加载数据" in texts(at)
    assert not at.get("plotly_chart") and not at.button


def test_small_backtest_language_switch_and_error_keeps_results(monkeypatch):
    import forecasting.evaluation.backtest as bt

    calls = []
    real = bt.backtest
    monkeypatch.setattr(bt, "backtest", lambda *a, **k: calls.append(1) or real(*a, **k))
    at = backtest_page(
        bt_models=["seasonal_naive", "ets"], bt_horizon=14, bt_windows=2, data_level="total"
    )
    no_exceptions(at)
    assert any("还没有回测结果" in v for v in alert_texts(at.info))
    at.button(key="bt_run").click().run()
    no_exceptions(at)
    assert any("回测完成" in v for v in alert_texts(at.success))
    board = at.dataframe[0].value
    assert board.shape[0] == 2 and set(board["模型"]) == {"季节性朴素", "指数平滑 ETS"}
    assert board["名次"].tolist() == [1, 2]
    assert len(charts(at)) == 4  # leaderboard, horizon, windows, festivals (National Day is inside)
    titles = chart_titles(at)
    assert any("随预测步长" in s for s in titles) and any("回测预测" in s for s in titles)
    assert len(calls) == 1

    at.radio(key="_w_lang").set_value("en").run()  # language switch: same results, English
    assert not at.exception
    assert at.title[0].value == "Backtest & leaderboard"
    assert "Model" in at.dataframe[0].value.columns
    assert any("by step ahead" in s for s in chart_titles(at))

    at.number_input(key="_w_bt_horizon").set_value(100)
    at.number_input(key="_w_bt_windows").set_value(12).run()
    assert any("computed for other data or settings" in m.value for m in at.caption)
    at.button(key="bt_run").click().run()  # 12 x 100 days > 1,096 days of history
    assert not at.exception
    assert any("Backtest too long" in v and "1096" in v for v in alert_texts(at.error))
    assert at.dataframe[0].value.shape[0] == 2  # the previous results are still shown
    assert len(calls) == 2  # the refused run reached the library, which said no

    at.number_input(key="_w_bt_horizon").set_value(14)
    at.number_input(key="_w_bt_windows").set_value(2).run()
    at.button(key="bt_run").click().run()  # same data and settings: from the cache
    assert not at.exception and len(calls) == 2
    assert any("finished" in v for v in alert_texts(at.success))


@pytest.mark.parametrize(
    ("select_min", "why"),
    [(1, "lowest backtest MAE"), (10, "too few series to choose one member reliably")],
)
def test_auto_choice_per_series(monkeypatch, select_min, why):
    """Four categories: ``auto`` chooses per series with ``select_min`` 1; below the
    default 10 series it weights its members, and the "why" column says so."""
    import forecasting.models.ensemble as ens

    monkeypatch.setattr(ens, "SELECT_MIN", select_min)
    toy_models.register(monkeypatch)
    monkeypatch.setattr(ens, "DEFAULT_MEMBERS", ("seasonal_naive", toy_models.TOY))
    monkeypatch.setattr(ens, "DRIVER_MEMBERS", ())
    at = backtest_page(
        bt_models=["seasonal_naive", "auto", "ensemble"],
        bt_horizon=7,
        bt_windows=2,
        data_level="品类",
        lang="en",
    )
    at.button(key="bt_run").click().run()
    no_exceptions(at)
    choice = at.dataframe[-1].value
    assert len(choice) == 4  # one row per category
    assert {"Series", "Chosen model", "Why"} <= set(choice.columns)
    assert set(choice["Chosen model"]) <= {"Seasonal naive", "toy_mean"} | set(
        at.dataframe[0].value["Model"]
    )
    assert choice["Why"].str.contains(why).all()
    weights = [c for c in choice.columns if c.startswith("Weight")]
    assert len(weights) == 2 and (choice[weights].sum(axis=1).round(6) == 1).all()
    assert any("chosen for" in m.value for m in at.markdown)
    # a combination ranked behind its own member (seasonal naive) is always explained
    from forecasting.charts.forecast import model_label

    board = at.dataframe[0].value.set_index("Model")["WAPE"]
    naive = model_label("seasonal_naive", "en")
    notes = [shown(v) for v in alert_texts(at.info) if "ranks behind its own member" in v]
    combos = [model_label(m, "en") for m in ("auto", "ensemble")]
    behind = [m for m in combos if board[m] > board[naive] + 1e-9]
    assert len(notes) == len(behind), (board, notes)
    for model, note in zip(behind, notes, strict=True):
        assert f"“{model}” ranks behind its own member “{naive}”" in note
        assert f"{board[model]:.1%}" in note and f"{board[naive]:.1%}" in note
    at.radio(key="_w_bt_choice").set_value("ensemble").run()
    assert not at.exception
    assert at.dataframe[-1].value["Why"].str.contains("weights").all()


def test_why_text_names_the_driver_aware_members_for_a_flat_backtest():
    import pandas as pd

    from forecasting.ui.views.backtest import why_text

    row = pd.Series(
        {
            "chosen": "lightgbm",
            "flat": True,
            "weight_seasonal_naive": 0.0,
            "weight_lightgbm": 1.0,
            "mae_seasonal_naive": 0.0,
            "mae_lightgbm": 3.0,
        }
    )
    text = why_text(row, ["seasonal_naive", "lightgbm"], "auto", "en")
    assert "cannot tell the models apart" in text and "LightGBM" in text
    assert "Seasonal naive" not in text
    normal = why_text(row.drop("flat"), ["seasonal_naive", "lightgbm"], "auto", "en")
    assert "lowest backtest MAE" in normal


def test_why_text_says_auto_weighted_when_the_panel_was_too_small():
    import pandas as pd

    from forecasting.ui.views.backtest import why_text

    row = pd.Series(
        {
            "chosen": "ets",
            "weighted": True,
            "weight_ets": 0.6,
            "weight_prophet": 0.4,
            "mae_ets": 2.0,
            "mae_prophet": 3.0,
        }
    )
    text = why_text(row, ["ets", "prophet"], "auto", "en")
    assert text.startswith("too few series") and "weights ∝ 1 / backtest MAE" in text
    assert "60%" in text and "lowest backtest MAE" not in text
    chose = why_text(row.drop("weighted"), ["ets", "prophet"], "auto", "en")
    assert chose.startswith("lowest backtest MAE")
