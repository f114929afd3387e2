"""A training stopped by a click: mark it while it runs, tell the user on the next run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from forecasting.i18n import t

ACTIVE = "_training_active"
STOPPED = "_training_stopped"


@contextmanager
def training_session() -> Iterator[None]:
    """Mark a training as running; if the script is interrupted (a click), the mark stays
    and ``interrupted_notice`` tells the user on the next run."""
    st.session_state[ACTIVE] = True
    try:
        yield
    except Exception:
        st.session_state.pop(ACTIVE, None)  # an error, not a stop
        raise
    st.session_state.pop(ACTIVE, None)


def interrupted_notice(lang: str) -> None:
    """Tell the user, on whatever page they went to, that a training was stopped."""
    if st.session_state.pop(ACTIVE, False):
        st.session_state[STOPPED] = True
        st.toast(t("train.stopped", lang), icon=":material/pause_circle:")


def was_stopped() -> bool:
    """Whether the latest training was interrupted."""
    return bool(st.session_state.get(STOPPED))


def clear_stopped() -> None:
    """Forget the interruption (a new training starts)."""
    st.session_state.pop(STOPPED, None)
