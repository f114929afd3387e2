"""Statistical models from statsforecast, one model per series: AutoETS, AutoARIMA,
AutoTheta and the intermittent-demand methods (IMAPA, ADIDA, TSB, Croston).

Series are fitted in batches (:func:`fit_batches`), spread over the cores
(``forecasting.engine.parallel``), with progress after every batch. Each series is
fitted on its own, so the forecasts do not depend on the batching or the cores.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from forecasting.errors import ShopcastError
from forecasting.models.base import Forecaster, Progress
from forecasting.schema import DS, ID, Y, season_length, validate_history

# The full AutoETS search fits every error/trend/season form that suits a series (15 for
# positive sales, 6 with zero days) and keeps the best by AICc: 0.4 CPU-s for 3 years of
# daily sales, two thirds of a 1,000-SKU default run. On a catalogue of at least
# ``search_from`` series of one kind (all sales > 0, or some zero days), a seeded sample of
# ``search_sample`` series gets the full search first; every series of that kind is then
# offered only the forms AICc chose for the sample (the most chosen forms that make up
# ``search_cover`` of it; 1.0: every form chosen at least once) and keeps the best of those
# by AICc. A series whose best form is offered gets exactly the full search's model.
# Measured on development windows (ETS alone, 3 cut-offs, 100-400 series, samples of
# 32-64; README): a cover of 0.9 gave the full search's WAPE within 0.7% on six sets
# (Rossmann 0.7% better) at 1.1-2.6x less time, but lost 3-5% on new items, whose growing
# items need a trend form only one sampled series chose; 1.0 is 0.6% better there.
# ``forms`` (per kind, a list of forms such as ``"MADM"``, or None for the full search)
# skips the sample: the Dask engine decides the plan once on all series
# (:meth:`ETS.search_plan`) and hands it to every batch.
SEARCH: dict[str, Any] = {
    "search_from": 300,
    "search_sample": 64,
    "search_cover": 1.0,
    "forms": None,
}
POSITIVE, WITH_ZEROS = "positive", "with_zeros"


class ETS(Forecaster):
    """AutoETS from statsforecast: picks error/trend/season components per series
    by AICc (on a big catalogue among the forms a sample chose: see ``SEARCH``).
    Native intervals from the state-space model."""

    name = "ets"
    native_intervals = True
    min_seasons = 2.0

    def __init__(self, alias: str | None = None, seed: int = 0, **params: Any) -> None:
        super().__init__(alias=alias, seed=seed, **{**SEARCH, **params})

    def _fit(self, df: pd.DataFrame, progress: Progress | None) -> None:
        pinned, df = fit_pinned(
            df[[ID, DS, Y]], self.params.get("series_forms"), self._one_form, self.freq, slim=True
        )
        if df.empty:  # every series pinned to its form (a backtest window)
            self.forms_, self.sfs_ = {POSITIVE: None, WITH_ZEROS: None}, pinned
            return
        kinds = series_kinds(df)
        plan = self.params.get("forms")
        share = 0.0  # of the progress bar for the sample's full search (about 4x a series')
        if plan is None:
            sample = self._sample(kinds)
            n_sample = sum(map(len, sample.values()))
            share = n_sample / (n_sample + len(kinds) / 4) if n_sample else 0.0
            plan = self._search(df, sample, _stage(progress, 0.0, share))
        self.forms_ = {k: (list(v) if v else None) for k, v in plan.items()}
        rest = _stage(progress, share, 1.0)
        if not any(self.forms_.values()):  # the full search everywhere: one pass
            self.sfs_ = pinned + fit_batches(self._models(None), self.freq, df, rest, slim=True)
            return
        self.sfs_, done = pinned, 0
        for kind, ids in _kind_ids(kinds).items():
            lo, done = done, done + len(ids)
            stage = _stage(rest, lo / len(kinds), done / len(kinds))
            models = self._models(self.forms_.get(kind))
            self.sfs_ += fit_batches(models, self.freq, df[df[ID].isin(ids)], stage, slim=True)

    def backtest_clone(self) -> Forecaster:
        """An unfitted copy that fits each series with the form chosen for it here
        (``series_forms``): one form instead of the search's 6-15 (see ``Forecaster``)."""
        return pinned_clone(self, "series_forms", chosen_forms)

    def _one_form(self, form: str) -> list:
        return self._models([form])

    def search_plan(self, df: pd.DataFrame, freq: str) -> dict[str, Any]:
        """``{"forms": ...}``: the forms each kind of series is offered, decided once on
        every series of ``df`` as :meth:`fit` would (the full search on a seeded sample
        of every kind with at least ``search_from`` series); ``{}`` when there is nothing
        to decide (a small catalogue, ``forms`` or a fixed ``model`` given)."""
        sample = self.search_sample(df, freq)
        return {"forms": self._search(df, sample, None)} if sample else {}

    def search_sample(self, df: pd.DataFrame, freq: str) -> dict[str, list[str]]:
        """Per kind, the series :meth:`fit` would give the full search (``{}``: none).
        The steps of :meth:`search_plan`, for an engine that spreads the sample's
        searches over workers: ``search_sample``, ``search_choices`` on parts of it,
        ``plan_from`` on all the choices."""
        if self.params.get("forms") is not None:
            return {}
        self.freq = freq
        df = validate_history(df)[[ID, DS, Y]]
        lengths = df.groupby(ID, observed=True)[DS].transform("size")
        return self._sample(series_kinds(df[lengths >= self.min_length(freq)]))

    def search_choices(
        self, df: pd.DataFrame, ids: list[str], progress: Progress | None = None
    ) -> dict[str, str]:
        """The form the full AutoETS search chooses for each series ``ids`` of ``df``
        (each series on its own: the same in any part of the sample)."""
        part = validate_history(df[df[ID].astype(str).isin(set(ids))])[[ID, DS, Y]]
        fits = fit_batches(self._models(None), self.freq, part, progress)
        return {uid: form for sf in fits for uid, form in chosen_forms(sf).items()}

    def plan_from(
        self, sample: dict[str, list[str]], chosen: dict[str, str]
    ) -> dict[str, list[str] | None]:
        """Per kind, the forms covering ``search_cover`` of its sample's choices."""
        plan: dict[str, list[str] | None] = {POSITIVE: None, WITH_ZEROS: None}
        for kind, members in sample.items():
            picks = pd.Series([chosen[u] for u in members if chosen.get(u)], dtype=object)
            plan[kind] = covering(picks, float(self.params["search_cover"])) or None
        return plan

    def _sample(self, kinds: pd.Series) -> dict[str, list[str]]:
        """Per kind with enough series (and a model left to search), the sampled ids."""
        p = self.params
        if str(p.get("model", "ZZZ")) != "ZZZ" or not p.get("search_from"):
            return {}
        rng = np.random.default_rng(self.seed)
        out = {}
        for kind, ids in _kind_ids(kinds).items():
            if len(ids) >= int(p["search_from"]):
                take = min(len(ids), int(p["search_sample"]))
                out[kind] = sorted(rng.choice(sorted(ids), size=take, replace=False).tolist())
        return out

    def _search(
        self, df: pd.DataFrame, sample: dict[str, list[str]], progress: Progress | None
    ) -> dict[str, list[str] | None]:
        """Full search on each kind's sample; the forms covering ``search_cover`` of it."""
        ids = [i for v in sample.values() for i in v]
        if not ids:
            return {POSITIVE: None, WITH_ZEROS: None}
        return self.plan_from(sample, self.search_choices(df, ids, progress))

    def _models(self, forms: list[str] | None) -> list:
        from statsforecast.models import AutoETS

        m = season_length(self.freq)
        if not forms:
            return [
                AutoETS(season_length=m, model=self.params.get("model", "ZZZ"), alias=self.alias)
            ]
        return [
            AutoETS(season_length=m, model=f[:3], damped=f[3] == "D", alias=self.alias)
            for f in forms
        ]

    def _predict(self, h: int, future: pd.DataFrame, levels: list) -> pd.DataFrame:
        kw = (
            {"level": [int(lv) if float(lv).is_integer() else lv for lv in levels]}
            if levels
            else {}
        )
        # models saved before batching hold one StatsForecast in ``sf_``
        fitted = getattr(self, "sfs_", None) or [self.sf_]
        out = pd.concat([sf.predict(h=h, **kw) for sf in fitted], ignore_index=True)
        if ID not in out.columns:  # older statsforecast kept unique_id in the index
            out = out.reset_index()
        out[ID] = out[ID].astype(str)
        if not out[ID].is_monotonic_increasing:  # kinds fitted apart: back in series order
            out = out.sort_values([ID, DS], kind="stable", ignore_index=True)
        return out


def series_kinds(df: pd.DataFrame) -> pd.Series:
    """Per series: ``POSITIVE`` (every value > 0: multiplicative forms allowed) or
    ``WITH_ZEROS``."""
    low = df.groupby(ID, observed=True, sort=True)[Y].min()
    return pd.Series(np.where(low > 0, POSITIVE, WITH_ZEROS), index=low.index.astype(str))


def _kind_ids(kinds: pd.Series) -> dict[str, list[str]]:
    return {
        k: kinds.index[kinds == k].tolist() for k in (POSITIVE, WITH_ZEROS) if (kinds == k).any()
    }


def chosen_forms(sf: Any) -> dict[str, str]:
    """Per series of a fitted ``StatsForecast``, the ETS form chosen (``"MADM"``: error,
    trend, season, damped), or nothing for a series the guard took."""
    out = {}
    for uid, fitted in zip(
        np.asarray(sf.uids).astype(str), np.asarray(sf.fitted_)[:, 0], strict=True
    ):
        state = getattr(fitted, "model_", None)
        if isinstance(state, dict) and "components" in state:
            out[uid] = str(state["components"])
    return out


def chosen_variants(sf: Any) -> dict[str, str]:
    """Per series of a fitted AutoTheta ``StatsForecast``, the variant chosen (``"OTM"``,
    ``"DOTM"``...), or nothing for a series the guard took."""
    out = {}
    for uid, fitted in zip(
        np.asarray(sf.uids).astype(str), np.asarray(sf.fitted_)[:, 0], strict=True
    ):
        state = getattr(fitted, "model_", None)
        if isinstance(state, dict) and state.get("modeltype"):
            out[str(uid)] = str(state["modeltype"])
    return out


def covering(picks: pd.Series, cover: float) -> list[str]:
    """The fewest forms, most often picked first (ties by name), that make up ``cover``
    of ``picks``."""
    if picks.empty:
        return []
    counts = picks.value_counts()
    counts = counts.sort_index().sort_values(ascending=False, kind="stable")
    share = counts.cumsum() / counts.sum()
    keep = int(np.searchsorted(share.to_numpy(), cover - 1e-9) + 1)
    return counts.index[:keep].tolist()


def recent_periods(freq: str) -> int:
    """A recent stretch of history worth fitting on: a year of daily data, three of
    weekly, five of monthly (eight seasons otherwise)."""
    m = season_length(freq)
    return {7: 365, 52: 156, 12: 60}.get(m, 8 * m)


def recent(df: pd.DataFrame, keep: int) -> pd.DataFrame:
    """The last ``keep`` rows of every series of ``df``."""
    return df.groupby(ID, observed=True).tail(keep)


def _stage(progress: Progress | None, lo: float, hi: float) -> Progress | None:
    """``progress`` with a stage's fraction mapped onto ``[lo, hi]`` of the whole."""
    if progress is None:
        return None
    return lambda frac, label: progress(lo + (hi - lo) * frac, label)


class ARIMA(Forecaster):
    """AutoARIMA from statsforecast (seasonal, stepwise search per series).

    It is the slowest statistical model (about 12 s for one 2-year daily series
    with an exact search on this machine), so it uses the approximate search
    and only the most recent ``max_history`` periods (default: one year of daily
    data, three years of weekly, five of monthly) per series: under 1 s each.
    """

    name = "arima"
    native_intervals = True
    min_seasons = 3.0

    def _fit(self, df: pd.DataFrame, progress: Progress | None) -> None:
        from statsforecast.models import AutoARIMA

        m = season_length(self.freq)
        keep = int(self.params.get("max_history") or recent_periods(self.freq))
        model = AutoARIMA(season_length=m, approximation=True, alias=self.alias)
        # warnings ("possible convergence problem" on every candidate) are silenced
        self.sfs_ = fit_batches(model, self.freq, recent(df, keep)[[ID, DS, Y]], progress)

    _predict = ETS._predict


class Theta(Forecaster):
    """AutoTheta from statsforecast: picks the best of the standard, optimised and
    dynamic Theta variants per series (seasonally adjusted first). Native intervals.

    ``max_history`` (periods; default: the whole history) fits each series on its most
    recent periods only. AutoTheta's cost grows faster than the history (3 years of
    daily sales: 0.68 CPU-s a series; the last year: 0.11): a combination on a big
    catalogue uses one year (``ensemble.SCALE``)."""

    name = "theta"
    native_intervals = True
    min_seasons = 2.0

    def _fit(self, df: pd.DataFrame, progress: Progress | None) -> None:
        keep = self.params.get("max_history")
        frame = (recent(df, int(keep)) if keep else df)[[ID, DS, Y]]
        pinned, frame = fit_pinned(
            frame, self.params.get("series_variants"), self._variant, self.freq
        )
        rest = fit_batches(self._variant(None), self.freq, frame, progress) if len(frame) else []
        self.sfs_ = pinned + rest

    def _variant(self, variant: str | None) -> Any:
        """statsforecast's AutoTheta searching every variant (None) or fitting one."""
        from statsforecast.models import AutoTheta

        return AutoTheta(season_length=season_length(self.freq), model=variant, alias=self.alias)

    def backtest_clone(self) -> Forecaster:
        """An unfitted copy that fits each series with the variant chosen for it here
        (``series_variants``): one fit instead of four (see ``Forecaster``)."""
        return pinned_clone(self, "series_variants", chosen_variants)

    _predict = ETS._predict


# method -> statsforecast class and its arguments
_INTERMITTENT = {
    "imapa": ("IMAPA", {}),
    "adida": ("ADIDA", {}),
    "tsb": ("TSB", {"alpha_d": 0.1, "alpha_p": 0.1}),
    "croston": ("CrostonOptimized", {}),
}


class Intermittent(Forecaster):
    """Intermittent demand (many days without a sale): statsforecast's IMAPA by default
    (``method``: ``"imapa"``, ``"adida"``, ``"tsb"`` or ``"croston"`` = CrostonOptimized).

    These forecast a flat expected demand rate per period, which is what a stock plan
    for a slow mover needs. They have no intervals of their own: the bands are
    conformal, from the same model refitted on earlier cut-offs.
    """

    name = "intermittent"
    native_intervals = False
    min_seasons = 2.0

    def _fit(self, df: pd.DataFrame, progress: Progress | None) -> None:
        from statsforecast import models as sfm

        method = str(self.params.get("method", "imapa")).lower()
        if method not in _INTERMITTENT:
            choices = ", ".join(_INTERMITTENT)
            raise ShopcastError("unknown_intermittent_method", method=method, choices=choices)
        cls_name, kwargs = _INTERMITTENT[method]
        model = getattr(sfm, cls_name)(alias=self.alias, **kwargs)
        # the methods assume demand >= 0: returns (negative sales) count as no demand
        frame = df[[ID, DS, Y]].assign(**{Y: df[Y].clip(lower=0)})
        self.sfs_ = fit_batches(model, self.freq, frame, progress)

    def _predict(self, h: int, future: pd.DataFrame, levels: list) -> pd.DataFrame:
        return ETS._predict(self, h, future, [])


def pinned_clone(model: Forecaster, key: str, chosen: Any) -> Forecaster:
    """``model.clone()`` with ``key`` = every series' choice, ``chosen(sf)`` over the fitted
    ``StatsForecast`` objects of ``model`` (a plain clone when it has none)."""
    new = model.clone()
    picks = {str(u): c for sf in getattr(model, "sfs_", []) for u, c in chosen(sf).items()}
    if picks:
        new.params[key] = picks
    return new


def fit_pinned(
    df: pd.DataFrame, choices: dict | None, make: Any, freq: str, slim: bool = False
) -> tuple[list, pd.DataFrame]:
    """The series of ``df`` that ``choices`` (``{series: choice}``) pins, fitted with
    ``make(choice)`` a group of the same choice at a time, and the rest of ``df``
    (``slim``: as :func:`fit_batches`)."""
    if not choices:
        return [], df
    from forecasting.engine import parallel

    pick = df[ID].astype(str).map({str(k): v for k, v in choices.items()})
    pinned = pick.notna().to_numpy()
    # every group in one pool call: the workers are sized on all pinned series together
    # (groups of a few short series each would otherwise run one by one in this process)
    jobs = parallel.jobs_for_points(int(df.loc[pinned, ID].nunique()), int(pinned.sum()))
    tasks, sizes = [], []
    for choice in sorted(pick.dropna().unique()):
        part = df[(pick == choice).to_numpy()]
        for frame, n in _batch_frames(part, jobs):
            tasks.append((make(choice), freq, frame, slim))
            sizes.append(n)
    fits = parallel.run_batches(fit_one_batch, tasks, jobs=jobs, sizes=sizes)
    return fits, df[~pinned]


def _guard(freq: str):
    """statsforecast's per-series fallback: a series on which the model itself raises (e.g.
    AutoETS on some very short histories) gets a seasonal naive forecast instead of
    failing the whole fit for every series."""
    from statsforecast.models import SeasonalNaive

    return SeasonalNaive(season_length=season_length(freq))


def fit_batches(
    model: Any, freq: str, df: pd.DataFrame, progress: Progress | None, slim: bool = False
) -> list:
    """Fitted ``StatsForecast`` objects, one per batch of series of ``df`` (``unique_id,
    ds, y``), fitted over ``parallel.n_jobs()`` processes; ``progress`` after each batch.
    ``model``: one statsforecast model, or a list of them (each series keeps the one
    with the lowest AICc: ETS forms).

    ``slim``: keep only what AutoETS forecasts from (see :func:`slim_ets`).
    """
    from forecasting.engine import parallel

    jobs = parallel.jobs_for_points(int(df[ID].nunique()), len(df))
    parts = _batch_frames(df, jobs)
    tasks = [(model, freq, part, slim) for part, _ in parts]
    sizes = [n for _, n in parts]
    return parallel.run_batches(fit_one_batch, tasks, jobs=jobs, sizes=sizes, progress=progress)


def _batch_frames(df: pd.DataFrame, jobs: int) -> list[tuple[pd.DataFrame, int]]:
    """``df`` (``unique_id, ds, y``) cut into batches of whole series for ``jobs``
    workers (``parallel.batches``), each with its number of series."""
    from forecasting.engine import parallel

    if not df[ID].is_monotonic_increasing:
        df = df.sort_values([ID, DS], kind="stable")
    ids = df[ID].to_numpy()
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    bounds = np.r_[starts, len(df)]
    groups = parallel.batches(range(len(starts)), jobs)
    return [(df.iloc[bounds[g[0]] : bounds[g[-1] + 1]], len(g)) for g in groups]


def fit_one_batch(task: tuple) -> Any:
    """One batch of :func:`fit_batches`: ``(model, freq, frame, slim)`` -> a fitted
    ``StatsForecast`` (one process, one thread)."""
    from statsforecast import StatsForecast

    model, freq, df, slim = task
    fits = []
    for one in model if isinstance(model, list) else [model]:
        sf = StatsForecast(models=[one], freq=freq, n_jobs=1, fallback_model=_guard(freq))
        with warnings.catch_warnings():  # optimiser / convergence warnings on odd series
            warnings.simplefilter("ignore")
            sf.fit(df)
        fits.append(sf)
    sf = fits[0]
    if len(fits) > 1:  # several ETS forms: each series keeps its best by AICc
        crit = np.array([[_aicc(f) for f in np.asarray(x.fitted_)[:, 0]] for x in fits])
        best = np.argmin(crit, axis=0)  # all infinite (the guard took it): the first
        sf.fitted_ = np.array([[fits[k].fitted_[i, 0]] for i, k in enumerate(best)], dtype=object)
    if slim:
        slim_ets(sf)
    return sf


def _aicc(fitted: Any) -> float:
    state = getattr(fitted, "model_", None)
    value = state.get("aicc") if isinstance(state, dict) else None
    return float(value) if value is not None and np.isfinite(value) else np.inf


def slim_ets(sf: Any) -> None:
    """Drop what an AutoETS forecast never reads: the state of every past period (only
    the last one is used), fitted values and residuals (copied, never read, by
    ``forecast_ets``). About 95% of a fitted ETS model; the forecast is unchanged."""
    empty = np.empty(0)
    for fitted in np.asarray(sf.fitted_).ravel():
        state = getattr(fitted, "model_", None)
        if not isinstance(state, dict) or "states" not in state:
            continue  # the seasonal-naive guard, or another model
        state["states"] = np.asarray(state["states"])[-1:]
        for key in ("residuals", "fitted", "actual_residuals"):
            if key in state:
                state[key] = empty
