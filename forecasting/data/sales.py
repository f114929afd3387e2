"""A cleaned sales file (:class:`SalesData`) and the histories cut from it at any level."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecasting.data.aggregation import aggregate, fill_grid
from forecasting.data.frequency import freq_rank, norm_freq, to_coarser
from forecasting.data.mapping import ColumnMapping
from forecasting.data.vocabulary import LABEL_SEP, TOTAL, WIDE_ID
from forecasting.errors import ShopcastError
from forecasting.schema import DS, ID, Y

FILLS = ("zero", "interpolate", "none")
# What happens to a series whose records stop before the data's last date, per fill rule
# (``history().attrs["tail_rule"]``): "zero" — the missing periods up to the last date
# are zero sales (a shop export lists no row for a day without sales); otherwise
# "extend_horizon" — nothing is invented, the series is forecast from its last record
# with a horizon extended to the common end (``Forecaster.predict``).
TAIL_RULES = {"zero": "zero", "interpolate": "extend_horizon", "none": "extend_horizon"}


@dataclass
class SalesData:
    """A cleaned sales file at its finest level, ready to cut into histories.

    Attributes:
        frame: long frame: id columns (source names, values as text), ``ds``,
            ``y`` (float, NaN where the target was blank) and drivers
            (canonical names), one row per series and date, sorted.
        mapping: the column mapping used.
        freq: ``"D"``, ``"W-FRI"``... or ``"MS"``.
        name: the file name, for messages.
        notes: what cleaning did (rows dropped, duplicates merged, ...), for the
            warnings page (see ``forecasting.data.quality.load_findings``).
    """

    frame: pd.DataFrame
    mapping: ColumnMapping
    freq: str
    name: str
    notes: dict = field(default_factory=dict)
    _labels: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def ids(self) -> list[str]:
        """Id columns of :attr:`frame`, coarse to fine."""
        return [WIDE_ID] if self.mapping.layout == "wide" else list(self.mapping.ids)

    @property
    def drivers(self) -> list[str]:
        """Driver columns (canonical names) of :attr:`frame`."""
        return [c for c in self.frame.columns if c not in (*self.ids, DS, Y)]

    def levels(self) -> list[str]:
        """Aggregation levels, coarse to fine: ``["total", *ids]``."""
        return [TOTAL, *self.ids]

    def series_ids(self, level: str | None = None) -> list[str]:
        """The ``unique_id`` values at ``level`` (default: finest), sorted."""
        return sorted(pd.unique(self.uid(self.resolve_level(level))))

    def history(
        self,
        level: str | None = None,
        freq: str | None = None,
        fill: str = "zero",
        series: list[str] | None = None,
    ) -> pd.DataFrame:
        """Contract frame ``unique_id, ds, y, drivers`` at a level and frequency.

        Args:
            level: one of :meth:`levels` (default: the finest). ``unique_id`` is the
                level's value (e.g. the category), or coarser values joined with
                ``" / "`` when the level is not nested in them (Walmart's Dept in
                Store: ``"1 / 3"``); ``"total"`` for the total.
            freq: the data's own frequency (default) or a coarser one: D -> W-MON
                (weeks labelled by their first day, Monday) / W-XXX / MS, W -> MS
                (weeks split between months by days). Periods the data covers only
                partly at either end are dropped and listed in
                ``attrs["partial_periods_dropped"]``.
            fill: gaps (dates missing inside a series' span) and blank targets:
                ``"zero"`` (no sales recorded = 0, right for shop exports),
                ``"interpolate"`` (linear, inside each series) or ``"none"``
                (rows added with y = NaN, so the frequency stays regular).
                Drivers on added rows: price carries forward, flags/discounts 0.
            series: keep only these ``unique_id`` values.

        Aggregation: y summed; price averaged weighted by y (plain mean when y is 0);
        discount averaged; promo/holiday/open take the max.

        Returns:
            Sorted frame passing ``schema.validate_history``. ``attrs`` holds
            ``gaps_filled`` (rows added), ``missing_filled`` (blank targets filled),
            ``fill``, ``level``, ``freq``, ``partial_periods_dropped``, and the rule
            for series whose records stop early (one horizon for everyone):
            ``tail_rule`` (``TAIL_RULES[fill]``: ``"zero"`` — filled with zero sales up
            to ``tail_end``; ``"extend_horizon"`` — left as they are, forecast from
            their last record to the common end), ``tail_end`` (the data's last date
            on this grid, ``YYYY-MM-DD``), ``tail_series`` (how many series stop
            before it) and ``tail_examples`` (up to five of them).

        Raises:
            ShopcastError: unknown level/series/fill, or a finer frequency.
        """
        level = self.resolve_level(level)
        if fill not in FILLS:
            raise ShopcastError("io_bad_fill", fill=fill, choices=", ".join(FILLS))
        want = self.target_freq(freq)
        drivers = self.drivers
        df = self.frame[[DS, Y, *drivers]].copy()
        df.insert(0, ID, self.uid(level).to_numpy())
        if series is not None:
            wanted = [str(s) for s in series]
            missing = sorted(set(wanted) - set(pd.unique(df[ID])))
            if missing:
                raise ShopcastError("io_unknown_series", series=", ".join(missing[:5]), level=level)
            df = df[df[ID].isin(wanted)]
        partial: list[str] = []
        resampled = want != self.freq
        if resampled:
            span = (self.frame[DS].min(), self.frame[DS].max())
            df, partial = to_coarser(df, self.freq, want, span)
            if df.empty:
                raise ShopcastError("io_no_complete_period", file=self.name, freq=want)
        if resampled or level != self.levels()[-1]:
            df = aggregate(df, [ID, DS], drivers)
        else:
            df = df.sort_values([ID, DS], kind="stable")
        end = self.last_period(want)
        lasts = df.groupby(ID, observed=True)[DS].max()
        early = sorted(lasts.index[lasts < end].astype(str))
        out, added, filled = fill_grid(df, want, fill, drivers, end if fill == "zero" else None)
        out = out[[ID, DS, Y, *drivers]]
        out[ID] = out[ID].astype(str)
        out[Y] = out[Y].astype(float)
        out = out.sort_values([ID, DS], kind="stable").reset_index(drop=True)
        out.attrs = {
            "gaps_filled": added,
            "missing_filled": filled,
            "fill": fill,
            "level": level,
            "freq": want,
            "partial_periods_dropped": partial,
            "tail_rule": TAIL_RULES[fill],
            "tail_end": end.strftime("%Y-%m-%d"),
            "tail_series": len(early),
            "tail_examples": early[:5],
        }
        return out

    def last_period(self, freq: str | None = None) -> pd.Timestamp:
        """The data's last date on the ``freq`` grid (default: its own), over all series:
        the last complete period, as :meth:`history` keeps it. Every series is forecast
        from there (the common end)."""
        want = self.target_freq(freq)
        dates = pd.DataFrame({DS: pd.unique(self.frame[DS])})
        if want == self.freq:
            return pd.Timestamp(dates[DS].max())
        span = (self.frame[DS].min(), self.frame[DS].max())
        coarse, _ = to_coarser(dates, self.freq, want, span)
        return pd.Timestamp(coarse[DS].max()) if len(coarse) else pd.Timestamp(dates[DS].max())

    # ------------------------------------------------------------- level helpers
    def resolve_level(self, level: str | None) -> str:
        """``level`` checked against :meth:`levels` (``None``: the finest level).

        Raises:
            ShopcastError: an unknown level.
        """
        levels = self.levels()
        if level is None:
            return levels[-1]
        if level not in levels:
            raise ShopcastError("io_unknown_level", level=level, choices=", ".join(levels))
        return level

    def target_freq(self, freq: str | None) -> str:
        """``freq`` normalised (``None``: the data's own), checked to be no finer than the data.

        Raises:
            ShopcastError: an unknown frequency or one finer than the data's.
        """
        if freq is None:
            return self.freq
        want = norm_freq(freq)
        if want == self.freq:
            return want
        if freq_rank(want) <= freq_rank(self.freq):
            raise ShopcastError("io_freq_finer", have=self.freq, want=want)
        return want

    def is_nested(self, level: str) -> bool:
        """True when each value of ``level`` sits in exactly one coarser combination."""
        k = self.ids.index(level)
        if k == 0:
            return True
        cols = self.ids[: k + 1]
        return len(self.frame[cols].drop_duplicates()) == self.frame[level].nunique()

    def uid(self, level: str) -> pd.Series:
        """The ``unique_id`` of each row of :attr:`frame` at ``level`` (computed once per level)."""
        if level in self._labels:
            return self._labels[level]
        if level == TOTAL:
            uid = pd.Series(TOTAL, index=self.frame.index, dtype=object)
        elif self.is_nested(level):
            uid = self.frame[level].astype(str)
        else:
            cols = self.ids[: self.ids.index(level) + 1]
            uid = joined_labels(self.frame[cols])
        self._labels[level] = uid
        return uid


def joined_labels(frame: pd.DataFrame) -> pd.Series:
    """``"a / b"`` labels for each row's combination of values (built once per combination)."""
    combo = np.zeros(len(frame), dtype=np.int64)
    for c in frame.columns:
        codes, uniques = pd.factorize(frame[c])
        combo = combo * (len(uniques) + 1) + codes
    codes, _ = pd.factorize(combo)
    _, first = np.unique(codes, return_index=True)
    labels = [LABEL_SEP.join(map(str, row)) for row in frame.iloc[first].itertuples(index=False)]
    return pd.Series(np.asarray(labels, dtype=object)[codes], index=frame.index, dtype=object)
