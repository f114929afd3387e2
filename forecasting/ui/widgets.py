"""Widgets several pages share: the journey, the data line, training messages, tables.

Page-specific blocks live in ``views/<page>.py``.
"""

from __future__ import annotations

import html
import threading
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from forecasting.charts.forecast import model_label
from forecasting.i18n import t
from forecasting.ui import interruption, state
from forecasting.ui.defaults import base_freq
from forecasting.ui.interruption import training_session as training_session
from forecasting.ui.messages import error_text, md_escape

if TYPE_CHECKING:
    from forecasting.ui.actions import DataView


# The journey's placeholder of the current script run (one script thread per session
# run): a training later in the same run redraws it, so it never shows the old state.
_journey = threading.local()


def journey_status() -> dict[str, str]:
    """Each step's status: "done", "stale" (made from other data or settings) or "todo"."""
    from forecasting.ui.actions import stale_reasons

    reasons = stale_reasons()
    fc = "todo" if reasons is None else ("stale" if reasons else "done")
    return {
        "data": "done" if state.get("data_source") is not None else "todo",
        "train": fc,
        "forecast": fc,
    }


def journey(lang: str, current: str) -> None:
    """The three steps (data, train, forecast) with what is done, or outdated."""
    _journey.slot = st.empty()
    _journey.current = current
    _draw_journey(lang)


def forget_journey() -> None:
    """Start of a page run: the journey of the previous run is gone."""
    _journey.slot = None


def refresh_journey(lang: str) -> None:
    """Redraw this run's journey (after a training changed what is done)."""
    if getattr(_journey, "slot", None) is not None:
        _draw_journey(lang)


def _draw_journey(lang: str) -> None:
    status = journey_status()
    cells = []
    for i, step in enumerate(("data", "train", "forecast"), start=1):
        cls = status[step] if status[step] != "todo" else ""
        cls += " current" if step == _journey.current else ""
        mark = {"done": "✓", "stale": "!"}.get(status[step], str(i))
        text = t(f"journey.{status[step]}", lang)
        cells.append(
            f"<div class='sc-step {cls}'><span class='sc-num'>{mark}</span>"
            f"<b>{html.escape(t(f'journey.{step}', lang))}</b>{html.escape(text)}</div>"
        )
    title = html.escape(t("journey.title", lang), quote=True)
    _journey.slot.html(f"<div class='sc-steps' aria-label='{title}'>{''.join(cells)}</div>")


def stale_text(reasons: list[str], lang: str) -> str:
    """The changed inputs in words: "预测层级、模型" / "forecast level, models"."""
    sep = "、" if lang == "zh" else ", "
    return sep.join(t(f"views.input.{r}", lang) for r in reasons)


def level_label(level: str, lang: str) -> str:
    """ "All (aggregated)" or "By <column>" (plain text: escape it for Markdown)."""
    return t("level.total", lang) if level == "total" else t("level.by", lang, column=level)


def data_line(view: DataView, lang: str) -> None:
    """One line naming the data the models will be trained on."""
    n = view.history["unique_id"].nunique()
    periods = view.history.groupby("unique_id", observed=True).size().max()
    st.markdown(
        t(
            "train.data_info",
            lang,
            name=md_escape(view.source.name),
            level=md_escape(level_label(view.level, lang)),  # the column name is data
            n=f"{n:,}",
            freq=t(f"freq.{base_freq(view.freq)}", lang),
            periods=f"{periods:,}",
        )
    )


def training_outcome(lang: str) -> None:
    """The message of the latest training (success, partial failure, nothing)."""
    runs = state.get("train_runs") or {}
    if not runs:
        return
    ok = [r for r in runs.values() if r.status != "failed"]
    failed = [r for r in runs.values() if r.status == "failed"]
    if interruption.was_stopped():
        st.warning(t("train.stopped", lang), icon=":material/pause_circle:")
    elif ok:
        st.success(t("train.done", lang, n=len(ok)), icon=":material/check_circle:")
    for r in failed:
        msg = error_text(r.error, lang) if r.error else t("train.status.failed", lang)
        label = md_escape(model_label(r.name, lang))
        st.error(f"**{label}**：{msg}" if lang == "zh" else f"**{label}**: {msg}")


def table(frame: pd.DataFrame, height: int = 280) -> None:
    """A read-only table with every number shown with one decimal, thousands separated."""
    numeric = [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c])]
    config = {c: st.column_config.NumberColumn(format="%,.1f") for c in numeric}
    st.dataframe(frame, hide_index=True, height=height, column_config=config)
