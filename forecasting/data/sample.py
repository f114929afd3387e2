"""A seeded generator for a realistic Chinese e-commerce shop (the sample data).

Units of one SKU on one day are negative-binomial around a multiplicative mean::

    mu = base * exp(trend * years) * weekly[dow] * yearly(category, day) * drift
         * festival(day) * exp(beta * 折扣) * promo_mult ** 促销 * (价格 / 价格0) ** elasticity

and stockout runs set units to 0. Every number used lives in :data:`TRUE_EFFECTS`
so forecasts and what-if scenarios can be checked against the truth.

The generator is *prefix-stable*: each SKU and each component (drift, promotions,
prices, noise...) has its own random stream consumed day by day, so the rows up to
a date do not depend on how far you generate, nor on ``n_skus``. Therefore
``generate_shop(seed, end=later)`` gives the true outcome of the plan
:func:`generate_future` returns for the same seed.
"""

from __future__ import annotations

import copy
import math
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecasting.data import festivals as cal
from forecasting.errors import ShopcastError

# Column names of the sample files (Chinese, as a Chinese shop backend exports them).
DATE, CATEGORY, SKU = "日期", "品类", "商品"
UNITS, PRICE, DISCOUNT, PROMO = "销量", "价格", "折扣", "促销"
PAID, REVENUE = "成交价", "销售额"
DRIVER_COLUMNS = (DATE, CATEGORY, SKU, PRICE, DISCOUNT, PROMO)
COLUMNS = (DATE, CATEGORY, SKU, UNITS, PRICE, DISCOUNT, PROMO, PAID, REVENUE)

CATEGORIES: tuple[str, ...] = ("护肤", "彩妆", "个护", "家居")
_NAMES: dict[str, tuple[str, ...]] = {
    "护肤": ("玻尿酸精华", "烟酰胺面霜", "氨基酸洁面", "补水面膜", "防晒乳",
             "紧致眼霜", "爽肤水", "修护乳液", "卸妆油", "精华水"),
    "彩妆": ("丝绒口红", "气垫粉底", "眼影盘", "睫毛膏", "眉笔",
             "定妆散粉", "腮红", "唇釉", "妆前乳", "遮瑕液"),
    "个护": ("洗发水", "护发素", "沐浴露", "身体乳", "牙膏",
             "电动牙刷", "护手霜", "香皂", "漱口水", "洗手液"),
    "家居": ("香薰蜡烛", "收纳盒", "抱枕", "四件套", "浴巾",
             "棉拖鞋", "保温杯", "加湿器", "衣架", "抽纸"),
}  # fmt: skip
_CATEGORY_PRICE = {"护肤": 189.0, "彩妆": 139.0, "个护": 59.0, "家居": 79.0}
_SAMPLE_FILES = {
    "csv": "shop_sales.csv",
    "xlsx": "shop_sales.xlsx",
    "excel": "shop_sales.xlsx",
    "future": "shop_future.csv",
    "readme": "README.md",
}
_TABLE_START, _TABLE_END = "<!-- true-effects:start -->", "<!-- true-effects:end -->"
# The repository's sample files; absent from an installed package (see sample_path).
BUNDLED_DIR = Path(__file__).resolve().parents[2] / "sample_data"


def _festival_truth() -> dict[str, dict[str, Any]]:
    """Festival shapes: multipliers of units, on top of the discount/promo effects.

    ``pre`` is reached the day before the peak after a ramp from 1.0 (see
    ``ramp_power``), ``post`` applies the day after the peak and moves (log-linearly)
    to ``post_end`` on the last window day, then a pull-forward ``dip`` (fraction
    lost) recovers linearly in log over ``dip_days``.
    """
    shapes = {
        "new_year": dict(pre=1.05, peak=1.15, post=1.10, post_end=1.10, dip=0.0, dip_days=0),
        "spring_festival": dict(pre=0.45, peak=0.35, post=0.50, post_end=0.90, dip=0.0, dip_days=0),
        "women38": dict(pre=1.30, peak=1.60, post=1.0, post_end=1.0, dip=0.0, dip_days=0),
        "520": dict(pre=1.20, peak=1.40, post=1.0, post_end=1.0, dip=0.0, dip_days=0),
        "618": dict(pre=1.60, peak=3.50, post=1.40, post_end=1.40, dip=0.20, dip_days=7),
        "double11": dict(pre=1.80, peak=5.00, post=1.60, post_end=1.60, dip=0.25, dip_days=10),
        "double12": dict(pre=1.25, peak=1.80, post=1.0, post_end=1.0, dip=0.10, dip_days=3),
        "national_day": dict(pre=1.0, peak=0.85, post=0.85, post_end=0.90, dip=0.0, dip_days=0),
    }
    for name, shape in shapes.items():
        shape["window"] = cal.DEFAULT_WINDOWS[name]
    return shapes


_BETA = 2.0
TRUE_EFFECTS: dict[str, Any] = {
    # units *= exp(beta * discount); discount is the fraction off (0.3 = 30% off).
    "discount_beta": _BETA,
    "uplift_per_10pct_discount": round(math.exp(_BETA * 0.1) - 1, 4),
    # extra visibility of a flagged promotion (banner, feed slot), on top of the discount.
    "promo_flag_multiplier": 1.10,
    # list price changes: units *= (price / first price) ** elasticity.
    "list_price_elasticity": -1.2,
    "festivals": _festival_truth(),
    # presale ramp: multiplier(k) = pre ** (((k - lower + 1) / -lower) ** ramp_power), k < 0.
    "ramp_power": 2.0,
    "weekly": {"Mon": 0.94, "Tue": 0.92, "Wed": 0.95, "Thu": 0.98,
               "Fri": 1.03, "Sat": 1.08, "Sun": 1.12},
    # yearly: units *= exp(amplitude * cos(2 pi (day_of_year - peak_day) / 365.25)).
    "yearly": {"护肤": {"amplitude": 0.15, "peak_day": 350},
               "彩妆": {"amplitude": 0.08, "peak_day": 105},
               "个护": {"amplitude": 0.20, "peak_day": 200},
               "家居": {"amplitude": 0.10, "peak_day": 75}},
    # per SKU: base units/day ~ lognormal(log(median), log_sd); trend in log units per year.
    "base_units": {"median": 30.0, "log_sd": 0.7},
    "trend_per_year": {"low": -0.30, "high": 0.40},
    # slow demand drift: AR(1) on log units.
    "drift": {"ar": 0.9, "sd": 0.05},
    # units ~ Poisson(mu * Gamma(r, 1/r)): variance = mu + mu^2 / r.
    "noise": {"family": "negative_binomial", "dispersion": 8.0,
              "extra_cv": round(1 / math.sqrt(8.0), 4)},
    "stockout": {"runs_per_sku_year": 3.0, "min_days": 2, "max_days": 10,
                 "expected_share": round(3.0 * 6.0 / 365.0, 4)},
    "promotions": {
        "campaign_start_prob": 0.007, "campaign_days": [3, 7],
        "campaign_discounts": [0.10, 0.15, 0.20, 0.25, 0.30],
        "festival_participation": {"618": 0.60, "double11": 0.70, "double12": 0.40,
                                   "women38": 0.40, "520": 0.30},
        "festival_discounts": [0.20, 0.25, 0.30],
        "coupon_prob": 0.04, "coupon_discount": 0.05,
    },
    "price_changes": {"per_year": 2.5, "log_mean": 0.02, "log_sd": 0.06},
}  # fmt: skip
# The generator reads this private copy, so editing TRUE_EFFECTS cannot change the data.
_E: dict[str, Any] = copy.deepcopy(TRUE_EFFECTS)

# One independent random stream per (seed, SKU, component): see the module docstring.
_ATTR, _DRIFT, _CAMP_START, _CAMP_LEN, _CAMP_DISC, _COUPON = range(6)
_PRICE_EVT, _PRICE_SIZE, _OUT_START, _OUT_LEN, _GAMMA, _POISSON, _FEST = range(6, 13)


def _rng(seed: int, sku: int, component: int, *extra: int) -> np.random.Generator:
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, sku, component, *extra])


# ---------------------------------------------------------------- SKUs
def sku_name(index: int) -> tuple[str, str]:
    """Category and product name of SKU number ``index`` (stable for any ``n_skus``)."""
    category = CATEGORIES[index % len(CATEGORIES)]
    j = index // len(CATEGORIES)
    names = _NAMES[category]
    name = names[j % len(names)]
    if j >= len(names):
        name += f"·{j // len(names) + 1}"
    return category, name


def _sku_index(category: str, name: str) -> int | None:
    """Inverse of :func:`sku_name`, or None for a product the generator never makes."""
    if category not in CATEGORIES:
        return None
    base, _, rep = name.partition("·")
    names = _NAMES[category]
    if base not in names or (rep and not rep.isdigit()) or rep == "1":
        return None
    j = names.index(base) + len(names) * ((int(rep) - 1) if rep else 0)
    return j * len(CATEGORIES) + CATEGORIES.index(category)


def _round_price(p: np.ndarray) -> np.ndarray:
    """Shop-style prices: 199, 89, 12.9."""
    return np.where(p >= 20, np.round((p + 1) / 10) * 10 - 1, np.round(p) - 0.1)


# ---------------------------------------------------------------- effects
def festival_multiplier(dates: pd.DatetimeIndex) -> pd.DataFrame:
    """The true festival multiplier of units per festival (columns) and day (rows).

    Includes presale ramps and post-festival dips; excludes the discount and
    promo-flag effects, which come on top for SKUs that join the festival sale.
    """
    shapes = _E["festivals"]
    power = _E["ramp_power"]
    ext = {f: (s["window"][0], s["window"][1] + s["dip_days"]) for f, s in shapes.items()}
    offsets = cal.festival_offsets(dates, windows=ext, festivals=list(shapes))
    out = {}
    for f, s in shapes.items():
        k = offsets[f].to_numpy()
        lo, up = s["window"]
        logm = np.zeros(len(k))
        pre = (k < 0) & (k >= lo)
        logm[pre] = math.log(s["pre"]) * ((k[pre] - lo + 1) / -lo) ** power
        logm[k == 0] = math.log(s["peak"])
        post = (k >= 1) & (k <= up)
        share = (k[post] - 1) / (up - 1) if up > 1 else np.zeros(post.sum())
        logm[post] = (1 - share) * math.log(s["post"]) + share * math.log(s["post_end"])
        dip = (k > up) & (k <= up + s["dip_days"])
        if s["dip"] > 0:
            j = k[dip] - up
            logm[dip] = math.log(1 - s["dip"]) * (1 - (j - 1) / s["dip_days"])
        out[f] = np.exp(logm)
    return pd.DataFrame(out, index=dates)


def _festival_plan(seed: int, sku: int, dates: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """Festival promotion of one SKU: (in festival sale?, discount) per day."""
    promo = _E["promotions"]
    joined = np.zeros(len(dates), dtype=bool)
    disc = np.zeros(len(dates))
    years = cal.years_for(dates[0], dates[-1])
    events = cal.festival_calendar(years, festivals=list(promo["festival_participation"]))
    days = dates.values.astype("datetime64[D]")
    first = days[0]
    for row in events.itertuples(index=False):
        a = np.datetime64(row.ds, "D") + row.lower_window - first
        b = np.datetime64(row.ds, "D") + row.upper_window - first
        a, b = int(a / np.timedelta64(1, "D")), int(b / np.timedelta64(1, "D"))
        if b < 0 or a >= len(days):
            continue
        # Stream per (SKU, year, festival): the decision never depends on the date range.
        rng = _rng(seed, sku, _FEST, row.ds.year, cal.FESTIVALS.index(row.holiday))
        p = promo["festival_participation"][row.holiday]
        take, depth = rng.random() < p, float(rng.choice(promo["festival_discounts"]))
        if take:
            sl = slice(max(a, 0), min(b, len(days) - 1) + 1)
            joined[sl] = True
            disc[sl] = depth
    return joined, disc


def _simulate_sku(seed: int, sku: int, dates: pd.DatetimeIndex, fest: np.ndarray) -> dict:
    """All columns of one SKU over ``dates`` (daily, consecutive)."""
    n = len(dates)
    category, name = sku_name(sku)
    attr = _rng(seed, sku, _ATTR)
    bu = _E["base_units"]
    base = bu["median"] * math.exp(bu["log_sd"] * attr.standard_normal())
    trend = attr.uniform(_E["trend_per_year"]["low"], _E["trend_per_year"]["high"])
    price0 = float(
        _round_price(np.array(_CATEGORY_PRICE[category] * math.exp(0.35 * attr.standard_normal())))
    )

    # Promotions: festival sales override the shop's own campaigns; coupons otherwise.
    pr = _E["promotions"]
    starts = _rng(seed, sku, _CAMP_START).random(n) < pr["campaign_start_prob"]
    lengths = _rng(seed, sku, _CAMP_LEN).integers(
        pr["campaign_days"][0], pr["campaign_days"][1] + 1, n
    )
    depths = _rng(seed, sku, _CAMP_DISC).choice(pr["campaign_discounts"], n)
    promo = np.zeros(n, dtype=np.int64)
    disc = np.zeros(n)
    t = 0
    while t < n:
        if starts[t]:
            end = min(t + int(lengths[t]), n)
            promo[t:end], disc[t:end] = 1, depths[t]
            t = end
        else:
            t += 1
    joined, fdisc = _festival_plan(seed, sku, dates)
    promo[joined], disc[joined] = 1, fdisc[joined]
    coupon = (_rng(seed, sku, _COUPON).random(n) < pr["coupon_prob"]) & (promo == 0)
    disc[coupon] = pr["coupon_discount"]

    # List price: a few step changes a year, rounded like a shop would.
    pc = _E["price_changes"]
    events = _rng(seed, sku, _PRICE_EVT).random(n) < pc["per_year"] / 365.0
    sizes = _rng(seed, sku, _PRICE_SIZE).normal(pc["log_mean"], pc["log_sd"], n)
    price = _round_price(price0 * np.exp(np.cumsum(np.where(events, sizes, 0.0))))

    # Slow drift: AR(1) on the log scale, started from its stationary distribution.
    dr = _E["drift"]
    eps = _rng(seed, sku, _DRIFT).standard_normal(n + 1) * dr["sd"]
    drift = np.empty(n)
    x = eps[0] / math.sqrt(1 - dr["ar"] ** 2)
    for i in range(n):
        x = dr["ar"] * x + eps[i + 1]
        drift[i] = x

    yearly = _E["yearly"][category]
    doy = dates.dayofyear.to_numpy()
    years = (dates - dates[0]).days.to_numpy() / 365.25
    weekly = np.log(np.array(list(_E["weekly"].values())))[dates.dayofweek.to_numpy()]
    log_mu = (
        math.log(base)
        + trend * years
        + weekly
        + yearly["amplitude"] * np.cos(2 * np.pi * (doy - yearly["peak_day"]) / 365.25)
        + drift
        + fest
        + _E["discount_beta"] * disc
        + math.log(_E["promo_flag_multiplier"]) * promo
        + _E["list_price_elasticity"] * np.log(price / price0)
    )
    noise = _E["noise"]
    r = noise["dispersion"]
    gamma = _rng(seed, sku, _GAMMA).gamma(r, 1.0 / r, n)
    units = _rng(seed, sku, _POISSON).poisson(np.exp(log_mu) * gamma).astype(np.int64)

    so = _E["stockout"]
    out_start = _rng(seed, sku, _OUT_START).random(n) < so["runs_per_sku_year"] / 365.0
    out_len = _rng(seed, sku, _OUT_LEN).integers(so["min_days"], so["max_days"] + 1, n)
    for i in np.flatnonzero(out_start):
        units[i : i + int(out_len[i])] = 0

    paid = np.round(price * (1 - disc), 2)
    return {
        DATE: dates,
        CATEGORY: category,
        SKU: name,
        UNITS: units,
        PRICE: price,
        DISCOUNT: np.round(disc, 2),
        PROMO: promo,
        PAID: paid,
        REVENUE: np.round(units * paid, 2),
    }


def _simulate(seed: int, start: Any, end: Any, skus: list[int]) -> pd.DataFrame:
    dates = pd.date_range(pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize(), freq="D")
    if len(dates) == 0:
        raise ShopcastError("sample_dates", start=start, end=end)
    fest = np.log(festival_multiplier(dates).to_numpy()).sum(axis=1)
    parts = [pd.DataFrame(_simulate_sku(seed, i, dates, fest)) for i in skus]
    df = pd.concat(parts, ignore_index=True)
    # Rows ordered by date, then category, then SKU number — like a daily shop export.
    order = {i: (i % len(CATEGORIES), i) for i in skus}
    rank = np.repeat([sorted(skus, key=order.get).index(i) for i in skus], len(dates))
    df["_rank"] = rank
    df = df.sort_values([DATE, "_rank"], kind="stable").drop(columns="_rank")
    return df.reset_index(drop=True)


# ---------------------------------------------------------------- public API
def generate_shop(
    seed: int = 42, start: str = "2023-11-01", end: str = "2026-10-31", n_skus: int = 30
) -> pd.DataFrame:
    """Daily sales of a seeded, realistic Chinese e-commerce shop.

    Args:
        seed: random seed; the same seed always gives the same frame.
        start: first day.
        end: last day (inclusive).
        n_skus: number of products, spread over 护肤/彩妆/个护/家居.

    Returns:
        Long frame ``日期, 品类, 商品, 销量, 价格, 折扣, 促销, 成交价, 销售额``:
        units (int >= 0), list price (CNY), discount (fraction off), promotion
        flag (0/1), paid price ``价格 * (1 - 折扣)`` and revenue ``销量 * 成交价``.
        The effects behind the numbers are in :data:`TRUE_EFFECTS`.
    """
    return _simulate(seed, start, end, list(range(int(n_skus))))


def generate_future(history: pd.DataFrame, horizon: int = 42, seed: int = 42) -> pd.DataFrame:
    """The planned drivers for the ``horizon`` days after ``history``.

    For a history made by :func:`generate_shop` (pass the same ``seed``) the plan
    is exactly the drivers the generator would produce for those days — festival
    sales (Double-11, Double-12...), the shop's own campaigns, coupons, list
    prices — so ``generate_shop(seed, end=<last plan day>)`` holds the true
    outcome. For other histories it is a simple plan: last list price, every
    product in the festival sales at 25% (618, Double-11) or 20% (others) off.

    Returns:
        ``日期, 品类, 商品, 价格, 折扣, 促销`` (no 销量), one row per product and day.
    """
    if int(horizon) < 1:
        raise ShopcastError("bad_horizon", h=horizon)
    for col in (DATE, SKU):
        if col not in history.columns:
            raise ShopcastError("sample_history", file="history", column=col)
    dates = pd.to_datetime(history[DATE])
    first, last = dates.min(), dates.max()
    future_days = pd.date_range(last + pd.Timedelta(days=1), periods=int(horizon), freq="D")
    products = history[[c for c in (CATEGORY, SKU) if c in history.columns]].drop_duplicates(SKU)
    idx = None
    if CATEGORY in products.columns:
        idx = [
            _sku_index(str(c), str(s))
            for c, s in zip(products[CATEGORY], products[SKU], strict=True)
        ]
    if idx is not None and None not in idx:
        sim = _simulate(seed, first, future_days[-1], idx)
        plan = sim[sim[DATE] > last]
        return plan[list(DRIVER_COLUMNS)].reset_index(drop=True)
    return _simple_plan(history, products, future_days)


def _simple_plan(
    history: pd.DataFrame, products: pd.DataFrame, days: pd.DatetimeIndex
) -> pd.DataFrame:
    """Last list price, all products in festival sales, nothing else."""
    joined = np.zeros(len(days), dtype=bool)
    depth = np.zeros(len(days))
    offsets = cal.festival_offsets(days, festivals=list(_E["promotions"]["festival_participation"]))
    for f in offsets.columns:
        inside = offsets[f].notna().to_numpy()
        joined |= inside
        depth[inside] = 0.25 if f in ("618", "double11") else 0.20
    if PRICE in history.columns:
        ordered = history.assign(_d=pd.to_datetime(history[DATE])).sort_values("_d")
        prices = ordered.groupby(SKU)[PRICE].last()
    else:
        prices = pd.Series(dtype=float)
    rows = []
    for prod in products.itertuples(index=False):
        p = dict(zip(products.columns, prod, strict=True))
        rows.append(
            pd.DataFrame(
                {
                    DATE: days,
                    CATEGORY: p.get(CATEGORY, ""),
                    SKU: p[SKU],
                    PRICE: float(prices.get(p[SKU], np.nan)),
                    DISCOUNT: depth,
                    PROMO: joined.astype(np.int64),
                }
            )
        )
    return (
        pd.concat(rows, ignore_index=True).sort_values([DATE], kind="stable").reset_index(drop=True)
    )


def sample_path(kind: str = "csv") -> Path:
    """Path of a sample file: ``csv``, ``xlsx`` (or ``excel``), ``future``, ``readme``.

    The repository's ``sample_data/`` (:data:`BUNDLED_DIR`) is used when it holds
    the file. An installed package has no such folder, so the seeded sample is then
    generated once into :func:`sample_cache_dir` (the same seed and size as the
    bundled files, hence the same data) and that copy is returned.

    Raises:
        ShopcastError: an unknown ``kind``.
    """
    if kind not in _SAMPLE_FILES:
        raise ShopcastError("unknown_sample", kind=kind, choices=", ".join(_SAMPLE_FILES))
    bundled = BUNDLED_DIR / _SAMPLE_FILES[kind]
    if bundled.is_file():
        return bundled
    folder = sample_cache_dir()
    path = folder / _SAMPLE_FILES[kind]
    if not path.is_file():
        _generate_into(folder)
    return path


def sample_cache_dir() -> Path:
    """Folder of generated samples: ``sample_data`` in ``$SHOPCAST_CACHE_DIR`` or ``~/.cache/shopcast``."""
    root = os.environ.get("SHOPCAST_CACHE_DIR") or Path.home() / ".cache" / "shopcast"
    return Path(root) / "sample_data"


def _generate_into(folder: Path) -> None:
    """Write every sample file into ``folder``; each appears at once and complete."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".generating-") as tmp:
        work = Path(tmp)
        readme = f"# Sample shop (generated, seed 42)\n\n{_TABLE_START}\n{_TABLE_END}\n"
        (work / _SAMPLE_FILES["readme"]).write_text(readme, encoding="utf-8")
        write_samples(work)
        for file in work.iterdir():
            os.replace(file, folder / file.name)


def write_samples(
    folder: str | Path = "sample_data", seed: int = 42, *, n_skus: int = 30
) -> dict[str, Path]:
    """Write the sample files and return their paths.

    ``shop_sales.csv`` (UTF-8 with BOM, so Excel shows the Chinese correctly),
    ``shop_sales.xlsx`` (same data, one sheet) and ``shop_future.csv`` (the
    42-day plan). If ``folder`` holds a README.md with the true-effects markers,
    its table is re-rendered from :data:`TRUE_EFFECTS`.

    Args:
        folder: output folder, created if missing (relative to the working directory).
        seed: random seed of :func:`generate_shop`.
        n_skus: number of products (30 for the bundled files).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    history = generate_shop(seed=seed, n_skus=n_skus)
    future = generate_future(history, seed=seed)
    paths = {
        "csv": folder / _SAMPLE_FILES["csv"],
        "xlsx": folder / _SAMPLE_FILES["xlsx"],
        "future": folder / _SAMPLE_FILES["future"],
    }
    history.to_csv(paths["csv"], index=False, encoding="utf-8-sig", date_format="%Y-%m-%d")
    future.to_csv(paths["future"], index=False, encoding="utf-8-sig", date_format="%Y-%m-%d")
    _write_xlsx(history, paths["xlsx"])
    readme = folder / _SAMPLE_FILES["readme"]
    if readme.exists():
        text = readme.read_text(encoding="utf-8")
        if _TABLE_START in text and _TABLE_END in text:
            head, rest = text.split(_TABLE_START, 1)
            tail = rest.split(_TABLE_END, 1)[1]
            table = true_effects_markdown()
            readme.write_text(
                f"{head}{_TABLE_START}\n{table}\n{_TABLE_END}{tail}", encoding="utf-8"
            )
    return paths


def _write_xlsx(df: pd.DataFrame, path: Path) -> None:
    with pd.ExcelWriter(
        path, engine="xlsxwriter", date_format="yyyy-mm-dd", datetime_format="yyyy-mm-dd"
    ) as writer:
        # A fixed creation time keeps the file byte-identical between runs.
        writer.book.set_properties({"created": datetime(2026, 1, 1)})
        df.to_excel(writer, index=False, sheet_name="销售数据")
        sheet = writer.sheets["销售数据"]
        sheet.set_column(0, 0, 12)
        sheet.set_column(1, 2, 14)
        sheet.freeze_panes(1, 0)


# ---------------------------------------------------------------- documentation
def _pct(x: float) -> str:
    return f"{x * 100:+.1f}%"


def true_effects_markdown() -> str:
    """The true effects as Markdown tables (pasted into sample_data/README.md)."""
    e = TRUE_EFFECTS
    beta = e["discount_beta"]
    lines = [
        "| Effect | True value |",
        "|---|---|",
        f"| Discount (折扣) | units × exp({beta:g} × 折扣): "
        f"{_pct(e['uplift_per_10pct_discount'])} per 10 points off; "
        f"20% off ×{math.exp(beta * 0.2):.3f}, 30% off ×{math.exp(beta * 0.3):.3f} |",
        f"| Promotion flag (促销=1) | ×{e['promo_flag_multiplier']:g} "
        f"({_pct(e['promo_flag_multiplier'] - 1)}) on top of the discount |",
        f"| List price (价格) | elasticity {e['list_price_elasticity']:g} vs the first price: "
        f"price +10% → units ×{1.1 ** e['list_price_elasticity']:.3f} |",
        f"| Price changes | {e['price_changes']['per_year']:g} per SKU-year, "
        f"log size ~ N({e['price_changes']['log_mean']:g}, {e['price_changes']['log_sd']:g}) |",
        "| Weekly (Mon..Sun) | " + ", ".join(f"{d} ×{v:g}" for d, v in e["weekly"].items()) + " |",
        f"| Base level | lognormal, median {e['base_units']['median']:g} units/day, "
        f"log sd {e['base_units']['log_sd']:g} |",
        f"| Trend | uniform {e['trend_per_year']['low']:g} … {e['trend_per_year']['high']:g} "
        "log units per year, per SKU |",
        f"| Drift | AR(1) on log units, coefficient {e['drift']['ar']:g}, "
        f"innovation sd {e['drift']['sd']:g} |",
        f"| Noise | negative binomial, dispersion r = {e['noise']['dispersion']:g} "
        f"(extra CV {e['noise']['extra_cv'] * 100:.1f}%) |",
        f"| Stockouts | {e['stockout']['runs_per_sku_year']:g} zero runs per SKU-year, "
        f"{e['stockout']['min_days']}–{e['stockout']['max_days']} days each "
        f"(≈{e['stockout']['expected_share'] * 100:.1f}% of SKU-days) |",
    ]
    pr = e["promotions"]
    lines.append(
        f"| Own campaigns | start prob {pr['campaign_start_prob']:g}/day, "
        f"{pr['campaign_days'][0]}–{pr['campaign_days'][1]} days, discounts "
        + "/".join(f"{d:g}" for d in pr["campaign_discounts"])
        + " |"
    )
    lines.append(
        "| Festival sales | participation "
        + ", ".join(f"{f} {p:g}" for f, p in pr["festival_participation"].items())
        + "; discounts "
        + "/".join(f"{d:g}" for d in pr["festival_discounts"])
        + " |"
    )
    lines.append(
        f"| Coupons | prob {pr['coupon_prob']:g}/day on non-promo days, "
        f"{pr['coupon_discount']:g} off, 促销=0 |"
    )
    lines += [
        "",
        f"Festival multipliers (on top of discount and promo flag; presale ramp "
        f"pre^(((k − lower + 1)/−lower)^{e['ramp_power']:g}) for days k before the peak):",
        "",
        "| Festival | Window | Day before peak | Peak | Day after | Last window day "
        "| Dip after window | Dip days |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for f, s in e["festivals"].items():
        lo, up = s["window"]
        cells = [
            f,
            f"({lo}, {up})",
            f"×{s['pre']:g}" if lo < 0 else "—",
            f"×{s['peak']:g}",
            f"×{s['post']:g}" if up > 0 else "—",
            f"×{s['post_end']:g}" if up > 0 else "—",
            _pct(-s["dip"]) if s["dip"] else "—",
            str(s["dip_days"]) if s["dip"] else "—",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "Yearly seasonality by category: units × exp(amplitude × cos(2π (day of year − peak day)"
        " / 365.25)):",
        "",
        "| 品类 | Amplitude (log) | Peak day of year |",
        "|---|---|---|",
    ]
    for c, v in e["yearly"].items():
        lines.append(f"| {c} | {v['amplitude']:g} | {v['peak_day']} |")
    return "\n".join(lines)
