"""Plain-language checks of a sales history before anyone trusts a forecast of it.

Every check returns :class:`Finding` objects: a translation key
(``quality.<key>`` in ``locales/io.*.json``), a severity and the numbers to fill
in, so the dashboard and the CLI word them in the user's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from forecasting.schema import DS, ID, Y, season_length

__all__ = ["DATA_PARAMS", "Finding", "check_history", "load_findings", "summary"]

SEVERITIES = ("info", "warning", "error")
OUTLIER_Z = 5.0  # robust z-score beyond which a point is called unusual
MANY_ZEROS = 0.3  # share of zero periods that deserves a word
ZERO_RUN = {"D": 7, "W": 3, "MS": 2}  # zero stretches this long look like stock-outs/closures
FLAG_DRIVERS = ("promo", "holiday")  # spikes on these days are expected, not errors
# Finding params that carry text from the user's file (series names, cell values,
# headers): always plain ``str``, to be escaped by whoever renders Markdown or HTML.
DATA_PARAMS = frozenset({"series", "value", "column", "columns"})


@dataclass
class Finding:
    """One thing worth telling the user about their data.

    Attributes:
        key: translation key under ``quality.``.
        severity: ``"info"``, ``"warning"`` or ``"error"``.
        params: values for the message (counts, an example series and date...);
            those named in :data:`DATA_PARAMS` are text from the file, unescaped.
    """

    key: str
    severity: str
    params: dict = field(default_factory=dict)

    def message(self, lang: str = "zh") -> str:
        """The finding as a sentence in ``lang``."""
        from forecasting.i18n import t

        return t(f"quality.{self.key}", lang, **self.params)


def summary(history: pd.DataFrame, freq: str) -> dict:
    """Headline numbers of a history frame.

    Returns:
        ``n_series``, ``start``, ``end`` (Timestamps), ``n_periods`` (distinct
        dates), ``n_rows``, ``total_y`` (NaN ignored) and ``freq``.
    """
    if history.empty:
        return {
            "n_series": 0,
            "start": None,
            "end": None,
            "n_periods": 0,
            "n_rows": 0,
            "total_y": 0.0,
            "freq": freq,
        }
    ds = pd.to_datetime(history[DS])
    return {
        "n_series": int(history[ID].nunique()),
        "start": ds.min(),
        "end": ds.max(),
        "n_periods": int(ds.nunique()),
        "n_rows": len(history),
        "total_y": float(pd.to_numeric(history[Y], errors="coerce").sum()),
        "freq": freq,
    }


def check_history(history: pd.DataFrame, freq: str, horizon: int | None = None) -> list[Finding]:
    """Warnings about a history frame, most serious first.

    Checks: gaps (filled ones from ``history.attrs`` set by ``SalesData.history``,
    or missing dates found here), blank targets, negative values, many zeros and
    long zero stretches (stock-outs or closures?), outliers (robust z-score per
    series above 5, ignoring promo/holiday periods), history too short for the
    season or horizon (< 2 seasons, < 2 x horizon; an error when even the
    longest series is shorter than the horizon), constant series, and an info
    summary.

    Args:
        history: contract frame ``unique_id, ds, y`` (+ drivers).
        freq: its frequency (``D``, ``W-XXX``, ``MS``).
        horizon: the planned forecast horizon in periods, if known.

    Returns:
        Findings sorted error, warning, info.
    """
    if history.empty:
        return [Finding("empty", "error", {})]
    df = history.sort_values([ID, DS], kind="stable").reset_index(drop=True)
    df[DS] = pd.to_datetime(df[DS])
    y = pd.to_numeric(df[Y], errors="coerce")
    y = y.where(np.isfinite(y))  # inf would turn every statistic below into NaN
    base = "W" if freq.upper().startswith("W") else freq.upper()
    info = summary(df, freq)
    out = [
        Finding(
            "summary",
            "info",
            {
                **info,
                "start": _d(info["start"]),
                "end": _d(info["end"]),
                "total_y": f"{info['total_y']:,.0f}",
            },
        )
    ]
    out += _gaps(df, y, base, history.attrs)
    out += _negatives(df, y)
    out += _zeros(df, y, base)
    out += _outliers(df, y)
    out += _length(df, freq, horizon)
    out += _constant(df, y)
    order = {s: i for i, s in enumerate(reversed(SEVERITIES))}
    return sorted(out, key=lambda f: order[f.severity])


def _d(ts: Any) -> str:
    return "" if ts is None or pd.isna(ts) else pd.Timestamp(ts).strftime("%Y-%m-%d")


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%" if x >= 0.01 else f"{100 * x:.1f}%"


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.4g}"


def _example(df: pd.DataFrame, mask: pd.Series, y: pd.Series) -> dict:
    i = mask.idxmax()
    return {"series": str(df.at[i, ID]), "date": _d(df.at[i, DS]), "value": _num(y.at[i])}


def _gaps(df: pd.DataFrame, y: pd.Series, base: str, attrs: dict) -> list[Finding]:
    found = []
    n = len(df)
    added = int(attrs.get("gaps_filled", 0) or 0)
    if added:
        share = added / n
        sev = "warning" if share > 0.05 else "info"
        found.append(
            Finding(
                "gaps_filled",
                sev,
                {"count": added, "share": _pct(share), "fill": attrs.get("fill", "zero")},
            )
        )
    blanks = int(attrs.get("missing_filled", 0) or 0)
    if blanks:
        found.append(
            Finding("blanks_filled", "info", {"count": blanks, "fill": attrs.get("fill", "zero")})
        )
    missing = _missing_periods(df, base)
    if missing:
        found.append(Finding("gaps_unfilled", "warning", {"count": missing}))
    nan = int(y.isna().sum())
    if nan:
        found.append(
            Finding(
                "missing_values", "warning", {"count": nan, **_example(df, y.isna(), y.fillna(0))}
            )
        )
    return found


def _missing_periods(df: pd.DataFrame, base: str) -> int:
    """Periods absent between each series' first and last date."""
    ds = df[DS].to_numpy().astype("datetime64[D]")
    if base == "MS":
        idx = ds.astype("datetime64[M]").astype(np.int64)
    elif base == "W":
        idx = ds.astype(np.int64) // 7  # same weekday throughout, so the floor is exact
    else:
        idx = ds.astype(np.int64)
    s = pd.Series(idx).groupby(df[ID].to_numpy())
    expected = (s.max() - s.min() + 1).sum()
    return int(max(0, expected - s.nunique().sum()))


def _negatives(df: pd.DataFrame, y: pd.Series) -> list[Finding]:
    neg = y < 0
    if not neg.any():
        return []
    return [
        Finding(
            "negative_values",
            "warning",
            {
                "count": int(neg.sum()),
                "n_series": int(df.loc[neg, ID].nunique()),
                **_example(df, neg, y),
            },
        )
    ]


def _zeros(df: pd.DataFrame, y: pd.Series, base: str) -> list[Finding]:
    found = []
    zero = y.eq(0)
    share = float(zero.mean())
    if share >= MANY_ZEROS:
        per = zero.groupby(df[ID]).mean()
        found.append(
            Finding(
                "many_zeros",
                "warning",
                {"share": _pct(share), "n_series": int((per > 0.5).sum()), "total": len(per)},
            )
        )
    need = ZERO_RUN.get(base, 3)
    ids = df[ID].to_numpy()
    new_run = (zero != zero.shift()) | (pd.Series(ids) != pd.Series(ids).shift())
    run = new_run.cumsum()
    runs = pd.DataFrame({"run": run[zero], "pos": np.flatnonzero(zero.to_numpy())})
    if runs.empty:
        return found
    g = runs.groupby("run")["pos"].agg(["first", "last", "size"])
    long = g[g["size"] >= need]
    if long.empty:
        return found
    first, last = long["first"].to_numpy(), long["last"].to_numpy()
    # only stretches with sales on both sides: a series that starts or ends at zero is
    # a launch or a discontinued product, not a stock-out
    inside = (first > 0) & (last < len(df) - 1)
    inside &= ids[np.maximum(first - 1, 0)] == ids[first]
    inside &= ids[np.minimum(last + 1, len(df) - 1)] == ids[last]
    long = long[inside]
    if long.empty:
        return found
    top = long.sort_values("size", ascending=False).iloc[0]
    found.append(
        Finding(
            "zero_runs",
            "warning",
            {
                "count": len(long),
                "n_series": int(len(set(ids[long["first"]]))),
                "series": str(ids[int(top["first"])]),
                "date": _d(df.at[int(top["first"]), DS]),
                "length": int(top["size"]),
                "min_length": need,
            },
        )
    )
    return found


def _outliers(df: pd.DataFrame, y: pd.Series) -> list[Finding]:
    by = y.groupby(df[ID])
    med = by.transform("median")
    dev = (y - med).abs()
    mad = dev.groupby(df[ID]).transform("median") * 1.4826
    alt = dev.groupby(df[ID]).transform("mean") * 1.2533  # when half the points are equal
    scale = mad.where(mad > 0, alt)
    mostly_zero = y.eq(0).groupby(df[ID]).transform("mean") > 0.5  # intermittent: skip
    z = (dev / scale).where((scale > 0) & ~mostly_zero)
    hit = z > OUTLIER_Z
    if not hit.any():
        return []
    flags = [c for c in df.columns if any(w in str(c).lower() for w in FLAG_DRIVERS)]
    explained = hit & (df[flags].fillna(0).gt(0).any(axis=1) if flags else False)
    unexplained = hit & ~explained
    if not unexplained.any():
        return [Finding("outliers_explained", "info", {"count": int(explained.sum())})]
    worst = (z.where(unexplained)).idxmax()
    return [
        Finding(
            "outliers",
            "warning",
            {
                "count": int(unexplained.sum()),
                "n_series": int(df.loc[unexplained, ID].nunique()),
                "explained": int(explained.sum()),
                **_example(df, pd.Series(df.index == worst, index=df.index), y),
            },
        )
    ]


def _length(df: pd.DataFrame, freq: str, horizon: int | None) -> list[Finding]:
    m = season_length(freq)
    lengths = df.groupby(ID).size()
    longest = int(lengths.max())
    need = 2 * m
    if horizon:
        need = max(need, 2 * int(horizon))
        if longest < int(horizon):
            return [
                Finding("too_short_horizon", "error", {"longest": longest, "horizon": int(horizon)})
            ]
    short = int((lengths < need).sum())
    if not short:
        return []
    return [
        Finding(
            "too_short",
            "warning",
            {
                "count": short,
                "n_series": len(lengths),
                "need": need,
                "longest": longest,
                "season": m,
            },
        )
    ]


def _constant(df: pd.DataFrame, y: pd.Series) -> list[Finding]:
    by = y.groupby(df[ID])
    stats = pd.DataFrame({"n": by.count(), "nu": by.nunique(), "v": by.first()})
    const = stats[(stats["n"] >= 2) & (stats["nu"] == 1)]
    if const.empty:
        return []
    sev = "warning" if len(const) == len(stats) else "info"
    return [
        Finding(
            "constant_series",
            sev,
            {
                "count": len(const),
                "n_series": len(stats),
                "series": str(const.index[0]),
                "value": _num(const["v"].iloc[0]),
                "zero": int((const["v"] == 0).sum()),
            },
        )
    ]


def load_findings(notes: Any) -> list[Finding]:
    """What cleaning did to the file (``SalesData.notes``), as findings.

    Args:
        notes: ``SalesData`` or its ``notes`` dict.
    """
    notes = getattr(notes, "notes", notes) or {}
    out: list[Finding] = []
    if notes.get("dates_dropped"):
        out.append(
            Finding(
                "dates_dropped",
                "warning",
                {
                    "count": notes["dates_dropped"],
                    "row": notes.get("dates_dropped_row"),
                    "value": notes.get("dates_dropped_value", ""),
                },
            )
        )
    if notes.get("target_unparseable"):
        out.append(
            Finding(
                "target_unparseable",
                "warning",
                {
                    "count": notes["target_unparseable"],
                    "row": notes.get("target_unparseable_row"),
                    "value": notes.get("target_unparseable_value", ""),
                },
            )
        )
    out += _reader_findings(notes)
    if notes.get("target_missing"):
        out.append(Finding("target_missing", "info", {"count": notes["target_missing"]}))
    for col, n in (notes.get("ids_missing") or {}).items():
        out.append(Finding("ids_missing", "warning", {"column": str(col), "count": n}))
    if notes.get("duplicates_merged"):
        out.append(Finding("duplicates_merged", "info", {"count": notes["duplicates_merged"]}))
    if notes.get("times_floored"):
        out.append(Finding("times_floored", "info", {"count": notes["times_floored"]}))
    if notes.get("dates_snapped"):
        out.append(Finding("dates_snapped", "info", {"count": notes["dates_snapped"]}))
    if notes.get("discount_rule"):
        out.append(Finding(f"discount_rule_{notes['discount_rule']}", "info", {}))
    ignored = notes.get("ignored_columns") or {}
    unknown = [c for c, why in ignored.items() if why == "not_known_in_advance"]
    if unknown:
        out.append(Finding("not_drivers", "info", {"columns": ", ".join(unknown)}))
    rest = [c for c, why in ignored.items() if why != "not_known_in_advance"]
    if rest:
        out.append(Finding("columns_ignored", "info", {"columns": ", ".join(rest)}))
    return out


def _reader_findings(notes: dict) -> list[Finding]:
    """Non-finite targets, ambiguous dates, decimal commas and formula columns."""
    out: list[Finding] = []
    bad = notes.get("target_nonfinite")
    if bad:
        out.append(Finding("target_nonfinite", "warning", dict(bad)))
    amb = notes.get("dates_ambiguous")
    if amb:
        out.append(Finding("dates_ambiguous", "warning", dict(amb)))
    if notes.get("decimal_comma"):
        out.append(Finding("decimal_comma", "info", {}))
    if notes.get("formula_columns"):
        cols = ", ".join(notes["formula_columns"])
        out.append(Finding("formula_columns", "warning", {"columns": cols}))
    return out
