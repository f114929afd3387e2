"""``forecast --reconcile``: every level of the sample shop forecast and made to add up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.schema import hi_col, lo_col
from tests.cli.test_cli import run_cli
from tests.support import ROOT

SAMPLE = ROOT / "sample_data" / "shop_sales.csv"
H = 7


def _forecast(tmp_path, *extra: str, name: str = "f.csv", models: str = "seasonal_naive"):
    out = tmp_path / name
    r = run_cli(
        "--lang",
        "en",
        "forecast",
        str(SAMPLE),
        "--horizon",
        str(H),
        "--models",
        models,
        "--no-cache",
        "--out",
        str(out),
        *extra,
    )
    return r, out


def _hierarchy() -> pd.DataFrame:
    raw = pd.read_csv(SAMPLE, encoding="utf-8-sig")
    return raw[["品类", "商品"]].drop_duplicates()


def _assert_adds_up(fc: pd.DataFrame, model: str) -> None:
    """SKUs sum to their category, categories to the total, on every date (1e-6)."""
    parent = {sku: cat for cat, sku in _hierarchy().itertuples(index=False, name=None)}
    skus, cats = fc[fc["level"] == "商品"], fc[fc["level"] == "品类"]
    total = fc[fc["level"] == "total"].set_index("ds")[model]
    assert set(skus["unique_id"]) == set(parent) and set(cats["unique_id"]) == set(parent.values())
    by_cat = skus.assign(cat=skus["unique_id"].map(parent)).groupby(["cat", "ds"])[model].sum()
    own = cats.set_index(["unique_id", "ds"])[model]
    assert np.allclose(by_cat.reindex(own.index).to_numpy(), own.to_numpy(), rtol=0, atol=1e-6)
    cat_sum = cats.groupby("ds")[model].sum()
    assert np.allclose(cat_sum.reindex(total.index).to_numpy(), total.to_numpy(), rtol=0, atol=1e-6)
    assert len(total) == H


@pytest.mark.parametrize(
    ("method", "models"),
    [("bottom_up", "seasonal_naive,ets"), ("mint_shrink", "seasonal_naive,ridge")],
)
def test_every_level_adds_up(tmp_path, method, models):
    r, out = _forecast(tmp_path, "--reconcile", method, models=models)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    fc = pd.read_csv(out, parse_dates=["ds"], encoding="utf-8-sig")
    assert list(fc.columns[:3]) == ["unique_id", "ds", "level"]
    assert fc["level"].iloc[0] == "total"
    assert fc.groupby("level").size().to_dict() == {"total": H, "品类": 4 * H, "商品": 30 * H}
    for m in models.split(","):
        _assert_adds_up(fc, m)
        assert (fc[lo_col(m, 80)] <= fc[hi_col(m, 80)]).all()
        assert f"Model {m}, largest incoherence" in r.stdout
    assert f"Reconciliation method: {method}" in r.stdout
    assert "商品 → 品类 → All (aggregated)" in r.stdout  # the total named in the UI language
    assert "after 0 (coherent)" in r.stdout
    if method == "mint_shrink":  # the sample's 3 years are long enough for its residuals
        assert "shrinkage" in r.stdout and "instead" not in r.stdout
    else:  # ETS per level does not add up by itself: the gap removed is shown
        line = next(s for s in r.stdout.splitlines() if s.startswith("Model ets"))
        assert "before 0 (coherent)" not in line


def test_none_keeps_todays_output(tmp_path):
    r1, plain = _forecast(tmp_path, name="plain.csv")
    r2, none = _forecast(tmp_path, "--reconcile", "none", name="none.csv")
    assert r1.returncode == 0 and r2.returncode == 0, (r1.stderr, r2.stderr)
    assert plain.read_bytes() == none.read_bytes()
    fc = pd.read_csv(none, encoding="utf-8-sig")
    assert "level" not in fc.columns and fc["unique_id"].nunique() == 30
    assert "Reconciliation" not in r2.stdout


def test_bad_method_is_one_line_exit_2_before_reading(tmp_path):
    missing = tmp_path / "missing.csv"
    for args in (
        ["forecast", str(SAMPLE), "--reconcile", "top_down", "--out", str(tmp_path / "o.csv")],
        ["forecast", str(missing), "--reconcile", "MinT", "--out", str(tmp_path / "o.csv")],
    ):
        r = run_cli("--lang", "en", *args)
        assert r.returncode == 2, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert "Traceback" not in r.stderr
        assert "Unknown reconciliation method" in r.stderr
        assert "none, bottom_up, ols, wls_struct, mint_shrink" in r.stderr
    assert not (tmp_path / "o.csv").exists()


def test_the_total_alone_has_nothing_to_reconcile(tmp_path):
    r, out = _forecast(tmp_path, "--reconcile", "ols", "--aggregate", "total")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "nothing to reconcile" in r.stderr and not out.exists()
