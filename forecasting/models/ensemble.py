"""Models made of models: ``ensemble`` (weighted) and ``auto`` (best per series).

Both run a small rolling-origin backtest of their fitted members on the training
history (the engine's ``cross_validation`` over clones of the member instances) at
the requested horizon (``WINDOWS`` overlapping windows), score each member per series
by its out-of-sample MAE relative to the other members', shrink that score toward the
member's mean over all series (a few windows are mostly luck), and then either weight
the members by inverse score (``ensemble``) or pick the best one (``auto``) — unless one
member beat that combination over the whole panel (``_panel_member``: pooled, and in
most windows), which then forecasts every series it can. The same
backtest gives the combination's own out-of-sample errors, from which the
intervals are calibrated (split conformal) — so the bands describe the
forecast actually shown, not one of its parts.

No series is dropped: a series too short for the combination goes down the fallback
chain of ``Forecaster`` (seasonal_naive -> season_mean) — every series, when all are too
short (``chain_only_``: no member is fitted, the weights are empty and the selection's
``note`` says ``"fallback_chain"``); a series the inner backtest
could not score (too few windows, no member forecast it there) gets the equal-weight
mean of the members that forecast it, recorded as ``fallbacks_[series] =
"equal_weights"``. Members never use fallbacks themselves (``use_fallbacks = False``):
a member is scored and combined on its own numbers only.

A big catalogue (more than ``SCALE["big"]`` series) is combined at a bounded cost: see
``SCALE``. What that changed is listed in ``notes_`` (``(key, params)`` pairs the run
summary and the Train page show).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.engine.cross_validation import cross_validation
from forecasting.errors import ShopcastError
from forecasting.models import create, member_models, spec
from forecasting.models.base import Forecaster, Progress
from forecasting.models.conformal import (
    add_bands,
    closed_days,
    difficulty_at,
    interval_widths,
    series_scale,
    shape_factors,
)
from forecasting.models.inner_rows import scored, unseasoned
from forecasting.schema import CUTOFF, DS, ID, Y, driver_columns, season_length

# ``fallbacks_`` value of a series the inner backtest could not score (members averaged).
EQUAL_WEIGHTS = "equal_weights"
# ``selection(h)["note"]`` of a combination whose every series went down the fallback chain.
FALLBACK_CHAIN = "fallback_chain"
# Inner backtest and selection defaults, chosen on the development windows of
# benchmarks/accuracy.py (--dev; the test windows only report): 4 windows of the horizon,
# one every h/2 (more, shorter-spaced evidence than 2 windows of h), each series' relative
# score pulled toward the panel's by n / (n + 8) (a few windows are mostly luck), and theta
# among the members. Against the previous rule (2 windows of h, no shrinkage, no theta),
# ``auto``'s WAPE / best peer on the dev windows: Rossmann (30 stores) 0.934 -> 0.749,
# level_shift 1.004 -> 0.992, declining 1.015 -> 1.000, intermittent 1.051 -> 1.028,
# superstore 0.891 -> 0.824. It doubles the inner backtest's fits.
WINDOWS = 4
STEP = 0.5  # a fraction of the horizon
SHRINK = 8.0
# The inner backtest refits each member on every window; a member that searches per series
# (ETS's 6-15 forms, Theta's 4 variants) keeps the choice it made on the whole history
# (``Forecaster.backtest_clone``) and refits only its parameters there. The choice has seen
# the windows (an in-sample criterion, AICc / MSE, on the whole history), the parameters
# have not. ``pin=False``: the full search on every window.
PIN = True
# The members when none are given (registry specs with ``member="always"``). Prophet is
# one of them whether or not the history has drivers (until stop 17 only with drivers):
# it models the yearly season with Fourier terms, which ETS and Theta (no season longer
# than 24 periods on weekly data, the weekly one only on daily data) do not. On the
# development windows of the five sets without drivers (benchmarks/accuracy.py --dev,
# --inner '{"extra": ["prophet"]}' against the same backtest without it) ``ensemble``'s
# WAPE / best peer: Superstore 0.996 -> 0.974, declining 1.056 -> 1.004, new_items 1.051
# -> 1.041, intermittent 1.021 -> 1.019, level_shift 0.977 -> 1.008 (a step late in the
# history bends Prophet's trend). ``auto`` leaves it out (``AutoSelect``): one member per
# series gained nothing there (declining, intermittent unchanged; level_shift 0.985 ->
# 1.010).
DEFAULT_MEMBERS = tuple(member_models())
# Added to the default members when the history has drivers (promotions, prices, opening
# days...) that vary (specs with ``member="with_drivers"``): a second driver-aware model
# of another family (additive decomposition vs trees), whose errors differ from
# LightGBM's, so the blend gains.
DRIVER_MEMBERS = tuple(n for n in member_models(with_drivers=True) if n not in DEFAULT_MEMBERS)
# A big catalogue: the inner backtest refits every member on WINDOWS cut-offs, about five
# fits of every member on every series. On 1,000 SKUs x 3 years of daily sales that took
# more than 10 minutes (Prophet 0.9 CPU-s per series and fit, AutoTheta 0.7). Above
# ``big`` series the combination therefore (a) leaves the slow members (Prophet) out of
# its default members (``auto`` always does: ``AutoSelect``), (b) fits ``theta`` on the
# recent history only (``stats.recent_periods``: a year of daily data, as every
# combination does since THETA_HISTORY; three years of weekly) and (c) backtests its
# members on a seeded sample of ``backtest_series`` series: those are weighted as below,
# every other series by the sample's pooled scores (one choice for the group, which the
# shrinkage toward the pooled score already leans on with few windows). The bands come
# from the sample's errors, scaled per series, as for any series. Below ``big`` nothing
# changes (every set of benchmarks/accuracy.py is below it).
SCALE = {"big": 500, "backtest_series": 200}
# Theta inside a combination fits each series on its last THETA_HISTORY periods (a year of
# daily data; weekly and monthly histories are shorter, so nothing changes there).
# AutoTheta's cost grows with the square of the history (statsforecast's optimiser, one
# core: 0.13 / 0.40 / 0.82 CPU-s per series for 1 / 2 / 3 years of daily sales), and on the development windows of four sets a year left ``auto`` unchanged
# (declining 1.000, intermittent 1.028, new_items 1.023, level_shift 0.989 of the best
# peer either way) while ``ensemble`` moved both ways (declining 1.039 -> 1.056,
# level_shift 0.981 -> 0.977, new_items 1.049 -> 1.051, intermittent 1.021 -> 1.021).
# The ``theta`` model on its own keeps the whole history. ``member_params`` overrides it.
THETA_HISTORY = 365
# ``_panel_member``: a member whose pooled WAPE over the whole panel's inner backtest is
# below the combination's own out-of-sample WAPE (by more than GUARD, a fraction; None:
# never) and that beats it in at least GUARD_SHARE of the inner windows forecasts the panel
# instead. Chosen at stop 18 on the development windows of all seven sets of
# benchmarks/accuracy.py (--dev --variants '{"g0w": {"guard": 0.0, "guard_share": 0.75}}'
# against the rule without it, one shared inner backtest), ``ensemble``'s WAPE / best peer:
# level_shift 1.008 -> 0.969, new_items 1.041 -> 1.019, intermittent 1.019 -> 1.004,
# declining 1.004 -> 1.000, Superstore 0.974 and Rossmann 0.704 unchanged, Walmart 0.986 ->
# 0.999 (mean 0.962 -> 0.953); ``auto``: intermittent 1.027 -> 1.012, Superstore 1.039 ->
# 1.048, the others unchanged. Without the window condition (pooled WAPE only) Superstore
# lost 2% (0.974 -> 0.995, 17 series: a pooled win there rests on few rows).
GUARD: float | None = 0.0
GUARD_SHARE = 0.75
# Bands of one width per step and series (0) or following the forecast's shape within the
# horizon (``conformal.shape_factors``: errors are scaled by the forecast relative to its
# window's mean, to this power, before their quantiles are taken, and the bands multiplied
# back by it), so a festival spike gets a wider band than a quiet week. Off: on the
# development windows of the seven sets (stop 20, README "Why the development bands
# miss") 0.5 and 1 moved 80% coverage by at most 0.013 on any set.
BAND_SHAPE = 0.0
# Bands that carry last year's festival season into this year's
# (``conformal.seasonal_difficulty``, to this power; 0: off). 0.5 since stop 32: with the
# bands calibrated only on windows that held a season (BAND_FULL_SEASON), every panel's
# development windows are inside 75-85% with it and the spread between cut-offs halves
# (README "Bands that remember last year's season, adopted"); on a total or 5 series it
# brought 11 of 15 development panels' cut-offs nearer 80% (Walmart total 0.744 -> 0.846).
BAND_SEASON = 0.5
# What the calibration windows' dates read for ``band_season``: "year" (the same dates a
# year earlier, as the forecast dates) or "own" (their own volatility, which has passed).
# "own" measured at stop 22 (README "Bands that remember last year's season"): with power
# 0.5 Walmart stays above 85% (0.888 -> 0.914) and declining leaves the range (0.829 ->
# 0.887): an option, not the default.
BAND_PAST = "year"
# ``auto`` chooses one member per series in a panel of at least this many series; below it
# there is no panel to shrink a series' few inner windows toward, and it is ``ensemble``:
# its members weighted, Prophet among them (a few series cost little). Development windows
# of the seven sets (stop 22, README "One series or a handful"), WAPE / best peer, mean,
# choosing -> ensemble: one total 1.021 -> 0.975, 5 series 1.000 -> 0.966, 10 series 0.985
# -> 0.969 (Walmart 1.030 -> 1.093). The gain shrinks as the panel grows and Prophet's cost
# grows with it (about 2 s per series of 3 years of days): below 10 series it weights.
# Stop 21 tried weighting without Prophet (totals 1.018, 5 series 1.004): the small panels
# gain from Prophet.
SELECT_MIN = 10
# Bands are calibrated on inner windows whose history held at least one season of the
# series (``season_length``: 7 days, 52 weeks, 12 months) whenever the series' whole
# history holds one: a window fitted on less cannot use last season's values (seasonal
# naive's repeat, LightGBM's seasonal lag), so its errors are those of weaker models than
# the one that forecasts. On a weekly history of 65-91 weeks the earliest windows had 34-47
# weeks and errors 2-8 times the later windows' (Walmart's development cut-offs,
# 2010-12-24's window across Christmas: 80th percentile 10.5 scale units against 1.4-1.6),
# and the 80% bands covered 98% / 93% of the next 13 weeks. ``band_full_season=False``:
# every window. Points (weights, choices) are not affected.
BAND_FULL_SEASON = True
# Which inner-backtest rows score the members (``Ensemble._scored``): per series, only the
# rows every member that forecast it forecast ("common"), so members are compared on the
# same windows. Until stop 23 ("all") a member that needs more history (seasonal naive
# one season, ETS / Theta / Prophet two on weekly data) had no forecast in the earliest
# windows and was scored without them, while LightGBM, alone there on a short history, was
# scored on the hardest ones: the weights leaned toward the members that sat them out.
# Development windows (benchmarks/accuracy.py --dev, one shared inner backtest), WAPE /
# best peer, "all" -> "common": Walmart 100 series auto 0.995 -> 0.948, ensemble 0.999 ->
# 0.914; 10 series auto 1.030 -> 0.946, ensemble 1.093 -> 1.053; 5 series 1.036 -> 0.844;
# the other six sets and Walmart's total identical. "season" (leave out the windows fitted
# on less than a season, ``_unseasoned``) scored the same there; "common" also covers
# members missing a window for any other reason.
SCORE_ROWS = "common"


def default_members(df: pd.DataFrame, slow: bool = True) -> list[str]:
    """The members used when none are given: ``DEFAULT_MEMBERS``, plus
    ``DRIVER_MEMBERS`` when some driver column of ``df`` takes more than one value;
    ``slow=False`` leaves the slow ones (registry ``slow``: Prophet) out."""
    varying = any(df[c].nunique(dropna=True) > 1 for c in driver_columns(df))
    names = dict.fromkeys([*DEFAULT_MEMBERS, *(DRIVER_MEMBERS if varying else ())])
    return [n for n in names if slow or not spec(n).slow]


class Ensemble(Forecaster):
    """Inverse-error weighted average of member models, weights per series
    from a backtest at the forecast horizon."""

    name = "ensemble"
    native_intervals = True
    min_seasons = 2.0
    # weekly: one season (base.LONG_SEASON); each member takes the series it can, the
    # others are combined without it
    min_seasons_long = 1.0
    select = False  # True: pick the single best member per series
    # slow members (Prophet) among the default members (False: left out, see AutoSelect)
    slow_members = True
    # ``band_season`` / ``band_past`` (``Forecaster._band_difficulty``)
    band_season_default = BAND_SEASON
    band_past_default = BAND_PAST

    @property
    def members(self) -> list[str]:
        """The members asked for, or (fitted) the default members chosen for the data."""
        if "members" in self.params:
            return list(self.params["members"])
        return list(getattr(self, "members_", DEFAULT_MEMBERS))

    def _fit_chain_only(self, df: pd.DataFrame, too_short: ShopcastError) -> Forecaster:
        """Every series too short: no member is fitted, the fallback chain takes them all."""
        if "members" not in self.params:
            self.members_ = self.default_members(df)
        self.models_: dict[str, Forecaster] = {}
        self.member_errors_: dict[str, str] = {}
        return super()._fit_chain_only(df, too_short)

    def default_members(self, df: pd.DataFrame) -> list[str]:
        """The members this combination uses on ``df`` when none are given:
        :func:`default_members`, without the slow ones for ``auto`` (``slow_members``)
        and on a big catalogue (``SCALE``)."""
        n = df[ID].nunique()
        slow = (self.slow_members or not self._chooses(n)) and not self._big(n)
        return default_members(df, slow=slow)

    def _chooses(self, n_series: int) -> bool:
        """Does this combination pick one member per series in a panel of ``n_series``?
        ``auto`` does from ``select_min`` series on (SELECT_MIN); below it there is no
        panel to shrink a series' few windows toward, and it is ``ensemble``: its members
        weighted, the slow ones (Prophet) among them."""
        return self.select and n_series >= self._select_min

    @property
    def _select_min(self) -> int:
        """``select_min``: the fewest series ``auto`` chooses among (SELECT_MIN)."""
        return int(self.params.get("select_min", SELECT_MIN))

    def _big(self, n_series: int) -> bool:
        """Is a panel of ``n_series`` a big catalogue (``SCALE``)?"""
        return n_series > int(self.params.get("big", SCALE["big"]))

    def _fit(self, df: pd.DataFrame, progress: Progress | None) -> None:
        n = df[ID].nunique()
        big = self._big(n)
        self.notes_: list[tuple[str, dict]] = []
        if "members" not in self.params:
            self.members_ = self.default_members(df)
            slow = [m for m in default_members(df, slow=self.slow_members) if big and spec(m).slow]
            if slow:
                self.notes_.append(("ensemble.note.left_out", {"models": ", ".join(slow)}))
        if self.select and not self._chooses(n):  # ``auto`` on too few series: weights
            note = {"n": n, "min": self._select_min, "members": ", ".join(self.members)}
            self.notes_.append(("ensemble.note.weighted", note))
        self.models_ = {}
        self.member_errors_ = {}
        params = {k: dict(v) for k, v in self.params.get("member_params", {}).items()}
        if "theta" in self.members and "max_history" not in params.get("theta", {}):
            from forecasting.models.stats import recent_periods

            keep = recent_periods(self.freq) if big else THETA_HISTORY
            params.setdefault("theta", {})["max_history"] = keep
            if big:
                self.notes_.append(("ensemble.note.theta_recent", {"periods": keep}))
        for i, name in enumerate(self.members):
            try:
                m = create(name, seed=self.seed, **params.get(name, {}))
                m.use_fallbacks = False  # combined on its own numbers only

                def inner(f: float, _label: str, i: int = i, name: str = name) -> None:
                    if progress:  # the member's own batches move the bar too
                        progress((i + f) / (len(self.members) + 1), name)

                m.fit(df, freq=self.freq, progress=inner)
                self.models_[name] = m
            except ShopcastError as exc:
                self.member_errors_[name] = exc.key
            if progress:
                progress((i + 1) / (len(self.members) + 1), name)
        if not self.models_:
            raise ShopcastError(
                "history_too_short", model=self.alias, need=self.min_length(self.freq), have=len(df)
            )

    # ------------------------------------------------------------ selection
    def calibrate(self, h: int) -> dict:
        """The member backtest, weights and combined errors for horizon ``h`` (kept)."""
        if not self.fitted_:
            raise ShopcastError("not_fitted", model=self.alias)
        return self.selection(h)

    def selection(self, h: int) -> dict:
        """Backtest-based weights for horizon ``h`` (computed once, then kept)."""
        if getattr(self, "chain_only_", False):
            return self._chain_selection(h)
        key = ("selection", h)
        if key in self.calibration_:
            return self.calibration_[key]
        names = list(self.models_)
        cv = self.member_backtest(h)
        err = self._scored(cv, cv[names].sub(cv[Y], axis=0).abs(), h)
        err[ID] = cv[ID].to_numpy()
        mae = err.groupby(ID, observed=True)[names].mean()
        flat = self._flat_series(cv)
        weights = self._weights(mae, names, flat, cv[CUTOFF].nunique())
        scored = mae.reindex(weights.index).notna().any(axis=1)
        pooled = set(self._unsampled(weights.index))
        unscored = [str(u) for u in weights.index[~scored] if u not in flat and u not in pooled]
        comb = self._cross_fitted(cv, err, names, weights, flat)
        panel = self._panel_member(cv, comb, names, flat)
        panel_series: set = set()
        if panel is not None:
            weights, panel_series = self._panel_weights(weights, mae, panel, flat, pooled)
            comb = self._panel_forecast(cv, comb, panel, flat)
            note = ("ensemble.note.panel", {"model": panel})
            if note not in getattr(self, "notes_", []):
                self.notes_ = [*getattr(self, "notes_", []), note]
        scale = series_scale(self.train_, season_length(self.freq))
        cv = cv.assign(_f=comb, _step=cv.groupby([ID, CUTOFF], observed=True).cumcount())
        windows = cv.groupby([ID, CUTOFF], observed=True).ngroup().to_numpy()
        shape = shape_factors(cv["_f"].to_numpy(), windows, self._band_shape)
        shape = shape * difficulty_at(self._band_difficulty, cv[DS])
        cv["_e"] = (cv[Y] - cv["_f"]) / (cv[ID].map(scale).to_numpy(dtype=float) * shape)
        cv.loc[self._closed(cv), "_e"] = np.nan  # known in advance: no error to calibrate on
        if self.params.get("band_full_season", BAND_FULL_SEASON):  # weaker models than the final
            cv.loc[self._unseasoned(cv, h), "_e"] = np.nan
        errors = (
            cv.pivot_table(index=[ID, CUTOFF], columns="_step", values="_e")
            .reindex(columns=range(h))
            .to_numpy()
        )
        sel = {
            "weights": weights,
            "mae": mae,
            "errors": errors,
            "flat": flat,
            "unscored": unscored,
            "pooled": pooled,
            "note": "",
            "panel": panel,
            "panel_series": panel_series,
        }
        self.calibration_[key] = sel
        return sel

    def _panel_member(
        self, cv: pd.DataFrame, comb: np.ndarray, names: list[str], flat: set
    ) -> str | None:
        """The member that beat the combination over the whole panel, or None.

        ``guard`` (a fraction, None: off): when one member's pooled WAPE over every series
        and inner window is more than ``guard`` below the combination's own out-of-sample
        WAPE (cross-fitted, see ``_cross_fitted``), the per-series choices or weights lost
        to it as a group, and that member forecasts every series it can. One choice for
        the panel is judged on all its rows, not on a series' four windows.
        """
        margin = self.params.get("guard", GUARD)
        if margin is None or not len(cv) or cv[CUTOFF].nunique() < 2:
            return None
        y = cv[Y].to_numpy(dtype=float)
        err = pd.DataFrame(np.abs(cv[names].to_numpy(dtype=float) - y[:, None]), columns=names)
        err["_comb"] = np.abs(np.asarray(comb, dtype=float) - y)
        ok = err.notna().all(axis=1).to_numpy() & ~cv[ID].isin(list(flat)).to_numpy()
        if ok.sum() < 2 or np.abs(y[ok]).sum() <= 0:
            return None
        # absolute errors per inner window; their totals over the windows are the pooled
        # WAPEs times the same denominator
        per = err[ok].groupby(cv[CUTOFF].to_numpy()[ok]).sum()
        total = per.sum()
        best = str(total[names].idxmin())
        if not total[best] < (1.0 - float(margin)) * total["_comb"]:
            return None
        # and in enough of the windows on their own (``guard_share``: 0 = pooled only)
        share = float(self.params.get("guard_share", GUARD_SHARE))
        if (per[best] < per["_comb"]).mean() < share:
            return None
        return best

    def _panel_weights(
        self,
        weights: pd.DataFrame,
        mae: pd.DataFrame,
        panel: str,
        flat: set,
        pooled: set = frozenset(),
    ) -> tuple[pd.DataFrame, set]:
        """``weights`` with every series the ``panel`` member forecast in the inner
        backtest (or that was outside its sample) given wholly to it, flat ones aside,
        and those series; the others keep their weights."""
        w = weights.copy()
        has = mae.reindex(w.index)[panel].notna() | w.index.isin(list(pooled))
        has &= ~w.index.isin(list(flat))
        w.loc[has, :] = 0.0
        w.loc[has, panel] = 1.0
        return w, set(w.index[has])

    @staticmethod
    def _panel_forecast(cv: pd.DataFrame, comb: np.ndarray, panel: str, flat: set) -> np.ndarray:
        """The combination's backtest forecasts once the ``panel`` member took over."""
        own = cv[panel].to_numpy(dtype=float)
        use = np.isfinite(own) & ~cv[ID].isin(list(flat)).to_numpy()
        return np.where(use, own, comb)

    def _chain_selection(self, h: int) -> dict:
        """The selection of a combination whose every series went down the fallback chain:
        no member, no weights, no backtest errors (the chain's models bring their own
        bands), and a note saying so. Not kept: nothing was computed."""
        series = pd.Index(pd.unique(self.train_[ID]), name=None)
        return {
            "weights": pd.DataFrame(index=series, columns=[], dtype=float),
            "mae": pd.DataFrame(index=series, columns=[], dtype=float),
            "errors": np.empty((0, h)),
            "flat": set(),
            "unscored": [],
            "pooled": set(),
            "note": FALLBACK_CHAIN,
        }

    def _cross_fitted(
        self,
        cv: pd.DataFrame,
        err: pd.DataFrame,
        names: list[str],
        weights: pd.DataFrame,
        flat: set = frozenset(),
    ) -> np.ndarray:
        """The combination's backtest forecasts, each window combined with weights learned
        on the *other* windows.

        Weights (or the choice, for ``auto``) fitted on the same errors they are judged by
        make those errors look smaller than the next forecast's: the bands calibrated on
        them came out too narrow (Rossmann: 74% of actuals inside the 80% band). Combining
        each window out of sample gives the errors of the whole procedure. With a single
        window there is nothing to cross-fit and the in-sample weights are used.
        """
        cuts = cv[CUTOFF].to_numpy()
        uniq = pd.unique(cuts)
        if len(uniq) < 2:
            return self._combine(cv, weights, names)
        comb = np.full(len(cv), np.nan)
        for c in uniq:
            here = cuts == c
            rest = err[~here]
            mae = rest.groupby(ID, observed=True)[names].mean()
            w = self._weights(mae, names, flat, len(uniq) - 1)
            comb[here] = self._combine(cv[here], w, names)
        return comb

    def member_backtest(self, h: int) -> pd.DataFrame:
        """Rolling-origin backtest of the members at horizon ``h`` (kept per ``h``).

        The engine cross-validates clones of the fitted member instances (never
        models built again from their names).
        """
        key = ("cv", h)
        if getattr(self, "chain_only_", False):  # no member: nothing to backtest
            return pd.DataFrame(columns=[ID, DS, CUTOFF, Y])
        if key not in self.calibration_:
            names = list(self.models_)
            windows = int(self.params.get("windows", WINDOWS))
            step = self.inner_step(h)
            cv = None
            panel = self._backtest_panel()  # drawn once for every number of windows tried
            members = list(self.models_.values())

            def pinned(i: int, past: pd.DataFrame, sub, _fitted: dict) -> Forecaster:
                return members[i].backtest_clone().fit(past, freq=self.freq, progress=sub)

            fit = pinned if self.params.get("pin", PIN) else None
            # a history too short for every window still gets the windows it can hold,
            # down to two (one window is a coin toss: the members are then averaged)
            for n in range(windows, min(windows, 2) - 1, -1):
                try:
                    cv = cross_validation(
                        members,
                        panel,
                        h,
                        n,
                        freq=self.freq,
                        step=step,
                        levels=[],
                        names=names,
                        fit=fit,
                    ).cv
                    break
                except ShopcastError:
                    continue
            if cv is None:
                cv = pd.DataFrame(columns=[ID, DS, CUTOFF, Y, *names])
            for n in names:
                if n not in cv.columns:
                    cv[n] = np.nan
            self.calibration_[key] = cv
        return self.calibration_[key]

    def _backtest_panel(self) -> pd.DataFrame:
        """The history the inner backtest runs on: every series, or on a big catalogue a
        seeded sample of ``backtest_series`` of them (``backtest_sample_``; see ``SCALE``)."""
        ids = sorted(map(str, pd.unique(self.train_[ID])))
        n = int(self.params.get("backtest_series", SCALE["backtest_series"]))
        self.backtest_sample_: list[str] | None = None
        if not self._big(len(ids)) or len(ids) <= n:
            return self.train_
        rng = np.random.default_rng(self.seed)
        self.backtest_sample_ = sorted(rng.choice(ids, size=n, replace=False).tolist())
        note = ("ensemble.note.sampled", {"n": n, "of": len(ids)})
        if note not in getattr(self, "notes_", []):
            self.notes_ = [*getattr(self, "notes_", []), note]
        return self.train_[self.train_[ID].astype(str).isin(self.backtest_sample_)]

    def _unsampled(self, index) -> list:
        """The series of ``index`` outside the inner backtest's sample (none without one)."""
        sample = getattr(self, "backtest_sample_", None)
        if sample is None:
            return []
        keep = set(sample)
        return [u for u in index if str(u) not in keep]

    def variant(self, select: bool) -> Ensemble | None:
        """The fitted sibling (``auto`` <-> ``ensemble``) sharing members and backtests,
        or None when the sibling would have a member this one lacks (an ``ensemble``
        cannot come from an ``auto`` fitted without Prophet)."""
        cls = AutoSelect if select else Ensemble
        other = cls(**{**self.get_params(), "alias": cls.name})
        other.__dict__.update({k: v for k, v in self.__dict__.items() if k not in ("alias",)})
        if "members" not in self.params and not getattr(self, "chain_only_", False):
            want = other.default_members(self.train_)
            if any(n not in self.members for n in want):
                return None
            other.members_ = [n for n in self.members if n in want]
            other.models_ = {n: m for n, m in self.models_.items() if n in want}
            other.member_errors_ = {n: e for n, e in self.member_errors_.items() if n in want}
        other.calibration_ = {k: v for k, v in self.calibration_.items() if k[0] == "cv"}
        other.fallbacks_ = {
            u: n for u, n in getattr(self, "fallbacks_", {}).items() if n != EQUAL_WEIGHTS
        }
        return other

    @staticmethod
    def _flat_series(cv: pd.DataFrame) -> set:
        """Series whose actuals never changed in the inner backtest (e.g. a store closed
        through all of it): every member that repeats that value scores a perfect zero,
        so the scores say nothing about a future that may differ (the store reopens)."""
        if not len(cv):
            return set()
        y = cv.groupby(ID, observed=True)[Y]
        spread = y.max() - y.min()
        return set(spread[spread == 0].index)

    def inner_step(self, h: int) -> int:
        """Periods between the inner backtest's cut-offs: ``step`` as a number of periods,
        or as a fraction of the horizon (``0.5``: windows of ``h`` every ``h/2``)."""
        step = self.params.get("step", STEP)
        if isinstance(step, float):
            return max(1, int(round(step * h)))
        return max(1, int(step))

    def shrinkage(self, n_windows: int) -> float:
        """Weight of the series' own backtest score against the pooled one (all series).

        ``n / (n + shrink)`` for ``n`` inner windows: with few windows a series' own score
        is mostly luck (one member wins one window), so the choice leans on what worked
        across the whole panel; with many windows each series speaks for itself.
        ``shrink=0`` trusts each series alone.
        """
        k = float(self.params.get("shrink", SHRINK))
        if n_windows <= 0:
            return 0.0
        return n_windows / (n_windows + k) if k > 0 else 1.0

    @staticmethod
    def relative_scores(mae: pd.DataFrame) -> pd.DataFrame:
        """Each member's backtest MAE over the mean of the members on that series.

        Scale-free (a big shop and a slow item count alike when pooled), and per series
        the ranking and inverse-error ratios are those of the MAE itself.
        """
        mean = mae.mean(axis=1, skipna=True)
        return mae.div(mean.where(mean > 0), axis=0)

    def _scores(self, mae: pd.DataFrame, n_windows: int) -> pd.DataFrame:
        """Per series and member: ``lam * own relative score + (1 - lam) * pooled score``."""
        rel = self.relative_scores(mae)
        lam = self.shrinkage(n_windows)
        pooled = rel.mean(axis=0, skipna=True).reindex(rel.columns)  # each member's mean
        out = rel if lam >= 1.0 else lam * rel + (1 - lam) * pooled
        outside = self._unsampled(out.index)  # not backtested: the sample's pooled scores
        if outside:
            out.loc[outside] = np.tile(pooled.to_numpy(), (len(outside), 1))
        return out

    def _pick(self, score: pd.Series) -> str:
        """The best member by ``score``; the ``anchor`` member (ETS) stays chosen unless
        another scores ``margin`` (a fraction) better."""
        best = score.idxmin()
        anchor = self.params.get("anchor")
        margin = float(self.params.get("margin", 0.0))
        if anchor in score.index and margin > 0:
            if score[best] >= (1 - margin) * score[anchor]:
                return anchor
        return best

    def _weights(
        self,
        mae: pd.DataFrame,
        names: list[str],
        flat: set = frozenset(),
        n_windows: int = 2,
    ) -> pd.DataFrame:
        """Per-series member weights (rows: series, columns: members).

        Scores are the members' relative backtest errors, shrunk toward their pooled
        mean over all series (``shrinkage``); ``auto`` picks the best score, ``ensemble``
        weights the members within ``trim`` (1.5) times the best by inverse score
        (``power``, default 1; ``top``: only that many of the best — both measured on the
        development windows and left at their defaults, see README).

        A series with a flat inner backtest (``_flat_series``) is not judged by it: its
        weight goes to the members that read the driver plan (opening days,
        promotions), equally, or to every member when none does.
        """
        series = self.train_[ID].unique()
        select = self._chooses(len(series))
        mae = mae.reindex(series)
        scores = self._scores(mae.drop(index=list(flat), errors="ignore"), n_windows)
        scores = scores.reindex(series)
        w = pd.DataFrame(0.0, index=series, columns=names)
        informed = [n for n in names if self.models_[n].uses_drivers and self.models_[n].drivers_]
        for uid, row in scores.iterrows():
            if uid in flat:
                raw = mae.loc[uid]
                pick = informed or names
                if select:
                    pick = [min(pick, key=lambda n: np.nan_to_num(raw.get(n), nan=np.inf))]
                w.loc[uid, pick] = 1.0 / len(pick)
                continue
            ok = row.dropna()
            if ok.empty:
                ok = mae.loc[uid].dropna()  # every member perfect on it (mean 0)
            if ok.empty:  # no backtest for this series: equal weights
                w.loc[uid, names] = 1.0 / len(names)
                continue
            if select:
                w.loc[uid, self._pick(ok)] = 1.0
                continue
            best = ok.min()
            trim = float(self.params.get("trim", 1.5))
            keep = ok[ok <= trim * best + 1e-12]  # drop clearly worse members
            top = self.params.get("top")  # development: only the ``top`` best scores
            if top:
                keep = keep.sort_values(kind="stable").iloc[: int(top)]
            power = float(self.params.get("power", 1.0))  # development: sharper weights
            inv = 1.0 / np.maximum(keep, 1e-9) ** power
            w.loc[uid, keep.index] = (inv / inv.sum()).to_numpy()
        return w

    @staticmethod
    def _combine(frame: pd.DataFrame, weights: pd.DataFrame, names: list[str]) -> np.ndarray:
        w = weights.reindex(frame[ID].to_numpy())[names].to_numpy()
        vals = frame[names].to_numpy(dtype=float)
        missing = np.isnan(vals)
        w = np.where(missing, 0.0, w)
        total = w.sum(axis=1)
        fallback = np.nanmean(np.where(missing, np.nan, vals), axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            comb = np.where(total > 0, (np.nan_to_num(vals) * w).sum(axis=1) / total, fallback)
        return comb

    def explain(self, h: int) -> pd.DataFrame:
        """Per series: each member's backtest MAE, its weight and the chosen model (the
        largest weight; ``weighted``: an ``auto`` that weighted below ``select_min``; for a
        combination fitted on the fallback chain only: the fallback, no weight or MAE)."""
        if getattr(self, "chain_only_", False):
            ids = [str(u) for u in pd.unique(self.train_[ID])]
            chosen = [self.fallbacks_.get(u, "") for u in ids]
            return pd.DataFrame({ID: ids, "chosen": chosen, "flat": False})
        sel = self.selection(h)
        mae = sel["mae"].add_prefix("mae_")
        w = sel["weights"].add_prefix("weight_")
        out = w.join(mae, how="left")
        out["chosen"] = sel["weights"].idxmax(axis=1)
        out["flat"] = out.index.isin(list(sel.get("flat", ())))
        out["pooled"] = out.index.isin(list(sel.get("pooled", ())))
        out["panel"] = out.index.isin(list(sel.get("panel_series", ())))
        # ``auto`` below ``select_min`` series weighted its members instead of choosing
        out["weighted"] = self.select and not self._chooses(self.train_[ID].nunique())
        return out.rename_axis(ID).reset_index()

    # ------------------------------------------------------------ predict
    def _predict(self, h: int, future: pd.DataFrame, levels: list) -> pd.DataFrame:
        sel = self.selection(h)
        for uid in sel.get("unscored", ()):
            self.fallbacks_.setdefault(uid, EQUAL_WEIGHTS)
        names = list(self.models_)
        frame = future[[ID, DS]].copy()
        for m in self.models_.values():
            fc = m.predict(h, future=future, level=[], align=False)
            frame = frame.merge(fc, on=[ID, DS], how="left")
        frame[self.alias] = self._combine(frame, sel["weights"], names)
        out = frame[[ID, DS, self.alias]].copy()
        if levels:
            m = season_length(self.freq)
            widths, conformal = interval_widths(sel["errors"], self.train_, levels, h, m)
            self.interval_method_ = "conformal-backtest" if conformal else "naive-theory"
            # a step without backtest errors takes the widest band of the others
            widths = {
                lv: np.nan_to_num(w, nan=np.nanmax(w) if np.isfinite(w).any() else 0.0)
                for lv, w in widths.items()
            }
            shape = shape_factors(
                out[self.alias].to_numpy(), out[ID].astype(str).to_numpy(), self._band_shape
            ) * difficulty_at(self._band_difficulty, out[DS])
            scale = series_scale(self.train_, m)
            out = add_bands(out, self.alias, widths, scale, levels, shape)
        return out

    @property
    def _band_shape(self) -> float:
        """``band_shape``: how closely the bands follow the forecast's shape within the
        horizon (``conformal.shape_factors``; 0: one width per step)."""
        return float(self.params.get("band_shape", BAND_SHAPE))

    def _closed(self, cv: pd.DataFrame) -> np.ndarray:
        """Rows of the inner backtest ``cv`` on days the history's open/closed driver says
        were closed (``conformal.closed_days``); none without such a driver."""
        drivers = [c for c in driver_columns(self.train_) if c not in cv.columns]
        if not drivers:
            return np.zeros(len(cv), dtype=bool)
        known = self.train_[[ID, DS, *drivers]].drop_duplicates([ID, DS])
        days = cv[[ID, DS]].merge(known, on=[ID, DS], how="left")
        return closed_days(days)

    def _scored(self, cv: pd.DataFrame, err: pd.DataFrame, h: int) -> pd.DataFrame:
        """The members' errors that score them (``score_rows``, SCORE_ROWS;
        ``inner_rows.scored``)."""
        rule = str(self.params.get("score_rows", SCORE_ROWS))
        short = self._unseasoned(cv, h) if rule == "season" else None
        return scored(cv, err, rule, short)

    def _unseasoned(self, cv: pd.DataFrame, h: int) -> np.ndarray:
        """Rows of ``cv`` whose window was fitted on less than a season of a series that
        has one (``inner_rows.unseasoned``; BAND_FULL_SEASON, SCORE_ROWS)."""
        return unseasoned(cv, self.train_, self.freq, h)

    # ------------------------------------------------------------ evidence
    def inner_backtest(self, h: int) -> pd.DataFrame | None:
        """The inner backtest at horizon ``h`` as a backtest frame, or None when it has
        not run for ``h`` (this never runs it: a shared fitted model is not changed).

        Returns:
            ``unique_id, ds, cutoff, y``, one column per member, and the combination's
            own out-of-sample forecasts under ``alias`` (each window combined with the
            weights learned on the other windows, as its bands are calibrated).
        """
        cal = getattr(self, "calibration_", {})
        cv, sel = cal.get(("cv", h)), cal.get(("selection", h))
        if cv is None or sel is None or not len(cv):
            return None
        names = list(self.models_)
        err = self._scored(cv, cv[names].sub(cv[Y], axis=0).abs(), h)
        err[ID] = cv[ID].to_numpy()
        flat = sel.get("flat", set())
        comb = self._cross_fitted(cv, err, names, sel["weights"], flat)
        if sel.get("panel"):
            comb = self._panel_forecast(cv, comb, sel["panel"], flat)
        out = cv[[ID, DS, CUTOFF, Y, *names]].copy()
        out[self.alias] = comb
        return out.reset_index(drop=True)


class AutoSelect(Ensemble):
    """Per series, the member with the lowest backtest error at this horizon.

    Its default members leave Prophet out (``slow_members``): a Prophet fit costs about
    0.8 CPU-s per series and the inner backtest fits it five times, which was 60% of
    ``auto``'s time on the 30-SKU sample, while one member per series rarely needs it
    next to LightGBM, which reads the same drivers. On the sample no series chose it
    (forecasts identical without it; the CLI run 144.9 -> 57.8 s); on Rossmann's development windows
    (30 stores, ``benchmarks/accuracy.py --dev``) ``auto`` scored 0.749 of the best peer
    with it and 0.751 without. ``ensemble``, which averages members, keeps it (0.704
    with, 0.751 without). ``members`` puts it back."""

    name = "auto"
    select = True
    slow_members = False
