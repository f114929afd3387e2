"""`import forecasting` must stay light: no UI or heavy modelling library."""

from __future__ import annotations

import subprocess
import sys

from tests.support import ROOT

HEAVY = ["streamlit", "tensorflow", "keras", "prophet", "statsforecast", "lightgbm", "plotly"]


def _loaded_after(stmt: str) -> set[str]:
    code = f"import sys; {stmt}; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return {m for m in out.stdout.strip().split(",") if m}


def test_import_forecasting_is_light():
    assert _loaded_after("import forecasting") == set()


def test_library_modules_are_light():
    mods = (
        "schema, data, data.festivals, models.features, engine.forecast, engine.store, "
        "models.conformal, cli.main, models, "
        "models.base, models.naive, models.stats, models.prophet_model, models.gbm, models.neural"
    )
    stmt = "; ".join(f"import forecasting.{m.strip()}" for m in mods.split(","))
    assert _loaded_after(stmt) == set()


def test_no_streamlit_import_outside_ui():
    import re

    pkg = ROOT / "forecasting"
    offenders = [
        str(p.relative_to(pkg))
        for p in pkg.rglob("*.py")
        if "ui" not in p.relative_to(pkg).parts[:1]
        and re.search(r"^\s*(import|from)\s+streamlit", p.read_text("utf-8"), re.M)
    ]
    assert offenders == []


def test_prophet_data_is_written_with_ujson():
    """cmdstanpy hands every Prophet fit its data as a JSON file written by stanio, which
    uses ujson (>= 5.5) when installed and the standard library's pure-Python encoder
    otherwise: 0.15-0.2 s of a 1-s fit of 3 years of daily sales (README, Performance)."""
    import stanio.json

    assert stanio.json.UJSON_AVAILABLE
