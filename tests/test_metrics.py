from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting import metrics as M


def test_point_metrics_known_values():
    y, f = np.array([10.0, 0.0, 20.0]), np.array([12.0, 1.0, 17.0])
    assert M.mae(y, f) == pytest.approx(2.0)
    assert M.rmse(y, f) == pytest.approx(np.sqrt((4 + 1 + 9) / 3))
    assert M.wape(y, f) == pytest.approx(6 / 30)
    assert M.mape(y, f) == pytest.approx((0.2 + 0.15) / 2)  # the zero is skipped
    assert M.bias(y, f) == pytest.approx(0.0)
    assert M.r2(y, y) == 1.0
    assert M.coverage(y, y - 1, y + 1) == 1.0
    assert M.pinball(np.array([1.0]), np.array([0.0]), 0.9) == pytest.approx(0.9)


def test_evaluate_is_tidy_with_intervals():
    df = pd.DataFrame({
        "unique_id": ["a"] * 4 + ["b"] * 4, "ds": list(pd.date_range("2024-01-01", periods=4)) * 2,
        "y": [1, 2, 3, 4, 10, 10, 10, 10.0], "m": [1, 2, 3, 5, 9, 11, 10, 10.0],
        "m-lo-80": [0, 1, 2, 3, 8, 10, 9, 9.0], "m-hi-80": [2, 3, 4, 6, 9.5, 12, 11, 11.0],
    })
    train = df[["unique_id", "ds", "y"]]
    out = M.evaluate(df, train=train, season=1)
    assert list(out.columns) == ["unique_id", "metric", "m"]
    pooled = out[out.unique_id == "all"].set_index("metric")["m"]
    assert pooled["coverage_80"] == pytest.approx(7 / 8)
    assert pooled["mae"] == pytest.approx(3 / 8)
    assert set(out.unique_id) == {"all", "a", "b"}
