"""Work done in the background while a new user reads the home page.

1. Import the libraries the quick start needs (statsforecast, lightgbm: ~2-3 s).
2. Train the quick-start models on the sample data into the on-disk model store,
   exactly as the "load sample" button would (same data key, same model keys),
   so the click finds them ready. A per-model lock shared with
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
    "forecasting.data.io",
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

    Returns:
        The names of the models now in the store.
    """
    from forecasting.data import io
    from forecasting.data.sample import sample_path
    from forecasting.engine import forecast as pipeline
    from forecasting.engine.forecast import TrainConfig
    from forecasting.models import DEFAULT_MODELS
    from forecasting.ui import actions, cache

    path = sample_path("csv")
    sales = io.load_frame(io.read_table(path.read_bytes(), name=path.name), name=path.name)
    history = sales.history(level="total", freq=None, series=None)
    freq = history.attrs.get("freq") or sales.freq
    plan = sample_path("future")
    future = None
    if plan.exists():
        future = io.read_future(plan.read_bytes(), sales, level="total", name=plan.name, freq=freq)
    config = TrainConfig(
        models=list(DEFAULT_MODELS),
        horizon=actions.default_horizon(freq),
        levels=[80, 95],
    )
    store = cache.model_store_uncached()
    dkey = pipeline.data_key(history, freq)
    ready = []
    for name in config.models:
        key = pipeline.store_key(dkey, name, config)
        with cache.key_lock(key):
            model, run = pipeline.fit_model(history, freq, name, config, store=store, dkey=dkey)
            if model is None:
                continue
            before = set(getattr(model, "calibration_", {}) or {})
            pipeline.predict_model(model, config, future)
            if set(getattr(model, "calibration_", {}) or {}) - before:
                store.save(
                    key, model, {"data_key": dkey, "fit_seconds": run.fit_seconds, "freq": freq}
                )
        ready.append(name)
    return ready
