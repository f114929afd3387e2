"""Which rows of the inner backtest score the members (``score_rows``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.models import create
from forecasting.schema import CUTOFF, DS, ID, Y

H = 2
NAMES = ["a", "b"]


def _bare(rule: str, train: pd.DataFrame | None = None):
    ens = create("ensemble", score_rows=rule)
    if train is not None:
        ens.train_, ens.freq = train, "W-FRI"
    return ens


def _cv(values: dict[str, dict[str, list]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A two-window inner backtest (``H`` rows each) of members a and b per series:
    ``values[series][member]`` lists the absolute errors, NaN where it gave no forecast."""
    rows = []
    for uid, by_member in values.items():
        for w, cut in enumerate(pd.date_range("2023-01-06", periods=2, freq="4W-FRI")):
            for k in range(H):
                i = w * H + k
                rows.append(
                    {
                        ID: uid,
                        CUTOFF: cut,
                        DS: cut + pd.Timedelta(weeks=k + 1),
                        Y: 0.0,
                        **{n: by_member[n][i] for n in NAMES},
                    }
                )
    cv = pd.DataFrame(rows)
    return cv, cv[NAMES].abs()


NAN = np.nan
VALUES = {
    # b missed the first window: judged on the second alone, a too
    "s1": {"a": [9.0, 9.0, 1.0, 1.0], "b": [NAN, NAN, 2.0, 2.0]},
    # b never forecast it: nothing to compare, a keeps every row
    "s2": {"a": [3.0, 3.0, 1.0, 1.0], "b": [NAN] * 4},
    # no row both forecast: the series keeps what it had
    "s3": {"a": [5.0, 5.0, NAN, NAN], "b": [NAN, NAN, 1.0, 1.0]},
}


def test_all_rows_change_nothing_and_common_rows_are_the_default():
    cv, err = _cv(VALUES)
    pd.testing.assert_frame_equal(_bare("all")._scored(cv, err, H), err)
    pd.testing.assert_frame_equal(
        create("ensemble")._scored(cv, err, H), _bare("common")._scored(cv, err, H)
    )
    assert not create("ensemble")._scored(cv, err, H).equals(err)


def test_common_rows_judge_the_members_on_the_same_windows():
    cv, err = _cv(VALUES)
    out = _bare("common")._scored(cv, err, H)
    mae = out.assign(**{ID: cv[ID]}).groupby(ID)[NAMES].mean()
    # before: s1's a averaged its bad first window (5.0) against b's good second (2.0)
    assert err.assign(**{ID: cv[ID]}).groupby(ID)["a"].mean()["s1"] == 5.0
    assert mae.loc["s1"].tolist() == [1.0, 2.0]  # now a is the better member
    assert mae.loc["s2", "a"] == 2.0 and np.isnan(mae.loc["s2", "b"])
    pd.testing.assert_frame_equal(out[cv[ID].eq("s3").to_numpy()], err[cv[ID].eq("s3")])


def test_season_rows_leave_out_windows_fitted_on_less_than_a_season():
    ds = pd.date_range("2022-01-07", "2023-02-10", freq="W-FRI")  # 58 weeks
    train = pd.DataFrame({ID: "s1", DS: ds, Y: 1.0})
    cv, err = _cv({"s1": VALUES["s1"]})
    cv[CUTOFF] = np.repeat(pd.to_datetime(["2022-11-11", "2023-01-06"]), H)  # 45, 53 weeks in
    out = _bare("season", train)._scored(cv, err, H)
    assert out.iloc[:H].isna().all().all()  # the 45-week window is not a score
    pd.testing.assert_frame_equal(out.iloc[H:], err.iloc[H:])


def test_an_unknown_rule_is_refused():
    cv, err = _cv(VALUES)
    with pytest.raises(ValueError, match="score_rows"):
        _bare("most")._scored(cv, err, H)
