"""Session state holds keys and small settings only; frames live in server-side caches."""

from __future__ import annotations

import pickle

import pandas as pd

from tests.ui.apptest import new_app, no_exceptions, open_page, quickstart

MAX_VALUE_BYTES = 20_000  # a key, a list of names, a small dict of run infos


def _state_items(at):
    ss = at.session_state
    keys = list(ss._state.filtered_state)  # AppTest exposes no public iterator
    return {k: ss[k] for k in keys}


def test_session_state_keeps_only_small_values_across_the_journey():
    at = quickstart(new_app())
    for page in ("data", "train", "forecast", "scenarios", "backtest"):
        at = open_page(at, page)
        no_exceptions(at)
        items = _state_items(at)
        assert "result" in items
        for key, value in items.items():
            assert not isinstance(value, pd.DataFrame | pd.Series | bytes), (page, key)
            size = len(pickle.dumps(value))
            assert size < MAX_VALUE_BYTES, (page, key, type(value).__name__, size)
