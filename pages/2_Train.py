"""Train: pick models, horizon, interval levels; train with progress; fit time per model."""

from __future__ import annotations

import streamlit as st

from forecasting.i18n import t
from forecasting.ui import bootstrap, guard, widgets
from forecasting.ui.views import train as train_view

lang = bootstrap("train")
st.title(t("page.train.title", lang))
widgets.journey(lang, current="train")

with guard(lang):
    view = train_view.require_data(lang)
    widgets.data_line(view, lang)
    train_view.model_picker(lang)
    train_view.train_settings(view.freq, lang)
    train_view.train_buttons(view, lang)

with guard(lang):
    train_view.results(lang)
