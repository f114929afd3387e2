"""The one interface every model implements.

A model is fitted on a long history frame (``unique_id, ds, y`` + drivers) and
predicts ``h`` steps for every series, returning the forecast contract:
``unique_id, ds, Alias, Alias-lo-L, Alias-hi-L``.

Subclasses implement ``_fit`` and ``_predict``. Models without native
intervals get conformal ones computed from out-of-sample errors of the same
model refitted on earlier cut-offs (``calibrate``; the band maths is in
``forecasting.models.conformal``) — never a fixed-width decoration.

Two rules hold for every model, so no caller has to remember them:

* **Never drop a series.** A series too short for the model (or one it returns no
  numbers for) is forecast by the next model of the fallback chain
  (:meth:`Forecaster.fallback_chain`): *model* -> ``seasonal_naive`` (needs one
  season) -> ``season_mean`` (mean of the last season, needs one observation). Its
  numbers fill the model's own columns and ``fallbacks_`` says which series used
  which fallback. When *every* series is too short, the chain forecasts them all
  (``chain_only_``: the model itself is not fitted); ``fit`` refuses only when the
  chain cannot take any series either (no rows), or when the model does not use
  fallbacks (``use_fallbacks = False``: ensemble members, calibration refits).
* **One horizon for everyone.** ``predict(h)`` covers every series up to the same
  calendar end: the training data's last date (over all series) + ``h`` periods. A
  series whose records stop early is forecast from its last record with a horizon
  extended to that end, and only the ``h`` common dates are returned.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from forecasting.errors import ShopcastError
from forecasting.models.inner_rows import unseasoned
from forecasting.models.registry import BY_NAME
from forecasting.schema import (
    CUTOFF,
    DEFAULT_LEVELS,
    DS,
    ID,
    Y,
    driver_columns,
    future_dates,
    hi_col,
    infer_freq,
    lo_col,
    make_future_frame,
    season_length,
    validate_history,
    validate_levels,
)

Progress = Callable[[float, str], None]

# A season longer than this (weekly data's 52-week year) is one statsforecast does not
# model. A model with ``min_seasons_long`` needs that many seasons of it instead of
# ``min_seasons``: the combinations take one season, so a series with one to two years of
# weekly sales is forecast by the members that can (seasonal naive, LightGBM's 52-week
# lag) rather than sent down the fallback chain. ETS and Theta keep two: allowed one, they
# entered every weekly inner backtest and Walmart's test windows lost 4-5% (README).
LONG_SEASON = 24

# ``band_season`` of a model with conformal bands (LightGBM, the networks, ridge,
# intermittent): how far its bands follow last year's seasonal difficulty
# (``conformal.seasonal_difficulty`` to this power; 0: off). Each calibration error is
# divided by its date's difficulty and the band multiplied back by the forecast date's,
# as the combinations' bands do (``ensemble.BAND_SEASON``). 0.5 since stop 34, chosen on
# development windows with LightGBM alone (22 runs: inside 75-85% 14 -> 16, mean distance
# from 80% 0.070 -> 0.062; power 1: 14, 0.068; README).
BAND_SEASON = 0.5
# Settings every model with conformal bands reads (``band_season``; ``band_full_season``:
# ``_seasoned_splits``), whatever its own settings are.
# ``calibration_windows`` overrides the class's number of calibration windows.
BAND_PARAMS = ("band_season", "band_full_season", "calibration_windows")

# First link of the fallback chain after any model (a registry name); the chain goes on
# with that model's own ``fallback_chain`` (seasonal_naive -> season_mean).
FALLBACK_MODEL = "seasonal_naive"


class Forecaster:
    """Base class: declared capabilities, fit/predict template, clone.

    Capabilities (class attributes) let the UI and the orchestrator reason about
    a model without importing its heavy library:

    * ``uses_drivers``: future driver columns (price, promo...) change the forecast.
      Declared in the registry (``forecasting.models.registry``), copied here for
      every registered class; a registered class must not set it itself.
    * ``native_intervals``: the model produces its own predictive intervals.
    * ``min_seasons``: history needed, in seasonal periods (plus a horizon);
      ``min_seasons_long`` (when set) instead for a season longer than ``LONG_SEASON``.
    * ``global_model``: one model across all series (vs one per series).
    """

    name: ClassVar[str] = "base"
    uses_drivers: ClassVar[bool] = False  # from the model's registry spec
    native_intervals: ClassVar[bool] = False
    min_seasons: ClassVar[float] = 2.0
    min_seasons_long: ClassVar[float | None] = None
    global_model: ClassVar[bool] = False
    calibration_windows: int = 2
    # "refit": one refit per calibration window. "shared": one refit at the earliest
    # cut-off forecasts every window from that window's own history (mlforecast's
    # conformal scheme): for models whose forecast reads the history from ``train_``
    # (the global feature models), at the cost of one refit instead of ``windows``.
    calibration_scheme: ClassVar[str] = "refit"
    # False: series the model cannot forecast are left out (``skipped_``) instead of
    # going down the fallback chain. Ensemble members and calibration refits use it, so
    # a member is never scored with another model's numbers.
    use_fallbacks: bool = True
    # ``_band_difficulty``'s defaults (the combinations set their own)
    band_season_default: ClassVar[float] = BAND_SEASON
    band_past_default: ClassVar[str] = "year"

    def __init__(self, alias: str | None = None, seed: int = 0, **params: Any) -> None:
        self.alias = alias or self.name
        self.seed = int(seed)
        self.params = params
        self.fitted_ = False
        if params.get("calibration_windows") is not None:
            self.calibration_windows = int(params["calibration_windows"])

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        spec = BY_NAME.get(cls.__dict__.get("name", ""))
        if spec is None:
            return
        if "uses_drivers" in cls.__dict__:
            raise TypeError(f"{cls.__name__}: declare uses_drivers in the registry spec")
        cls.uses_drivers = spec.uses_drivers

    # ------------------------------------------------------------------ public
    def get_params(self) -> dict[str, Any]:
        """Constructor arguments, enough to rebuild an unfitted copy."""
        return {"alias": self.alias, "seed": self.seed, **self.params}

    def clone(self) -> Forecaster:
        """An unfitted copy with the same parameters."""
        new = type(self)(**copy.deepcopy(self.get_params()))
        new.calibration_windows = self.calibration_windows
        new.use_fallbacks = self.use_fallbacks
        return new

    def backtest_clone(self) -> Forecaster:
        """An unfitted copy to refit on a backtest window of the history this (fitted)
        model was fitted on, for a combination's inner backtest. By default
        :meth:`clone`; a model that searches per series (ETS forms, Theta variants)
        keeps what it chose on the whole history and refits only its parameters."""
        return self.clone()

    def fallback_chain(self) -> list[Forecaster]:
        """Unfitted models, in order, for the series this model cannot forecast.

        The default is ``seasonal_naive`` followed by its own chain (``season_mean``);
        each takes the series long enough for it (``min_length``). They carry this
        model's alias, so their numbers land in this model's columns.
        """
        from forecasting.models import create

        first = create(FALLBACK_MODEL, alias=self.alias, seed=self.seed)
        return [first, *first.fallback_chain()]

    def min_length(self, freq: str) -> int:
        """Minimum number of observations per series this model needs: ``min_seasons``
        seasons, or ``min_seasons_long`` when the season is longer than ``LONG_SEASON``."""
        m = season_length(freq)
        seasons = self.min_seasons
        if m > LONG_SEASON and self.min_seasons_long is not None:
            seasons = min(seasons, self.min_seasons_long)
        return max(3, int(np.ceil(seasons * m)))

    def fit(
        self,
        df: pd.DataFrame,
        freq: str | None = None,
        progress: Progress | None = None,
    ) -> Forecaster:
        """Fit on a long history frame.

        Args:
            df: ``unique_id, ds, y`` plus driver columns; missing ``y`` not allowed.
            freq: pandas frequency alias; inferred from the dates when omitted.
            progress: optional ``callback(fraction, label)`` for progress bars.

        Raises:
            ShopcastError: when the history is too short or malformed.
        """
        df = validate_history(df)
        if df[Y].isna().any():
            raise ShopcastError("missing_target", column=Y)
        self.freq = freq or infer_freq(df.loc[df[ID] == df[ID].iloc[0], DS])
        self.drivers_ = driver_columns(df) if self.uses_drivers else []
        df = df[[ID, DS, Y, *self.drivers_]] if self.uses_drivers else df[[ID, DS, Y]]
        lengths = df.groupby(ID, observed=True).size()
        need = self.min_length(self.freq)
        short = lengths[lengths < need]
        too_short = ShopcastError(
            "history_too_short",
            model=self.alias,
            need=need,
            have=int(lengths.max()) if len(lengths) else 0,
        )
        self.chain_only_ = len(short) == len(lengths)
        if self.chain_only_ and not self.use_fallbacks:
            raise too_short
        self.end_ = df[DS].max()  # the common end every series is forecast from
        self.fallbacks_: dict[str, str] = {}
        self.fallback_models_: list[Forecaster] = []
        self.skipped_: list[str] = []
        self.calibration_: dict[Any, Any] = {}
        if self.chain_only_:
            return self._fit_chain_only(df, too_short)
        if len(short):
            part = df[df[ID].isin(short.index)]
            df = df[~df[ID].isin(short.index)]
            if self.use_fallbacks:
                self.fallback_models_, used, self.skipped_ = self._fit_chain(part)
                self.fallbacks_.update(used)
            else:
                self.skipped_ = [str(s) for s in short.index]  # too short for this model
        self.train_ = df.reset_index(drop=True)
        self.nonnegative_ = bool((df[Y] >= 0).all())
        self._fit(self.train_, progress)
        self.fitted_ = True
        return self

    def _fit_chain_only(self, df: pd.DataFrame, too_short: ShopcastError) -> Forecaster:
        """Every series is too short for this model: the fallback chain takes them all.

        The model itself is not fitted (``_fit`` is not called); ``train_`` keeps the
        whole history (what scenario and explanation code read), ``predict`` returns the
        chain's forecasts under this model's columns. Raises ``too_short`` when the chain
        cannot take any series either.
        """
        models, used, left = self._fit_chain(df) if len(df) else ([], {}, [])
        if not models:
            raise too_short
        self.fallback_models_, self.skipped_ = models, left
        self.fallbacks_.update(used)
        self.train_ = df.reset_index(drop=True)
        self.nonnegative_ = bool((df[Y] >= 0).all())
        self.fitted_ = True
        return self

    def calibration_state(self) -> frozenset:
        """Keys of the band calibrations this fitted model holds (grows on first predict).

        The engine compares it before and after a predict to know whether the model
        must be saved again (calibration costs refits; a restart should not redo them).
        """
        return frozenset(getattr(self, "calibration_", {}) or {})

    def predict(
        self,
        h: int,
        future: pd.DataFrame | None = None,
        level: Sequence[int | float] | None = DEFAULT_LEVELS,
        *,
        align: bool = True,
    ) -> pd.DataFrame:
        """Forecast every series to the common end: the ``h`` periods after ``end_``.

        Args:
            h: horizon in periods of the training frequency.
            future: drivers for the forecast dates (``unique_id, ds, driver...``);
                drivers not given follow ``schema.make_future_frame``'s neutral plan.
            level: interval levels in percent, e.g. ``[80, 95]``.
            align: False: ``h`` steps after each series' own last date instead (what an
                ensemble asks of its members, and calibration of its refits).

        Returns:
            The forecast contract: ``unique_id, ds, alias`` and band columns.
        """
        if not self.fitted_:
            raise ShopcastError("not_fitted", model=self.alias)
        if h < 1:
            raise ShopcastError("bad_horizon", h=h)
        levels = validate_levels(level)
        if getattr(self, "chain_only_", False):  # every series went down the chain
            return self._stack_fallbacks(self._no_forecast(levels), h, future, levels, align)
        out = self._forecast(h, future, levels)
        gaps = self.gaps() if align else pd.Series(dtype=int)
        if (gaps > 0).any():
            # series that stopped early: forecast further, keep the common dates. The
            # others keep the forecast above, as if every series had ended together.
            late = gaps.index[gaps > 0]
            more = self._forecast(h + int(gaps.max()), future, levels)
            more = more[
                more[ID].isin(late) & more[DS].isin(future_dates(self._end(), h, self.freq))
            ]
            out = pd.concat([out[~out[ID].isin(late)], more], ignore_index=True)
            out = out.sort_values([ID, DS]).reset_index(drop=True)
        return self._with_fallbacks(out, h, future, levels, align)

    def gaps(self) -> pd.Series:
        """Per series of ``train_``: periods between its last date and ``end_`` (the data's
        last date over all series); 0 for a series that runs to the end."""
        end = self._end()
        lasts = self.train_.groupby(ID, observed=True)[DS].max()
        n = {d: len(pd.date_range(d, end, freq=self.freq)) - 1 for d in pd.unique(lasts)}
        return lasts.map(n).astype(int)

    def _forecast(self, h: int, future: pd.DataFrame | None, levels: list) -> pd.DataFrame:
        """``h`` steps after each series' own last date, with bands, tidied."""
        fut = make_future_frame(self.train_, h, self.freq, future)
        if self.native_intervals:
            out = self._predict(h, fut, levels)
        else:
            out = self._predict(h, fut, [])
            if levels:
                out = self._conformal(out, h, levels)
        return self._tidy(out, levels)

    def calibrate(self, h: int, progress: Progress | None = None) -> dict[str, Any]:
        """Compute (once per horizon) and keep the band calibration for horizon ``h``.

        For a model without native intervals: the scaled out-of-sample errors of
        clones refitted on the history cut ``h``, ``2h``... periods early
        (``calibration_windows`` cut-offs). It is kept on the model, so it is saved
        with it and reused; ``predict`` calls this on first use of a horizon.
        Models with native intervals need none (an empty dict).

        ``progress`` follows the refits (their fit, then the windows).

        Returns:
            ``{"errors": array of shape (n_samples, h)}`` (NaN where missing).
        """
        if not self.fitted_:
            raise ShopcastError("not_fitted", model=self.alias)
        if self.native_intervals or getattr(self, "chain_only_", False):
            return {}  # the chain's models bring their own bands
        cal = self.calibration_.get(h)
        if cal is None:
            errors = (
                self._calibration_errors(h, progress)
                if self.calibration_windows
                else np.empty((0, h))
            )
            cal = {"errors": errors}
            self.calibration_[h] = cal
        return cal

    # ------------------------------------------------------------ persistence
    def save_native(self, folder) -> None:
        """Write parts joblib should not pickle (e.g. Keras networks) into ``folder``."""

    def load_native(self, folder) -> None:
        """Read back what ``save_native`` wrote."""

    # ---------------------------------------------------------- for subclasses
    def _fit(self, df: pd.DataFrame, progress: Progress | None) -> None:
        raise NotImplementedError

    def _predict(self, h: int, future: pd.DataFrame, levels: list) -> pd.DataFrame:
        """Return ``unique_id, ds, alias`` (+ bands when ``native_intervals``)."""
        raise NotImplementedError

    # ---------------------------------------------------------------- helpers
    def needs_calibration(self, h: int) -> bool:
        """Will the first forecast of ``h`` periods with bands refit this model first?"""
        return (
            self.fitted_
            and not self.native_intervals
            and not getattr(self, "chain_only_", False)
            and bool(self.calibration_windows)
            and h not in self.calibration_
        )

    def calibration_cost(self) -> float:
        """Refits a band calibration costs, in fits of this model (for progress bars)."""
        if self.native_intervals or not self.calibration_windows:
            return 0.0
        return 1.0 if self.calibration_scheme == "shared" else float(self.calibration_windows)

    def _calibration_errors(self, h: int, progress: Progress | None = None) -> np.ndarray:
        """Scaled out-of-sample errors, shape ``(n_samples, h)`` (NaN where missing).

        The refits of the windows are independent: they run side by side on the cores
        (``engine.parallel``), each single-threaded; the errors are the same either way.
        """
        from forecasting.engine import parallel
        from forecasting.models.conformal import calibration_splits

        sub = self.clone()
        sub.calibration_windows = 0
        sub.use_fallbacks = False  # errors of this model only, never a fallback's
        splits = list(calibration_splits(self._calibration_panel(), h, self.calibration_windows))
        splits, seasoned = self._seasoned_splits(splits, h)
        curve = self._band_difficulty
        if self.calibration_scheme == "shared" and len(splits) > 1 and not seasoned:
            shared = shared_window_errors((sub, splits, self.freq, h, curve), progress)
            if shared is not None:  # else too little history at the earliest cut-off
                return np.vstack(shared) if shared else np.empty((0, h))
        tasks = [(sub, past, held, self.freq, h, curve) for past, held in splits]
        jobs = parallel.jobs_for(self.train_[ID].nunique())  # small panels: no pool
        parts = parallel.run_batches(window_errors, tasks, jobs=jobs, progress=progress)
        rows = [row for part in parts for row in part]
        return np.vstack(rows) if rows else np.empty((0, h))

    def _seasoned_splits(self, splits: list, h: int) -> tuple[list, bool]:
        """The calibration windows without the series' rows fitted on less than a season
        of a series whose history holds one (``inner_rows.unseasoned``, the rule the
        combinations' bands follow: such a window's errors are a weaker model's, e.g.
        LightGBM without its lag of a year), and whether any were left out. Every row is
        kept when fewer than ``h`` would be left; ``band_full_season=False``: all rows.

        When some are left out the windows are refitted one by one, so each kept window
        comes from a model fitted on its own history (not the earliest window's)."""
        if not self.params.get("band_full_season", True) or len(splits) < 2:
            return splits, False
        frames = []
        for w, (past, held) in enumerate(splits):
            last = past.groupby(ID, observed=True)[DS].max().to_dict()
            ids = held[ID].to_numpy()
            frames.append(
                pd.DataFrame(
                    {
                        ID: ids,
                        CUTOFF: [last.get(u, pd.NaT) for u in ids],
                        "_w": w,
                        "_p": range(len(ids)),
                    }
                )
            )
        rows = pd.concat(frames, ignore_index=True)
        rows = rows[rows[CUTOFF].notna()].reset_index(drop=True)  # no past: no forecast
        short = unseasoned(rows, self.train_, self.freq, h)
        if not short.any():
            return splits, False
        out = []
        for w, (past, held) in enumerate(splits):
            drop = np.zeros(len(held), dtype=bool)  # by position: any index will do
            drop[rows.loc[short & (rows["_w"] == w).to_numpy(), "_p"].to_numpy()] = True
            held = held[~drop]
            if not held.empty:
                out.append((past, held))
        return out, True

    @property
    def _band_difficulty(self) -> pd.Series:
        """``band_season`` (default ``band_season_default``) and ``band_past`` (default
        ``band_past_default``): each date's seasonal difficulty for the bands
        (``conformal.seasonal_difficulty``), computed once per fit, power and past; empty
        when off (``difficulty_at`` then reads 1.0 everywhere)."""
        from forecasting.models.conformal import seasonal_difficulty

        power = float(self.params.get("band_season", self.band_season_default))
        if not power:
            return pd.Series(dtype=float)
        past = str(self.params.get("band_past", self.band_past_default))
        kept = getattr(self, "band_difficulty_", None)
        if kept is None or kept[0] != (power, past):
            kept = ((power, past), seasonal_difficulty(self.train_, self.freq, power, past))
            self.band_difficulty_ = kept
        return kept[1]

    def _calibration_panel(self) -> pd.DataFrame:
        """The series the calibration refits see: all of ``train_``, or a seeded sample of
        ``calibration_series`` of them (a model parameter; a global model on a big
        catalogue). The scaled errors are pooled over series into one width per step and
        level, so a sample of series sets the same bands at a fraction of a refit."""
        n = self.params.get("calibration_series")
        ids = np.sort(self.train_[ID].astype(str).unique())
        if not n or len(ids) <= int(n):
            return self.train_
        keep = np.random.default_rng(self.seed).choice(ids, size=int(n), replace=False)
        return self.train_[self.train_[ID].astype(str).isin(keep)]

    def _end(self) -> pd.Timestamp:
        end = getattr(self, "end_", None)
        return self.train_[DS].max() if end is None else end

    def _fit_chain(self, part: pd.DataFrame) -> tuple[list[Forecaster], dict[str, str], list[str]]:
        """Fit the fallback chain on the series of ``part``: each series goes to the first
        model of :meth:`fallback_chain` long enough for it.

        Returns:
            The fitted fallback models, ``{series: fallback name}`` and the series no
            model of the chain could take.
        """
        left = part.groupby(ID, observed=True).size()
        fitted: list[Forecaster] = []
        used: dict[str, str] = {}
        for fb in self.fallback_chain():
            take = left.index[left >= fb.min_length(self.freq)]
            if not len(take):
                continue
            fb.use_fallbacks = False
            fb.fit(part[part[ID].isin(take)], freq=self.freq)
            fb.end_ = self._end()
            fitted.append(fb)
            used.update({str(u): fb.name for u in take})
            left = left.drop(take)
            if left.empty:
                break
        return fitted, used, [str(u) for u in left.index]

    def _with_fallbacks(
        self,
        out: pd.DataFrame,
        h: int,
        future: pd.DataFrame | None,
        levels: list,
        align: bool,
    ) -> pd.DataFrame:
        """``out`` plus the fallback models' forecasts of the series this model could not
        forecast: too short at fit (``fallback_models_``), or left without numbers by
        the model itself (missing rows, NaN) — those go down the chain here."""
        if not self.use_fallbacks:
            return out
        self.fallbacks_ = getattr(self, "fallbacks_", {})
        self.skipped_ = getattr(self, "skipped_", [])
        models = list(getattr(self, "fallback_models_", []))
        rows = out.groupby(ID, observed=True)[self.alias].agg(["count", "size"])
        ok = rows.index[(rows["count"] == h) & (rows["size"] == h)]
        bad = sorted(set(self.train_[ID].unique()) - {str(u) for u in ok})
        if bad:
            out = out[~out[ID].isin(bad)]
            fitted, used, left = self._fit_chain(self.train_[self.train_[ID].isin(bad)])
            models += fitted
            self.fallbacks_.update(used)
            self.skipped_ = sorted(set(self.skipped_) | set(left))
        return self._stack_fallbacks(out, h, future, levels, align, models)

    def _stack_fallbacks(
        self,
        out: pd.DataFrame,
        h: int,
        future: pd.DataFrame | None,
        levels: list,
        align: bool,
        models: list[Forecaster] | None = None,
    ) -> pd.DataFrame:
        """``out`` with the forecasts of ``models`` (default ``fallback_models_``) below it,
        renamed to this model's columns."""
        if models is None:
            models = list(getattr(self, "fallback_models_", []))
        if not models:
            return out
        a = self.alias
        parts = [out] if len(out) else []
        for fb in models:
            part = fb.predict(h, future=future, level=levels, align=align)
            names = {fb.alias: a}
            for lv in levels:
                names.update(
                    {lo_col(fb.alias, lv): lo_col(a, lv), hi_col(fb.alias, lv): hi_col(a, lv)}
                )
            parts.append(part.rename(columns=names)[list(out.columns)])
        if getattr(self, "chain_only_", False):
            self.interval_method_ = getattr(models[0], "interval_method_", "native")
        return pd.concat(parts, ignore_index=True).sort_values([ID, DS]).reset_index(drop=True)

    def _columns(self, levels: list) -> list[str]:
        """The forecast contract's columns: ``unique_id, ds, alias``, widest band first."""
        a = self.alias
        cols = [ID, DS, a]
        for lv in sorted(levels, reverse=True):
            cols += [lo_col(a, lv), hi_col(a, lv)]
        return cols

    def _no_forecast(self, levels: list) -> pd.DataFrame:
        """An empty forecast frame with the contract's columns and dtypes."""
        out = pd.DataFrame({c: pd.Series(dtype=float) for c in self._columns(levels)})
        out[ID] = pd.Series(dtype=object)
        out[DS] = pd.Series(dtype="datetime64[ns]")
        return out

    def _conformal(self, point: pd.DataFrame, h: int, levels: list) -> pd.DataFrame:
        """``point`` with conformal bands from this model's calibration for ``h``."""
        from forecasting.models.conformal import (
            add_bands,
            difficulty_at,
            interval_widths,
            series_scale,
        )

        errors = self.calibrate(h)["errors"]
        m = season_length(self.freq)
        widths, conformal = interval_widths(errors, self.train_, levels, h, m)
        self.interval_method_ = "conformal" if conformal else "naive-theory"
        curve = self._band_difficulty
        shape = difficulty_at(curve, point[DS]) if len(curve) else None
        return add_bands(point, self.alias, widths, series_scale(self.train_, m), levels, shape)

    def _tidy(self, out: pd.DataFrame, levels: list) -> pd.DataFrame:
        """Order columns, clip at zero for non-negative data, force nested bands."""
        a = self.alias
        out = out.sort_values([ID, DS]).reset_index(drop=True)
        vals = out[a].to_numpy(dtype=float)
        if self.nonnegative_:
            vals = np.clip(vals, 0, None)
        out[a] = vals
        lo_prev, hi_prev = vals, vals
        for lv in sorted(levels):  # narrowest first: each wider band contains the previous
            lo = np.minimum(out[lo_col(a, lv)].to_numpy(dtype=float), lo_prev)
            hi = np.maximum(out[hi_col(a, lv)].to_numpy(dtype=float), hi_prev)
            if self.nonnegative_:
                lo = np.clip(lo, 0, None)
            out[lo_col(a, lv)], out[hi_col(a, lv)] = lo, hi
            lo_prev, hi_prev = lo, hi
        return out[self._columns(levels)]

    def __repr__(self) -> str:
        state = "fitted" if self.fitted_ else "unfitted"
        return f"{type(self).__name__}(alias={self.alias!r}, {state})"


def window_errors(task: tuple) -> list[np.ndarray]:
    """One calibration window: ``(unfitted model, past, held, freq, h, difficulty)`` -> the
    model's scaled errors on ``held`` after a fit on ``past`` (none when it cannot fit
    there), divided by each date's ``difficulty`` (``scaled_errors``; empty: off)."""
    from forecasting.models.conformal import scaled_errors, series_scale

    model, past, held, freq, h, curve = task
    sub = model.clone()
    try:
        sub.fit(past, freq=freq)
    except Exception:  # noqa: BLE001 - too little history at this cut-off
        return []
    fut = held.drop(columns=[Y])
    pred = sub.predict(h, future=fut if sub.drivers_ else None, level=[], align=False)
    return scaled_errors(held, pred, sub.alias, series_scale(past, season_length(freq)), h, curve)


def shared_window_errors(task: tuple, progress: Progress | None = None) -> list[np.ndarray] | None:
    """All calibration windows from one refit: ``(unfitted model, [(past, held), ...],
    freq, h, difficulty)``. The model is fitted on the earliest window's ``past`` (the last
    of the list); each window is then forecast from its own ``past`` as history, which only a
    model that reads its history from ``train_`` at predict time can do. The later
    windows' errors come from a model older than a refit's, so they are no smaller.

    Returns:
        The error rows, or None when the model cannot be fitted at the earliest cut-off
        (the caller then refits per window: a later cut-off may have history enough).
    """
    from forecasting.models.conformal import scaled_errors, series_scale

    model, splits, freq, h, curve = task
    sub = model.clone()
    try:
        sub.fit(splits[-1][0], freq=freq, progress=progress)
    except Exception:  # noqa: BLE001 - too little history at this cut-off
        return None
    m = season_length(freq)
    rows: list[np.ndarray] = []
    for past, held in splits:
        sub.train_ = past[sub.train_.columns].reset_index(drop=True)  # forecast from here
        fut = held.drop(columns=[Y])
        pred = sub.predict(h, future=fut if sub.drivers_ else None, level=[], align=False)
        rows += scaled_errors(held, pred, sub.alias, series_scale(past, m), h, curve)
    return rows
