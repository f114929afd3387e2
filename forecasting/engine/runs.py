"""Steps of the train -> forecast loop that both engines take the same way.

The local loop (``engine.forecast``) and the Dask engine (``engine.distributed``)
check a configuration, load a stored model and merge the models' forecasts with these
functions, so the two engines cannot drift apart. Nothing here imports either engine
at run time (each may import this module).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from forecasting.errors import ShopcastError
from forecasting.schema import DS, ID, validate_levels

if TYPE_CHECKING:
    from forecasting.engine.forecast import ModelRun, TrainConfig
    from forecasting.engine.store import ModelStore
    from forecasting.models.base import Forecaster


def checked_levels(config: TrainConfig) -> list[int | float]:
    """The interval levels of ``config`` (sorted), once it is checked it can forecast.

    Raises:
        ShopcastError: ``no_models`` (no model named), ``bad_horizon`` (a horizon
            below 1) or ``bad_level``.
    """
    if not config.models:
        raise ShopcastError("no_models")
    if config.horizon < 1:
        raise ShopcastError("bad_horizon", h=config.horizon)
    return validate_levels(config.levels)


def load_stored(run: ModelRun, store: ModelStore, key: str) -> Forecaster | None:
    """The model stored under ``key``, or None; when found, ``run`` says so: source
    ``"disk"``, the stored fit time, the model's skipped series and fallbacks."""
    model = store.load(key)
    if model is None:
        return None
    run.source = "disk"
    meta = store.read_meta(key) or {}
    run.fit_seconds = float(meta.get("fit_seconds", 0.0))
    run.skipped = list(getattr(model, "skipped_", []))
    run.fallbacks = dict(getattr(model, "fallbacks_", {}))
    return model


def merge_forecasts(runs: dict[str, ModelRun]) -> pd.DataFrame:
    """Every model's forecast in one contract frame, sorted by ``unique_id, ds``."""
    merged: pd.DataFrame | None = None
    for run in runs.values():
        if run.forecast is not None:
            fc = run.forecast
            merged = fc if merged is None else merged.merge(fc, on=[ID, DS], how="outer")
    if merged is None:
        merged = pd.DataFrame(columns=[ID, DS])
    return merged.sort_values([ID, DS]).reset_index(drop=True)
