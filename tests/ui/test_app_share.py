"""Shareable link: the Forecast page's URL holds the view and reopens it in a new session.

A new ``AppTest`` is a new browser session on the same server process (the file store
and the model caches are shared), exactly what opening the link elsewhere does.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

import pytest
from streamlit.testing.v1 import AppTest

from forecasting.i18n import t
from forecasting.ui import PAGES
from tests import toy_models
from tests.ui.apptest import (
    APP,
    TIMEOUT,
    alerts,
    charts,
    new_app,
    no_exceptions,
    open_page,
    result_of,
)

TOY = toy_models.TOY
MODELS = ["seasonal_naive", TOY]  # two fast models (seconds per SKU panel)


@pytest.fixture(scope="module", autouse=True)
def toy_model():
    """The toy model is registered for the whole module (the shared view uses it)."""
    with pytest.MonkeyPatch.context() as mp:
        toy_models.register(mp)
        yield


def _trained_view():
    """Sample per SKU with two fast models; the second-largest SKU and one model shown."""
    at = open_page(new_app(), "data")
    at.button(key="data_sample").click().run()
    at = open_page(at, "train")
    at.multiselect(key="_w_train_models").set_value(MODELS).run()
    at.number_input(key="_w_train_horizon").set_value(14).run()
    at.button(key="train_start").click().run()
    at = open_page(at, "forecast")
    picker = at.selectbox(key="_w_fc_series")
    picker.set_value(picker.options[1]).run()
    at.multiselect(key="_w_fc_models").set_value([TOY]).run()
    no_exceptions(at)
    return at


def _open_link(params: dict) -> AppTest:
    """A fresh session opening the Forecast page at ``params``."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params.update(params)
    at.switch_page(PAGES["forecast"])
    return at.run()


@pytest.fixture(scope="module")
def shared():
    at = _trained_view()
    return at, dict(at.query_params)


def test_the_url_carries_the_view_and_only_keys_of_the_data(shared):
    at, params = shared
    result = result_of(at)
    src = at.session_state["data_source"]
    assert params["d"] == src.digest == hashlib.sha256(src_bytes()).hexdigest()
    assert params["level"] == "商品" and params["h"] == "14"
    assert params["models"] == MODELS and params["show"] == TOY
    assert params["series"] == result.series[1]
    # no file contents: every value is a key, a name or a number, and the link is short
    assert len(urlencode(params, doseq=True)) < 600
    assert "2023-11-01" not in str(params) and "玻尿酸精华,59" not in str(params)


def src_bytes() -> bytes:
    from forecasting.data.sample import sample_path

    return sample_path("csv").read_bytes()


def test_a_fresh_session_reopens_the_same_view_from_the_caches(shared):
    at, params = shared
    before = result_of(at)
    other = _open_link(params)
    no_exceptions(other)
    assert not alerts(other, "warning"), alerts(other, "warning")
    after = result_of(other)
    assert after is not before  # its own session, its own result ...
    assert (after.level, after.config.horizon, after.models) == ("商品", 14, MODELS)
    runs = other.session_state["train_runs"]
    assert {r.status for r in runs.values()} == {"cache"}  # ... from the shared model cache
    assert other.selectbox(key="_w_fc_series").value == params["series"]
    (fig,) = charts(other)
    models = {tr["meta"].get("model") for tr in fig["data"] if tr["meta"]["role"] == "forecast"}
    assert models == {TOY}
    assert fig["layout"]["title"]["text"] == t(
        "chart.forecast_title", "zh", series=params["series"]
    )


def test_a_link_to_data_no_longer_on_the_server_says_so():
    gone = {"d": "0" * 64, "f": "sales.csv", "level": "商品", "models": "ets", "h": "28"}
    at = _open_link(gone)
    no_exceptions(at)
    assert t("views.link.data_gone", "zh", name="sales.csv") in alerts(at, "warning")
    assert t("forecast.none", "zh") in [i.value for i in at.info]


@pytest.mark.parametrize(
    "hostile",
    [
        {"d": "../../etc/passwd", "f": "x.csv"},
        {"d": "A" * 64, "f": "<script>.csv"},
        {"f": "../../../etc/shadow"},
        {"d": "1" * 64, "f": "x.exe"},
    ],
)
def test_hostile_data_keys_are_refused_without_a_traceback(hostile):
    at = _open_link(hostile)
    no_exceptions(at)
    assert not at.error
    assert t("views.link.no_data", "zh") in alerts(at, "warning")
    assert at.session_state["data_source"] is None


def test_hostile_settings_are_ignored_and_named(shared):
    _, params = shared
    bad = {
        **params,
        "level": "<img src=x onerror=alert(1)>",
        "h": "99999999",
        "models": ["seasonal_naive", "os.system"],
        "bands": ["80", "150"],
        "series": "no such SKU",
        "cal": "XX",
        "evil": "1",
    }
    at = _open_link(bad)
    no_exceptions(at)
    assert not at.error, [e.value for e in at.error]
    (note,) = [w for w in alerts(at, "warning") if "level" in w]
    for name in ("level", "h", "models", "bands", "series", "cal", "evil"):
        assert name in note
    assert "onerror" not in note and "os.system" not in note  # names only, never the values
    result = result_of(at)
    assert result.level == "商品"  # the default level instead of the bad one
    assert result.models == ["seasonal_naive"] and result.config.horizon == 28
    assert at.session_state["data_country"] == "CN"
