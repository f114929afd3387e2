"""One exception type for everything a user can get wrong.

Errors carry a translation key and parameters rather than a finished sentence,
so the dashboard and the CLI can render them in the user's language.
"""

from __future__ import annotations

from typing import Any


class ShopcastError(Exception):
    """A user-facing error: bad file, bad column, bad setting.

    Args:
        key: translation key under ``error.`` in ``forecasting/locales/*.json``.
        **params: values substituted into the message (file, column, row...).
    """

    def __init__(self, key: str, **params: Any) -> None:
        self.key = key
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "zh") -> str:
        """The message in ``lang`` ("zh" or "en")."""
        from forecasting.i18n import t

        return t(f"error.{self.key}", lang, **self.params)
