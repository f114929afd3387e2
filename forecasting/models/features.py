"""Features for the global machine-learning models (LightGBM, MLP, LSTM).

One model is trained across all series, so every series is first divided by its
own scale (mean sales of the last year): a SKU selling 5 a day and one selling
5,000 a day then look alike. The history is laid out as a *panel*: one row per
series, one column per period, right-aligned so every series' last observed
period sits in the same column (``Panel.origin - 1``) and the ``h`` future
periods follow it. Lags, rolling statistics, calendar, festival and driver
features are gathered from that grid by index, which makes the recursive
forecast one vectorised step per horizon period for all series at once.

Pure pandas/numpy: no modelling library is imported here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecasting.schema import DS, ID, Y, is_price_like, season_length


@dataclass(frozen=True)
class LagSpec:
    """Default feature geometry for one frequency.

    Attributes:
        lags: target lags (in periods) given to the tree model.
        windows: widths of the rolling mean/std of past values (ending one period back).
        min_context: periods of history a training row needs before its target.
        min_history: shortest series (in periods) the feature models accept.
        year: periods per year, used for the target scale.
        price_window: periods in the "recent mean price" a price is compared with.
        window: default input window of the neural models.
        level: periods of the recent level ``level_window="auto"`` divides by (28 days,
            8 weeks, 3 months).
        direct: steps a ``direct="auto"`` model is trained for (28 days, 13 weeks, 6 months).
    """

    lags: tuple[int, ...]
    windows: tuple[int, ...]
    min_context: int
    min_history: int
    year: int
    price_window: int
    window: int
    level: int = 3
    direct: int = 7


_SPECS: dict[int, LagSpec] = {
    7: LagSpec((1, 2, 3, 7, 14, 21, 28), (7, 28), 7, 56, 365, 28, 28, 28, 28),
    52: LagSpec((1, 2, 4, 13, 52), (4, 13), 4, 26, 52, 13, 52, 8, 13),
    12: LagSpec((1, 2, 3, 12), (3, 12), 3, 18, 12, 3, 12, 3, 6),
}
_FALLBACK = LagSpec((1, 2, 3), (3,), 3, 12, 12, 3, 6)


def lag_spec(freq: str) -> LagSpec:
    """The default lags, windows and history needs for ``freq`` (by its season length)."""
    return _SPECS.get(season_length(freq), _FALLBACK)


def target_scales(df: pd.DataFrame, freq: str) -> pd.Series:
    """Per-series divisor that puts every series on a common scale.

    The mean of the last year of ``y``; falls back to the mean ``|y|`` over the
    whole history (a series whose last year nets out to zero or less), then 1.

    Returns:
        Series indexed by ``unique_id``.
    """
    year = lag_spec(freq).year

    def one(y: pd.Series) -> float:
        v = y.to_numpy(dtype=float)
        v = v[np.isfinite(v)]
        for cand in (v[-year:].mean() if len(v) else np.nan, np.abs(v).mean() if len(v) else 0):
            if np.isfinite(cand) and cand > 0:
                return float(cand)
        return 1.0

    return df.groupby(ID, observed=True, sort=True)[Y].apply(one)


def calendar_features(dates: pd.DatetimeIndex, freq: str, cyclic: bool = False) -> pd.DataFrame:
    """Calendar columns for ``dates`` at the resolution of ``freq``.

    Args:
        dates: the dates to describe.
        freq: pandas frequency alias (D, W-*, MS).
        cyclic: encode positions as sin/cos pairs and the weekday one-hot
            (what a neural network needs); otherwise plain integers (fine for trees).

    Returns:
        Frame aligned with ``dates`` (default integer index), float columns.
    """
    dates = pd.DatetimeIndex(dates)
    m = season_length(freq)
    doy = 2 * np.pi * (dates.dayofyear.to_numpy() - 1) / 365.25
    out: dict[str, np.ndarray] = {}
    if cyclic:
        if m == 7:
            dow = dates.dayofweek.to_numpy()
            for d in range(7):
                out[f"cal_dow_{d}"] = (dow == d).astype(float)
            dom = 2 * np.pi * (dates.day.to_numpy() - 1) / 31
            out["cal_dom_sin"], out["cal_dom_cos"] = np.sin(dom), np.cos(dom)
    else:
        if m == 7:
            out["cal_dow"] = dates.dayofweek.to_numpy().astype(float)
            out["cal_dom"] = dates.day.to_numpy().astype(float)
        if m in (7, 52):
            out["cal_woy"] = dates.isocalendar().week.to_numpy().astype(float)
        out["cal_month"] = dates.month.to_numpy().astype(float)
    out["cal_doy_sin"], out["cal_doy_cos"] = np.sin(doy), np.cos(doy)
    return pd.DataFrame(out)


def festival_columns(dates: pd.DatetimeIndex, freq: str, country: str = "CN") -> pd.DataFrame:
    """Festival columns (``fest_<name>``, ``fest_<name>_d``) aligned with ``dates``.

    ``country``: ``"CN"`` the e-commerce festivals, another ISO code its public
    holidays (``forecasting.data.festivals``).
    """
    from forecasting.data.festivals import festival_features

    fest = festival_features(pd.DatetimeIndex(dates), freq, country=country)
    return fest.reset_index(drop=True).astype(float)


@dataclass
class Panel:
    """Series on a common right-aligned grid.

    Attributes:
        ids: series names, one per row.
        dates: ``(n, T)`` datetime64 of each cell (extrapolated before a series starts).
        y: ``(n, T)`` scaled target; NaN before a series starts and in future cells
            not yet forecast; gaps inside a series are interpolated (used as lags only).
        observed: ``(n, T)`` True where ``y`` was really observed (training targets).
        first: column of each series' first observation.
        origin: first future column (the same for every series).
        exog: ``(n, T, f)`` float32 exogenous features (calendar, festivals, drivers).
        scale: ``(n,)`` the divisor of each series.
        promo: ``(n, T)`` True on promotion days (history and plan), or None when
            promotion-aware lags are off.
    """

    ids: np.ndarray
    dates: np.ndarray
    y: np.ndarray
    observed: np.ndarray
    first: np.ndarray
    origin: int
    exog: np.ndarray
    scale: np.ndarray
    promo: np.ndarray | None = None


# Driver names that mark a promotion day (a discount, a campaign flag), in English and Chinese.
_PROMO_WORDS = ("promo", "discount", "coupon", "campaign", "促销", "折扣", "优惠", "活动")


# Driver names of an "open for business" flag: a closed day's zero is no baseline either.
_OPEN_WORDS = ("open", "营业")


def is_open_flag(col: str) -> bool:
    """Whether a driver column is an open/closed flag (0 = closed that day)."""
    c = col.lower()
    return any(w in c for w in _OPEN_WORDS)


def is_promo_like(col: str) -> bool:
    """Whether a driver column marks promotion days when it is non-zero."""
    c = col.lower()
    return any(w in c for w in _PROMO_WORDS)


class FeatureMaker:
    """Learns the per-series facts features need (scales, drivers) and builds features.

    Args:
        freq: pandas frequency alias of the data.
        lags: target lags for tabular features; default from ``lag_spec(freq)``.
        windows: rolling window widths; default from ``lag_spec(freq)``.
        cyclic: calendar encoding for neural networks (see ``calendar_features``).
        pad: extra empty columns kept before the longest series (at least the
            widest lag/window, so every index stays inside the grid).
        promo_aware_lags: lags and rolling statistics read the *baseline*: a promotion
            day's value is replaced by the last value before the promotion. A recursive
            forecast then does not feed its own promotion-inflated days back as lags,
            which made the uplift of a multi-day promotion compound.
        country: festival calendar of the festival features: ``"CN"`` (the e-commerce
            festivals) or another ISO code (its public holidays).
        level_window: when set, ``tabular`` divides lags and rolling statistics by the
            mean of the ``level_window`` periods before each cell (``level``) and adds
            that level as a feature, so a model learns ratios to the recent level: a
            level that trends away from the range seen in training is then no unseen
            input. ``"auto"``: ``lag_spec(freq).level`` periods.
        direct: ``None`` (default): features for a *recursive* forecast (lag 1 is the
            period before the target; a forecast feeds its own predictions back as lags).
            An integer ``H``: features for a *direct* forecast of up to ``H`` steps
            ahead from one origin: a cell ``k`` steps after the last known period reads
            its rolling statistics, level and non-seasonal lags at that origin
            (``back = k - 1`` periods further back than a recursive cell), its seasonal
            lags at the latest known date of the target's place in the season
            (``_lag_reach``), and has ``k`` as the feature ``steps_ahead``; calendar,
            festival and driver features stay those of the target date. No prediction
            is ever read as a lag within ``H`` steps. ``"auto"``: ``lag_spec(freq).direct``.
    """

    def __init__(
        self,
        freq: str,
        lags: tuple[int, ...] | list[int] | None = None,
        windows: tuple[int, ...] | list[int] | None = None,
        cyclic: bool = False,
        pad: int = 0,
        promo_aware_lags: bool = False,
        country: str = "CN",
        level_window: int | str | None = None,
        direct: int | str | None = None,
    ) -> None:
        spec = lag_spec(freq)
        self.freq = freq
        self.spec = spec
        self.lags = tuple(sorted({int(v) for v in (lags or spec.lags) if int(v) >= 1}))
        self.windows = tuple(sorted({int(v) for v in (windows or spec.windows) if int(v) >= 1}))
        self.cyclic = cyclic
        self.promo_aware_lags = promo_aware_lags
        self.country = country
        if level_window == "auto":
            level_window = spec.level
        self.level_window = int(level_window) if level_window else None
        if direct == "auto":
            direct = spec.direct
        self.direct = int(direct) if direct else None
        reach = max([*self.lags, *self.windows, self.level_window or 0])
        # a direct cell reads up to ``direct - 1`` periods further back than a recursive one
        self.pad = max([pad, spec.price_window, reach + (self.direct or 1) - 1])

    # ------------------------------------------------------------------ fitting
    def fit(self, df: pd.DataFrame) -> FeatureMaker:
        """Remember series scales and which drivers are usable numbers.

        Args:
            df: training history (``unique_id, ds, y`` + driver columns).
        """
        self.scales_ = target_scales(df, self.freq)
        drivers = []
        for col in df.columns:
            if col in (ID, DS, Y):
                continue
            vals = pd.to_numeric(df[col], errors="coerce")
            if vals.notna().any():  # text columns carry nothing a model can use
                drivers.append(col)
        self.drivers_ = drivers
        self.price_cols_ = [c for c in drivers if is_price_like(c)]
        self.promo_cols_ = (
            [c for c in drivers if c not in self.price_cols_ and is_promo_like(c)]
            if self.promo_aware_lags
            else []
        )
        self.open_cols_ = [c for c in drivers if is_open_flag(c)] if self.promo_cols_ else []
        probe = pd.DatetimeIndex(df[DS].iloc[:1])
        groups = {
            "calendar": list(calendar_features(probe, self.freq, self.cyclic).columns),
            "festival": list(festival_columns(probe, self.freq, self._country).columns),
            "driver": [f"{c}_rel" if c in self.price_cols_ else c for c in drivers],
            "static": ["log_scale"],
        }
        self.exog_names_ = [name for names in groups.values() for name in names]
        # positions of each group inside the exogenous block (e.g. drivers only)
        start, self.exog_groups_ = 0, {}
        for group, names in groups.items():
            self.exog_groups_[group] = list(range(start, start + len(names)))
            start += len(names)
        return self

    @property
    def feature_names(self) -> list[str]:
        """Column names of ``tabular``'s output."""
        lag = [f"lag_{v}" for v in self.lags]
        roll = [f"roll_{s}_{w}" for w in self.windows for s in ("mean", "std")]
        w = getattr(self, "level_window", None)
        level = [f"level_{w}"] if w and (lag or roll) else []
        ahead = [STEPS_AHEAD] if self._direct else []
        return [*lag, *roll, *level, *ahead, *self.exog_names_]

    @property
    def _direct(self) -> int | None:
        return getattr(self, "direct", None)  # makers pickled before the option: recursive

    # -------------------------------------------------------------------- panel
    def panel(self, df: pd.DataFrame, future: pd.DataFrame | None = None, h: int = 0) -> Panel:
        """Lay out history (and the future driver frame) on the right-aligned grid.

        Args:
            df: history of series seen by ``fit`` (others are ignored).
            future: ``unique_id, ds`` + drivers for the ``h`` periods after each
                series' last date (``schema.make_future_frame``).
            h: number of future columns.
        """
        df = df[df[ID].isin(self.scales_.index)]
        ids = np.array(sorted(df[ID].unique()), dtype=object)
        row_of = pd.Series(np.arange(len(ids)), index=ids)
        last = df.groupby(ID, observed=True)[DS].max().reindex(ids)
        k_hist = self._offsets(df[DS], df[ID].map(last))
        length = int(-k_hist.min()) + 1 if len(k_hist) else 1
        origin = self.pad + length
        width = origin + h
        n = len(ids)
        rows = df[ID].map(row_of).to_numpy()
        cols = origin - 1 + k_hist

        y = np.full((n, width), np.nan)
        y[rows, cols] = df[Y].to_numpy(dtype=float)
        observed = ~np.isnan(y)
        first = np.argmax(observed, axis=1)
        scale = self.scales_.reindex(ids).to_numpy(dtype=float)
        y = pd.DataFrame(y / scale[:, None]).interpolate(axis=1, limit_area="inside").to_numpy()
        y[:, origin:] = np.nan

        steps = np.arange(width) - (origin - 1)
        dates = self._shift(last.to_numpy(dtype="datetime64[ns]"), steps)

        raw = {c: np.full((n, width), np.nan) for c in self.drivers_}
        for c in self.drivers_:
            raw[c][rows, cols] = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float)
        if future is not None and h > 0 and len(future):
            fut = future[future[ID].isin(row_of.index)]
            k_fut = self._offsets(fut[DS], fut[ID].map(last))
            ok = (k_fut >= 1) & (k_fut <= h)
            frows = fut[ID].map(row_of).to_numpy()[ok]
            fcols = (origin - 1 + k_fut)[ok]
            for c in self.drivers_:
                if c in fut.columns:
                    vals = pd.to_numeric(fut[c], errors="coerce").to_numpy(dtype=float)[ok]
                    raw[c][frows, fcols] = vals
        exog = self._exog(dates, raw, origin, scale)
        promo = None
        if getattr(self, "promo_cols_", None):  # models pickled before the option: no mask
            promo = np.zeros((n, width), dtype=bool)
            for c in self.promo_cols_:
                promo |= np.nan_to_num(raw[c], nan=0.0) != 0
            for c in getattr(self, "open_cols_", []):
                # a closed day's zero would become the "baseline" of the promotion after it
                promo |= np.nan_to_num(raw[c], nan=1.0) == 0
        return Panel(ids, dates, y, observed, first, origin, exog, scale, promo)

    def _offsets(self, ds: pd.Series, last: pd.Series) -> np.ndarray:
        """Whole periods from each series' last date to ``ds`` (0 = last, -1 = before)."""
        ds = pd.to_datetime(ds).reset_index(drop=True)
        last = pd.to_datetime(last).reset_index(drop=True)
        if self._monthly:
            return ((ds.dt.year - last.dt.year) * 12 + ds.dt.month - last.dt.month).to_numpy()
        step = self._step_ns
        return np.rint((ds - last).dt.total_seconds().to_numpy() * 1e9 / step).astype(int)

    def _shift(self, last: np.ndarray, steps: np.ndarray) -> np.ndarray:
        """``(n, T)`` dates ``steps`` periods after each series' ``last`` date."""
        if self._monthly:
            months = last.astype("datetime64[M]")[:, None] + steps[None, :]
            base = self.freq.split("-")[0].upper()
            if base == "MS":
                return months.astype("datetime64[ns]")
            return ((months + 1).astype("datetime64[D]") - 1).astype("datetime64[ns]")
        return last[:, None] + (steps[None, :] * self._step_ns).astype("timedelta64[ns]")

    @property
    def _country(self) -> str:
        return getattr(self, "country", "CN")  # makers pickled before the option: CN

    @property
    def _monthly(self) -> bool:
        return self.freq.split("-")[0].upper() in ("M", "ME", "MS")

    @property
    def _step_ns(self) -> int:
        base = self.freq.split("-")[0].upper()
        if base == "W":
            return 7 * 86_400 * 10**9
        try:
            return int(pd.tseries.frequencies.to_offset(self.freq).nanos)
        except ValueError:  # non-fixed offsets we do not model: treat as daily
            return 86_400 * 10**9

    def _exog(self, dates: np.ndarray, raw: dict, origin: int, scale: np.ndarray) -> np.ndarray:
        n, width = dates.shape
        uniq, inverse = np.unique(dates.ravel(), return_inverse=True)
        idx = pd.DatetimeIndex(uniq)
        cal = pd.concat(
            [
                calendar_features(idx, self.freq, self.cyclic),
                festival_columns(idx, self.freq, self._country),
            ],
            axis=1,
        ).to_numpy(dtype=np.float32)
        parts = [cal[inverse].reshape(n, width, -1)]
        for c in self.drivers_:
            # gaps and cells before a series starts take the nearest known value
            v = pd.DataFrame(raw[c]).ffill(axis=1).bfill(axis=1).fillna(0.0).to_numpy()
            if c in self.price_cols_:
                v = relative_price(v, origin, self.spec.price_window)
            parts.append(v.astype(np.float32)[:, :, None])
        log_scale = np.log1p(np.abs(scale)).astype(np.float32)
        parts.append(np.broadcast_to(log_scale[:, None, None], (n, width, 1)))
        return np.concatenate(parts, axis=2)

    # ----------------------------------------------------------------- features
    def tabular(
        self, panel: Panel, rows: np.ndarray, cols: np.ndarray, back: np.ndarray | None = None
    ) -> np.ndarray:
        """Feature matrix (``feature_names`` order) for the cells ``(rows[i], cols[i])``.

        Lags and rolling statistics read ``panel.y`` strictly before each column,
        so during a recursive forecast they see the values filled in so far. With
        ``level_window`` they are divided by ``level`` (ratios to the recent level).
        ``back`` (direct makers only): periods between the last known value and the
        one before the target (``steps ahead - 1``, 0 for a recursive cell); lags,
        rolling statistics and the level are read that much earlier.
        """
        rows = np.asarray(rows)
        cols = np.asarray(cols)
        back = np.zeros(len(rows), dtype=int) if back is None else np.asarray(back, dtype=int)
        past = cols - back  # the column the lags count back from
        y = panel.y if panel.promo is None else baseline(panel.y, panel.promo)
        s1, s2, cnt = _prefix_sums(y)
        w = getattr(self, "level_window", None)  # makers pickled before the option: None
        n_lagged = len(self.lags) + 2 * len(self.windows)
        if not n_lagged:
            return np.concatenate([np.empty((len(rows), 0)), panel.exog[rows, cols]], axis=1)
        # Written column by column into one float32 matrix (the values of a float64
        # computation rounded once, as before): no float64 copy of the whole matrix.
        n_exog = panel.exog.shape[2]
        n_ahead = 1 if self._direct else 0
        out = np.empty((len(rows), n_lagged + (1 if w else 0) + n_ahead + n_exog), dtype=np.float32)
        # ratios to the recent level, plus that level itself (in units of the yearly
        # mean): where the series stands in its year still informs the ratio
        level = _window_mean(s1, cnt, rows, past, w) if w else None
        j = 0
        for f in self._lagged(y, s1, s2, cnt, rows, past, self._lag_reach(back)):
            out[:, j] = f if level is None else f / level
            j += 1
        if level is not None:
            out[:, j] = level
            j += 1
        if n_ahead:
            out[:, j] = back + 1
            j += 1
        flat = rows * panel.exog.shape[1] + cols  # exogenous cells, straight into ``out``
        np.take(panel.exog.reshape(-1, n_exog), flat, axis=0, out=out[:, j:], mode="clip")
        return out

    def _lag_reach(self, back: np.ndarray) -> list[np.ndarray]:
        """Periods each lag reaches back from the origin column (``cols - back``).

        Recursive cells (``back`` 0): the lag itself. Direct cells: a lag that is a whole
        number of seasons (7, 14, 21, 28 days; 52 weeks; 12 months) keeps its place in
        the season: it reads the same weekday (week of the year, month) as the target,
        the latest one known at the origin (lag 7, 10 steps ahead: the target's date two
        weeks back); any other lag counts back from the origin (lag 1: the last known
        period).
        """
        m = season_length(self.freq)
        step = back + 1
        reach = []
        for lag in self.lags:
            if self._direct and m > 1 and lag % m == 0:
                seasons = np.maximum(0, -(-(step - lag) // m))  # ceil, for lags < step
                reach.append(lag + m * seasons - back)
            else:
                reach.append(np.full(len(back), lag))
        return reach

    def _lagged(self, y, s1, s2, cnt, rows, cols, reach):
        """Lags, then rolling mean and std per window, one float64 column at a time."""
        for r in reach:
            yield y[rows, cols - r]
        with np.errstate(invalid="ignore", divide="ignore"):
            for w in self.windows:
                k = cnt[rows, cols] - cnt[rows, cols - w]
                mean = (s1[rows, cols] - s1[rows, cols - w]) / k
                var = (s2[rows, cols] - s2[rows, cols - w]) / k - mean**2
                yield mean
                yield np.sqrt(np.clip(var, 0, None))

    def level(
        self, panel: Panel, rows: np.ndarray, cols: np.ndarray, back: np.ndarray | None = None
    ) -> np.ndarray:
        """Recent level before each cell: the mean (scaled) baseline value of the
        ``level_window`` periods before it (before ``cols - back``: see ``tabular``), at
        least ``LEVEL_FLOOR``; 1 (the series' yearly mean) when unknown. All ones
        without ``level_window``."""
        rows, cols = np.asarray(rows), np.asarray(cols)
        if back is not None:
            cols = cols - np.asarray(back, dtype=int)
        w = getattr(self, "level_window", None)
        if not w:
            return np.ones(len(rows))
        y = panel.y if panel.promo is None else baseline(panel.y, panel.promo)
        s1, _, cnt = _prefix_sums(y)
        return _window_mean(s1, cnt, rows, cols, w)

    def window(self, panel: Panel, rows: np.ndarray, cols: np.ndarray, width: int) -> np.ndarray:
        """The ``width`` scaled values before each cell, oldest first, ``(len, width)``.

        Cells before a series starts take its earliest known value in the window.
        """
        idx = np.asarray(cols)[:, None] - np.arange(width, 0, -1)[None, :]
        win = panel.y[np.asarray(rows)[:, None], idx]
        if np.isnan(win).any():
            win = pd.DataFrame(win).bfill(axis=1).ffill(axis=1).fillna(1.0).to_numpy()
        return win.astype(np.float32)

    def exog_window(self, panel: Panel, rows: np.ndarray, cols: np.ndarray, width: int):
        """Exogenous features of the ``width`` cells before each cell, ``(len, width, f)``."""
        idx = np.asarray(cols)[:, None] - np.arange(width, 0, -1)[None, :]
        return panel.exog[np.asarray(rows)[:, None], idx]

    def training_cells(self, panel: Panel, context: int | None = None):
        """Cells usable as training targets: observed, with ``context`` periods before.

        Returns:
            ``(rows, cols)`` index arrays, ordered by column (time) then row.
        """
        context = self.spec.min_context if context is None else context
        ok = panel.observed.copy()
        ok[:, panel.origin :] = False
        colidx = np.arange(ok.shape[1])[None, :]
        ok &= colidx >= (panel.first[:, None] + context)
        cols, rows = np.nonzero(ok.T)
        return rows, cols

    def training_backs(
        self, panel: Panel, rows: np.ndarray, cols: np.ndarray, seed: int = 0
    ) -> np.ndarray | None:
        """``back`` of each training cell of a direct maker (None for a recursive one).

        Every cell is the target of one forecast, from an origin drawn uniformly
        ``1..direct`` steps before it (seeded), so the training matrix has as many
        rows as a recursive model's and every step ahead is learnt from about the
        same number of cells. An origin is never earlier than ``min_context``
        periods after the series' first observation (the draw is capped there).
        """
        if not self._direct:
            return None
        rng = np.random.default_rng(seed)
        steps = rng.integers(1, self._direct + 1, size=len(rows))
        room = np.asarray(cols) - panel.first[np.asarray(rows)] - self.spec.min_context + 1
        return np.minimum(steps, np.maximum(room, 1)) - 1


# Name of a direct maker's "how many periods after the origin" feature.
STEPS_AHEAD = "steps_ahead"

# Smallest recent level divided by (in units of the series' yearly mean): a series that
# sold nothing for a month must not turn its next sale into an enormous ratio.
LEVEL_FLOOR = 0.05


def _prefix_sums(y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row-wise prefix sums of ``y``, ``y**2`` and of finite cells (NaN counts as absent),
    each with a leading zero column: any rolling window becomes an O(1) lookup."""
    finite = np.isfinite(y)
    z = np.where(finite, y, 0.0)
    zero = np.zeros((y.shape[0], 1))
    s1 = np.concatenate([zero, np.cumsum(z, axis=1)], axis=1)
    s2 = np.concatenate([zero, np.cumsum(z * z, axis=1)], axis=1)
    cnt = np.concatenate([zero, np.cumsum(finite, axis=1)], axis=1)
    return s1, s2, cnt


def _window_mean(s1: np.ndarray, cnt: np.ndarray, rows, cols, w: int) -> np.ndarray:
    """Mean of the ``w`` cells before each ``(row, col)`` from prefix sums, floored at
    ``LEVEL_FLOOR``; 1 where no cell of the window is known."""
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (s1[rows, cols] - s1[rows, cols - w]) / (cnt[rows, cols] - cnt[rows, cols - w])
    return np.where(np.isfinite(mean), np.maximum(mean, LEVEL_FLOOR), 1.0)


def baseline(y: np.ndarray, promo: np.ndarray) -> np.ndarray:
    """``y`` with each promotion cell replaced by the last non-promotion value of its row.

    Cells before a row's first non-promotion value become NaN (no baseline known yet).
    """
    keep = ~promo & ~np.isnan(y)
    idx = np.where(keep, np.arange(y.shape[1])[None, :], -1)
    idx = np.maximum.accumulate(idx, axis=1)
    out = np.take_along_axis(y, np.maximum(idx, 0), axis=1)
    # not-yet-forecast future cells stay NaN; cells with no earlier baseline become NaN
    return np.where((idx < 0) | np.isnan(y), np.nan, np.where(promo, out, y))


def relative_price(price: np.ndarray, origin: int, width: int) -> np.ndarray:
    """Price divided by the mean price of the ``width`` periods before.

    For future cells the reference stays at its value at the forecast origin,
    so a planned price cut reads as "x% below the recent price" for its whole
    duration instead of fading as the cut enters the reference.
    """
    n, total = price.shape
    z = np.nan_to_num(price, nan=0.0)
    ok = np.isfinite(price) & (price > 0)
    s = np.concatenate([np.zeros((n, 1)), np.cumsum(np.where(ok, z, 0), axis=1)], axis=1)
    c = np.concatenate([np.zeros((n, 1)), np.cumsum(ok, axis=1)], axis=1)
    cols = np.minimum(np.arange(total), origin)
    lo = np.maximum(cols - width, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ref = (s[:, cols] - s[:, lo]) / (c[:, cols] - c[:, lo])
        rel = price / ref
    return np.where(np.isfinite(rel) & (ref > 0), rel, 1.0)


def tabular_training(
    df: pd.DataFrame, freq: str, params: Mapping[str, Any], cyclic: bool = False, seed: int = 0
) -> tuple[FeatureMaker, np.ndarray, np.ndarray]:
    """What a global tabular model (ridge, LightGBM) learns from: the features of every
    training cell of ``df`` and the target there, relative to its recent level.

    Args:
        df: training history.
        freq: its frequency.
        params: the model's ``lags``, ``windows``, ``promo_aware_lags``, ``country``,
            ``level_window`` and ``direct`` (see :class:`FeatureMaker`).
        cyclic: the calendar as a linear model needs it (see ``calendar_features``).
        seed: the draw of each cell's origin for a direct model (``training_backs``).

    Returns:
        ``(maker, x, y)``: the fitted ``FeatureMaker``, the float32 feature matrix
        (``FeatureMaker.tabular``) and the target divided by ``FeatureMaker.level``.
    """
    maker = FeatureMaker(
        freq,
        lags=params["lags"],
        windows=params["windows"],
        cyclic=cyclic,
        promo_aware_lags=bool(params["promo_aware_lags"]),
        country=params.get("country") or "CN",
        level_window=params.get("level_window"),
        direct=params.get("direct"),
    ).fit(df)
    panel = maker.panel(df)  # the grid goes when this returns: only the matrix is kept
    rows, cols = maker.training_cells(panel)
    back = maker.training_backs(panel, rows, cols, seed)
    x = maker.tabular(panel, rows, cols, back)
    y = panel.y[rows, cols] / maker.level(panel, rows, cols, back)
    return maker, x, y


def tabular_forecast(
    maker: FeatureMaker,
    train: pd.DataFrame,
    future: pd.DataFrame | None,
    h: int,
    alias: str,
    ratio: Callable[[np.ndarray], np.ndarray],
    nonnegative: bool,
) -> pd.DataFrame:
    """A global tabular model's forecast, ``h`` periods for every series of ``train``.

    Args:
        maker: the model's fitted ``FeatureMaker`` (:func:`tabular_training`).
        train: its training history; ``future``: the drivers of the forecast dates.
        h: horizon.
        alias: the forecast column's name.
        ratio: the model: feature rows (``FeatureMaker.tabular``) -> predictions
            relative to the recent level (``FeatureMaker.level``).
        nonnegative: forecasts below zero are raised to zero before they are reused.

    Returns:
        ``unique_id, ds, alias`` (:func:`forecast_frame`), built one period at a time
        (:func:`recursive_forecast`) or, for a direct maker, ``direct`` periods at a
        time (:func:`direct_forecast`).
    """
    panel = maker.panel(train, future, h)

    def cells(rows: np.ndarray, cols: np.ndarray, back: np.ndarray | None) -> np.ndarray:
        return ratio(maker.tabular(panel, rows, cols, back)) * maker.level(panel, rows, cols, back)

    values = panel_forecast(maker, panel, cells, h, floor=0.0 if nonnegative else None)
    return forecast_frame(panel, values, alias)


def panel_forecast(
    maker: FeatureMaker,
    panel: Panel,
    cells: Callable[[np.ndarray, np.ndarray, np.ndarray | None], np.ndarray],
    h: int,
    floor: float | None = None,
) -> np.ndarray:
    """``h`` periods of every series of ``panel``, the way ``maker`` was trained:
    recursively (one period at a time) or directly (``maker.direct`` at a time).

    Args:
        cells: ``cells(rows, cols, back)`` -> scaled predictions of those cells.

    Returns:
        ``(n, h)`` forecasts in the original units (the future of ``panel.y`` filled in).
    """
    rows = np.arange(len(panel.ids))
    if not maker._direct:
        return recursive_forecast(
            panel, lambda col: cells(rows, np.full(len(rows), col), None), h, floor
        )
    return direct_forecast(panel, cells, h, maker._direct, floor)


def direct_forecast(
    panel: Panel,
    cells: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
    h: int,
    block: int,
    floor: float | None = None,
) -> np.ndarray:
    """Forecast ``h`` periods ``block`` at a time, each from the block's origin.

    Within a block every step reads only values known at its origin (one call for all
    series and steps); a horizon longer than ``block`` continues from the end of the
    previous block, whose forecasts then serve as the history.

    Returns:
        ``(n, h)`` forecasts in the original units.
    """
    n = len(panel.ids)
    for start in range(0, h, block):
        k = np.arange(min(block, h - start))
        rows = np.repeat(np.arange(n), len(k))
        back = np.tile(k, n)
        cols = panel.origin + start + back
        pred = np.asarray(cells(rows, cols, back), dtype=float).reshape(n, len(k))
        if floor is not None:
            pred = np.maximum(pred, floor)
        panel.y[:, panel.origin + start : panel.origin + start + len(k)] = pred
    return panel.y[:, panel.origin : panel.origin + h] * panel.scale[:, None]


def recursive_forecast(
    panel: Panel, step: Callable[[int], np.ndarray], h: int, floor: float | None = None
) -> np.ndarray:
    """Forecast ``h`` periods one step at a time, feeding predictions back as lags.

    Args:
        panel: grid from ``FeatureMaker.panel(..., h=h)``; its future ``y`` cells are filled in.
        step: ``step(col)`` -> scaled predictions for column ``col`` for every row.
        h: horizon.
        floor: lower bound applied before a prediction is reused (0 for sales).

    Returns:
        ``(n, h)`` forecasts in the original units.
    """
    for k in range(h):
        col = panel.origin + k
        pred = np.asarray(step(col), dtype=float).reshape(-1)
        if floor is not None:
            pred = np.maximum(pred, floor)
        panel.y[:, col] = pred
    return panel.y[:, panel.origin : panel.origin + h] * panel.scale[:, None]


def forecast_frame(panel: Panel, values: np.ndarray, alias: str) -> pd.DataFrame:
    """Long ``unique_id, ds, alias`` frame from a ``(n, h)`` array of forecasts."""
    n, h = values.shape
    dates = panel.dates[:, panel.origin : panel.origin + h]
    return pd.DataFrame({ID: np.repeat(panel.ids, h), DS: dates.ravel(), alias: values.ravel()})
