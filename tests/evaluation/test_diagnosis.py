"""A combination that ranks behind its own member is found, measured and explained."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.evaluation.diagnosis import behind_members


def _cv(errors: dict[str, list[float]], n_series: int = 3, h: int = 4) -> pd.DataFrame:
    """A backtest frame: y = 100 everywhere; per model, one absolute error per window."""
    n_windows = len(next(iter(errors.values())))
    rows = []
    for w in range(n_windows):
        cut = pd.Timestamp("2025-01-01") + pd.Timedelta(days=7 * w)
        for s in range(n_series):
            for k in range(h):
                row = {"unique_id": f"s{s}", "ds": cut + pd.Timedelta(days=k + 1), "cutoff": cut}
                row["y"] = 100.0
                row.update({m: 100.0 + e[w] for m, e in errors.items()})
                rows.append(row)
    return pd.DataFrame(rows)


def _explanations(model: str, members: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {"model": [model], "unique_id": ["s0"], "chosen": [members[0]]}
        | {f"weight_{m}": [1.0 / len(members)] for m in members}
    )


def test_a_member_better_in_some_windows_is_called_noise():
    cv = _cv({"auto": [10, 10, 10], "prophet": [5, 14, 8], "ets": [12, 12, 12]})
    (gap,) = behind_members(
        cv, ["auto", "prophet", "ets"], _explanations("auto", ["prophet", "ets"])
    )
    assert (gap.model, gap.member) == ("auto", "prophet")
    assert gap.wape_model == pytest.approx(0.10) and gap.wape_member == pytest.approx(0.09)
    assert (gap.member_wins, gap.n_windows, gap.consistent) == (2, 3, False)
    assert gap.spread == pytest.approx(np.std([5, -4, 2], ddof=1) / 100)


def test_a_member_better_in_every_window_is_consistent():
    cv = _cv({"ensemble": [10, 11, 12], "lightgbm": [6, 7, 8]})
    (gap,) = behind_members(cv, ["ensemble", "lightgbm"], _explanations("ensemble", ["lightgbm"]))
    assert gap.consistent and gap.member_wins == 3


def test_nothing_to_say_when_the_combination_wins_or_members_are_not_scored():
    cv = _cv({"auto": [5, 5, 5], "prophet": [6, 4, 7]})
    assert behind_members(cv, ["auto", "prophet"], _explanations("auto", ["prophet"])) == []
    cv = _cv({"auto": [10, 10, 10]})  # the member is not among the backtested models
    assert behind_members(cv, ["auto"], _explanations("auto", ["prophet"])) == []
    assert behind_members(cv, ["auto"], None) == []
