"""The report as PDF: the same HTML page printed by headless Chromium.

Debian's ``chromium`` (installed by ``make test``, with ``fonts-wqy-microhei`` for
Chinese glyphs) prints the page from a temporary folder. The report holds no
scripts and a static SVG chart, so nothing has to finish drawing before printing,
and every switch that could reach the network is off: the page is a local file
and host names resolve nowhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from forecasting.errors import ShopcastError

__all__ = ["CHROMIUM", "chromium_path", "html_to_pdf", "require_chromium"]

CHROMIUM = "/usr/bin/chromium"  # Debian's package; SHOPCAST_CHROMIUM overrides it
TIMEOUT_S = 120
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--no-first-run",
    "--disable-quic",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no name resolves: no request leaves
    "--no-pdf-header-footer",
    "--print-to-pdf-no-header",  # the older name of the same switch
    "--run-all-compositor-stages-before-draw",
)


def chromium_path() -> str | None:
    """The Chromium binary to print with, or None.

    ``SHOPCAST_CHROMIUM`` when set (and only it: a wrong override is reported, not
    silently replaced), else Debian's ``/usr/bin/chromium``, else one on ``PATH``.
    """
    override = os.environ.get("SHOPCAST_CHROMIUM")
    if override:
        return override if _executable(override) else None
    if _executable(CHROMIUM):
        return CHROMIUM
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _executable(path: str) -> bool:
    return Path(path).is_file() and os.access(path, os.X_OK)


def require_chromium() -> str:
    """The Chromium binary, or one clear error saying how to install it.

    Raises:
        ShopcastError: ``report_no_chromium``.
    """
    path = chromium_path()
    if path is None:
        raise ShopcastError(
            "report_no_chromium", path=os.environ.get("SHOPCAST_CHROMIUM") or CHROMIUM
        )
    return path


def html_to_pdf(html: str, chromium: str | None = None, timeout: float = TIMEOUT_S) -> bytes:
    """Print ``html`` (a self-contained page) to PDF with headless Chromium.

    Args:
        html: the page's text; it must not need the network (``report.build_report``).
        chromium: the binary (default: :func:`require_chromium`).
        timeout: seconds before giving up.

    Returns:
        The PDF's bytes (A4, as the page's ``@page`` rule says).

    Raises:
        ShopcastError: ``report_no_chromium``, or ``report_pdf_failed`` with
            Chromium's last message.
    """
    binary = chromium or require_chromium()
    with tempfile.TemporaryDirectory(prefix="shopcast-pdf-") as tmp:
        folder = Path(tmp)
        page, out = folder / "report.html", folder / "report.pdf"
        page.write_text(html, encoding="utf-8")
        cmd = [
            binary,
            *FLAGS,
            f"--user-data-dir={folder / 'profile'}",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=timeout, cwd=folder, check=False
            )
        except subprocess.TimeoutExpired:
            raise ShopcastError(
                "report_pdf_failed", detail=f"timeout after {timeout:g} s"
            ) from None
        except OSError as exc:
            raise ShopcastError("report_pdf_failed", detail=str(exc)) from None
        data = out.read_bytes() if out.exists() else b""
        if not data.startswith(b"%PDF"):
            lines = [ln for ln in (proc.stderr or "").splitlines() if ln.strip()]
            detail = lines[-1][:200] if lines else f"exit code {proc.returncode}"
            raise ShopcastError("report_pdf_failed", detail=detail)
        return data
