"""When every model fails, the CLI says why in one line (exit 2), not once per model."""

from __future__ import annotations

import subprocess
import sys

from tests.support import ROOT


def test_every_model_failing_gives_one_line(tmp_path):
    data = tmp_path / "five.csv"
    data.write_text("日期,销量\n" + "".join(f"2024-01-0{d},{d + 4}\n" for d in range(1, 6)))
    out = subprocess.run(
        [sys.executable, "-m", "forecasting", "forecast", str(data), "--horizon", "2"]
        + ["--models", "seasonal_naive,ets", "--out", str(tmp_path / "f.csv")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert out.returncode == 2
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    assert "seasonal_naive" in lines[0]
    assert not (tmp_path / "f.csv").exists()
