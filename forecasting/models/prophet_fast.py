"""Prophet with two of its Python-side costs removed and the same numbers.

Imported only where a Prophet is built (``prophet_model.fit_prophet_batch``), so
``prophet`` still loads lazily. :class:`FastProphet` is ``prophet.Prophet`` with

* **festival features built with arrays.** ``Prophet.make_holiday_features`` calls
  ``pd.to_datetime`` and ``DatetimeIndex.get_loc`` once per festival, year and window
  day: about 600 calls (0.2 s) for three years of the default festival calendar, in
  every fit and twice in every forecast (point and predictive samples). Here the same
  columns (same names, order, values, prior scales and holiday names) come from one
  vectorised lookup; a calendar this does not cover (a ``prior_scale`` column, missing
  windows, repeated dates) goes to Prophet's own code.
* **the data handed to cmdstan as arrays.** ``CmdStanPyBackend.prepare_data`` turns
  the feature matrix into a list of lists, which stanio then walks value by value in
  Python before writing the JSON (about 0.1 s for 1,095 days x 114 features); given
  the arrays, stanio converts them in one call. The JSON file is the same text.

Both change only how Prophet's inputs are built, never what they are:
``tests/models/test_prophet_fast.py`` checks the features and the fitted parameters
against plain ``Prophet``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from prophet import Prophet

_ARRAYS = ("y", "t", "cap", "t_change", "s_a", "s_m")


def prepare_data(init: dict[str, Any], data: dict[str, Any]) -> tuple[dict, dict]:
    """``CmdStanPyBackend.prepare_data`` with the arrays left as numpy arrays.

    stanio writes a numeric numpy array with one ``tolist()`` call, the same values
    Prophet's lists hold, so cmdstan reads the same file.
    """
    out = {k: data[k] for k in ("T", "S", "K", "tau", "trend_indicator")}
    for k in _ARRAYS:  # Prophet's order, so the file's text is the same too
        out[k] = np.asarray(data[k])
    out["X"] = data["X"].to_numpy()
    out["sigmas"] = data["sigmas"]
    start = {
        "k": init["k"],
        "m": init["m"],
        "delta": np.asarray(init["delta"]),
        "beta": np.asarray(init["beta"]),
        "sigma_obs": init["sigma_obs"],
    }
    return start, out


class FastProphet(Prophet):
    """``prophet.Prophet`` whose festival features and cmdstan input are built with
    arrays (module docstring); fits and forecasts are those of ``Prophet``."""

    def _load_stan_backend(self, stan_backend: str | None) -> None:
        super()._load_stan_backend(stan_backend)
        if hasattr(self.stan_backend, "prepare_data"):
            self.stan_backend.prepare_data = prepare_data  # type: ignore[union-attr]

    def make_holiday_features(self, dates: pd.Series, holidays: pd.DataFrame):
        """``Prophet.make_holiday_features`` with one array lookup for every window day."""
        if not self._simple_calendar(dates, holidays):
            return super().make_holiday_features(dates, holidays)
        ps = float(self.holidays_prior_scale)
        if not ps > 0:
            return super().make_holiday_features(dates, holidays)  # raises Prophet's error
        day = pd.DatetimeIndex(dates.dt.normalize())
        names = holidays["holiday"].astype(str).to_numpy()
        peaks = pd.DatetimeIndex(holidays["ds"]).normalize().to_numpy()
        lower = holidays["lower_window"].astype("int64").to_numpy()
        upper = holidays["upper_window"].astype("int64").to_numpy()
        counts = np.maximum(upper - lower + 1, 0)
        rows = np.repeat(np.arange(len(holidays)), counts)
        # each row's window, lower to upper, one entry per day, in Prophet's loop order
        firsts = np.repeat(np.cumsum(counts) - counts, counts)
        offsets = lower[rows] + (np.arange(len(rows)) - firsts)
        hit = day.get_indexer(peaks[rows] + offsets.astype("timedelta64[D]"))
        keys = [
            f"{names[r]}_delim_{'+' if o >= 0 else '-'}{abs(int(o))}"
            for r, o in zip(rows.tolist(), offsets.tolist(), strict=True)
        ]
        columns: dict[str, np.ndarray] = {}
        for key, loc in zip(keys, hit.tolist(), strict=True):
            col = columns.get(key)
            if col is None:
                col = columns[key] = np.zeros(len(day))
            if loc >= 0:
                col[loc] = 1.0
        features = pd.DataFrame(columns)
        features = features[sorted(features.columns.tolist())]
        holiday_names = list(dict.fromkeys(names.tolist()))
        prior_scales = [ps] * features.shape[1]
        if self.train_holiday_names is None:
            self.train_holiday_names = pd.Series(holiday_names)
        return features, prior_scales, holiday_names

    @staticmethod
    def _simple_calendar(dates: pd.Series, holidays: pd.DataFrame) -> bool:
        """A calendar the array path reproduces exactly: festival name, date and integer
        windows only (no per-festival prior scale), every date known, distinct days.
        Prophet reads a window with ``int()``; whole numbers stored as floats are the same."""
        if set(holidays.columns) != {"holiday", "ds", "lower_window", "upper_window"}:
            return False
        if not len(holidays) or holidays.isna().any().any():
            return False
        for c in ("lower_window", "upper_window"):  # a concat in predict may make them float
            w = holidays[c]
            if not pd.api.types.is_numeric_dtype(w) or not np.array_equal(w, np.round(w)):
                return False
        return bool(pd.DatetimeIndex(dates.dt.normalize()).is_unique)
