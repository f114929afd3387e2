"""Error texts shared by the pages (a leaf module: nothing else from ``ui`` imported)."""

from __future__ import annotations

from forecasting.errors import ShopcastError
from forecasting.i18n import t


def short_error(exc: BaseException) -> str:
    """``Type: first line of message`` (at most 160 characters)."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:160]}" if text else type(exc).__name__


def error_text(exc: BaseException, lang: str) -> str:
    """The user's message for ``exc``: its own translation, or a generic one with detail."""
    if isinstance(exc, ShopcastError):
        return exc.message(lang)
    return (
        t("ui.error.unexpected", lang) + " " + t("ui.error.detail", lang, detail=short_error(exc))
    )
