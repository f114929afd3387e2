"""The package's structural rules (see .ci/check_structure.py) hold."""

from __future__ import annotations

import subprocess
import sys

from tests.support import ROOT

SCRIPT = ROOT / ".ci" / "check_structure.py"


def _run() -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


def test_structure_rules_hold():
    out = _run()
    assert out.returncode == 0, out.stdout


def test_checker_catches_violations(tmp_path, monkeypatch):
    """The checker is not vacuous: each rule fires on a planted offence."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("check_structure", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    pkg = tmp_path / "forecasting"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    body = "\n".join(f"    x{i} = {i}" for i in range(101))
    (pkg / "sub" / "a.py").write_text(
        "from forecasting.sub.b import _hidden\n"
        "import streamlit\n"
        f"def long():\n{body}\n"
        "MODELS = ('ets', 'lightgbm')\n"
    )
    (pkg / "sub" / "b.py").write_text(
        "from forecasting.sub import a\n_hidden = 1\nY = a._private\n" + "z = 1\n" * 800
    )
    for i in range(11):
        (pkg / f"m{i}.py").write_text("")
    monkeypatch.setattr(mod, "ROOT", tmp_path)
    monkeypatch.setattr(mod, "PKG", pkg)
    monkeypatch.setattr(mod, "REGISTRY_FILE", pkg / "models" / "registry.py")
    monkeypatch.setattr(mod, "registered_models", lambda: {"ets", "lightgbm"})
    text = "\n".join(mod.check())
    for needle in (
        "top-level modules",
        "function long has",
        "imports private name _hidden",
        "uses private forecasting.sub.a._private",
        "imports streamlit outside ui/",
        "hand-typed model list",
        "lines (max 800)",
        "import cycle: forecasting.sub.a -> forecasting.sub.b",
    ):
        assert needle in text, (needle, text)
