"""Data intake: reading uploads, guessing the mapping, cleaning, cutting histories."""

from __future__ import annotations

import io as _io
import pickle
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting.data import (
    MAX_BYTES,
    WIDE_ID,
    ColumnMapping,
    SalesData,
    detect_mapping,
    load,
    normalize_discount,
    parse_dates,
    read_future,
    read_table,
    to_flag,
    to_number,
)
from forecasting.errors import ShopcastError
from forecasting.schema import infer_freq, validate_history
from tests.support import ROOT, SHARED_DATA

DATA = SHARED_DATA
SAMPLE = ROOT / "sample_data" / "shop_sales.csv"


def real(*parts: str) -> Path:
    path = DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not available: {path} (../shared/data is absent)")
    return path


def shop_frame(days: int = 60, seed: int = 0, start: str = "2024-01-01") -> pd.DataFrame:
    """Daily shop export: 2 categories x 2 products, Chinese headers."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range(start, periods=days, freq="D")
    rows = []
    for cat, skus in (("面霜", ["A01", "A02"]), ("口红", ["B01", "B02"])):
        for k, sku in enumerate(skus):
            units = rng.poisson(20 + 10 * k, days).astype(float)
            price = np.round(rng.uniform(80, 120, days), 1)
            promo = (rng.random(days) < 0.2).astype(int)
            rows.append(
                pd.DataFrame(
                    {
                        "日期": ds.strftime("%Y/%m/%d"),
                        "品类": cat,
                        "商品": sku,
                        "销量": units,
                        "价格": price,
                        "折扣": 0.9,
                        "促销": promo,
                        "销售额": units * price,
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)


def csv_bytes(df: pd.DataFrame, encoding: str = "utf-8", sep: str = ",") -> bytes:
    return df.to_csv(index=False, sep=sep).encode(encoding)


def err(exc_info: pytest.ExceptionInfo) -> ShopcastError:
    return exc_info.value


# ---------------------------------------------------------------- read_table


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_read_table_encodings_give_same_frame(encoding):
    df = shop_frame(days=5)
    raw = read_table(csv_bytes(df, encoding), name=f"shop_{encoding}.csv")
    assert list(raw.columns) == list(df.columns)  # no BOM glued to the first header
    assert raw["品类"].tolist() == df["品类"].tolist()
    assert raw["销量"].sum() == df["销量"].sum()
    assert raw.attrs["source_name"] == f"shop_{encoding}.csv"


@pytest.mark.parametrize("sep", ["\t", ";", "|"])
def test_read_table_sniffs_delimiter(sep):
    df = shop_frame(days=3)
    raw = read_table(csv_bytes(df, sep=sep), name="x.txt")
    assert raw.shape == df.shape


def test_read_table_keeps_quoted_commas_and_skips_title_lines():
    text = (
        "店铺销售报表\n\n日期,商品,标题,销量\n"
        '2024-01-01,001,"面霜, 50g",3\n2024-01-02,001,"面霜, 50g",4\n'
    )
    raw = read_table(text.encode("gbk"), name="report.csv")
    assert list(raw.columns) == ["日期", "商品", "标题", "销量"]
    assert raw["标题"].iloc[0] == "面霜, 50g"
    assert raw["商品"].iloc[0] == "001"  # product codes keep their leading zeros
    assert raw.attrs["header_row"] == 2


def test_read_table_file_like_and_path(tmp_path):
    df = shop_frame(days=3)
    buf = _io.BytesIO(csv_bytes(df))
    buf.name = "上传.csv"  # like Streamlit's UploadedFile
    buf.read()  # a rerun may have consumed it already
    raw = read_table(buf)
    assert raw.attrs["source_name"] == "上传.csv" and len(raw) == len(df)
    path = tmp_path / "shop.csv"
    path.write_bytes(csv_bytes(df))
    assert read_table(path).shape == df.shape
    assert read_table(str(path)).shape == df.shape


def test_read_table_xlsx_with_title_row_and_sheets():
    df = shop_frame(days=4)
    df["日期"] = pd.to_datetime(df["日期"])  # real Excel date cells
    buf = _io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        pd.DataFrame().to_excel(xw, sheet_name="封面", index=False)
        df.to_excel(xw, sheet_name="明细", index=False, startrow=2)
        xw.book["明细"]["A1"] = "2024年1月 销售明细"
    data = buf.getvalue()
    raw = read_table(data, name="report.xlsx")  # skips the empty cover sheet
    assert list(raw.columns) == list(df.columns)
    assert pd.api.types.is_datetime64_any_dtype(raw["日期"])
    assert len(raw) == len(df)
    assert len(read_table(data, name="r.xlsx", sheet="明细")) == len(df)
    assert len(read_table(data, name="r.xlsx", sheet=1)) == len(df)
    with pytest.raises(ShopcastError) as e:
        read_table(data, name="r.xlsx", sheet="汇总")
    assert err(e).key == "io_sheet" and "明细" in err(e).params["sheets"]
    data_ = load(data, name="report.xlsx")
    assert data_.mapping.date == "日期" and data_.freq == "D"


def test_read_table_parquet_and_zip():
    df = shop_frame(days=4)
    buf = _io.BytesIO()
    df.to_parquet(buf, index=False)
    raw = read_table(buf.getvalue(), name="x.parquet")
    pd.testing.assert_frame_equal(raw, df, check_dtype=False)
    zbuf = _io.BytesIO()
    with zipfile.ZipFile(zbuf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("shop.csv", csv_bytes(df, "gbk"))
    assert read_table(zbuf.getvalue(), name="shop.zip").shape == df.shape
    zbuf = _io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as zf:
        zf.writestr("a.csv", csv_bytes(df))
        zf.writestr("b.csv", csv_bytes(df))
    with pytest.raises(ShopcastError) as e:
        read_table(zbuf.getvalue(), name="two.zip")
    assert err(e).key == "io_zip_contents" and err(e).params["n"] == 2


@pytest.mark.parametrize(
    "data,key",
    [
        (b"", "io_empty"),
        (b"  \n\r\n ", "io_empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "io_old_excel"),
        (b"PAR1 not really parquet PAR1", "io_unreadable"),
        ("日期,销量\n".encode(), "io_no_rows"),
        (b"just one line of text\nand another\n", "io_one_column"),
        (b"a,b\n1,2\n3,4,5,6\n", "io_parse"),
    ],
)
def test_read_table_errors(data, key):
    with pytest.raises(ShopcastError) as e:
        read_table(data, name="bad.csv")
    assert err(e).key == key
    assert err(e).params.get("file", "bad.csv") == "bad.csv"
    assert "{" not in err(e).message("zh") and "{" not in err(e).message("en")


def test_read_table_random_binary():
    junk = np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    with pytest.raises(ShopcastError) as e:
        read_table(junk, name="junk.csv")
    assert err(e).key in ("io_binary", "io_encoding")


_UNPICKLED: list[int] = []


def _mark() -> list[int]:
    _UNPICKLED.append(1)
    return _UNPICKLED


class _Trap:
    def __reduce__(self):
        return (_mark, ())


@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
def test_pickle_renamed_csv_is_never_unpickled(tmp_path, protocol):
    path = tmp_path / "sales.csv"
    path.write_bytes(pickle.dumps({"日期": [_Trap()], "销量": [1]}, protocol=protocol))
    with pytest.raises(ShopcastError):
        load(path)
    assert _UNPICKLED == []  # a pickle would have called _mark while loading


def test_too_big_is_refused(tmp_path):
    data = csv_bytes(shop_frame(days=30))
    with pytest.raises(ShopcastError) as e:
        read_table(data, name="big.csv", max_bytes=1000)
    assert err(e).key == "io_too_big"
    path = tmp_path / "big.csv"
    path.write_bytes(data)
    with pytest.raises(ShopcastError):
        read_table(path, max_bytes=1000)


# ------------------------------------------------------------ value parsing


def test_parse_dates_formats():
    s = pd.Series(
        [
            "2016/11/14",
            "2016-11-4",
            "2016.11.14",
            "2016年11月14日",
            "20161114",
            "2016-11-14 13:05:00",
            "2016-11-14T13:05:00+08:00",
            "11/14/2016",
            "Nov 14, 2016",
            "合计",
            None,
            "2016-13-01",
        ]
    )
    got = parse_dates(s)
    want = pd.Timestamp("2016-11-14")
    assert (got.iloc[[0, 2, 3, 4, 7, 8]] == want).all()
    assert got.iloc[1] == pd.Timestamp("2016-11-04")
    assert got.iloc[5] == got.iloc[6] == pd.Timestamp("2016-11-14 13:05")
    assert got.iloc[9:].isna().all()
    assert parse_dates(pd.Series(["14/11/2016", "01/02/2016"])).tolist() == [
        pd.Timestamp("2016-11-14"),
        pd.Timestamp("2016-02-01"),
    ]  # day first when it must be
    assert parse_dates(pd.Series([20161114, 20161115])).iloc[1] == pd.Timestamp("2016-11-15")
    assert parse_dates(pd.Series([42688.0]), excel_serial=True).iloc[0] == want
    assert parse_dates(pd.Series([42688.0])).isna().all()  # not without a date-like name
    assert parse_dates(pd.Series(["2024-03", "2024年4月"])).tolist() == [
        pd.Timestamp("2024-03-01"),
        pd.Timestamp("2024-04-01"),
    ]


def test_to_number_shop_formats():
    s = pd.Series(["1,234", "¥12.5", "12.5元", "1.2万", " 8 ", "-", "abc", None, "￥1,000.5"])
    got = to_number(s)
    assert got.iloc[:5].tolist() == [1234.0, 12.5, 12.5, 12000.0, 8.0]
    assert got.iloc[5:8].isna().all()
    assert got.iloc[8] == 1000.5


def test_to_flag():
    got = to_flag(pd.Series([0, "0", "a", "b", None, "是", "否", "双11大促", "", True]))
    assert got.tolist() == [0, 0, 1, 1, 0, 1, 0, 1, 0, 1]
    assert to_flag(pd.Series([True, False])).tolist() == [1.0, 0.0]


@pytest.mark.parametrize(
    "values,rule,want",
    [
        ([0.8, 1.0, 0.9, None], "paid", [0.2, 0.0, 0.1, 0.0]),  # 8折 convention
        ([20, 0, 35], "percent", [0.2, 0.0, 0.35]),
        ([0.2, 0.0, 0.1], "off", [0.2, 0.0, 0.1]),
        (["8折", "85折", "20%", ""], "off", [0.2, 0.15, 0.2, 0.0]),
    ],
)
def test_normalize_discount(values, rule, want):
    got, used = normalize_discount(
        pd.Series(values, dtype=object if rule == "off" and isinstance(values[0], str) else None)
    )
    assert used == rule
    np.testing.assert_allclose(got.to_numpy(), want, atol=1e-9)
    assert got.between(0, 1).all()


def test_normalize_discount_forced_rule():
    got, used = normalize_discount(pd.Series([0.9]), rule="paid")
    assert used == "paid" and got.iloc[0] == pytest.approx(0.1)


# --------------------------------------------------------------- detection


def test_detect_chinese_long_prefers_units_over_money():
    raw = shop_frame(days=10)
    raw = raw[["销售额", *[c for c in raw.columns if c != "销售额"]]]  # money column first
    m = detect_mapping(raw)
    assert m.date == "日期" and m.target == "销量" and m.layout == "long"
    assert m.ids == ["品类", "商品"]
    assert m.drivers == {"price": "价格", "discount": "折扣", "promo": "促销"}


def test_detect_english_headers_and_exclusions():
    rng = np.random.default_rng(0)
    n = 40
    raw = pd.DataFrame(
        {
            "Store": np.repeat([1, 2], n // 2),
            "DayOfWeek": 1,
            "Date": np.tile(pd.date_range("2024-01-01", periods=n // 2).strftime("%Y-%m-%d"), 2),
            "Sales": rng.integers(0, 100, n),
            "Customers": rng.integers(0, 9, n),
            "Open": 1,
            "Promo": rng.integers(0, 2, n),
            "StateHoliday": "0",
            "SchoolHoliday": 0,
            "revenue": 1.0,
        }
    )
    m = detect_mapping(raw)
    assert (m.date, m.target, m.ids) == ("Date", "Sales", ["Store"])
    assert m.drivers == {
        "open": "Open",
        "promo": "Promo",
        "holiday": "StateHoliday",
        "school_holiday": "SchoolHoliday",
    }
    assert "Customers" not in m.columns() and "DayOfWeek" not in m.columns()


def test_detect_one_product_key_and_generic_id():
    raw = pd.DataFrame(
        {
            "update_time": ["2016/11/14"] * 3 + ["2016/11/13"] * 3,
            "id": ["a", "b", "c"] * 2,
            "商品名称": ["x", "y", "z"] * 2,
            "sale_count": [1, 2, 3, 4, 5, 6],
            "店名": ["s1", "s1", "s2"] * 2,
        }
    )
    m = detect_mapping(raw)
    assert m.date == "update_time" and m.target == "sale_count"
    assert m.ids == ["店名", "id"]  # coarse to fine; the title is not a second level


def test_detect_wide_layout_and_load():
    ds = pd.date_range("2024-01-01", periods=30)
    raw = pd.DataFrame(
        {
            "日期": ds.strftime("%Y-%m-%d"),
            "口红": np.arange(30.0),
            "面霜": 2.0,
            "眼霜": 3.0,
            "促销": 0,
        }
    )
    m = detect_mapping(raw)
    assert m.layout == "wide" and m.ids == [] and m.drivers == {"promo": "促销"}
    data = load(csv_bytes(raw), name="wide.csv")
    assert data.levels() == ["total", WIDE_ID]
    assert data.series_ids() == ["口红", "眼霜", "面霜"]
    tot = data.history(level="total")
    assert tot["y"].sum() == pytest.approx(np.arange(30.0).sum() + 150)
    # a long single series is not mistaken for wide
    long = pd.DataFrame({"date": ds, "sales": 1.0, "revenue": 2.0})
    assert detect_mapping(long).layout == "long"
    assert detect_mapping(long).target == "sales"


def test_overrides_win_and_are_checked():
    raw = shop_frame(days=10)
    m = detect_mapping(raw, target="销售额", ids=["商品"], drivers={}, date="日期")
    assert (m.target, m.ids, m.drivers) == ("销售额", ["商品"], {})
    assert detect_mapping(raw, ids="品类").ids == ["品类"]
    assert detect_mapping(raw, ids=[]).ids == []
    m = detect_mapping(raw.rename(columns={"销量": "Sales"}), target="SALES ")
    assert m.target == "Sales"  # case and spacing forgiven
    with pytest.raises(ShopcastError) as e:
        detect_mapping(raw, target="件数", name="shop.csv")
    assert err(e).key == "io_column_not_found"
    assert err(e).params["file"] == "shop.csv" and err(e).params["column"] == "件数"
    assert "销量" in err(e).params["available"]
    with pytest.raises(ShopcastError) as e:
        detect_mapping(raw, drivers={"price": "原价"})
    assert err(e).key == "io_column_not_found"
    with pytest.raises(ShopcastError) as e:
        detect_mapping(raw, target="日期")
    assert err(e).key == "io_mapping_conflict"
    with pytest.raises(ShopcastError) as e:
        detect_mapping(raw, layout="tall")
    assert err(e).key == "io_bad_layout"


def test_no_date_column_and_unparseable_dates():
    raw = pd.DataFrame({"商品": ["a", "b", "c"], "销量": [1, 2, 3]})
    with pytest.raises(ShopcastError) as e:
        load(csv_bytes(raw), name="nodate.csv")
    assert err(e).key == "io_no_date_column" and "商品" in err(e).params["columns"]
    raw = pd.DataFrame({"日期": ["昨天", "今天", "明天"], "销量": [1, 2, 3]})
    with pytest.raises(ShopcastError) as e:
        load(csv_bytes(raw), name="bad.csv", date="日期")
    assert err(e).key == "io_no_valid_dates" and err(e).params["column"] == "日期"
    assert err(e).params["example"] == "昨天"


def test_driver_names():
    raw = pd.DataFrame(
        {
            "日期": ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"] * 2,
            "商品": ["a"] * 4 + ["b"] * 4,
            "商品销量": range(8),
            "折后价": 9.0,
            "活动名称": ["双11", ""] * 4,
            "评价数": 3,
            "节假日": [0, 1] * 4,
        }
    )
    m = detect_mapping(raw)
    assert m.target == "商品销量" and m.ids == ["商品"]  # not an id although it names 商品
    assert m.drivers == {"price": "折后价", "promo": "活动名称", "holiday": "节假日"}
    data = load(csv_bytes(raw), name="d.csv")
    assert data.frame["promo"].tolist() == [1.0, 0.0] * 4


def test_single_date_cannot_be_forecast():
    raw = pd.DataFrame({"日期": ["2024-01-01"] * 3, "商品": ["a", "b", "c"], "销量": [1, 2, 3]})
    with pytest.raises(ShopcastError) as e:
        load(csv_bytes(raw), name="one_day.csv")
    assert e.value.key == "io_too_few_dates" and e.value.params["file"] == "one_day.csv"


def test_mapping_round_trip():
    m = ColumnMapping("日期", "销量", ["品类", "商品"], {"price": "价格"})
    d = m.to_dict()
    assert ColumnMapping.from_dict(d) == m
    assert ColumnMapping.from_dict({"date": "d", "target": "y"}).layout == "long"
    with pytest.raises(ShopcastError):
        ColumnMapping.from_dict({**d, "layout": "diagonal"})
    data = load(csv_bytes(shop_frame(days=10)), name="s.csv", mapping=m)
    assert data.mapping == m and data.drivers == ["price"]
    with pytest.raises(ShopcastError):
        load(csv_bytes(shop_frame(days=10)), mapping=ColumnMapping("日期", "件数"))


# ------------------------------------------------------------------ cleaning


def test_load_cleans_and_counts():
    raw = pd.DataFrame(
        {
            "日期": ["2024-01-01", "2024-01-01", "2024-01-02", "2024/1/3", "合计", "2024-01-04"],
            "商品": ["a", "a", "a", "a", None, "a"],
            "销量": ["1,000", "2", "abc", "¥3", "9999", ""],
            "价格": [10.0, 20.0, 10.0, 10.0, None, 10.0],
        }
    )
    data = load(csv_bytes(raw), name="messy.csv")
    n = data.notes
    assert n["dates_dropped"] == 1 and n["dates_dropped_value"] == "合计"
    assert n["dates_dropped_row"] == 6  # spreadsheet row: header is row 1
    assert n["target_unparseable"] == 1 and n["target_unparseable_value"] == "abc"
    assert n["target_unparseable_row"] == 4
    assert n["target_missing"] == 1
    assert n["duplicates_merged"] == 1
    f = data.frame
    assert f["ds"].is_monotonic_increasing and len(f) == 4
    assert f["y"].iloc[0] == 1002
    assert f["price"].iloc[0] == pytest.approx((10 * 1000 + 20 * 2) / 1002)  # weighted by y
    assert np.isnan(f["y"].iloc[1])


def test_order_level_timestamps_become_daily():
    raw = pd.DataFrame(
        {
            "下单时间": [
                "2024-01-01 09:00",
                "2024-01-01 21:30",
                "2024-01-02 10:00",
                "2024-01-03 08:00",
                "2024-01-04 12:00",
            ],
            "数量": [1, 2, 3, 4, 5],
        }
    )
    data = load(csv_bytes(raw), name="orders.csv")
    assert data.freq == "D" and data.notes["times_floored"] == 5
    assert data.history()["y"].tolist() == [3, 3, 4, 5]


def test_weekly_and_monthly_dates_snap_to_grid():
    ds = pd.date_range("2024-01-05", periods=10, freq="W-FRI")
    raw = pd.DataFrame({"date": ds.strftime("%Y-%m-%d"), "units": 1.0})
    raw.loc[3, "date"] = "2024-01-27"  # a Saturday in a Friday series
    data = load(csv_bytes(raw), name="w.csv")
    assert data.freq == "W-FRI" and data.notes["dates_snapped"] == 1
    assert (data.frame["ds"].dt.dayofweek == 4).all()
    month_end = pd.date_range("2023-01-31", periods=12, freq="ME")
    data = load(
        csv_bytes(pd.DataFrame({"月份": month_end.strftime("%Y-%m-%d"), "销量": 5})), name="m.csv"
    )
    assert data.freq == "MS" and (data.frame["ds"].dt.day == 1).all()


# ------------------------------------------------------------------- history


@pytest.fixture(scope="module")
def shop() -> SalesData:
    raw = shop_frame(days=63, start="2024-01-03")  # Wednesday .. Wednesday: partial weeks
    raw = raw.drop(index=[5, 6, 7])  # A01 misses three days
    return load(csv_bytes(raw), name="shop.csv")


def test_levels_and_series(shop):
    assert shop.levels() == ["total", "品类", "商品"]
    assert shop.series_ids("品类") == ["口红", "面霜"]
    assert shop.series_ids() == ["A01", "A02", "B01", "B02"]
    assert shop.series_ids("total") == ["total"]
    assert shop.freq == "D"


@pytest.mark.parametrize("fill", ["zero", "interpolate", "none"])
def test_history_fills_gaps_explicitly(shop, fill):
    h = shop.history(fill=fill)
    a = h[h["unique_id"] == "A01"].reset_index(drop=True)
    assert len(a) == 63 and h.attrs["gaps_filled"] == 3 and h.attrs["fill"] == fill
    gap = a.iloc[5:8]
    if fill == "zero":
        assert (gap["y"] == 0).all()
    elif fill == "interpolate":
        lo, hi = a["y"].iloc[4], a["y"].iloc[8]
        np.testing.assert_allclose(gap["y"], lo + (hi - lo) * np.arange(1, 4) / 4)
    else:
        assert gap["y"].isna().all()
    assert (gap["promo"] == 0).all() and (gap["price"] == a["price"].iloc[4]).all()
    validate_history(h)
    for _, g in h.groupby("unique_id"):
        assert infer_freq(g["ds"]) == "D" and g["ds"].diff().dropna().nunique() == 1


def test_interpolation_never_crosses_series():
    raw = pd.DataFrame(
        {
            "date": ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"] * 2,
            "sku": ["a"] * 4 + ["b"] * 4,
            "units": [1.0, 2.0, None, None, None, 100.0, 200.0, 300.0],
        }
    )
    h = load(csv_bytes(raw), name="x.csv").history(fill="interpolate")
    assert h["y"].tolist() == [1, 2, 2, 2, 100, 100, 200, 300]


def test_history_aggregates_up_the_hierarchy(shop):
    fine = shop.history()
    cat = shop.history(level="品类")
    tot = shop.history(level="total")
    assert set(cat["unique_id"]) == {"口红", "面霜"} and set(tot["unique_id"]) == {"total"}
    assert fine["y"].sum() == pytest.approx(cat["y"].sum()) == pytest.approx(tot["y"].sum())
    day = pd.Timestamp("2024-01-20")
    f = shop.frame[(shop.frame["ds"] == day) & (shop.frame["品类"] == "口红")]
    row = cat[(cat["ds"] == day) & (cat["unique_id"] == "口红")].iloc[0]
    assert row["y"] == f["y"].sum()
    assert row["price"] == pytest.approx((f["price"] * f["y"]).sum() / f["y"].sum())
    assert row["promo"] == f["promo"].max()
    assert row["discount"] == pytest.approx(0.1)  # 0.9 read as 9折
    validate_history(cat)
    sub = shop.history(level="商品", series=["B01"])
    assert set(sub["unique_id"]) == {"B01"}


def test_history_daily_to_weekly_and_monthly(shop):
    fine = shop.history()
    w = shop.history(freq="W")  # weeks starting Monday
    assert (w["ds"].dt.dayofweek == 0).all()
    assert w.attrs["freq"] == "W-MON"
    first, last = shop.frame["ds"].min(), shop.frame["ds"].max()
    assert w["ds"].min() >= first and w["ds"].max() + pd.Timedelta(days=6) <= last
    assert w.attrs["partial_periods_dropped"] == ["2024-01-01", "2024-03-04"]
    inside = fine[
        (fine["ds"] >= w["ds"].min()) & (fine["ds"] <= w["ds"].max() + pd.Timedelta(6, "D"))
    ]
    assert w["y"].sum() == pytest.approx(inside["y"].sum())
    for _, g in w.groupby("unique_id"):
        assert infer_freq(g["ds"]) == "W-MON"
    m = shop.history(freq="MS", level="total")
    assert m["ds"].tolist() == [pd.Timestamp("2024-02-01")]  # Jan and Mar are partial
    assert m["y"].iloc[0] == fine[fine["ds"].dt.month == 2]["y"].sum()


def test_history_errors(shop):
    with pytest.raises(ShopcastError) as e:
        shop.history(level="店铺")
    assert err(e).key == "io_unknown_level" and "品类" in err(e).params["choices"]
    with pytest.raises(ShopcastError) as e:
        shop.history(fill="mean")
    assert err(e).key == "io_bad_fill"
    with pytest.raises(ShopcastError) as e:
        shop.history(series=["Z99"])
    assert err(e).key == "io_unknown_series"
    with pytest.raises(ShopcastError) as e:
        shop.history(freq="fortnight")
    assert err(e).key == "io_bad_freq"
    w = load(
        csv_bytes(
            pd.DataFrame(
                {"date": pd.date_range("2024-01-05", periods=10, freq="W-FRI"), "units": 1}
            )
        )
    )
    with pytest.raises(ShopcastError) as e:
        w.history(freq="D")
    assert err(e).key == "io_freq_finer"


def test_weekly_to_monthly_splits_weeks_by_days():
    ds = pd.date_range("2024-01-01", periods=13, freq="W-MON")  # Mondays, Jan..Mar
    data = load(csv_bytes(pd.DataFrame({"date": ds, "units": 7.0})), name="w.csv")
    m = data.history(freq="MS")
    # data covers Jan 1 .. Mar 31 (last week ends Sunday Mar 31): every day worth 1 unit
    assert m["ds"].tolist() == list(pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]))
    assert m["y"].tolist() == [31, 29, 31]


def test_non_nested_levels_get_joined_ids():
    raw = pd.DataFrame(
        {
            "Store": [1, 1, 2, 2] * 4,
            "Dept": [1, 2, 1, 2] * 4,
            "Date": np.repeat(["2024-01-05", "2024-01-12", "2024-01-19", "2024-01-26"], 4),
            "Weekly_Sales": np.arange(16.0),
            "IsHoliday": [False] * 12 + [True] * 4,
        }
    )
    data = load(csv_bytes(raw), name="wm.csv")
    assert data.mapping.ids == ["Store", "Dept"] and data.freq == "W-FRI"
    assert data.series_ids() == ["1 / 1", "1 / 2", "2 / 1", "2 / 2"]
    assert data.series_ids("Store") == ["1", "2"]
    assert data.history()["holiday"].tolist()[-1] == 1.0


# -------------------------------------------------------------- future file


def test_read_future_matches_history(shop):
    last = shop.frame["ds"].max()
    ds = pd.date_range(last + pd.Timedelta(days=1), periods=7)
    plan = pd.DataFrame(
        {
            "日期": np.tile(ds.strftime("%Y-%m-%d"), 2),
            "品类": "面霜",
            "商品": np.repeat(["A01", "A02"], 7),
            "价格": 99.0,
            "折扣": 0.8,
            "促销": 1,
        }
    )
    fut = read_future(csv_bytes(plan), shop, name="plan.csv")
    assert list(fut.columns) == ["unique_id", "ds", "price", "discount", "promo"]
    assert len(fut) == 14 and set(fut["unique_id"]) == {"A01", "A02"}
    np.testing.assert_allclose(fut["discount"], 0.2)  # same 折 rule as the history
    cat = read_future(csv_bytes(plan), shop, level="品类")
    assert set(cat["unique_id"]) == {"面霜"} and len(cat) == 7
    # a plan without ids applies to every series
    every = read_future(csv_bytes(plan[plan["商品"] == "A01"].drop(columns=["品类", "商品"])), shop)
    assert len(every) == 28 and every["unique_id"].nunique() == 4
    wk = read_future(csv_bytes(plan), shop, level="total", freq="W")
    assert (wk["ds"].dt.dayofweek == 0).all()


# ----------------------------------------- awkward and hostile files (issue 13)


def _zip_of(members: dict[str, bytes]) -> bytes:
    buf = _io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    return buf.getvalue()


def _book(sheets: dict[str, list[list]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    buf = _io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _key(data: bytes, name: str, **kw) -> str:
    with pytest.raises(ShopcastError) as e:
        read_table(data, name=name, **kw)
    assert "{" not in e.value.message("zh") and "{" not in e.value.message("en")
    return e.value.key


def test_upload_limit_is_the_streamlit_limit():
    import tomllib

    from forecasting.data.readers import MAX_UPLOAD_MB

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text("utf-8"))
    assert config["server"]["maxUploadSize"] == MAX_UPLOAD_MB
    assert MAX_BYTES == MAX_UPLOAD_MB * 1024 * 1024  # Streamlit counts MiB


def test_zip_members_are_checked_before_unpacking():
    body = csv_bytes(shop_frame(days=30))
    assert _key(_zip_of({"s.csv": body}), "big.zip", max_bytes=len(body) - 1) in (
        "io_unzipped_too_big",
        "io_too_big",
    )
    bomb = _zip_of({"s.csv": "日期,销量\n".encode() + b"2024-01-01,1\n" * 200_000})
    assert len(bomb) < 50_000 and _key(bomb, "bomb.zip") == "io_zip_bomb"
    nested = _zip_of({"inner.zip": _zip_of({"s.csv": body})})
    assert _key(nested, "nested.zip") == "io_nested_zip"
    renamed = _zip_of({"inner.dat": _zip_of({"s.csv": body})})
    assert _key(renamed, "nested2.zip") == "io_nested_zip"


@pytest.mark.parametrize("cut", [0.3, 0.5, 0.9])
def test_truncated_workbooks_and_zips_are_clear(cut):
    book = _book({"s": [["日期", "销量"], ["2024-01-01", 1], ["2024-01-02", 2]]})
    assert _key(book[: int(len(book) * cut)], "cut.xlsx") in ("io_corrupt", "io_unreadable")
    archive = _zip_of({"s.csv": csv_bytes(shop_frame(days=30))})
    assert _key(archive[: int(len(archive) * cut)], "cut.zip") in ("io_corrupt", "io_unreadable")


def test_cover_sheet_is_skipped_and_named():
    rows = [["日期", "商品", "销量"]] + [[f"2024-01-0{d}", "A", d] for d in range(1, 8)]
    book = _book({"封面": [["2024 年销售报表"]], "明细": rows})
    raw = read_table(book, name="report.xlsx")
    assert raw.attrs["sheet"] == "明细" and raw.attrs["sheets"] == ["封面", "明细"]
    assert list(raw.columns) == ["日期", "商品", "销量"]
    assert _key(book, "report.xlsx", sheet="封面") == "io_sheet_no_table"
    assert _key(_book({"封面": [["标题"]], "说明": [["a"], ["b"]]}), "c.xlsx") == "io_no_table"


def test_formula_column_without_values_is_reported():
    rows = [["日期", "商品", "销量", "库存"]]
    rows += [[f"2024-01-0{d}", "A", f"=D{d + 1}*2", 10 + d] for d in range(1, 8)]
    with pytest.raises(ShopcastError) as e:
        load(_book({"s": rows}), name="f.xlsx")
    assert e.value.key == "io_formulas_no_values" and e.value.params["columns"] == "销量"
    rows = [["日期", "商品", "销量", "备用"]]
    rows += [[f"2024-01-0{d}", "A", d, f"=C{d + 1}*2"] for d in range(1, 8)]
    data = load(_book({"s": rows}), name="g.xlsx")
    assert data.mapping.target == "销量" and data.notes["formula_columns"] == ["备用"]


@pytest.mark.parametrize(
    "values,style,numbers",
    [
        (["2.100,0", "900,0"], "comma", [2100.0, 900.0]),
        (["1.234.567", "5"], "comma", [1234567.0, 5.0]),
        (["¥1.234,50", "12,5元", "1,2万"], "comma", [1234.5, 12.5, 12000.0]),
        (["1,234", "2,000"], None, [1234.0, 2000.0]),
        (["1,234,567", "3.5"], "dot", [1234567.0, 3.5]),
        (["1.5", "2,5"], "mixed", None),
    ],
)
def test_decimal_style_per_column(values, style, numbers):
    from forecasting.data.parsing import decimal_style

    assert decimal_style(pd.Series(values)) == style
    if numbers is not None:
        assert to_number(pd.Series(values)).tolist() == numbers


def test_decimal_comma_file_reads_right():
    lines = ["日期;商品;销量;价格"] + [
        f"2024-01-0{d};{sku};{qty};{price}"
        for d in range(1, 8)
        for sku, qty, price in (("A", "2.100,0", "12,5"), ("B", "900,0", "1.234"))
    ]
    data = load(("\n".join(lines) + "\n").encode(), name="eu.csv")
    h = data.history()
    assert h.groupby("unique_id")["y"].first().to_dict() == {"A": 2100.0, "B": 900.0}
    assert sorted(data.frame["price"].unique()) == [12.5, 1234.0]
    assert data.notes["decimal_comma"] is True


def test_mixed_decimals_are_refused():
    raw = pd.DataFrame({"日期": pd.date_range("2024-01-01", periods=8).strftime("%Y-%m-%d")})
    raw["销量"] = ["1.5", "2,5"] * 4
    with pytest.raises(ShopcastError) as e:
        load(csv_bytes(raw), name="mix.csv")
    assert e.value.key == "io_mixed_decimals" and e.value.params["column"] == "销量"
    assert {e.value.params["comma"], e.value.params["dot"]} == {"2,5", "1.5"}


def test_day_month_order():
    from forecasting.data.parsing import day_month_order

    assert day_month_order(pd.Series(["13/04/2024", "01/05/2024"]))[0] == "dayfirst"
    assert day_month_order(pd.Series(["04/13/2024", "05/01/2024"]))[0] == "monthfirst"
    kind, ex = day_month_order(pd.Series(["03/04/2024", "13/04/2024", "04/13/2024"]))
    assert kind == "mixed" and ex == ["13/04/2024", "04/13/2024"]
    assert day_month_order(pd.Series(["03/04/2024", "05/04/2024"])) == ("ambiguous", ["03/04/2024"])
    assert day_month_order(pd.Series(["2024-04-03"])) == (None, [])
    # monthly exports write the first of the month: a constant first field is the day
    assert parse_dates(pd.Series(["01/03/2024", "01/04/2024"])).tolist() == [
        pd.Timestamp("2024-03-01"),
        pd.Timestamp("2024-04-01"),
    ]


def test_mixed_date_formats_are_refused_and_ambiguous_ones_flagged():
    ds = pd.date_range("2024-04-01", periods=20)
    rows = [f"{d:%m/%d/%Y},A,5" for d in ds] + [f"{d:%d/%m/%Y},B,7" for d in ds]
    with pytest.raises(ShopcastError) as e:
        load(("date,sku,units\n" + "\n".join(rows)).encode(), name="mixed.csv")
    assert e.value.key == "io_mixed_date_formats" and e.value.params["column"] == "date"
    monthly = [f"{d:%m/%d/%Y},{i}" for i, d in enumerate(pd.date_range("2024-01-05", periods=6))]
    data = load(("date,units\n" + "\n".join(monthly)).encode(), name="amb.csv")
    assert data.notes["dates_ambiguous"] == {
        "column": "date",
        "value": "01/05/2024",
        "read_as": "2024-01-05",
    }


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_headerless_file_is_refused(kind):
    df = shop_frame(days=10)[["日期", "商品", "销量"]]
    if kind == "csv":
        data = df.to_csv(index=False, header=False).encode()
    else:
        data = _book({"s": df.assign(日期=pd.to_datetime(df["日期"])).values.tolist()})
    assert _key(data, f"nohead.{kind}") == "io_no_header"
    # a header of years next to a date column is still a header
    years = pd.DataFrame({"日期": ["2024-01-01", "2024-01-02"], "2023": [1, 2], "2024": [3, 4]})
    assert list(read_table(csv_bytes(years), name="y.csv").columns) == ["日期", "2023", "2024"]


def test_json_and_web_pages_are_not_tables():
    assert _key(b'[{"date": "2024-01-01", "units": 1}]', "a.csv") == "io_json"
    assert _key(b"<!DOCTYPE html><html><body>login</body></html>", "b.xlsx") == "io_markup"


def test_infinite_sales_are_missing_with_a_warning():
    import warnings

    from forecasting.data.quality import check_history, load_findings

    raw = pd.DataFrame({"日期": pd.date_range("2024-01-01", periods=30).strftime("%Y-%m-%d")})
    raw["销量"] = ["5"] * 30
    raw.loc[[3, 7, 9], "销量"] = ["inf", "1e308", "-inf"]
    data = load(csv_bytes(raw), name="inf.csv")
    assert data.notes["target_nonfinite"] == {"count": 3, "row": 5, "value": "inf"}
    assert "target_unparseable" not in data.notes
    f = {x.key: x for x in load_findings(data)}
    assert f["target_nonfinite"].severity == "warning"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = data.history()
        check_history(h.assign(y=h["y"].where(h.index != 0, np.inf)), "D", horizon=7)
    assert np.isfinite(h["y"]).all()


def test_three_dates_are_too_short():
    raw = pd.DataFrame({"日期": ["2024-01-01", "2024-01-02", "2024-01-03"], "销量": [1, 2, 3]})
    with pytest.raises(ShopcastError) as e:
        load(csv_bytes(raw), name="short.csv")
    assert e.value.key == "io_history_too_short" and e.value.params["n"] == 3


def test_plan_for_a_coarser_level_is_refused(shop):
    ds = pd.date_range(shop.frame["ds"].max() + pd.Timedelta(days=1), periods=7)
    plan = pd.DataFrame({"日期": ds.strftime("%Y-%m-%d"), "品类": "面霜", "促销": 1})
    with pytest.raises(ShopcastError) as e:
        read_future(csv_bytes(plan), shop, name="plan.csv")
    assert e.value.key == "io_plan_level"
    assert e.value.params == {"file": "plan.csv", "plan_level": "品类", "level": "商品"}
    assert set(read_future(csv_bytes(plan), shop, level="品类")["unique_id"]) == {"面霜"}


# ------------------------------------------------------------------ real data


def test_real_taobao_gbk():
    data = load(real("taobao_double11", "double11_taobao_cosmetics_gbk.csv"))
    m = data.mapping
    assert (m.date, m.target) == ("update_time", "sale_count")
    assert m.ids == ["店名", "id"] and m.drivers == {"price": "price"}
    assert data.freq == "D" and data.frame["ds"].nunique() == 10
    assert data.notes["target_missing"] > 0 and data.notes["duplicates_merged"] > 0
    assert data.notes["ignored_columns"]["comment_count"] == "not_known_in_advance"
    assert len(data.series_ids("店名")) == 22
    h = data.history()
    validate_history(h)
    assert h["ds"].min() == pd.Timestamp("2016-11-05")


def test_real_rossmann_fast_and_correct():
    t0 = time.perf_counter()
    data = load(real("rossmann100", "train.csv"))
    h = data.history()
    seconds = time.perf_counter() - t0
    m = data.mapping
    assert (m.date, m.target, m.ids) == ("Date", "Sales", ["Store"])
    assert m.drivers["promo"] == "Promo" and m.drivers["holiday"] == "StateHoliday"
    assert "Customers" not in m.columns()
    assert data.freq == "D" and h["unique_id"].nunique() == 100
    assert set(h["holiday"].unique()) <= {0.0, 1.0} and h["holiday"].sum() > 0
    assert h.attrs["gaps_filled"] > 0  # the 17 stores with a gap in 2014
    # the file is newest first; the history is sorted by series then date
    assert h.equals(h.sort_values(["unique_id", "ds"]).reset_index(drop=True))
    assert seconds < 6, f"Rossmann load + history took {seconds:.1f}s"


def test_real_walmart_zip():
    data = load(real("walmart_weekly", "train.csv.zip"))
    m = data.mapping
    assert (m.date, m.target, m.ids) == ("Date", "Weekly_Sales", ["Store", "Dept"])
    assert m.drivers == {"holiday": "IsHoliday"} and data.freq == "W-FRI"
    store = data.history(level="Store")
    assert store["unique_id"].nunique() == 45
    assert store["y"].sum() == pytest.approx(data.frame["y"].sum())


def test_sample_data_file():
    if not SAMPLE.exists():
        pytest.skip(f"{SAMPLE} not generated yet")
    data = load(SAMPLE)
    m = data.mapping
    assert m.date == "日期" and m.target == "销量"
    assert m.ids == ["品类", "商品"]
    assert {"price", "discount", "promo"} <= set(m.drivers)
    validate_history(data.history(level="品类", freq="W"))
    future = SAMPLE.with_name("shop_future.csv")
    if future.exists():
        fut = read_future(future, data)
        assert set(fut["unique_id"]) == set(data.series_ids())
        assert fut["ds"].min() > data.frame["ds"].max()
        assert {"price", "discount", "promo"} <= set(fut.columns)
