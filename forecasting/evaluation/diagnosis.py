"""Why a combination can rank behind one of its own members in a backtest.

``auto`` and ``ensemble`` choose or weight their members per series on a small
backtest *inside* each training history; the outer backtest then scores them on
windows they never saw. With few windows a member can beat the combination there
by luck, or because the inner windows misled the choice. :func:`behind_members`
finds those cases and measures how much of the gap is window-to-window noise, so
the Backtest page can say why instead of leaving a contradiction on screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.evaluation.backtest import member_names
from forecasting.schema import CUTOFF, Y


@dataclass(frozen=True)
class MemberGap:
    """A combination scored behind one of its members (pooled WAPE over the windows).

    Attributes:
        model: the combination (``auto``, ``ensemble``).
        member: the member that scored better.
        wape_model, wape_member: pooled WAPE over every window (fractions).
        member_wins: windows where the member had the lower WAPE.
        n_windows: windows scored.
        spread: standard deviation over windows of the WAPE difference (model - member).
        consistent: the member won every window and there were at least 3 of them,
            i.e. more than luck on these windows.
    """

    model: str
    member: str
    wape_model: float
    wape_member: float
    member_wins: int
    n_windows: int
    spread: float
    consistent: bool


def _wape(y: np.ndarray, f: np.ndarray) -> float:
    ok = np.isfinite(y) & np.isfinite(f)
    den = np.abs(y[ok]).sum()
    return float(np.abs(y[ok] - f[ok]).sum() / den) if den > 0 else float("nan")


def _window_wape(cv: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
    """Per cut-off: WAPE of ``a`` and of ``b`` on the rows both forecast."""
    both = cv[np.isfinite(cv[a]) & np.isfinite(cv[b])]
    rows = []
    for cut, g in both.groupby(CUTOFF, sort=True):
        y = g[Y].to_numpy(dtype=float)
        rows.append(
            {
                CUTOFF: cut,
                a: _wape(y, g[a].to_numpy(dtype=float)),
                b: _wape(y, g[b].to_numpy(dtype=float)),
            }
        )
    return pd.DataFrame(rows)


def behind_members(
    cv: pd.DataFrame,
    models: Sequence[str],
    explanations: pd.DataFrame | None,
    tolerance: float = 1e-9,
) -> list[MemberGap]:
    """Combinations in ``models`` whose pooled WAPE is worse than a member's.

    Args:
        cv: backtest frame (``unique_id, ds, cutoff, y`` + one column per model).
        models: the models of the backtest, in order.
        explanations: :attr:`BacktestResult.explanations` (names each combination's
            members); ``None`` or empty: nothing to diagnose.
        tolerance: a member must be better by more than this.

    Returns:
        One :class:`MemberGap` per (combination, member that beat it), the member
        with the largest advantage first for each combination.
    """
    if explanations is None or explanations.empty or "model" not in explanations:
        return []
    gaps: list[MemberGap] = []
    for model in models:
        part = explanations[explanations["model"] == model]
        if part.empty or model not in cv.columns:
            continue
        found = []
        for member in member_names(part.dropna(axis=1, how="all")):
            if member == model or member not in models or member not in cv.columns:
                continue
            w = _window_wape(cv, model, member)
            if w.empty:
                continue
            rows = cv[np.isfinite(cv[model]) & np.isfinite(cv[member])]
            y = rows[Y].to_numpy(dtype=float)
            wm, wb = _wape(y, rows[model].to_numpy(float)), _wape(y, rows[member].to_numpy(float))
            if not (np.isfinite(wm) and np.isfinite(wb)) or wm <= wb + tolerance:
                continue
            diff = (w[model] - w[member]).to_numpy(dtype=float)
            wins, n = int((diff > 0).sum()), len(diff)
            spread = float(np.std(diff, ddof=1)) if n > 1 else float("nan")
            found.append(MemberGap(model, member, wm, wb, wins, n, spread, wins == n and n >= 3))
        gaps += sorted(found, key=lambda g: g.wape_member)
    return gaps
