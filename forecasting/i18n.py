"""The one translation layer: Chinese (default) and English.

Strings live in ``forecasting/locales/{lang}.json`` and ``*.{lang}.json`` (one
file per area: ``io.zh.json``, ``ui.zh.json``...) as flat ``"a.b.c": "text"``
maps with ``str.format`` placeholders. A missing key falls back to English and
then to the key itself, so a forgotten translation is visible, never a crash.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("zh", "en")
DEFAULT_LANG = "zh"
_DIR = Path(__file__).with_name("locales")


@cache
def catalog(lang: str) -> dict[str, str]:
    """Return the flat message catalog for ``lang``."""
    merged: dict[str, str] = {}
    for path in sorted(_DIR.glob(f"*.{lang}.json")) + [_DIR / f"{lang}.json"]:
        if path.exists():
            merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def t(key: str, lang: str = DEFAULT_LANG, **params: Any) -> str:
    """Translate ``key`` into ``lang`` and fill in ``params``."""
    lang = lang if lang in LANGUAGES else DEFAULT_LANG
    text = catalog(lang).get(key) or catalog("en").get(key) or key
    if params:
        try:
            return text.format_map(_Lenient(params))
        except (IndexError, ValueError, TypeError):
            # a value that does not fit its format spec (``{n:,}`` given text): plain text
            plain = _SPEC.sub(r"{\1}", text)
            try:
                return plain.format_map(_Lenient({k: str(v) for k, v in params.items()}))
            except (IndexError, ValueError, TypeError):
                return text
    return text


def model_name(alias: str, lang: str = DEFAULT_LANG) -> str:
    """Display name of a model alias (``model.<alias>.name``), the alias if untranslated."""
    key = f"model.{alias}.name"
    text = t(key, lang)
    return alias if text == key else text


def note_text(key: str, params: dict[str, Any], lang: str = DEFAULT_LANG) -> str:
    """A model's run note (``Forecaster.notes_``: an i18n key and its parameters) in
    ``lang``; a ``model`` parameter (an alias) is shown by its display name."""
    params = dict(params)
    if isinstance(params.get("model"), str):
        params["model"] = model_name(params["model"], lang)
    return t(key, lang, **params)


# ``{name:spec}`` / ``{name!r}`` -> ``{name}``
_SPEC = re.compile(r"\{(\w+)(?:![rsa])?(?::[^{}]*)?\}")


class _Lenient(dict):
    """Parameters for ``str.format_map``: a placeholder without a value shows ``…``
    (never the raw ``{name}``)."""

    def __missing__(self, key: str) -> str:
        return "…"
