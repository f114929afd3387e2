"""Data: upload, check the column mapping, see the summary and warnings, pick the level."""

from __future__ import annotations

import streamlit as st

from forecasting.i18n import t
from forecasting.ui import bootstrap, guard, widgets
from forecasting.ui.views import data as data_view

lang = bootstrap("data")
st.title(t("page.data.title", lang))
widgets.journey(lang, current="data")

with guard(lang):
    raw = data_view.file_section(lang)
    data_view.mapping_editor(raw, lang)
    view = data_view.current_view(lang)
    data_view.level_controls(view, lang)
    data_view.calendar_picker(lang)
    data_view.plan_picker(view, lang)
    data_view.data_summary(view, lang)
    data_view.history_chart(view, lang)
    data_view.next_link(lang)
