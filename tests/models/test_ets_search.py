"""ETS on a big catalogue: the full AutoETS search on a seeded sample, then each series
chooses by AICc among the forms the sample chose (``models.stats.SEARCH``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.engine.parallel import ENV
from forecasting.models import create
from forecasting.models.stats import POSITIVE, WITH_ZEROS, chosen_forms, covering
from forecasting.schema import DS, ID, Y
from tests.support import make_panel

H = 14
SAMPLED = {"search_from": 12, "search_sample": 8}


def _panel() -> pd.DataFrame:
    """30 series, 120 days: 18 with sales every day, 12 with a closed day a week."""
    df = make_panel(n_series=30, days=120, seed=21)
    df[Y] = df[Y] + 5.0  # strictly positive ...
    closed = df[ID].isin([f"sku{i}" for i in range(18, 30)]) & (df[DS].dt.dayofweek == 6)
    df.loc[closed, Y] = 0.0  # ... but for these 12 (additive forms only)
    return df[[ID, DS, Y]]


PANEL = _panel()


@pytest.fixture(scope="module")
def fits():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV, "1")
        full = create("ets", search_from=None).fit(PANEL, freq="D")
        sampled = create("ets", **SAMPLED).fit(PANEL, freq="D")
    return full, sampled


def _forms(model) -> dict[str, str]:
    return {k: v for sf in model.sfs_ for k, v in chosen_forms(sf).items()}


def test_covering_takes_the_most_chosen_forms_up_to_the_share():
    picks = pd.Series(["ANAN"] * 6 + ["ANNN"] * 3 + ["AAAD"])
    assert covering(picks, 0.9) == ["ANAN", "ANNN"]
    assert covering(picks, 0.5) == ["ANAN"]
    assert covering(picks, 1.0) == ["ANAN", "ANNN", "AAAD"]
    assert covering(pd.Series([], dtype=object), 0.9) == []


def test_each_kind_is_offered_the_forms_its_sample_chose(fits):
    full, sampled = fits
    plan = sampled.forms_
    assert set(plan) == {POSITIVE, WITH_ZEROS} and all(plan.values())
    assert all(f[0] == "A" and f[2] != "M" for f in plan[WITH_ZEROS])  # zeros: additive only
    chosen = _forms(sampled)
    kinds = {f"sku{i}": POSITIVE if i < 18 else WITH_ZEROS for i in range(30)}
    assert len(chosen) == 30 and all(chosen[s] in plan[kinds[s]] for s in chosen)
    assert full.forms_ == {POSITIVE: None, WITH_ZEROS: None}  # a small catalogue: full search


def test_a_series_whose_best_form_is_offered_gets_the_full_search_forecast(fits):
    full, sampled = fits
    a, b = full.predict(H, level=[80]), sampled.predict(H, level=[80])
    assert a[[ID, DS]].equals(b[[ID, DS]])
    best, offered = _forms(full), _forms(sampled)
    same = [s for s in best if best[s] == offered[s]]
    other = [s for s in best if best[s] != offered[s]]
    assert len(same) >= 20  # most series: the sample's forms hold their best
    for ids, equal in ((same, True), (other, False)):
        x, y = (f[f[ID].isin(ids)].drop(columns=[ID, DS]).to_numpy() for f in (a, b))
        assert np.array_equal(x, y) == equal or not ids


def test_the_sampled_search_fits_fewer_forms(monkeypatch):
    import statsforecast.ets as sfets

    monkeypatch.setenv(ENV, "1")  # in this process, so the fits can be counted
    calls = []
    real = sfets.etsmodel
    monkeypatch.setattr(sfets, "etsmodel", lambda *a, **k: calls.append(1) or real(*a, **k))
    create("ets", search_from=None).fit(PANEL, freq="D")
    full, calls[:] = len(calls), []
    model = create("ets", **SAMPLED).fit(PANEL, freq="D")
    offered = sum(len(model.forms_[k]) * n for k, n in ((POSITIVE, 18), (WITH_ZEROS, 12)))
    assert full == 18 * 15 + 12 * 6  # every form that suits each series
    assert len(calls) == (8 * 15 + 8 * 6) + offered < full  # both samples, then the offers


def test_the_plan_is_the_same_on_one_or_two_workers_and_progress_rises(monkeypatch):
    seen: list[float] = []
    monkeypatch.setenv(ENV, "2")
    two = create("ets", **SAMPLED).fit(PANEL, freq="D", progress=lambda f, _: seen.append(f))
    monkeypatch.setenv(ENV, "1")
    one = create("ets", **SAMPLED).fit(PANEL, freq="D")
    assert one.forms_ == two.forms_
    a, b = one.predict(H, level=[80, 95]), two.predict(H, level=[80, 95])
    assert np.array_equal(a.drop(columns=[ID, DS]).to_numpy(), b.drop(columns=[ID, DS]).to_numpy())
    assert seen == sorted(seen) and len(seen) >= 4 and seen[-1] == pytest.approx(1.0)


def test_search_plan_is_what_fit_decides(fits):
    _, sampled = fits
    plan = create("ets", **SAMPLED).search_plan(PANEL, "D")
    assert plan == {"forms": sampled.forms_}
    assert create("ets").search_plan(PANEL, "D") == {}  # 30 series < 300: nothing to decide
    assert create("ets", forms=sampled.forms_, **SAMPLED).search_plan(PANEL, "D") == {}
