"""What the Dask engine runs where (``engine.distributed``): which models split into
batches of series, the batches, and what every batch of a model must share.

Nothing here imports Dask; the client is handed in.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd

from forecasting.schema import ID, Y

if TYPE_CHECKING:
    from distributed import Client

    from forecasting.engine.forecast import TrainConfig

BATCHES_PER_THREAD = 2  # a little more than one batch per worker thread evens the load
# Models whose bands are Monte-Carlo draws from one seeded stream that runs through the
# series in order: a batch would draw other samples, so they are fitted whole.
SAMPLED_BANDS = frozenset({"prophet"})
# Inside a task: one thread per library (the cluster is the parallelism).
WORKER_ENV = {
    "SHOPCAST_N_JOBS": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "TF_NUM_INTEROP_THREADS": "1",
    "TF_NUM_INTRAOP_THREADS": "1",
    "TF_CPP_MIN_LOG_LEVEL": "2",
}


@contextmanager
def one_level() -> Iterator[None]:
    """One thread per library in this task (the cluster is the parallelism):
    ``parallel.single_level`` (``n_jobs() == 1``) and BLAS/OpenMP at one thread."""
    from forecasting.engine.parallel import single_level

    for key, value in WORKER_ENV.items():
        os.environ.setdefault(key, value)
    with single_level():
        yield


def splits_by_series(name: str) -> bool:
    """Can model ``name`` be fitted in batches of series with the local forecasts?

    Yes when it fits each series on its own (not a global or combining model) and its
    intervals are its own and deterministic (no conformal pool over series, no random
    draws shared by the series).
    """
    from forecasting.models import get_class, spec

    cls = get_class(name)
    return (
        not cls.global_model
        and not spec(name).combines
        and cls.native_intervals
        and name not in SAMPLED_BANDS
    )


def series_batches(
    history: pd.DataFrame, freq: str, name: str, config: TrainConfig, slots: int
) -> list[list[str]] | None:
    """The series of ``history`` in batches for model ``name``, or None to fit it whole.

    Each batch holds at least one series long enough for the model (a batch of only
    short series would be refused where the local engine sends them down the fallback
    chain). None for a model that does not split (:func:`splits_by_series`), a history
    with negative values, or fewer than two series long enough.
    """
    from forecasting.models import create

    try:
        if not splits_by_series(name) or (history[Y] < 0).any():
            return None
        model = create(name, seed=config.seed, **config.model_params.get(name, {}))
    except Exception:  # noqa: BLE001 - fitted whole, the task reports it as the local engine
        return None
    lengths = history.groupby(ID, observed=True).size()
    need = model.min_length(freq)
    long = sorted(str(u) for u in lengths.index[lengths >= need])
    short_ = sorted(str(u) for u in lengths.index[lengths < need])
    n = min(len(long), max(1, slots) * BATCHES_PER_THREAD)
    if n < 2:
        return None
    return [long[i::n] + short_[i::n] for i in range(n)]


def batch_config(
    client: Client, history: pd.DataFrame, freq: str, name: str, config: TrainConfig, slots: int
):
    """``config`` for the batches of model ``name``, with what every batch must share.

    A model that decides something from all its series before fitting each one (ETS on
    a big catalogue: the forms the full search chooses on a seeded sample,
    ``ETS.search_sample``) has that decided once for all batches, so the forecasts are
    the local engine's: the sample's searches are spread over ``slots`` tasks (each
    series is searched on its own, so the split does not change a choice) and the plan
    is made from all their choices (``ETS.plan_from``). Other models: ``config``
    unchanged. When deciding fails, each batch decides for itself (as a fit would fail).
    """
    from forecasting.models import create, get_class

    if not hasattr(get_class(name), "search_sample"):
        return config
    try:
        model = create(name, seed=config.seed, **config.model_params.get(name, {}))
        sample = model.search_sample(history, freq)
        ids = sorted(i for v in sample.values() for i in v)
        if not ids:
            return config
        n = max(1, min(len(ids), slots))
        futures = [
            client.submit(
                choices_task,
                history[history[ID].astype(str).isin(set(ids[k::n]))],
                freq,
                name,
                config,
                ids[k::n],
                pure=False,
                priority=2,
            )
            for k in range(n)
        ]
        chosen = {u: f for fut in futures for u, f in fut.result().items()}
        extra = {"forms": model.plan_from(sample, chosen)}
    except Exception:  # noqa: BLE001 - no plan: each batch searches for itself, as a fit would fail
        return config
    params = {**config.model_params.get(name, {}), **extra}
    return replace(config, model_params={**config.model_params, name: params})


def choices_task(
    history: pd.DataFrame, freq: str, name: str, config: TrainConfig, ids: list[str]
) -> dict[str, str]:
    """On a worker: the full search's choice for each series ``ids`` (:func:`batch_config`)."""
    from forecasting.models import create

    with one_level():
        model = create(name, seed=config.seed, **config.model_params.get(name, {}))
        model.freq = freq
        return model.search_choices(history, ids)
