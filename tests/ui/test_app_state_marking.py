"""State that never lies: changed data, level or settings mark the forecast outdated.

The issue's reproduction: load the sample, train, change the level on the Data page.
Before, the Forecast page showed the old forecast with every step marked done, and
the Train page repeated the old "training done". Models are the fast seasonal naive
(per SKU: well under a second), so each test takes seconds.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest

from forecasting.i18n import t
from forecasting.ui.defaults import MAX_DEFAULT_SERIES, level_candidates
from tests.ui.apptest import (
    alerts,
    charts,
    new_app,
    no_exceptions,
    open_page,
    result_of,
    texts,
    upload,
)

DONE, STALE, TODO = (t(f"journey.{k}", "zh") for k in ("done", "stale", "todo"))


def _journey(at) -> list[str]:
    """The status word of each step (data, train, forecast), as drawn last."""
    body = next(str(h.proto.body) for h in at.get("html") if "sc-steps" in str(h.proto.body))
    return [
        next(w for w in (DONE, STALE, TODO) if cell.endswith(w))
        for cell in body.split("</div>")
        if "sc-step " in cell
    ]


def _sample_trained(model: str = "seasonal_naive"):
    """The sample on the Data page, one fast model trained from the Train page."""
    at = open_page(new_app(), "data")
    at.button(key="data_sample").click().run()
    at = open_page(at, "train")
    at.multiselect(key="_w_train_models").set_value([model]).run()
    at.button(key="train_start").click().run()
    no_exceptions(at)
    return at


def test_sample_defaults_to_one_forecast_per_sku():
    at = open_page(new_app(), "data")
    assert _journey(at) == [TODO, TODO, TODO]
    at.button(key="data_sample").click().run()
    no_exceptions(at)
    assert at.session_state["data_level"] == "商品"  # the finest level of the sample
    assert _journey(at) == [DONE, TODO, TODO]


def test_the_tracker_is_right_in_the_run_that_trains():
    at = _sample_trained()
    assert result_of(at).level == "商品" and len(result_of(at).series) == 30
    # drawn before the training started, redrawn after it in the same run
    assert _journey(at) == [DONE, DONE, DONE]
    assert t("train.done", "zh", n=1) in alerts(at, "success")


def test_a_level_change_marks_train_and_forecast_outdated_until_updated():
    at = _sample_trained()
    at = open_page(at, "data")
    at.selectbox(key="_w_data_level").set_value("total").run()
    no_exceptions(at)
    assert _journey(at) == [DONE, STALE, STALE]

    at = open_page(at, "forecast")
    no_exceptions(at)
    (warning,) = alerts(at, "warning")
    assert warning == t("views.fc.stale", "zh", what=t("views.input.level", "zh"))
    assert _journey(at) == [DONE, STALE, STALE]
    assert charts(at)  # the old chart stays, marked outdated

    at = open_page(at, "train")
    assert t("views.fc.stale", "zh", what="x")[:4] not in texts(at)
    stale = t("views.train.stale", "zh", what=t("views.input.level", "zh"))
    assert stale in alerts(at, "warning")
    assert not alerts(at, "success")  # the old "training done" is not repeated

    at = open_page(at, "forecast")
    at.button(key="fc_update").click().run()
    no_exceptions(at)
    assert result_of(at).level == "total"
    assert not alerts(at, "warning")
    assert _journey(at) == [DONE, DONE, DONE]


def test_changing_a_setting_back_makes_the_forecast_current_again():
    at = _sample_trained()
    at.number_input(key="_w_train_horizon").set_value(14).run()
    assert _journey(at) == [DONE, STALE, STALE]
    assert t("views.input.horizon", "zh") in alerts(at, "warning")[0]
    at.number_input(key="_w_train_horizon").set_value(28).run()  # the default: as trained
    assert _journey(at) == [DONE, DONE, DONE]
    assert not alerts(at, "warning")


def test_new_data_hides_the_level_switch_and_names_the_data():
    days = pd.date_range("2024-01-01", periods=120, freq="D")
    frame = pd.DataFrame({"日期": days.strftime("%Y-%m-%d"), "销量": range(120)})
    at = _sample_trained()
    at = open_page(at, "data")
    upload(at, "other.csv", frame.to_csv(index=False).encode())
    no_exceptions(at)
    assert at.session_state["data_level"] == "total"  # no id column: the total
    at = open_page(at, "forecast")
    warning = alerts(at, "warning")[0]
    assert t("views.input.data", "zh") in warning
    assert not at.button_group  # no level switch for a forecast of other data


def test_forecast_page_level_switch_retrains_and_reuses_models():
    at = _sample_trained()
    at = open_page(at, "forecast")
    switch = at.button_group(key="fc_level_switch")
    assert switch.value == "商品"
    assert set(switch.options) >= {t("views.fc.level_total", "zh"), "品类", "商品"}
    switch.set_value("total").run()
    no_exceptions(at)
    assert result_of(at).level == "total" and result_of(at).series == ["total"]
    picker = at.selectbox(key="_w_fc_series")
    assert picker.disabled and picker.help == t("views.fc.series_one", "zh")  # never a bare grey
    assert _journey(at) == [DONE, DONE, DONE]
    assert at.session_state["data_level"] == "total"  # the Data page agrees

    at.button_group(key="fc_level_switch").set_value("商品").run()
    no_exceptions(at)
    assert result_of(at).level == "商品"
    runs = at.session_state["train_runs"]
    assert {r.status for r in runs.values()} == {"cache"}  # trained before: reused


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ({"品类": 4, "商品": 30}, ["商品", "品类", "total"]),
        ({"品类": 4, "商品": MAX_DEFAULT_SERIES + 1}, ["品类", "total"]),
        ({}, ["total"]),
    ],
)
def test_default_level_candidates(counts, expected):
    assert level_candidates(["total", *counts], counts) == expected


def _shop_csv(n: int, categories: bool = True) -> bytes:
    days = pd.date_range("2024-01-01", periods=40, freq="D")
    frame = pd.DataFrame(
        [
            {"日期": d.date(), **({"品类": f"c{i % 3}"} if categories else {}), "商品": f"s{i}"}
            | {"销量": 1}
            for i in range(n)
            for d in days
        ]
    )
    buf = io.BytesIO()
    frame.to_csv(buf, index=False)
    return buf.getvalue()


def test_many_skus_default_to_the_category():
    at = open_page(new_app(), "data")
    upload(at, "many.csv", _shop_csv(MAX_DEFAULT_SERIES + 10))
    no_exceptions(at)
    assert at.session_state["data_level"] == "品类"


def test_an_upload_cut_short_by_a_page_change_is_finished_on_the_next_page(monkeypatch):
    """Opening another page right after an upload stops the Data page's run where it
    stands. Stopped while the new file's default level was being worked out, the
    session kept the new file at the old file's level (a 20-SKU upload trained at the
    total). Now nothing changes until the level is known, and the next run of any page
    takes the pending upload whole."""
    from streamlit.runtime.scriptrunner_utils.exceptions import StopException

    from forecasting.ui import actions

    at = open_page(new_app(), "data")
    upload(at, "many.csv", _shop_csv(MAX_DEFAULT_SERIES + 10, categories=False))
    first = at.session_state["data_source"]
    assert at.session_state["data_level"] == "total"
    real = actions.default_level

    def cut_short(*a, **k):
        raise StopException()  # what the navigation does at the next Streamlit call

    monkeypatch.setattr(actions, "default_level", cut_short)
    upload(at, "few.csv", _shop_csv(20, categories=False))
    assert at.session_state["data_source"] == first  # nothing half-changed
    monkeypatch.setattr(actions, "default_level", real)
    at.switch_page("pages/2_Train.py").run()  # the page the user opened
    no_exceptions(at)
    assert at.session_state["data_source"].name == "few.csv"
    assert at.session_state["data_level"] == "商品"
