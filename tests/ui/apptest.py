"""Helpers for the AppTest page tests (their autouse fixtures are in conftest.py).

Every AppTest test runs the real pages in-process with the real library; the
model store is the per-test temporary folder from ``conftest._private_store``
and the background pre-training is off, so timings do not depend on it.
"""

from __future__ import annotations

import html
import json
import re

from streamlit.testing.v1 import AppTest

from tests.support import ROOT

APP = ROOT / "app.py"
SAMPLE = ROOT / "sample_data"
TIMEOUT = 240  # seconds per script run: training on a busy 2-core machine
# A backslash-escaped ASCII punctuation character shows as itself (CommonMark):
# data-derived text reaches Markdown escaped (``forecasting.ui.messages.md_escape``).
_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def shown(markdown: str) -> str:
    """The text a Markdown body shows, as far as escapes go (``a\\_b`` -> ``a_b``)."""
    return _MD_ESCAPE.sub(r"\1", markdown)


def clear_caches() -> None:
    """Forget every in-memory cache, as a server restart would (the disk store stays)."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()


def new_app() -> AppTest:
    """The app at its home page, after one run."""
    return AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()


def open_page(at: AppTest, page: str) -> AppTest:
    """Switch to ``page`` ("home", "data", "train", "forecast") and run it."""
    from forecasting.ui import PAGES

    return at.switch_page(PAGES[page]).run()


def texts(at: AppTest) -> str:
    """Every visible text of the page (markdown, alerts, titles, html) in one string."""
    parts: list[str] = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "info",
        "warning",
        "error",
        "success",
    ):
        parts += [shown(str(e.value)) for e in getattr(at, kind)]
    parts += [html.unescape(str(e.proto.body)) for e in at.get("html")]
    return "\n".join(parts)


def alerts(at: AppTest, kind: str = "error") -> list[str]:
    """The texts of the page's alerts of ``kind`` ("error", "warning", ...), as shown."""
    return [shown(str(e.value)) for e in getattr(at, kind)]


def charts(at: AppTest) -> list[dict]:
    """The Plotly figures on the page, as dicts."""
    return [json.loads(e.proto.spec) for e in at.get("plotly_chart")]


def no_exceptions(at: AppTest) -> None:
    """Fail with the traceback text if any page element is a Streamlit exception."""
    assert not at.exception, [e.value for e in at.exception]


def quickstart(at: AppTest) -> AppTest:
    """Click "load sample" on the home page (trains the default models)."""
    return at.button(key="home_sample").click().run()


def upload(at: AppTest, name: str, data: bytes, mime: str = "text/csv") -> AppTest:
    """Upload a file through the Data page's uploader."""
    return at.file_uploader(key="data_upload").set_value((name, data, mime)).run()


def result_of(at: AppTest):
    """The session's forecast ``Result`` (the session holds only its key)."""
    from forecasting.ui import cache
    from forecasting.ui.state import ResultRef

    ref = at.session_state["result"]
    assert isinstance(ref, ResultRef), ref
    return cache.RESULTS.get(ref.key)


def last_comparison(at: AppTest):
    """The Scenarios page's latest comparison (the session holds only its key)."""
    from forecasting.ui import cache

    return cache.RESULTS.get(at.session_state["sc_last"][1])
