"""Work done in the background while a new user reads the home page.

1. Import the libraries the quick start needs (statsforecast, lightgbm: ~2-3 s).
2. Train the quick-start models on the sample data into the on-disk model store,
   exactly as the "load sample" button would (same default level — per SKU —,
   same data key, same model keys), so the click finds them ready; then the same
   at the total level, so the Forecast page's level switch finds those too. A per-model lock shared with
   ``cache._fitted`` makes a click during this wait for the model being trained
   instead of training it a second time.

Runs once per server process; ``SHOPCAST_PRETRAIN=0`` turns step 2 off.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading

log = logging.getLogger("shopcast.ui")

WARM_MODULES = (
    "forecasting.data",
    "forecasting.data.quality",
    "forecasting.engine.forecast",
    "forecasting.engine.store",
    "forecasting.data.festivals",
    "forecasting.models.features",
    "forecasting.models.stats",
    "forecasting.models.gbm",
    "statsforecast",
    "statsforecast.models",
    "lightgbm",
)
_lock = threading.Lock()
_started = False
done = threading.Event()  # set when the background work has finished (tests, benchmark)


def start() -> None:
    """Start the background thread (once per process)."""
    global _started
    with _lock:
        if _started:
            return
        _started = True
    threading.Thread(target=_work, name="shopcast-prewarm", daemon=True).start()


def _work() -> None:
    try:
        for name in WARM_MODULES:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - best effort; the real import reports
                log.debug("warm-up import of %s failed", name, exc_info=True)
        if os.environ.get("SHOPCAST_PRETRAIN", "1") != "0":
            pretrain_sample()
    except Exception:  # noqa: BLE001 - never let the warm-up disturb the app
        log.warning("pre-training the sample failed", exc_info=True)
    finally:
        done.set()


def pretrain_sample() -> list[str]:
    """Fit (or find on disk) the quick-start models on the sample, with calibration.

    First at the app's default level for the sample (``defaults.level_candidates``:
    per SKU), then at the total level.

    Returns:
        The names of the models now in the store (at the default level).
    """
    from forecasting.data import load_frame, read_future, read_table
    from forecasting.data.sample import sample_path
    from forecasting.engine import forecast as pipeline
    from forecasting.models import DEFAULT_MODELS
    from forecasting.ui import cache, defaults

    path = sample_path("csv")
    sales = load_frame(read_table(path.read_bytes(), name=path.name), name=path.name)
    counts = {lv: len(sales.series_ids(lv)) for lv in sales.levels()[1:]}
    first = defaults.level_candidates(sales.levels(), counts)[0]
    store = cache.model_store_uncached()
    plan = sample_path("future")
    done_models: list[str] = []
    for level in dict.fromkeys([first, "total"]):
        history = sales.history(level=level, freq=None, series=None)
        freq = history.attrs.get("freq") or sales.freq
        future = None
        if plan.exists():
            future = read_future(plan.read_bytes(), sales, level=level, name=plan.name, freq=freq)
        config = pipeline.TrainConfig(
            models=list(DEFAULT_MODELS),
            horizon=defaults.default_horizon(freq),
            levels=[80, 95],
        )
        # the engine's loop, each model under its store lock: a click waits, then loads it
        result = pipeline.forecast(
            history, freq, config, future=future, store=store, lock=cache.key_lock
        )
        done_models = done_models or result.models
    return done_models
