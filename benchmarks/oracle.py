"""How far below the peers a forecast can go at all on the generated sets.

    .venv/bin/python benchmarks/oracle.py [--dataset intermittent|new_items|declining|level_shift|all]

The generated sets (``benchmarks/synthetic.py``) know the process behind every value:
the true conditional mean and median of each day's sales. A forecaster that knew
the process exactly and forecast its mean (or its median) is the best any model can
hope for; its WAPE on ``accuracy.py``'s windows, as a ratio of the best peer (seasonal
naive, AutoETS: the peers there without Prophet), says how much of the issue's
"<= 0.95 x the best peer" target the noise leaves reachable on each set. Same
cut-offs as ``accuracy.py`` (``--dev`` windows and test windows both printed), scored
on the rows every column forecast.

WAPE (absolute error / actual) is minimised by the median, not the mean: on mostly-zero
series the median is 0, and a forecast of zeros beats every mean forecast by WAPE
while being useless for stocking. The table prints both so the difference is visible.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._table import markdown  # noqa: E402
from benchmarks.accuracy import peer_ets, peer_snaive  # noqa: E402
from benchmarks.synthetic import GENERATED  # noqa: E402
from forecasting.evaluation.backtest import cutoffs  # noqa: E402
from forecasting.schema import DS, ID, Y, future_dates  # noqa: E402

TRUTH = ("mean", "median")
PEERS = ("seasonal_naive", "AutoETS")


def wape(frame: pd.DataFrame, col: str) -> float:
    return float((frame[Y] - frame[col]).abs().sum() / frame[Y].abs().sum())


def windows_frame(kind: str, dev: bool, windows: int = 3) -> pd.DataFrame:
    """Actuals, the true mean/median and both peers' forecasts on ``accuracy.py``'s windows."""
    df, freq, h, m = GENERATED[kind](truth=True)
    frames = []
    for cut in list(cutoffs(df, h, 2 * windows if dev else windows, freq))[:windows]:
        train = df[df[DS] <= cut][[ID, DS, Y]]
        test = df[df[DS].isin(future_dates(cut, h, freq)) & df[ID].isin(train[ID].unique())]
        frame = test[[ID, DS, Y, *TRUTH]]
        for fn in (peer_snaive, peer_ets):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fc = fn(train, None, freq, h, m, [])
            frame = frame.merge(
                fc[[ID, DS, *(c for c in PEERS if c in fc)]], on=[ID, DS], how="left"
            )
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def table(kind: str) -> list[dict]:
    rows = []
    for dev in (True, False):
        cv = windows_frame(kind, dev).dropna(subset=list(PEERS))
        scores = {c: wape(cv, c) for c in (*PEERS, *TRUTH)}
        best = min(scores[p] for p in PEERS)
        rows.append(
            {
                "set": kind,
                "windows": "dev" if dev else "test",
                "best peer": min(PEERS, key=scores.get),
                "peer WAPE": best,
                "true mean WAPE": scores["mean"],
                "true mean / peer": scores["mean"] / best,
                "true median / peer": scores["median"] / best,
                "all zeros / peer": 1.0 / best,
            }
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default="all", choices=[*GENERATED, "all"])
    args = ap.parse_args()
    kinds = list(GENERATED) if args.dataset == "all" else [args.dataset]
    rows = [r for k in kinds for r in table(k)]
    print(markdown(pd.DataFrame(rows)))


if __name__ == "__main__":
    main()
