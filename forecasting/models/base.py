"""The one interface every model implements.

A model is fitted on a long history frame (``unique_id, ds, y`` + drivers) and
predicts ``h`` steps for every series, returning the forecast contract:
``unique_id, ds, Alias, Alias-lo-L, Alias-hi-L``.

Subclasses implement ``_fit`` and ``_predict``. Models without native
intervals get conformal ones computed from out-of-sample errors of the same
model refitted on earlier cut-offs (``calibrate``; the band maths is in
``forecasting.models.conformal``) — never a fixed-width decoration.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from forecasting.errors import ShopcastError
from forecasting.models.registry import BY_NAME
from forecasting.schema import (
    DEFAULT_LEVELS,
    DS,
    ID,
    Y,
    driver_columns,
    hi_col,
    infer_freq,
    lo_col,
    make_future_frame,
    season_length,
    validate_history,
    validate_levels,
)

Progress = Callable[[float, str], None]


class Forecaster:
    """Base class: declared capabilities, fit/predict template, clone.

    Capabilities (class attributes) let the UI and the orchestrator reason about
    a model without importing its heavy library:

    * ``uses_drivers``: future driver columns (price, promo...) change the forecast.
      Declared in the registry (``forecasting.models.registry``), copied here for
      every registered class; a registered class must not set it itself.
    * ``native_intervals``: the model produces its own predictive intervals.
    * ``min_seasons``: history needed, in seasonal periods (plus a horizon).
    * ``global_model``: one model across all series (vs one per series).
    """

    name: ClassVar[str] = "base"
    uses_drivers: ClassVar[bool] = False  # from the model's registry spec
    native_intervals: ClassVar[bool] = False
    min_seasons: ClassVar[float] = 2.0
    global_model: ClassVar[bool] = False
    calibration_windows: int = 2

    def __init__(self, alias: str | None = None, seed: int = 0, **params: Any) -> None:
        self.alias = alias or self.name
        self.seed = int(seed)
        self.params = params
        self.fitted_ = False

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
        return new

    def min_length(self, freq: str) -> int:
        """Minimum number of observations per series this model needs."""
        return max(3, int(np.ceil(self.min_seasons * season_length(freq))))

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
        if len(short) == len(lengths):
            raise ShopcastError(
                "history_too_short", model=self.alias, need=need, have=int(lengths.max())
            )
        self.skipped_ = [str(s) for s in short.index]  # too short for this model
        if len(short):
            df = df[~df[ID].isin(short.index)]
        self.train_ = df.reset_index(drop=True)
        self.nonnegative_ = bool((df[Y] >= 0).all())
        self.calibration_: dict[int, Any] = {}
        self._fit(self.train_, progress)
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
    ) -> pd.DataFrame:
        """Forecast ``h`` steps after each series' last date.

        Args:
            h: horizon in periods of the training frequency.
            future: drivers for the forecast dates (``unique_id, ds, driver...``);
                drivers not given follow ``schema.make_future_frame``'s neutral plan.
            level: interval levels in percent, e.g. ``[80, 95]``.

        Returns:
            The forecast contract: ``unique_id, ds, alias`` and band columns.
        """
        if not self.fitted_:
            raise ShopcastError("not_fitted", model=self.alias)
        if h < 1:
            raise ShopcastError("bad_horizon", h=h)
        levels = validate_levels(level)
        fut = make_future_frame(self.train_, h, self.freq, future)
        if self.native_intervals:
            out = self._predict(h, fut, levels)
        else:
            out = self._predict(h, fut, [])
            if levels:
                out = self._conformal(out, h, levels)
        return self._tidy(out, levels)

    def calibrate(self, h: int) -> dict[str, Any]:
        """Compute (once per horizon) and keep the band calibration for horizon ``h``.

        For a model without native intervals: the scaled out-of-sample errors of
        clones refitted on the history cut ``h``, ``2h``... periods early
        (``calibration_windows`` cut-offs). It is kept on the model, so it is saved
        with it and reused; ``predict`` calls this on first use of a horizon.
        Models with native intervals need none (an empty dict).

        Returns:
            ``{"errors": array of shape (n_samples, h)}`` (NaN where missing).
        """
        if not self.fitted_:
            raise ShopcastError("not_fitted", model=self.alias)
        if self.native_intervals:
            return {}
        cal = self.calibration_.get(h)
        if cal is None:
            errors = self._calibration_errors(h) if self.calibration_windows else np.empty((0, h))
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
    def _calibration_errors(self, h: int) -> np.ndarray:
        """Scaled out-of-sample errors, shape ``(n_samples, h)`` (NaN where missing)."""
        from forecasting.models.conformal import calibration_splits, scaled_errors, series_scale

        m = season_length(self.freq)
        rows: list[np.ndarray] = []
        for past, held in calibration_splits(self.train_, h, self.calibration_windows):
            sub = self.clone()
            sub.calibration_windows = 0
            try:
                sub.fit(past, freq=self.freq)
            except Exception:  # noqa: BLE001 - too little history at this cut-off
                continue
            fut = held.drop(columns=[Y])
            pred = sub.predict(h, future=fut if sub.drivers_ else None, level=[])
            rows += scaled_errors(held, pred, sub.alias, series_scale(past, m), h)
        return np.vstack(rows) if rows else np.empty((0, h))

    def _conformal(self, point: pd.DataFrame, h: int, levels: list) -> pd.DataFrame:
        """``point`` with conformal bands from this model's calibration for ``h``."""
        from forecasting.models.conformal import add_bands, interval_widths, series_scale

        errors = self.calibrate(h)["errors"]
        m = season_length(self.freq)
        widths, conformal = interval_widths(errors, self.train_, levels, h, m)
        self.interval_method_ = "conformal" if conformal else "naive-theory"
        return add_bands(point, self.alias, widths, series_scale(self.train_, m), levels)

    def _tidy(self, out: pd.DataFrame, levels: list) -> pd.DataFrame:
        """Order columns, clip at zero for non-negative data, force nested bands."""
        a = self.alias
        out = out.sort_values([ID, DS]).reset_index(drop=True)
        cols = [ID, DS, a]
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
        for lv in sorted(levels, reverse=True):
            cols += [lo_col(a, lv), hi_col(a, lv)]
        return out[cols]

    def __repr__(self) -> str:
        state = "fitted" if self.fitted_ else "unfitted"
        return f"{type(self).__name__}(alias={self.alias!r}, {state})"
