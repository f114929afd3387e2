"""Texts the pages show: data made inert in Markdown, unknown message keys made clear."""

from __future__ import annotations

import re

import pytest

from forecasting.errors import ShopcastError
from forecasting.i18n import catalog, t
from forecasting.ui.messages import (
    error_text,
    finding_text,
    keyed_text,
    md_escape,
    safe_params,
    warning_text,
)
from tests.ui.apptest import shown

HOSTILE = [
    "![x](http://host/p.png)",
    '<a href="http://host/">click</a>',
    "</title><script>alert(3)</script>",
    "**bold** _it_ `code` ~~del~~",
    "[link](http://host/) <http://host/> www.host.com a@host.com",
    ":red[colour] :material/home: $x^2$ &lt; &#60;",
    "# heading\n- item\n\n    code\r\n> quote | table |",
    '=HYPERLINK("http://x/?leak="&A1,"click")',
    "a\\![x](http://host/p.png)",  # an escaped backslash must not un-escape the image
]


def live_markup(markdown: str) -> list[str]:
    """Markdown constructs left active in ``markdown`` (escaped characters skipped)."""
    plain = re.sub(r"\\[!-/:-@\[-`{-~]", "\x01", markdown)  # every escape pair is inert
    patterns = {
        "image": r"!\[",
        "link": r"\]\(",
        "html": r"<[A-Za-z/!?]",
        "autolink": r"https?://|www\.|@\w",
        "emphasis": r"\*\*|__|~~|`",
        "directive": r":[a-z]+(\[|/)",
        "math": r"\$",
        "entity": r"&#?\w+;",
        "newline": r"[\r\n]",
    }
    return [name for name, pat in patterns.items() if re.search(pat, plain)]


@pytest.mark.parametrize("text", HOSTILE)
def test_md_escape_leaves_nothing_active_and_shows_the_same_characters(text):
    out = md_escape(text)
    assert live_markup(out) == [], (text, out)
    assert shown(out) == re.sub(r"[\r\n]+", " ", text)


def test_md_escape_keeps_ordinary_text_and_chinese():
    assert md_escape("面霜 SKU 12") == "面霜 SKU 12"
    assert md_escape(None) == ""
    assert md_escape(3.5) == r"3\.5"


def test_safe_params_escapes_text_and_keeps_numbers_for_format_specs():
    params = safe_params({"n": 1234, "share": 0.25, "sku": "![x](http://h/p.png)", "ok": True})
    assert params["n"] == 1234 and params["share"] == 0.25
    assert live_markup(params["sku"]) == []
    assert params["ok"] == "True"
    assert "{n:,}".format(**params) == "1,234"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_error_with_hostile_file_name_is_translated_and_inert(lang):
    exc = ShopcastError("io_empty", file="![f](http://host/f.png).csv")
    text = error_text(exc, lang)
    assert live_markup(text) == []
    assert shown(text) == t("error.io_empty", lang, file="![f](http://host/f.png).csv")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_unknown_error_key_gives_a_clear_generic_message(lang):
    exc = ShopcastError("brand_new_refusal", file="<script>x</script>.csv", rows=400)
    text = error_text(exc, lang)
    assert "brand_new_refusal" not in text and "error." not in text
    assert text.startswith(t("uisafety.error.unknown", lang)[:6])
    assert "400" in text and live_markup(text) == []
    assert "<script>x</script>.csv" in shown(text)
    bare = error_text(ShopcastError("brand_new_refusal"), lang)
    assert bare == t("uisafety.error.unknown", lang)


def test_plain_text_variant_for_table_cells_is_not_escaped():
    exc = ShopcastError("io_empty", file="a_b.csv")
    assert error_text(exc, "en", markdown=False) == t("error.io_empty", "en", file="a_b.csv")
    unknown = ShopcastError("brand_new_refusal", file="a_b.csv")
    assert "a_b.csv" in error_text(unknown, "en", markdown=False)


def test_other_exceptions_give_the_generic_message_with_an_inert_detail():
    text = error_text(ValueError("could not convert '![x](http://h/p.png)' to float"), "en")
    assert text.startswith(t("ui.error.unexpected", "en"))
    assert live_markup(text) == []


def test_findings_and_scenario_warnings_are_inert_and_unknown_keys_generic():
    from forecasting.data.quality import Finding
    from forecasting.planning.scenarios import ScenarioWarning

    sku = "![x](http://host/p.png)"
    finding = Finding(
        "negative_values",
        "warning",
        {"count": 2, "n_series": 1, "series": sku, "date": "2024-01-01", "value": -5},
    )
    text = finding_text(finding, "zh")
    assert live_markup(text) == [] and sku in shown(text)
    unknown = finding_text(Finding("brand_new_check", "warning", {"series": sku}), "en")
    assert unknown.startswith(t("uisafety.notice.unknown", "en")[:10])
    assert "brand_new_check" not in unknown and live_markup(unknown) == []
    warn = ScenarioWarning("brand_new_warning", {"name": sku})
    assert "brand_new_warning" not in warning_text(warn, "zh")


def test_generic_messages_exist_in_both_languages():
    for key in ("error", "notice"):
        for suffix in ("unknown", "unknown_detail"):
            k = f"uisafety.{key}.{suffix}"
            assert k in catalog("zh") and k in catalog("en"), k
    assert keyed_text("sc.upload_ok", {"file": "a_b.json", "n": 2}, "en") == t(
        "sc.upload_ok", "en", file=r"a\_b\.json", n=2
    )


def test_the_checker_sees_live_markup_in_unescaped_text():
    assert {"image", "link", "autolink"} <= set(live_markup("![x](http://host/p.png)"))
    assert "html" in live_markup('<a href="http://host/">click</a>')
    assert "image" in live_markup(r"a\\![x](y)")  # an escaped backslash, then a live image


def test_backtest_failure_reasons_are_inert_and_never_a_raw_key():
    from forecasting.ui.views.backtest import failure_lines

    failures = [
        {"model": "ets", "key": "brand_new_refusal", "params": {"series": "![x](http://h/p.png)"}},
        {"model": "ets", "key": "io_empty", "params": {"file": "b.csv"}},
        {"model": "theta", "key": "io_empty", "params": {"file": "<b>.csv"}},
    ]
    (m1, k1, r1), (m2, k2, r2) = failure_lines(failures, "en")
    assert (m1, k1, m2, k2) == ("ets", 2, "theta", 1)
    assert "brand_new_refusal" not in r1 and live_markup(r1) == []
    assert shown(r2) == t("error.io_empty", "en", file="<b>.csv") and live_markup(r2) == []
