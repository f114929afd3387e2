"""The one interface every model implements.

A model is fitted on a long history frame (``unique_id, ds, y`` + drivers) and
predicts ``h`` steps for every series, returning the forecast contract:
``unique_id, ds, Alias, Alias-lo-L, Alias-hi-L``.

Subclasses implement ``_fit`` and ``_predict``. Models without native
intervals get conformal ones (``forecasting.models.conformal``) computed from
out-of-sample errors of the same model refitted on earlier cut-offs — never a
fixed-width decoration.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from forecasting.errors import ShopcastError
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
    * ``native_intervals``: the model produces its own predictive intervals.
    * ``min_seasons``: history needed, in seasonal periods (plus a horizon).
    * ``global_model``: one model across all series (vs one per series).
    """

    name: ClassVar[str] = "base"
    uses_drivers: ClassVar[bool] = False
    native_intervals: ClassVar[bool] = False
    min_seasons: ClassVar[float] = 2.0
    global_model: ClassVar[bool] = False
    calibration_windows: int = 2

    def __init__(self, alias: str | None = None, seed: int = 0, **params: Any) -> None:
        self.alias = alias or self.name
        self.seed = int(seed)
        self.params = params
        self.fitted_ = False

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
                from forecasting.models.conformal import conformal_bands

                out = conformal_bands(self, out, h, levels)
        return self._tidy(out, levels)

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
