"""The data contract helpers in forecasting/schema.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting import schema as s
from forecasting.errors import ShopcastError


def history(n: int = 10, ids=("a", "b")) -> pd.DataFrame:
    ds = pd.date_range("2024-01-01", periods=n)
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "unique_id": u,
                    "ds": ds,
                    "y": np.arange(n, dtype=float),
                    "price": 10.0 + np.arange(n),
                    "promo": 1.0,
                }
            )
            for u in ids
        ],
        ignore_index=True,
    )


def test_interval_column_names():
    assert s.lo_col("lgbm", 80) == "lgbm-lo-80" and s.hi_col("lgbm", 95.0) == "lgbm-hi-95"
    assert s.lo_col("m", 97.5) == "m-lo-97.5"
    assert s.interval_columns("m", [80, 95]) == ["m-lo-95", "m-hi-95", "m-lo-80", "m-hi-80"]


def test_model_aliases_and_levels():
    fc = pd.DataFrame(
        columns=[
            "unique_id",
            "ds",
            "naive",
            "naive-lo-80",
            "naive-hi-80",
            "naive-lo-95",
            "naive-hi-95",
            "my-model",
            "my-model-lo-97.5",
            "cutoff",
            "y",
        ]
    )
    assert s.model_aliases(fc) == ["naive", "my-model"]
    assert s.levels_of(fc, "naive") == [80, 95]
    assert s.levels_of(fc, "my-model") == [97.5]
    assert s.levels_of(fc, "other") == []


def test_validate_levels():
    assert s.validate_levels([95, 80, 80]) == [80, 95]
    assert s.validate_levels(None) == []
    for bad in (0, 100, -5, 120):
        with pytest.raises(ShopcastError) as e:
            s.validate_levels([bad])
        assert e.value.key == "bad_level"


@pytest.mark.parametrize(
    "freq,m", [("D", 7), ("W-FRI", 52), ("W", 52), ("MS", 12), ("ME", 12), ("h", 1)]
)
def test_season_length(freq, m):
    assert s.season_length(freq) == m


def test_infer_freq():
    assert s.infer_freq(pd.date_range("2024-01-01", periods=10)) == "D"
    assert s.infer_freq(pd.date_range("2010-02-05", periods=10, freq="W-FRI")) == "W-FRI"
    assert s.infer_freq(pd.date_range("2024-01-01", periods=10, freq="MS")) == "MS"
    assert s.infer_freq(pd.date_range("2024-01-31", periods=10, freq="ME")) == "MS"
    gappy = pd.date_range("2024-01-01", periods=30).delete([3, 4, 10])
    assert s.infer_freq(pd.Series(gappy[::-1])) == "D"  # unsorted, with gaps
    with pytest.raises(ShopcastError) as e:
        s.infer_freq(pd.to_datetime(["2024-01-01"] * 3))
    assert e.value.key == "too_few_dates" and e.value.params["n"] == 1
    with pytest.raises(ShopcastError) as e:
        s.infer_freq(pd.date_range("2024-01-01", periods=5, freq="QS"))
    assert e.value.key == "unknown_freq"


def test_validate_history_casts_sorts_and_refuses_duplicates():
    h = history(3)
    shuffled = h.sample(frac=1, random_state=0).assign(
        unique_id=lambda d: d["unique_id"].astype("category"),
        ds=lambda d: d["ds"].dt.tz_localize("Asia/Shanghai"),
        y=lambda d: d["y"].astype(int),
    )
    out = s.validate_history(shuffled)
    assert out["unique_id"].dtype == object and out["y"].dtype == float
    assert out["ds"].dt.tz is None
    assert out[["unique_id", "ds"]].equals(h[["unique_id", "ds"]])
    with pytest.raises(ShopcastError) as e:
        s.validate_history(h.drop(columns="y"), name="f.csv")
    assert e.value.key == "missing_column" and e.value.params == {"file": "f.csv", "column": "y"}
    with pytest.raises(ShopcastError) as e:
        s.validate_history(pd.concat([h, h.iloc[[1]]]))
    assert e.value.key == "duplicate_rows" and e.value.params["series"] == "a"


def test_driver_columns():
    assert s.driver_columns(history(2)) == ["price", "promo"]


def test_make_future_frame_neutral_plan():
    h = history(10)
    fut = s.make_future_frame(h, 3, "D")
    assert len(fut) == 6 and set(fut.columns) == {"unique_id", "ds", "price", "promo"}
    assert fut["ds"].min() == pd.Timestamp("2024-01-11")
    assert (fut["price"] == 19.0).all()  # price holds its last value
    assert (fut["promo"] == 0).all()  # no promotion planned


def test_make_future_frame_uses_given_plan():
    h = history(10)
    plan = pd.DataFrame({"unique_id": ["a"], "ds": [pd.Timestamp("2024-01-12")], "promo": [1]})
    fut = s.make_future_frame(h, 3, "D", plan)
    a = fut[fut["unique_id"] == "a"].set_index("ds")["promo"]
    assert a.tolist() == [0, 1, 0]
    one_for_all = pd.DataFrame({"ds": [pd.Timestamp("2024-01-11")], "price": [5.0]})
    fut = s.make_future_frame(h, 2, "D", one_for_all)
    assert fut.groupby("unique_id")["price"].apply(list).tolist() == [[5.0, 19.0]] * 2


def test_make_future_frame_ignores_repeated_plan_rows():
    h = history(10)
    day = pd.Timestamp("2024-01-11")
    plan = pd.DataFrame({"unique_id": ["a", "a"], "ds": [day, day], "promo": [1, 1]})
    fut = s.make_future_frame(h, 2, "D", plan)
    assert len(fut) == 4 and not fut.duplicated(["unique_id", "ds"]).any()


def test_future_dates():
    got = s.future_dates(pd.Timestamp("2010-02-05"), 2, "W-FRI")
    assert list(got) == list(pd.to_datetime(["2010-02-12", "2010-02-19"]))
