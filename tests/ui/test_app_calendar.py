"""The Data page's holiday calendar reaches the models that read it."""

from __future__ import annotations

from forecasting.i18n import t
from tests.ui.apptest import new_app, no_exceptions, open_page, quickstart, result_of


def test_choosing_german_holidays_trains_the_calendar_models_with_them():
    at = quickstart(new_app())
    assert "country" not in str(result_of(at).config.model_params)  # default: CN festivals
    at = open_page(at, "data")
    picker = next(s for s in at.selectbox if s.label == t("data.calendar", "zh"))
    assert picker.value == "CN"
    picker.set_value("DE").run()
    no_exceptions(at)
    at = open_page(at, "train")
    at.button(key="train_start").click().run()
    no_exceptions(at)
    params = result_of(at).config.model_params
    assert params["lightgbm"]["country"] == "DE"
    assert "country" not in params.get("ets", {})  # ETS reads no calendar
