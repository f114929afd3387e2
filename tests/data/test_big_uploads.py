"""Big catalogues: one limit for uploads and for what they unpack to, and it fits 1,000 SKUs.

Reading speed at full size (1,000 SKUs x 3 years as CSV, zipped CSV and Parquet) is
measured by ``benchmarks/read_speed.py``, not here.
"""

from __future__ import annotations

import inspect
import io
import tomllib
import zipfile

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from forecasting.data import load, read_table, readers
from forecasting.data.sample import generate_shop
from forecasting.errors import ShopcastError
from tests.support import ROOT


@pytest.fixture(scope="module")
def catalogue() -> pd.DataFrame:
    """A small slice of a catalogue export: 5 SKUs over 3 years, daily."""
    return generate_shop(n_skus=5)


def _csv(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False).encode("utf-8")


def _zip(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, data)
    return buf.getvalue()


def _parquet(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def _refused(data: bytes, name: str, **kw) -> str:
    with pytest.raises(ShopcastError) as e:
        read_table(data, name=name, **kw)
    assert "{" not in e.value.message("zh") and "{" not in e.value.message("en")
    return e.value.key


def test_the_app_the_reader_and_the_zip_share_one_limit():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text("utf-8"))
    assert config["server"]["maxUploadSize"] == readers.MAX_UPLOAD_MB
    assert readers.MAX_BYTES == readers.MAX_UPLOAD_MB * 2**20
    assert inspect.signature(read_table).parameters["max_bytes"].default is None  # file_limit()
    assert readers.file_limit() == readers.MAX_BYTES
    assert readers.MAX_CELLS == readers.MAX_BYTES // 8


def test_an_operator_raises_the_file_limit_for_a_bigger_catalogue(catalogue, monkeypatch):
    """SHOPCAST_MAX_FILE_MB moves the one limit (CSV, zip members, Parquet cells) together;
    anything but a positive whole number keeps 200 MiB."""
    big = pd.concat([catalogue] * 7, ignore_index=True)
    data = _csv(big)  # about 2 MiB
    assert 2**20 < len(data) < 3 * 2**20
    for raw in ("", "abc", "0", "-5", "1.5"):
        monkeypatch.setenv(readers.MAX_FILE_MB_ENV, raw)
        assert readers.file_limit() == readers.MAX_BYTES
    monkeypatch.setenv(readers.MAX_FILE_MB_ENV, "1")
    assert readers.file_limit() == 2**20
    with pytest.raises(ShopcastError) as e:
        read_table(data, name="s.csv")
    assert e.value.key == "io_too_big" and "1 MB" in e.value.message("en")
    assert _refused(_zip("s.csv", data), "s.zip") == "io_unzipped_too_big"
    wide = pd.concat([catalogue] * 3, ignore_index=True)  # about 148,000 cells > 1 MiB / 8
    assert 2**20 // 8 < wide.size < 3 * 2**20 // 8
    assert _refused(_parquet(wide), "s.parquet") == "io_parquet_too_big"
    monkeypatch.setenv(readers.MAX_FILE_MB_ENV, "3")
    assert len(read_table(data, name="s.csv")) == len(big)
    assert len(read_table(_parquet(wide), name="s.parquet")) == len(wide)


def test_the_limit_holds_a_thousand_skus_over_three_years(catalogue):
    """Measured, not assumed: the CSV bytes of 5 SKUs x 3 years, times 200."""
    assert catalogue["日期"].nunique() >= 3 * 365
    assert 200 * len(_csv(catalogue)) < readers.MAX_BYTES  # ~62 MiB for 1,000 SKUs
    cells = 200 * catalogue.size
    assert cells < readers.MAX_CELLS  # the same catalogue as Parquet


def test_zipping_neither_raises_nor_lowers_the_limit(catalogue):
    """A zip is accepted exactly when its CSV would be: the unzipped size counts."""
    data = _csv(catalogue.head(3000))
    packed = _zip("sales.csv", data)
    assert len(packed) < len(data) / 3
    size = len(data)
    pd.testing.assert_frame_equal(
        read_table(packed, name="s.zip", max_bytes=size), read_table(data, name="s.csv")
    )
    assert len(read_table(data, name="s.csv", max_bytes=size)) == 3000
    assert _refused(data, "s.csv", max_bytes=size - 1) == "io_too_big"
    # the 11 MB zip of a 64 MB CSV (issue 12) is refused like the CSV itself
    assert _refused(packed, "s.zip", max_bytes=size - 1) == "io_unzipped_too_big"


def test_parquet_is_limited_by_its_cells_before_decoding(catalogue):
    df = catalogue.head(2000)
    data = _parquet(df)
    cells = df.size
    assert len(read_table(data, name="s.parquet", max_bytes=8 * cells)) == 2000
    assert _refused(data, "s.parquet", max_bytes=8 * cells - 8) == "io_parquet_too_big"
    # a tiny file holding a huge table: 6 million constant cells in a few kB
    n = 3_000_000
    day = pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array(["2024-01-01"]))
    buf = io.BytesIO()
    pq.write_table(pa.table({"日期": day, "销量": pa.array(np.ones(n))}), buf)
    bomb = buf.getvalue()
    assert len(bomb) < 200_000
    assert _refused(bomb, "bomb.parquet", max_bytes=8 * 1_000_000) == "io_parquet_too_big"


def test_empty_rows_and_columns_are_still_dropped_in_place(catalogue):
    df = catalogue.head(50).reset_index(drop=True).copy()
    df["备注"] = np.nan  # an all-empty column
    df.loc[[3, 17], :] = np.nan  # all-empty rows (a spreadsheet's blank lines)
    for data, name in ((_parquet(df), "s.parquet"), (_csv(df), "s.csv")):
        raw = read_table(data, name=name)
        assert len(raw) == 48 and "备注" not in raw.columns
        assert raw["商品"].iloc[3] == df["商品"].iloc[4]  # order kept, index reset
        assert raw.index.equals(pd.RangeIndex(48))


def test_a_zipped_catalogue_loads_like_its_csv(catalogue):
    part = catalogue[catalogue["日期"] >= "2026-08-01"]
    a = load(_zip("shop.csv", _csv(part)), name="shop.zip")
    b = load(_parquet(part), name="shop.parquet")
    assert a.series_ids() == b.series_ids() and len(a.series_ids()) == 5
    pd.testing.assert_frame_equal(a.history(), b.history())
