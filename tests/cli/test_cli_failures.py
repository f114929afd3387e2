"""When every model fails, the CLI says why in one line (exit 2), not once per model."""

from __future__ import annotations

import subprocess
import sys

from tests.support import ROOT


def test_every_model_failing_gives_one_line(tmp_path, monkeypatch, capsys):
    """Five days: too short for both models, and (here) no fallback chain to go down."""
    import forecasting.models.naive as naive
    from forecasting.cli.main import main
    from forecasting.models.base import Forecaster

    monkeypatch.setattr(Forecaster, "fallback_chain", lambda self: [])
    monkeypatch.setattr(naive.SeasonalNaive, "fallback_chain", lambda self: [])
    data = tmp_path / "five.csv"
    data.write_text("日期,销量\n" + "".join(f"2024-01-0{d},{d + 4}\n" for d in range(1, 6)))
    args = ["forecast", str(data), "--horizon", "2", "--models", "seasonal_naive,ets"]
    code = main([*args, "--no-cache", "--out", str(tmp_path / "f.csv")])
    assert code == 2
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    assert "seasonal_naive" in lines[0]
    assert not (tmp_path / "f.csv").exists()


def test_too_short_for_every_model_goes_down_the_fallback_chain(tmp_path):
    data = tmp_path / "five.csv"
    data.write_text("日期,销量\n" + "".join(f"2024-01-0{d},{d + 4}\n" for d in range(1, 6)))
    out = subprocess.run(
        [sys.executable, "-m", "forecasting", "forecast", str(data), "--horizon", "2"]
        + ["--models", "seasonal_naive,ets", "--no-cache", "--out", str(tmp_path / "f.csv")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "season_mean=1" in out.stdout  # the summary names the chain's model
