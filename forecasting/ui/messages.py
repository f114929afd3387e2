"""Texts the pages show: errors, findings and warnings, with data made inert.

Streamlit renders the body of ``st.markdown``, ``st.caption``, ``st.info``,
``st.warning``, ``st.error``, ``st.success``, ``st.toast`` and widget labels
as Markdown. Anything that comes from the user's data (SKU names, cell values,
headers, file and sheet names, scenario names) must reach it through
:func:`md_escape` — or, for translated messages, through :func:`keyed_text`,
which escapes every text parameter — so that a SKU named
``![x](http://host/p.png)`` shows as those characters and never makes the
browser fetch the image. ``st.html`` takes :func:`html.escape` instead.

A leaf module: nothing else from ``ui`` is imported.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from numbers import Number
from typing import Any

from forecasting.errors import ShopcastError
from forecasting.i18n import catalog, t

__all__ = [
    "error_text",
    "finding_text",
    "keyed_text",
    "md_escape",
    "safe_params",
    "short_error",
    "warning_text",
]

# CommonMark lets every ASCII punctuation character be backslash-escaped, and an
# escaped one is always shown as itself. Escaping all of them (rather than a
# hand-picked few) also defuses GFM autolinks (``www.``, ``http://``, ``a@b.c``),
# math (``$``), HTML and entities (``<``, ``&``) and Streamlit's own
# ``:material/icon:`` / ``:red[text]`` directives (``:`` and ``[``).
_MD_SPECIAL = re.compile("([" + re.escape(string.punctuation) + "])")
# Line breaks and other control characters would start a new Markdown block
# (a heading, a list, a code block); bidi overrides could reorder what is shown.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]+")
_DETAIL_CHARS = 200  # an unknown message shows at most this much of its parameters


def md_escape(text: Any) -> str:
    """``text`` as Markdown that shows exactly these characters, on one line.

    Args:
        text: any value; ``None`` gives ``""``.

    Returns:
        The text with control characters and line breaks turned into spaces and
        every ASCII punctuation character backslash-escaped.
    """
    if text is None:
        return ""
    flat = _CONTROL.sub(" ", str(text))
    return _MD_SPECIAL.sub(r"\\\1", flat)


def safe_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Message parameters with every text made inert (numbers stay numbers).

    Numbers keep their type so that format specs in a template (``{n:,}``) still
    apply; everything else (names, cells, headers, dates, lists) becomes escaped text.
    """
    out: dict[str, Any] = {}
    for key, value in (params or {}).items():
        keep = isinstance(value, Number) and not isinstance(value, bool)
        out[key] = value if keep else md_escape(value)
    return out


def keyed_text(
    key: str, params: Mapping[str, Any] | None, lang: str, *, markdown: bool = True
) -> str:
    """The translation of ``key`` (e.g. ``"error.io_empty"``) with escaped parameters.

    A key neither catalog knows (a library message newer than its translation)
    gives a clear generic sentence with the parameters as detail, never the raw key.

    Args:
        key: the full translation key.
        params: the message's values (names, cells, counts...).
        lang: "zh" or "en".
        markdown: False for plain-text places (table cells, option labels): the
            parameters are then left as they are.
    """
    if key in catalog(lang) or key in catalog("en"):
        return t(key, lang, **(safe_params(params) if markdown else dict(params or {})))
    kind = "error" if key.startswith("error.") else "notice"
    detail = _detail(params, markdown)
    if detail:
        return t(f"uisafety.{kind}.unknown_detail", lang, detail=detail)
    return t(f"uisafety.{kind}.unknown", lang)


def _detail(params: Mapping[str, Any] | None, markdown: bool) -> str:
    parts = [f"{k}: {v}" for k, v in (params or {}).items() if v is not None and str(v) != ""]
    text = "; ".join(parts)
    if len(text) > _DETAIL_CHARS:
        text = text[: _DETAIL_CHARS - 1] + "…"
    return md_escape(text) if markdown else text


def short_error(exc: BaseException) -> str:
    """``Type: first line of message`` (at most 160 characters), as plain text."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:160]}" if text else type(exc).__name__


def error_text(exc: BaseException, lang: str, *, markdown: bool = True) -> str:
    """The user's message for ``exc`` as Markdown: its own translation, or a generic one.

    A ``ShopcastError`` gives its translated message (parameters escaped); any other
    exception the generic "something went wrong" with a one-line escaped detail.
    ``markdown=False`` gives the same text unescaped, for table cells.
    """
    if isinstance(exc, ShopcastError):
        return keyed_text(f"error.{exc.key}", exc.params, lang, markdown=markdown)
    detail = md_escape(short_error(exc)) if markdown else short_error(exc)
    return t("ui.error.unexpected", lang) + " " + t("ui.error.detail", lang, detail=detail)


def finding_text(finding: Any, lang: str) -> str:
    """A data-quality ``Finding`` (``quality.<key>``) as Markdown with escaped parameters."""
    return keyed_text(f"quality.{finding.key}", getattr(finding, "params", None), lang)


def warning_text(warning: Any, lang: str) -> str:
    """A ``ScenarioWarning`` (``scenario.warn.<key>``) as Markdown with escaped parameters."""
    return keyed_text(f"scenario.warn.{warning.key}", getattr(warning, "params", None), lang)
