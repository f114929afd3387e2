"""``--engine dask``: the local engine's forecasts, fitted on a real local Dask cluster.

One ``LocalCluster`` of 2 worker processes (1 thread each) serves the module. The panel
has a series that ends early (the common end must reach the batches) and one too short
for ETS (the fallback chain must run inside its batch as it does locally).
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

pytest.importorskip("distributed")

from forecasting.engine import distributed as dd  # noqa: E402
from forecasting.engine.forecast import TrainConfig, forecast  # noqa: E402
from forecasting.engine.store import ModelStore  # noqa: E402
from forecasting.errors import ShopcastError  # noqa: E402
from forecasting.evaluation.backtest import backtest  # noqa: E402
from tests.support import make_panel  # noqa: E402

PER_SERIES = ["seasonal_naive", "ets"]
CONFIG = TrainConfig(models=PER_SERIES, horizon=14, levels=[80, 95])
# a global model fitted whole on one worker: the same model, only BLAS's thread count
# differs (one per worker), which moves the last bits of a float
GLOBAL_RTOL = 1e-9


@pytest.fixture(scope="module")
def client():
    import dask

    # a task whose worker dies fails at once (not after 3 restarts); the local engine in
    # this process fits in-process too (no pool of its own next to the cluster)
    with (
        pytest.MonkeyPatch.context() as mp,
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
    ):
        mp.setenv("SHOPCAST_N_JOBS", "1")
        with dd.dask_client(None, workers=2) as c:
            yield c


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    df = make_panel(n_series=6, days=420, seed=3)
    early = (df["unique_id"] == "sku1") & (df["ds"] > df["ds"].max() - pd.Timedelta(days=20))
    short = (df["unique_id"] == "sku4") & (df["ds"] < df["ds"].max() - pd.Timedelta(days=9))
    return df[~early & ~short].reset_index(drop=True)


@pytest.fixture(scope="module")
def local(client, history):
    return forecast(history, "D", CONFIG)


def test_per_series_models_split_into_batches(client, history):
    slots = dd.describe(client)[2]
    assert slots == 2
    batches = dd.series_batches(history, "D", "ets", CONFIG, slots)
    assert batches is not None and len(batches) == 4
    long_enough = {f"sku{i}" for i in range(6)} - {"sku4"}  # sku4 has 10 days
    assert all(set(b) & long_enough for b in batches)  # no batch of only short series
    assert sorted(s for b in batches for s in b) == sorted(history["unique_id"].unique())
    negative = history.assign(y=history["y"] - 60)  # no clipping at 0: all series decide
    assert dd.series_batches(negative, "D", "ets", CONFIG, slots) is None


def test_which_models_split():
    assert dd.splits_by_series("ets") and dd.splits_by_series("seasonal_naive")
    for name in ("lightgbm", "ridge", "intermittent", "prophet", "ensemble", "auto"):
        assert not dd.splits_by_series(name), name


def test_per_series_models_give_the_local_forecast_exactly(client, history, local):
    res = dd.forecast(history, "D", CONFIG, client)
    pd.testing.assert_frame_equal(res.forecast, local.forecast, check_exact=True)
    assert res.runs["ets"].fallbacks == local.runs["ets"].fallbacks == {"sku4": "seasonal_naive"}
    # the early series is forecast to the common end, as locally
    dates = res.forecast.groupby("unique_id")["ds"].min()
    assert dates.nunique() == 1


def test_global_model_is_fitted_whole_with_the_local_forecast(client, history):
    config = TrainConfig(models=["ridge"], horizon=14, levels=[80, 95])
    assert dd.series_batches(history, "D", "ridge", config, 2) is None
    here = forecast(history, "D", config).forecast
    there = dd.forecast(history, "D", config, client).forecast
    pd.testing.assert_frame_equal(there, here, check_exact=False, rtol=GLOBAL_RTOL)


def test_store_is_shared_between_engines(client, history, local, tmp_path):
    store = ModelStore(tmp_path)
    first = dd.forecast(history, "D", CONFIG, client, store=store)
    assert {r.source for r in first.runs.values()} == {"trained"}
    # the batches are stored under the local key: the local engine loads them
    again = forecast(history, "D", CONFIG, store=ModelStore(tmp_path))
    assert {r.source for r in again.runs.values()} == {"disk"}
    pd.testing.assert_frame_equal(again.forecast, local.forecast, check_exact=True)
    cached = dd.forecast(history, "D", CONFIG, client, store=ModelStore(tmp_path))
    assert {r.source for r in cached.runs.values()} == {"disk"}
    pd.testing.assert_frame_equal(cached.forecast, local.forecast, check_exact=True)


def test_fitted_models_predict_like_local(client, history, local):
    with dd.fitted_models(history, "D", CONFIG, client) as fitted:
        assert [n for n, _, _ in fitted] == PER_SERIES
        ets = fitted[1][1]
        assert isinstance(ets, dd.SeriesBatches) and len(ets.parts) == 4
        fc = ets.predict(14, level=[80, 95])
    cols = ["unique_id", "ds", *[c for c in fc.columns if c.startswith("ets")]]
    pd.testing.assert_frame_equal(fc, local.forecast[cols], check_exact=True)


def test_backtest_gives_the_local_windows(client, history):
    args = dict(n_windows=2, step=7, levels=[80])
    models = ["seasonal_naive", "ridge"]
    here = backtest(history, "D", models, 7, **args)
    there = dd.backtest(history, "D", models, 7, client, **args)
    pd.testing.assert_frame_equal(there.cv, here.cv, check_exact=False, rtol=GLOBAL_RTOL)
    exact = ["unique_id", "ds", "cutoff", "y", "seasonal_naive", "seasonal_naive-lo-80"]
    pd.testing.assert_frame_equal(there.cv[exact], here.cv[exact], check_exact=True)
    assert there.failures == here.failures
    assert set(there.seconds) == set(models)


def test_unreachable_scheduler_is_one_clear_error(monkeypatch):
    monkeypatch.setenv(dd.TIMEOUT_ENV, "1")
    for address in ("tcp://127.0.0.1:9", "no-port-here"):
        with pytest.raises(ShopcastError) as err:
            with dd.dask_client(address):
                pass
        assert err.value.key == "dask_connect"
        assert address in err.value.message("en") and address in err.value.message("zh")


def test_a_dead_worker_is_one_clear_error(client):
    import os

    with pytest.raises(ShopcastError) as err:
        with dd.cluster_errors("ets"):
            client.submit(os._exit, 1, pure=False).result()
    assert err.value.key == "dask_worker_died"
    assert "ets" in err.value.message("en") and "ets" in err.value.message("zh")


def test_the_sampled_ets_search_is_split_over_workers_into_the_same_plan(client, history):
    from forecasting.models import create

    sampled = {"search_from": 3, "search_sample": 4, "search_cover": 1.0}
    config = TrainConfig(models=["ets"], horizon=14, levels=[80], model_params={"ets": sampled})
    model = create("ets", **sampled)
    sample = model.search_sample(history, "D")
    ids = sorted(i for v in sample.values() for i in v)
    assert len(ids) == 4
    halves = {
        **model.search_choices(history, ids[0::2]),
        **model.search_choices(history, ids[1::2]),
    }
    whole = model.search_plan(history, "D")["forms"]
    assert model.plan_from(sample, halves) == whole  # parts of the sample: the same choices
    shared = dd.batch_config(client, history, "D", "ets", config, slots=2)
    assert shared.model_params["ets"]["forms"] == whole


def test_a_sampled_ets_search_is_decided_once_for_all_batches(client, history):
    # search_cover 0.5 on a sample of 3: the forms of at most 2 series are offered
    sampled = {"search_from": 3, "search_sample": 3, "search_cover": 0.5}
    config = TrainConfig(models=["ets"], horizon=14, levels=[80], model_params={"ets": sampled})
    full = forecast(history, "D", replace(config, model_params={})).forecast
    here = forecast(history, "D", config).forecast
    assert not here.equals(full)  # the sample's forms change some series here
    there = dd.forecast(history, "D", config, client).forecast
    pd.testing.assert_frame_equal(there, here, check_exact=True)
