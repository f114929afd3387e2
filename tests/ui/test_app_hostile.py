"""The Data page with hostile files (issue 13): a clear message or a table, never a
traceback, data shown inert, and the session goes on to a forecast afterwards.

The corpus is ``tests/hostile/corpus.py`` (the same files the CLI test runs). One
AppTest session takes every file in turn, as a user trying file after file would,
and ends by loading the sample from the home page and forecasting.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from forecasting.errors import ShopcastError
from forecasting.i18n import t
from tests.hostile.corpus import OK, REFUSE, Case, build, long_frame
from tests.ui.apptest import (
    alerts,
    new_app,
    no_exceptions,
    open_page,
    quickstart,
    result_of,
    shown,
    texts,
    upload,
)

MIME = {
    "csv": "text/csv",
    "zip": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "parquet": "application/octet-stream",
}
# What the Data page's uploader accepts: the browser refuses other extensions itself.
UPLOADABLE = ("csv", "txt", "tsv", "xlsx", "xlsm", "parquet", "zip")
MARKDOWN_KINDS = ("markdown", "caption", "info", "warning", "error", "success")
HOSTILE_SKUS = [
    "![x](http://host/p.png)",
    '<a href="http://host/">click</a>',
    "</title><script>alert(3)</script>",
    "**bold** [link](http://host/)",
]
# The Data page's total for readable files (42 days of SKUs A=10 and B=20 unless named):
# no silently wrong numbers from decimal commas, totals rows, duplicates or encodings.
TOTALS = {
    "baseline_csv": 1260,
    "decimal_comma_csv": 42 * (2100 + 900),
    "decimal_comma_quoted_csv": 42 * (10.5 + 20.5),
    "thousands_comma_csv": 42 * 30_000,
    "dates_dayfirst_csv": 1260,
    "cover_sheet_xlsx": 42 * 30,
    "one_member_zip": 1260,
    "good_parquet": 1260,
    "bom_utf8_csv": 1260,
    "bom_utf16le_csv": 1260,
    "gbk_csv": 1260,
    "crlf_title_lines_csv": 1260,
    "duplicated_dates_csv": 2520,
    "total_row_csv": 1260,
}
# Files the app reads at another step than the CLI: a message or a table, either way.
# (Cases with CLI arguments -- --sheet, --future, --horizon -- are judged the same way:
# uploaded alone, their file is just a table.)
LENIENT = {
    "gap_bomb_csv": "the total level (45k days) is fine; the SKU level is refused when chosen",
}


def live_markup(markdown: str) -> list[str]:
    """Markdown constructs left active (escaped characters skipped)."""
    plain = re.sub(r"\\[!-/:-@\[-`{-~]", "\x01", markdown)
    patterns = {"image": r"!\[", "link": r"\]\(", "html": r"<[A-Za-z/!?]", "url": r"https?://"}
    return [name for name, pat in patterns.items() if re.search(pat, plain)]


def markdown_bodies(at: AppTest) -> list[str]:
    """The raw Markdown of every text element on the page (what the browser renders)."""
    return [str(e.value) for kind in MARKDOWN_KINDS for e in getattr(at, kind)]


def assert_inert(at: AppTest) -> None:
    live = {body: live_markup(body) for body in markdown_bodies(at)}
    assert not {b: v for b, v in live.items() if v}, live


def _mime(name: str) -> str:
    return MIME.get(name.rsplit(".", 1)[-1], "application/octet-stream")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, list[Case]]:
    folder = tmp_path_factory.mktemp("hostile-app")
    return folder, build(folder)


@pytest.fixture(scope="module")
def session() -> Iterator[AppTest]:
    """One Data-page session for the whole module (no background pre-training)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SHOPCAST_PRETRAIN", "0")
        yield open_page(new_app(), "data")


def _loaded(at: AppTest, name: str) -> bool:
    src = at.session_state["data_source"] if "data_source" in at.session_state else None
    label = t("data.metric.series", "zh")
    return src is not None and src.name == name and any(m.label == label for m in at.metric)


def _total(at: AppTest) -> str | None:
    label = t("data.metric.total", "zh")
    return next((m.value for m in at.metric if m.label == label), None)


def test_every_hostile_file_gives_a_message_or_a_table(corpus, session):
    folder, cases = corpus
    at = session
    problems: dict[str, str] = {}
    tried = 0
    for case in cases:
        if not case.file.endswith(UPLOADABLE):
            continue
        tried += 1
        data = (folder / case.file).read_bytes()
        upload(at, case.file, data, _mime(case.file))
        errors, warnings = alerts(at), alerts(at, "warning")
        if at.exception:
            problems[case.name] = f"exception: {[e.value for e in at.exception]}"
            continue
        if live := [b for b in markdown_bodies(at) if live_markup(b)]:
            problems[case.name] = f"live markup: {live}"
            continue
        if any(t("ui.error.unexpected", "zh") in e for e in errors):
            problems[case.name] = f"unexpected error: {errors}"
            continue
        loaded = _loaded(at, case.file)
        if case.name in LENIENT or case.args or case.expect not in (OK, REFUSE):
            ok = loaded or errors or warnings
        elif case.expect == OK:
            ok = loaded and not errors
        else:
            ok = bool(errors or warnings) and not (loaded and not errors)
        if not ok:
            problems[case.name] = f"loaded={loaded} errors={errors} warnings={warnings[:2]}"
        elif loaded and not re.fullmatch(r"-?[\d,]+", _total(at) or ""):  # inf, nan
            problems[case.name] = f"total {_total(at)}"
        elif case.name in TOTALS and _total(at) != f"{TOTALS[case.name]:,.0f}":
            problems[case.name] = f"total {_total(at)}, expected {TOTALS[case.name]:,.0f}"
    assert tried >= 40 and not problems, (tried, problems)


def test_after_the_hostile_files_the_sample_still_forecasts(session):
    at = open_page(session, "home")
    quickstart(at)
    no_exceptions(at)
    result = result_of(at)
    assert result is not None and len(result.forecast)
    assert at.session_state["data_source"].name == "shop_sales.csv"


def test_hostile_sku_and_file_names_show_literally_and_stay_inert():
    values = [-5.0, 10.0, 20.0, 30.0]
    frame = long_frame(HOSTILE_SKUS, values)
    name = "![f](http://host/f.png).csv"
    at = open_page(new_app(), "data")
    upload(at, name, frame.to_csv(index=False).encode("utf-8"))
    no_exceptions(at)
    assert at.session_state["data_source"].name == name
    assert t("data.current", "zh", name=name) in texts(at)
    assert_inert(at)
    level = next(s for s in at.selectbox if s.label == t("data.level", "zh"))
    level.set_value("商品").run()
    no_exceptions(at)
    assert_inert(at)
    flagged = "\n".join(alerts(at, "warning") + alerts(at, "info"))
    assert HOSTILE_SKUS[0] in flagged, flagged  # the negative SKU, named literally


def test_an_untranslated_library_error_shows_a_generic_message(monkeypatch):
    import forecasting.data as data

    def refuse(*args, **kwargs):
        raise ShopcastError("brand_new_refusal", file=kwargs.get("name"), rows=400)

    monkeypatch.setattr(data, "read_table", refuse)
    at = open_page(new_app(), "data")
    upload(at, "x_<b>.csv", b"a,b\n1,2\n")
    no_exceptions(at)
    (err,) = alerts(at)
    assert err.startswith(t("uisafety.error.unknown", "zh")[:6]), err
    assert "brand_new_refusal" not in err and "x_<b>.csv" in err and "400" in err


# ---------------------------------------------------------------- workbooks
def _workbook(sheets: dict[str, list[list]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _sales_rows(value: float = 30.0) -> list[list]:
    days = pd.date_range("2024-01-01", periods=42, freq="D")
    return [["日期", "商品", "销量"], *[[d.to_pydatetime(), "A", value] for d in days]]


def _sheet_picker(at: AppTest):
    label = t("data.sheet", "zh")
    return next((s for s in at.selectbox if s.label == label), None)


def _upload_xlsx(at: AppTest, name: str, data: bytes) -> AppTest:
    return upload(at, name, data, MIME["xlsx"])


def test_one_row_cover_sheet_opens_on_the_data_sheet_with_the_picker():
    book = _workbook({"封面": [["2024年销售报表（内部）"]], "明细": _sales_rows()})
    at = _upload_xlsx(open_page(new_app(), "data"), "cover.xlsx", book)
    no_exceptions(at)
    picker = _sheet_picker(at)
    assert picker is not None and picker.options == ["封面", "明细"]
    assert picker.value == "明细" and not alerts(at)
    assert _loaded(at, "cover.xlsx")


def test_a_longer_cover_sheet_can_be_left_for_the_data_sheet():
    cover = [["2024年销售报表"], ["导出时间 2024-02-15"], ["内部资料，请勿外传"]]
    book = _workbook({"说明": cover, "明细": _sales_rows(12.0)})
    at = _upload_xlsx(open_page(new_app(), "data"), "report.xlsx", book)
    no_exceptions(at)
    picker = _sheet_picker(at)
    assert picker is not None, "the sheet picker must show for a workbook of two sheets"
    picker.set_value("明细").run()
    no_exceptions(at)
    assert not alerts(at), alerts(at)
    assert at.session_state["data_sheet"] == "明细"
    total = next(m.value for m in at.metric if m.label == t("data.metric.total", "zh"))
    assert total == f"{12.0 * 42:,.0f}"
    picker = _sheet_picker(at)
    picker.set_value("说明").run()  # back to the cover: a message, the picker stays
    no_exceptions(at)
    assert alerts(at) + alerts(at, "warning") and _sheet_picker(at) is not None


def test_a_workbook_whose_automatic_read_fails_is_taken_on_a_readable_sheet(monkeypatch):
    import forecasting.data as data

    real = data.read_table

    def first_sheet_breaks(source, name=None, sheet=None, **kw):
        if sheet is None or sheet == "坏表":
            raise ShopcastError("io_unreadable", file=name, kind="Excel", detail="formulas")
        return real(source, name=name, sheet=sheet, **kw)

    monkeypatch.setattr(data, "read_table", first_sheet_breaks)
    book = _workbook({"坏表": _sales_rows(1.0), "明细": _sales_rows(7.0)})
    at = _upload_xlsx(open_page(new_app(), "data"), "broken_first.xlsx", book)
    no_exceptions(at)
    assert at.session_state["data_source"].name == "broken_first.xlsx"
    picker = _sheet_picker(at)
    assert picker is not None and picker.value == "明细"
    picker.set_value("坏表").run()
    no_exceptions(at)
    errs = alerts(at)
    assert errs and "坏表" in errs[0] and _sheet_picker(at) is not None
    assert shown(t("uisafety.sheet_unreadable", "zh", sheet="坏表", reason="x"))[:8] in errs[0]


def test_gap_bomb_by_sku_is_refused_with_the_offending_rows_named(corpus):
    folder, _ = corpus
    at = open_page(new_app(), "data")
    upload(at, "gap_bomb.csv", (folder / "gap_bomb.csv").read_bytes())
    no_exceptions(at)
    level = next(s for s in at.selectbox if s.label == t("data.level", "zh"))
    level.set_value("商品").run()
    no_exceptions(at)
    errs = alerts(at)
    assert errs and "1901" in errs[0], errs
    assert "grid_too_large" not in errs[0]
    # the choice is undone: the page goes on at the total level, which fits
    level = next(s for s in at.selectbox if s.label == t("data.level", "zh"))
    assert level.value == "total" and at.session_state["data_level"] == "total"
    assert _loaded(at, "gap_bomb.csv")
    at.run()
    no_exceptions(at)
    assert not alerts(at)
