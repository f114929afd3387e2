"""Home page: texts, language switch, and the one-click sample forecast."""

from __future__ import annotations

from forecasting.i18n import t
from forecasting.models import DEFAULT_MODELS
from tests.ui.apptest import (
    charts,
    new_app,
    no_exceptions,
    open_page,
    quickstart,
    result_of,
    texts,
)


def test_home_in_chinese_by_default():
    at = new_app()
    no_exceptions(at)
    body = texts(at)
    assert t("home.headline", "zh") in body and t("home.intro", "zh") in body
    assert t("journey.data", "zh") in body and t("journey.forecast", "zh") in body
    assert at.button(key="home_sample").label == t("home.sample_button", "zh")
    assert at.session_state["lang"] == "zh"


def test_language_switch_sticks_across_pages():
    at = new_app()
    at.radio(key="_w_lang").set_value("en").run()
    no_exceptions(at)
    assert at.session_state["lang"] == "en"
    assert t("home.headline", "en") in texts(at)
    assert t("home.headline", "zh") not in texts(at)
    open_page(at, "train")
    assert at.title[0].value == t("page.train.title", "en")
    assert t("train.no_data", "en") in texts(at)
    at.radio(key="_w_lang").set_value("zh").run()
    assert at.title[0].value == t("page.train.title", "zh")


def test_load_sample_goes_straight_to_a_forecast_with_bands():
    at = quickstart(new_app())
    no_exceptions(at)
    assert not at.error, [e.value for e in at.error]
    # switched to the forecast page
    assert at.title[0].value == t("page.forecast.title", "zh")
    result = result_of(at)
    assert result.models == list(DEFAULT_MODELS)
    assert result.level == "商品" and result.data_name == "shop_sales.csv"  # per SKU by default
    assert result.plan_name == "shop_future.csv"  # the sample's promotion plan is used
    (fig,) = charts(at)
    roles = [tr["meta"]["role"] for tr in fig["data"]]
    assert roles.count("forecast") == len(DEFAULT_MODELS)
    bands = {
        (tr["meta"]["model"], tr["meta"]["level"])
        for tr in fig["data"]
        if tr["meta"]["role"] == "band"
    }
    assert bands == {(m, lv) for m in DEFAULT_MODELS for lv in (80, 95)}
    # the journey shows every step done
    assert texts(at).count(t("journey.done", "zh")) == 3
    # back home: a link to the existing forecast
    open_page(at, "home")
    assert t("home.result_ready", "zh", models="").split("：")[0] in texts(at)
