"""Shopcast home: what it does, one click to a forecast, where you are."""

from __future__ import annotations

from forecasting.ui import bootstrap, guard, widgets
from forecasting.ui.views import home as home_view

lang = bootstrap("home")
home_view.hero(lang)
widgets.journey(lang, current="data")

with guard(lang):
    home_view.start_section(lang)
