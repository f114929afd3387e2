"""Seeded sample-data generator: shape, determinism, and that the documented truth is in the data."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest

from forecasting.data import festivals as cal
from forecasting.data import load
from forecasting.data import sample as ds
from forecasting.errors import ShopcastError

E = ds.TRUE_EFFECTS


@pytest.fixture(scope="module")
def shop() -> pd.DataFrame:
    return ds.generate_shop()


def _festival_offsets(df: pd.DataFrame) -> pd.DataFrame:
    """Days from each festival peak over the window plus the post-festival dip."""
    ext = {f: (s["window"][0], s["window"][1] + s["dip_days"]) for f, s in E["festivals"].items()}
    return cal.festival_offsets(df[ds.DATE], windows=ext)


def test_shape_columns_and_types(shop):
    assert list(shop.columns) == list(ds.COLUMNS)
    assert shop[ds.SKU].nunique() == 30
    assert shop[ds.DATE].nunique() == 1096
    assert len(shop) == 30 * 1096
    assert not shop.duplicated([ds.DATE, ds.SKU]).any()
    assert shop[ds.DATE].min() == pd.Timestamp("2023-11-01")
    assert shop[ds.DATE].max() == pd.Timestamp("2026-10-31")
    assert shop[ds.UNITS].dtype == np.int64 and (shop[ds.UNITS] >= 0).all()
    assert set(shop[ds.PROMO].unique()) == {0, 1}
    assert shop[ds.DISCOUNT].between(0, 0.5).all()
    assert (shop.loc[shop[ds.PROMO] == 1, ds.DISCOUNT] >= 0.1).all()
    assert 3 <= shop[ds.CATEGORY].nunique() <= 4
    assert (shop[ds.PRICE] > 0).all()
    paid = shop[ds.PRICE] * (1 - shop[ds.DISCOUNT])
    np.testing.assert_allclose(shop[ds.PAID], paid, atol=0.005)
    np.testing.assert_allclose(shop[ds.REVENUE], shop[ds.UNITS] * shop[ds.PAID], atol=0.005)


def test_realistic_structure(shop):
    levels = shop.groupby(ds.SKU)[ds.UNITS].mean()
    assert levels.max() / levels.min() > 5  # log-normal base levels
    # Some products grow and some decline: first vs last 180 days.
    first = shop[shop[ds.DATE] < "2024-04-29"].groupby(ds.SKU)[ds.UNITS].mean()
    last = shop[shop[ds.DATE] > "2026-05-03"].groupby(ds.SKU)[ds.UNITS].mean()
    ratio = last / first
    assert (ratio > 1.3).any() and (ratio < 0.8).any()
    # A few price changes per product and year.
    changes = shop.groupby(ds.SKU)[ds.PRICE].apply(lambda p: int((p.diff().fillna(0) != 0).sum()))
    assert 2 <= changes.mean() <= 15
    promo_share = shop[ds.PROMO].mean()
    assert 0.07 < promo_share < 0.16
    # Stockouts: runs of at least 2 zero days, a few per product-year.
    zero = shop.pivot(index=ds.DATE, columns=ds.SKU, values=ds.UNITS).eq(0)
    run_starts = (zero & ~zero.shift(1, fill_value=False) & zero.shift(-1, fill_value=False)).sum()
    assert 1 <= run_starts.mean() / 3 <= 6
    assert 0.02 < zero.to_numpy().mean() < 0.10


def test_deterministic_and_seed_sensitive():
    a = ds.generate_shop(seed=7, start="2024-01-01", end="2024-03-31", n_skus=5)
    b = ds.generate_shop(seed=7, start="2024-01-01", end="2024-03-31", n_skus=5)
    c = ds.generate_shop(seed=8, start="2024-01-01", end="2024-03-31", n_skus=5)
    pd.testing.assert_frame_equal(a, b)
    assert not a[ds.UNITS].equals(c[ds.UNITS])
    with pytest.raises(ShopcastError) as err:
        ds.generate_shop(start="2024-02-01", end="2024-01-01")
    assert err.value.key == "sample_dates"


def test_fast():
    t0 = time.perf_counter()
    ds.generate_shop(seed=3)
    assert time.perf_counter() - t0 < 3.0


def test_prefix_stable_and_future_is_the_truths_plan(shop):
    future = ds.generate_future(shop, horizon=42, seed=42)
    assert list(future.columns) == list(ds.DRIVER_COLUMNS)
    assert len(future) == 30 * 42
    assert future[ds.DATE].min() == pd.Timestamp("2026-11-01")
    assert future[ds.DATE].max() == pd.Timestamp("2026-12-12")
    # Double-11 2026 is planned: most products on promotion at 20-30% off.
    peak = future[future[ds.DATE] == "2026-11-11"]
    assert peak[ds.PROMO].mean() > 0.4
    assert peak.loc[peak[ds.PROMO] == 1, ds.DISCOUNT].between(0.2, 0.3).all()
    longer = ds.generate_shop(seed=42, end="2026-12-12")
    pd.testing.assert_frame_equal(
        longer[longer[ds.DATE] <= "2026-10-31"].reset_index(drop=True), shop
    )
    tail = longer.loc[longer[ds.DATE] > "2026-10-31", list(ds.DRIVER_COLUMNS)]
    pd.testing.assert_frame_equal(tail.reset_index(drop=True), future)
    # SKUs do not depend on n_skus either.
    few = ds.generate_shop(seed=42, n_skus=3)
    pd.testing.assert_frame_equal(
        shop[shop[ds.SKU].isin(few[ds.SKU].unique())].reset_index(drop=True), few
    )


def test_future_for_foreign_history():
    hist = pd.DataFrame(
        {
            ds.DATE: pd.to_datetime(["2025-10-30", "2025-10-31", "2025-10-31"]),
            ds.SKU: ["A", "A", "B"],
            ds.PRICE: [10.0, 12.0, 5.0],
        }
    )
    fut = ds.generate_future(hist, horizon=14)
    assert len(fut) == 28
    assert fut.groupby(ds.SKU)[ds.PRICE].first().to_dict() == {"A": 12.0, "B": 5.0}
    d11 = fut[fut[ds.DATE] == "2025-11-11"]
    assert (d11[ds.PROMO] == 1).all() and (d11[ds.DISCOUNT] == 0.25).all()
    assert (fut.loc[fut[ds.DATE] == "2025-11-13", ds.PROMO] == 0).all()
    with pytest.raises(ShopcastError):
        ds.generate_future(hist.drop(columns=[ds.SKU]))
    with pytest.raises(ShopcastError):
        ds.generate_future(hist, horizon=0)


def test_festival_peaks_visible(shop):
    daily = shop.groupby(ds.DATE)[ds.UNITS].mean()
    median = daily.median()
    for year in (2023, 2024, 2025):
        assert daily[f"{year}-11-11"] > 2 * median
    for year in (2024, 2025, 2026):
        assert daily[f"{year}-06-18"] > 2 * median
        assert daily[cal.spring_festival(year)] < 0.6 * median


def test_true_festival_shape():
    dates = pd.date_range("2025-01-01", "2025-12-31")
    m = ds.festival_multiplier(dates)
    d11 = E["festivals"]["double11"]
    assert m.loc["2025-11-11", "double11"] == pytest.approx(d11["peak"])
    assert m.loc["2025-11-10", "double11"] == pytest.approx(d11["pre"])
    assert m.loc["2025-11-12", "double11"] == pytest.approx(d11["post"])
    assert m.loc["2025-11-13", "double11"] == pytest.approx(1 - d11["dip"])
    assert m.loc["2025-10-21", "double11"] == 1.0
    ramp = m.loc["2025-10-22":"2025-11-10", "double11"].to_numpy()
    assert (np.diff(ramp) > 0).all() and 1 < ramp[0] < 1.01
    assert m.loc[cal.spring_festival(2025), "spring_festival"] == pytest.approx(0.35)
    # Golden week: log-linear from post (1 Oct + 1) to post_end (7 Oct); 3 Oct is 1/5 of the way.
    nd = E["festivals"]["national_day"]
    expect = nd["post"] ** 0.8 * nd["post_end"] ** 0.2
    assert m.loc["2025-10-03", "national_day"] == pytest.approx(expect)
    assert m.loc["2025-10-07", "national_day"] == pytest.approx(nd["post_end"])


def test_discount_uplift_recoverable_on_non_festival_days(shop):
    # Log-linear regression with product effects: the documented uplift per 10
    # points of discount must come back from the data within +-25%.
    off = _festival_offsets(shop)
    d = shop[off.isna().all(axis=1).to_numpy() & (shop[ds.UNITS] > 0).to_numpy()]
    sku = pd.get_dummies(d[ds.SKU]).to_numpy(float)
    years = ((d[ds.DATE] - d[ds.DATE].min()).dt.days / 365.25).to_numpy()
    dow = pd.get_dummies(d[ds.DATE].dt.dayofweek, drop_first=True).to_numpy(float)
    month = pd.get_dummies(d[ds.DATE].dt.month, drop_first=True).to_numpy(float)
    x = np.column_stack(
        [d[ds.DISCOUNT], d[ds.PROMO], np.log(d[ds.PRICE]), sku, sku * years[:, None], dow, month]
    )
    coef = np.linalg.lstsq(x, np.log(d[ds.UNITS].to_numpy()), rcond=None)[0]
    uplift = math.exp(0.1 * coef[0]) - 1
    truth = E["uplift_per_10pct_discount"]
    assert truth == pytest.approx(math.exp(0.1 * E["discount_beta"]) - 1, abs=1e-4)
    assert abs(uplift / truth - 1) < 0.25, (uplift, truth)


def test_festival_effects_recoverable(shop):
    # With a dummy per festival-day offset, the peak multipliers and the
    # discount effect are separable: discount depth is not collinear with festivals.
    d = shop[shop[ds.UNITS] > 0].reset_index(drop=True)
    off = _festival_offsets(d)
    dummies, names = [], []
    for f in off.columns:
        for k in np.unique(off[f].dropna()):
            dummies.append((off[f] == k).to_numpy(float))
            names.append((f, int(k)))
    sku = pd.get_dummies(d[ds.SKU]).to_numpy(float)
    years = ((d[ds.DATE] - d[ds.DATE].min()).dt.days / 365.25).to_numpy()
    dow = pd.get_dummies(d[ds.DATE].dt.dayofweek, drop_first=True).to_numpy(float)
    angle = 2 * np.pi * d[ds.DATE].dt.dayofyear.to_numpy() / 365.25
    yearly = []
    for c in ds.CATEGORIES:
        mask = (d[ds.CATEGORY] == c).to_numpy(float)
        yearly += [mask * np.cos(angle), mask * np.sin(angle)]
    x = np.column_stack(
        [d[ds.DISCOUNT], d[ds.PROMO], np.log(d[ds.PRICE]), *dummies, sku, sku * years[:, None]]
        + [dow, *yearly]
    )
    coef = np.linalg.lstsq(x, np.log(d[ds.UNITS].to_numpy()), rcond=None)[0]
    est = dict(zip(names, np.exp(coef[3 : 3 + len(names)]), strict=True))
    for f in ("double11", "618", "spring_festival"):
        truth = E["festivals"][f]["peak"]
        assert abs(est[(f, 0)] / truth - 1) < 0.2, (f, est[(f, 0)], truth)
    assert est[("double11", 2)] < 0.9  # pull-forward dip right after Double-11
    uplift = math.exp(0.1 * coef[0]) - 1
    assert abs(uplift / E["uplift_per_10pct_discount"] - 1) < 0.25


def test_true_effects_consistent_with_calendar():
    for f, shape in E["festivals"].items():
        assert tuple(shape["window"]) == cal.DEFAULT_WINDOWS[f]
    assert set(E["festivals"]) == set(cal.FESTIVALS)
    assert E["festivals"]["double11"]["peak"] > E["festivals"]["618"]["peak"] > 2
    assert E["festivals"]["spring_festival"]["peak"] < 1


def _numbers(obj):
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _numbers(v)
    elif isinstance(obj, list | tuple):
        for v in obj:
            yield from _numbers(v)
    elif isinstance(obj, int | float) and not isinstance(obj, bool):
        yield obj


def test_readme_documents_true_effects():
    readme = ds.sample_path("readme")
    if not readme.exists():
        pytest.skip("sample_data/README.md not generated")
    text = readme.read_text(encoding="utf-8")
    table = ds.true_effects_markdown()
    assert table in text, "README table is stale: run write_samples()"
    for v in _numbers(E):
        forms = {f"{v:g}", f"{v * 100:.1f}%", f"{abs(v) * 100:.1f}%"}
        assert any(s in table for s in forms), v


def test_bundled_samples_match_generator(shop):
    path = ds.sample_path("csv")
    if not path.exists():
        pytest.skip("sample_data/shop_sales.csv not generated")
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf"
    assert path.stat().st_size < 2.5e6
    df = pd.read_csv(path, encoding="utf-8-sig", parse_dates=[ds.DATE])
    pd.testing.assert_frame_equal(df, shop, check_dtype=False)
    fut = pd.read_csv(ds.sample_path("future"), encoding="utf-8-sig", parse_dates=[ds.DATE])
    assert list(fut.columns) == list(ds.DRIVER_COLUMNS)
    assert ds.sample_path("xlsx").exists()
    with pytest.raises(ShopcastError):
        ds.sample_path("parquet")


def test_sample_path_generates_the_sample_when_not_bundled(tmp_path, monkeypatch):
    """An installed package has no sample_data/: the same seeded files are generated once."""
    bundled = {kind: ds.sample_path(kind) for kind in ("csv", "future", "xlsx")}
    if not bundled["csv"].exists():
        pytest.skip("sample_data/shop_sales.csv not generated")
    empty = tmp_path / "installed"
    empty.mkdir()
    monkeypatch.setattr(ds, "BUNDLED_DIR", empty)
    monkeypatch.setenv("SHOPCAST_CACHE_DIR", str(tmp_path / "cache"))
    path = ds.sample_path("csv")
    assert path == tmp_path / "cache" / "sample_data" / "shop_sales.csv"
    assert not list(empty.iterdir())
    made, shipped = load(path), load(bundled["csv"])
    pd.testing.assert_frame_equal(made.frame, shipped.frame)
    assert made.mapping == shipped.mapping and made.freq == shipped.freq
    assert path.read_bytes() == bundled["csv"].read_bytes()
    assert ds.sample_path("future").read_bytes() == bundled["future"].read_bytes()
    assert ds.sample_path("xlsx").read_bytes() == bundled["xlsx"].read_bytes()
    assert ds.true_effects_markdown() in ds.sample_path("readme").read_text(encoding="utf-8")
    stamp = path.stat().st_mtime_ns
    assert ds.sample_path("csv").stat().st_mtime_ns == stamp  # generated once, then reused
    assert sorted(p.name for p in path.parent.iterdir()) == sorted(
        ["README.md", "shop_future.csv", "shop_sales.csv", "shop_sales.xlsx"]
    )


def test_write_samples(tmp_path):
    (tmp_path / "README.md").write_text(
        "# x\n<!-- true-effects:start -->\nold\n<!-- true-effects:end -->\ntail\n", encoding="utf-8"
    )
    paths = ds.write_samples(tmp_path, seed=5, n_skus=3)
    assert set(paths) == {"csv", "xlsx", "future"}
    assert all(p.exists() and p.parent == tmp_path for p in paths.values())
    assert (
        paths["csv"].read_bytes().startswith(b"\xef\xbb\xbf\xe6\x97\xa5\xe6\x9c\x9f")
    )  # BOM + 日期
    csv = pd.read_csv(paths["csv"], encoding="utf-8-sig")
    assert csv[ds.SKU].nunique() == 3 and len(csv) == 3 * 1096
    from openpyxl import load_workbook

    wb = load_workbook(paths["xlsx"], read_only=True)
    ws = wb.worksheets[0]
    assert [c.value for c in next(ws.iter_rows(max_row=1))] == list(ds.COLUMNS)
    assert ws.max_row == len(csv) + 1
    wb.close()
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert (
        "old" not in readme and ds.true_effects_markdown() in readme and readme.endswith("tail\n")
    )
