"""Train page: model choice, settings, errors, progress results, caching across reruns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.i18n import t
from tests.ui.apptest import (
    alerts,
    charts,
    clear_caches,
    new_app,
    no_exceptions,
    open_page,
    quickstart,
    result_of,
    texts,
    upload,
)


def _train_page_with_sample():
    at = open_page(new_app(), "data")
    at.button(key="data_sample").click().run()
    return open_page(at, "train")


def _statuses(at) -> dict[str, str]:
    return {name: run.status for name, run in at.session_state["train_runs"].items()}


def test_train_page_without_data_points_to_the_data_page():
    at = open_page(new_app(), "train")
    no_exceptions(at)
    assert t("train.no_data", "zh") in texts(at)
    assert not at.button


def test_model_picker_lists_every_model_with_descriptions():
    from forecasting.models import DEFAULT_MODELS, available

    at = _train_page_with_sample()
    no_exceptions(at)
    picker = at.multiselect(key="_w_train_models")
    assert picker.options == [t(f"model.{m}.name", "zh") for m in available()]
    assert picker.value == list(DEFAULT_MODELS)
    body = texts(at)
    for m in ("ets", "lightgbm", "mlp"):
        assert t(f"model.{m}.desc", "zh") in body
    assert t("train.tf_settings", "zh") not in body  # only when a TensorFlow model is chosen
    picker.set_value(["seasonal_naive", "mlp"]).run()
    assert at.slider(key="_w_train_epochs").value == 30
    at.slider(key="_w_train_epochs").set_value(3).run()
    from forecasting.ui import actions  # noqa: F401 - config is built from the session

    assert at.session_state["train_epochs"] == 3


def test_training_shows_fit_times_and_never_retrains_the_same_settings():
    at = _train_page_with_sample()
    at.multiselect(key="_w_train_models").set_value(["seasonal_naive", "ets"]).run()
    at.number_input(key="_w_train_horizon").set_value(14).run()
    at.button(key="train_start").click().run()
    no_exceptions(at)
    assert not alerts(at), alerts(at)
    assert _statuses(at) == {"seasonal_naive": "trained", "ets": "trained"}
    assert t("train.done", "zh", n=2) in texts(at)
    table = at.dataframe[0].value
    assert list(table[t("train.col.model", "zh")]) == ["季节性朴素", "指数平滑 ETS"]
    assert (table[t("train.col.fit", "zh")] >= 0).all()
    assert any(
        fig["layout"]["title"]["text"] == t("chart.fit_time_title", "zh") for fig in charts(at)
    )
    result = result_of(at)
    assert result.config.horizon == 14 and result.models == ["seasonal_naive", "ets"]
    sizes = result.forecast.groupby("unique_id").size()
    assert set(sizes) == {14} and len(sizes) == len(result.series) == 30  # per SKU by default

    # same data + settings: served from memory, not retrained (rerun / page switch)
    open_page(at, "forecast")
    open_page(at, "train").button(key="train_start").click().run()
    assert _statuses(at) == {"seasonal_naive": "cache", "ets": "cache"}
    assert (
        t("train.source.cache", "zh") in at.dataframe[0].value[t("train.col.status", "zh")].tolist()
    )

    # after a server restart (memory caches gone) the models come from the disk store
    clear_caches()
    at.button(key="train_start").click().run()
    assert _statuses(at) == {"seasonal_naive": "disk", "ets": "disk"}


def test_no_model_chosen_is_an_error_and_keeps_the_previous_forecast():
    at = quickstart(new_app())
    before = result_of(at)
    open_page(at, "train")
    at.multiselect(key="_w_train_models").set_value([]).run()
    at.button(key="train_start").click().run()
    no_exceptions(at)
    assert t("error.no_models", "zh") in alerts(at)
    assert result_of(at) is before


def test_horizon_too_long_is_an_error_and_keeps_the_previous_forecast():
    at = quickstart(new_app())
    before = result_of(at)
    open_page(at, "train")
    at.number_input(key="_w_train_horizon").set_value(900).run()
    at.button(key="train_start").click().run()
    no_exceptions(at)
    (err,) = alerts(at)
    assert err == t("error.horizon_too_long", "zh", h=900, n=1096, max=548)
    assert result_of(at) is before
    at.radio(key="_w_lang").set_value("en").run()
    assert before is result_of(at)


def _twelve_days(seed: int) -> pd.DataFrame:
    """Twelve days of sales (each test its own seed: fitted models are cached by data)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "date": pd.date_range("2024-03-01", periods=12).strftime("%Y-%m-%d"),
            "sales": rng.poisson(30, 12),
        }
    )


def _train_short(seed: int):
    """Twelve days uploaded, then seasonal naive + ETS trained for 3 days ahead."""
    at = open_page(new_app(), "data")
    upload(at, "short.csv", _twelve_days(seed).to_csv(index=False).encode())
    open_page(at, "train")
    at.multiselect(key="_w_train_models").set_value(["seasonal_naive", "ets"]).run()
    at.number_input(key="_w_train_horizon").set_value(3).run()
    at.button(key="train_start").click().run()
    no_exceptions(at)
    return at


def test_too_short_for_a_model_goes_down_its_fallback_chain_and_says_so():
    at = _train_short(4)
    assert _statuses(at) == {"seasonal_naive": "trained", "ets": "trained"}
    assert result_of(at).models == ["seasonal_naive", "ets"]
    note = t("coverage.fallback_series", "zh", n=1)
    assert any(note in str(v) for d in at.dataframe for v in d.value.to_numpy().ravel())


def test_a_model_failing_on_short_history_does_not_stop_the_others(monkeypatch):
    from forecasting.models.base import Forecaster

    monkeypatch.setattr(Forecaster, "fallback_chain", lambda self: [])  # ETS has nothing to fall to
    at = _train_short(3)
    assert _statuses(at) == {"seasonal_naive": "trained", "ets": "failed"}
    (err,) = alerts(at)
    assert t("model.ets.name", "zh") in err and "14" in err  # ets needs two weeks
    assert result_of(at).models == ["seasonal_naive"]
    open_page(at, "forecast")
    assert t("forecast.failed_models", "zh", models=t("model.ets.name", "zh")) in alerts(
        at, "warning"
    )
