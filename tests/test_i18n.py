"""One translation-completeness check over every module that shows text.

Scans every Python file of the library, the pages and ``app.py`` for the keys it
shows (``t("...")`` literals, ``ShopcastError("...")`` → ``error.*``,
``Finding("...")`` → ``quality.*``, ``ScenarioWarning("...")`` → ``scenario.warn.*``)
and checks each exists in the Chinese and the English catalog, with the same
placeholders, and that English text holds no Chinese except quoted examples.
"""

from __future__ import annotations

import json
import re

import pytest

from forecasting.i18n import LANGUAGES, catalog
from tests.support import ROOT

LOCALES = ROOT / "forecasting" / "locales"
SOURCES = sorted(
    [*(ROOT / "forecasting").rglob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "app.py"]
)
PATTERNS = {  # regex over the source -> translation key
    r"""\bt\(\s*["']([a-z0-9_.]+)["']""": "{}",
    r'ShopcastError\(\s*"(\w+)"': "error.{}",
    r'_type_error\([^)]*"(\w+)"\)': "error.scenario_expected_{}",
    r'Finding\(\s*"(\w+)"': "quality.{}",
    r'ScenarioWarning\(\s*"(\w+)"': "scenario.warn.{}",
}
# English messages that quote Chinese on purpose (column names, 折 examples, language names).
CHINESE_EXAMPLES = {
    "ui.language",
    "ui.lang.zh",
    "quality.discount_rule_paid",
    "error.scenario_expected_list",
    "error.scenario_expected_target",
    "error.scenario_empty_name",
    "error.scenario_discount_percent",
    "error.inventory_stock_columns",
}


def shown_keys() -> dict[str, set[str]]:
    """Translation key -> the files that show it."""
    keys: dict[str, set[str]] = {}
    for path in SOURCES:
        text = path.read_text("utf-8")
        for pattern, template in PATTERNS.items():
            for k in re.findall(pattern, text):
                keys.setdefault(template.format(k), set()).add(str(path.relative_to(ROOT)))
    keys.update(
        {f"quality.discount_rule_{r}": {"data/parsing"} for r in ("paid", "percent", "off")}
    )
    return keys


def test_the_scan_sees_every_kind_of_text():
    keys = shown_keys()
    assert len(keys) > 400
    for prefix in ("error.", "quality.", "scenario.warn.", "ui.", "sc."):
        assert any(k.startswith(prefix) for k in keys), prefix


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_shown_key_exists_in_both_languages(lang):
    cat = catalog(lang)
    missing = {k: sorted(v) for k, v in shown_keys().items() if k not in cat}
    assert not missing, (lang, missing)


def test_catalogs_match_key_for_key_and_placeholder_for_placeholder():
    for zh_file in sorted(LOCALES.glob("*zh.json")):
        en_file = zh_file.with_name(zh_file.name.replace("zh.json", "en.json"))
        zh = json.loads(zh_file.read_text("utf-8"))
        en = json.loads(en_file.read_text("utf-8"))
        assert zh.keys() == en.keys(), (zh_file.name, set(zh) ^ set(en))
        for k in zh:
            assert set(re.findall(r"{(\w+)}", zh[k])) == set(re.findall(r"{(\w+)}", en[k])), k


def test_english_has_no_untranslated_chinese():
    en = catalog("en")
    left = [k for k, v in en.items() if re.search(r"[\u4e00-\u9fff]", v)]
    assert sorted(set(left) - CHINESE_EXAMPLES) == []


def test_parameters_that_do_not_fit_never_show_raw_placeholders(monkeypatch):
    from forecasting import i18n

    monkeypatch.setitem(i18n.catalog("en"), "x.rows", "{n:,} rows in {name}")
    assert i18n.t("x.rows", "en", n=1234, name="a") == "1,234 rows in a"
    assert i18n.t("x.rows", "en", n="many", name="a") == "many rows in a"  # spec does not fit
    assert i18n.t("x.rows", "en", n=5) == "5 rows in …"  # a value is missing


def test_run_notes_name_models_by_their_display_name():
    from forecasting.i18n import note_text, t

    note = ("ensemble.note.panel", {"model": "seasonal_naive"})
    zh, en = note_text(*note, "zh"), note_text(*note, "en")
    assert "季节性朴素" in zh and "seasonal_naive" not in zh
    assert "Seasonal naive" in en and "seasonal_naive" not in en
    assert en == t("ensemble.note.panel", "en", model="Seasonal naive")
    # an alias without a translation stays as it is; other parameters pass through
    assert "mystery" in note_text("ensemble.note.panel", {"model": "mystery"}, "en")
    assert "12" in note_text("ensemble.note.sampled", {"n": 5, "of": 12}, "en")
