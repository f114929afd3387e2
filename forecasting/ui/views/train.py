"""Train page: models, horizon and levels, the training with progress, fit times."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from forecasting.charts import forecast as charts
from forecasting.charts.forecast import model_label
from forecasting.i18n import note_text, t
from forecasting.ui import actions, cache, state, widgets
from forecasting.ui.defaults import LEVEL_CHOICES, base_freq, default_horizon
from forecasting.ui.messages import error_text
from forecasting.ui.nav import PAGES

if TYPE_CHECKING:
    from forecasting.ui.actions import DataView


def require_data(lang: str) -> DataView:
    """The data to train on; stops the page with a link to the Data page when none."""
    view = actions.current_view()
    if view is None:
        st.info(t("train.no_data", lang), icon=":material/info:")
        st.page_link(PAGES["data"], label=t("nav.data", lang), icon=":material/table_chart:")
        st.stop()
    return view


def model_picker(lang: str) -> list[str]:
    """Multiselect of every registered model with its one-line description (no library names)."""
    from forecasting.models import available

    names = available()
    st.multiselect(
        t("train.models", lang),
        names,
        format_func=lambda m: model_label(m, lang),
        help=t("views.train.models_help", lang),
        placeholder=t("train.models_placeholder", lang),
        **state.bind("train_models", default=actions.chosen_models()),
    )
    chosen = actions.chosen_models()
    lines = []
    for m in names:
        mark = "●" if m in chosen else "○"
        desc = t(f"model.{m}.desc", lang)
        desc = "" if desc == f"model.{m}.desc" else f" — {html.escape(desc)}"
        lines.append(
            f"<div class='sc-model'>{mark} <b>{html.escape(model_label(m, lang))}</b>{desc}</div>"
        )
    st.html("".join(lines))
    return chosen


def train_settings(freq: str, lang: str) -> None:
    """Horizon and interval levels; the neural networks' settings in a closed "advanced" box."""
    from forecasting.models import TENSORFLOW_MODELS

    unit = t(f"unit.{base_freq(freq)}", lang)
    c1, c2 = st.columns(2)
    c1.number_input(
        t("train.horizon", lang, unit=unit),
        min_value=1,
        max_value=1000,
        step=1,
        help=t("views.train.horizon_help", lang),
        **state.bind("train_horizon", default=default_horizon(freq)),
    )
    c2.multiselect(
        t("train.levels", lang),
        list(LEVEL_CHOICES),
        placeholder=t("train.levels_none", lang),
        help=t("views.train.levels_help", lang),
        **state.bind("train_levels"),
    )
    if any(m in TENSORFLOW_MODELS for m in actions.chosen_models()):
        with st.expander(t("views.train.advanced", lang), expanded=False):
            e1, e2 = st.columns(2)
            e1.slider(
                t("views.train.epochs", lang),
                1,
                200,
                help=t("views.train.epochs_help", lang),
                **state.bind("train_epochs"),
            )
            e2.number_input(
                t("views.train.window", lang),
                min_value=0,
                max_value=400,
                step=1,
                help=t("views.train.window_help", lang),
                **state.bind("train_window", default=0),
            )


def store_notice(lang: str) -> None:
    """Say so when the on-disk model cache is off (e.g. its signing key was refused)."""
    problem = cache.model_store().problem
    if problem is not None:
        st.warning(
            t("train.store_off", lang, detail=error_text(problem, lang)),
            icon=":material/warning:",
        )


def train_buttons(view: DataView, lang: str) -> None:
    """Train (with a progress bar) and, while it runs, a stop button."""
    store_notice(lang)
    start, stop = st.columns([1, 1])
    if start.button(t("train.button", lang), type="primary", key="train_start", width="stretch"):
        slot = stop.empty()  # any click reruns the script, which stops the training
        slot.button(
            t("train.stop", lang), key="train_stop", icon=":material/stop_circle:", width="stretch"
        )
        with widgets.training_session():
            actions.run_training(view, actions.train_config(view.freq), lang)
        slot.empty()
        widgets.refresh_journey(lang)


def results(lang: str) -> None:
    """The latest training: its message, the per-model table, fit times, the way on.

    When the data or settings changed since, the results are marked outdated (the
    success message of that training is not repeated as if it were current).
    """
    reasons = actions.stale_reasons()
    if reasons:
        st.warning(
            t("views.train.stale", lang, what=widgets.stale_text(reasons, lang)),
            icon=":material/update:",
        )
        if state.get("train_runs"):
            st.caption(t("views.train.stale_table", lang))
    else:
        widgets.training_outcome(lang)
    if runs_table(lang) is not None:
        times = fit_times(lang)
        if len(times):
            st.plotly_chart(
                charts.fit_time_figure(times, lang), theme=None, config={"displaylogo": False}
            )
    if state.current_result() is not None:
        st.page_link(
            PAGES["forecast"], label=t("train.to_forecast", lang), icon=":material/insights:"
        )


def runs_table(lang: str) -> pd.DataFrame | None:
    """Fit time, status and notes per model of the latest training."""
    runs = state.get("train_runs") or {}
    if not runs:
        return None
    rows = []
    for r in runs.values():
        note = ""
        if r.status == "failed" and r.error is not None:
            note = error_text(r.error, lang, markdown=False)  # a table cell: plain text
        elif r.skipped:
            note = t("train.skipped", lang, n=r.skipped)
        if r.status != "failed" and getattr(r, "fallbacks", 0):
            more = t("coverage.fallback_series", lang, n=r.fallbacks)
            note = f"{note}; {more}" if note else more
        for key, params in getattr(r, "notes", ()) if r.status != "failed" else ():
            more = note_text(key, params, lang)
            note = f"{note}; {more}" if note else more
        rows.append(
            {
                t("train.col.model", lang): model_label(r.name, lang),
                t("train.col.status", lang): t(
                    "train.status.failed" if r.status == "failed" else f"train.source.{r.status}",
                    lang,
                ),
                t("train.col.fit", lang): round(r.fit_seconds, 2),
                t("train.col.predict", lang): round(r.predict_seconds, 2),
                t("train.col.note", lang): note,
            }
        )
    table = pd.DataFrame(rows)
    st.markdown(f"**{t('train.results', lang)}**")
    tips = {
        "train.col.status": "views.train.status_help",
        "train.col.fit": "views.train.fit_help",
        "train.col.predict": "views.train.predict_help",
    }
    config = {t(col, lang): st.column_config.Column(help=t(tip, lang)) for col, tip in tips.items()}
    st.dataframe(table, hide_index=True, width="stretch", column_config=config)
    return table


def fit_times(lang: str) -> pd.DataFrame:
    """``model, fit_seconds, source`` of the latest successful runs (for the chart)."""
    runs = state.get("train_runs") or {}
    return pd.DataFrame(
        [
            {"model": r.name, "fit_seconds": r.fit_seconds, "source": r.status}
            for r in runs.values()
            if r.status != "failed"
        ],
        columns=["model", "fit_seconds", "source"],
    )
