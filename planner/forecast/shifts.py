"""Level shifts: a smooth seller whose sales moved to a new level some weeks ago.

A listing that won the Buy Box or a badge, or lost it to a new competitor, sells at a new level
from one week to the next. The backtest cannot see it: its windows straddle the change, where
every method misses alike, so the blend keeps the slow methods that know the week and the season
and follows the new level by a fraction (a doubling 45 days ago left the next 28 days a seventh
short). ``level_shift`` tests for one and says how far to follow it.

The test reads whole weeks at the end of the history (``BLOCK``: 7 days, or one week), divided
by a time-of-year index fitted on the history before them (so a season's start is not taken for
a shift, and a shift is not taken into the index), and compares the mean rate of the last ``k``
weeks with the ``BEFORE`` weeks before them, for every ``k`` in ``RECENT``: a t statistic on
the rates' square roots (where count noise is the same at any level, so a halving shows as
plainly as a doubling) over the before weeks' own spread, never below count noise. The ``k``
with the largest is the shift. It counts where the statistic reaches ``SHIFT_T``, the rates
differ by ``SHIFT_RATIO`` or more, the median recent week and the last one (``LAST_BLOCKS``) lie
past half the way on the side of the move (a promotion that ended, or one busy week, is not a
new level; a promotion still running is taken for one), both stretches were mostly in stock,
the history before the weeks tested holds a year or the whole history less than one, and the
series is smooth (intermittent demand's weekly totals are too skewed for the test: a month of
big orders passes it; the robust combination serves those). The forecast then follows it by
``weight`` = 1 - SHIFT_T / |t|: all the way only as the evidence grows.

Chosen on made-up sellers (``bench/scenarios.py``) and bench/accuracy.py's tuning split only
(docs/forecast-evaluation.md item 21). ``planner.forecast.auto`` applies it to daily data only
(``SHIFT_FREQS``): on weeks it gained on the tuning split's airline routes but lost more on the
evaluation split's; months (another time scale) are not tested, and the same test on them cost
PBS (tuning) RMSE.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from planner.forecast.base import FloatArray
from planner.forecast.calendar import SEASON_LENGTHS
from planner.forecast.history import (
    Demand,
    first_in_stock,
    intermittency,
    sells_as_a_year_before,
)
from planner.forecast.seasonality import YEAR_BINS, year_factor, yearly_index

BLOCK = {"D": 7, "W": 1}  # periods in a block: whole weeks
BEFORE = 26  # weeks the recent ones are compared with
RECENT = (3, 4, 5, 6, 7, 8)  # candidate lengths of the new level, in weeks
SHIFT_T = 3.0
# The square root of a block's rate varies by 1 / (2 sqrt(periods in it)) for Poisson counts.
COUNT_NOISE = {f: 0.5 / np.sqrt(b) for f, b in BLOCK.items()}
SHIFT_RATIO = 1.25  # up by a quarter, or down by a fifth (1 / 1.25)
SMOOTH_ADI = 1.32  # the Syntetos-Boylan cut-off: smooth series only
LAST_BLOCKS = 1  # the last weeks, each past half the way: the new level holds to the end
SEASON_REPEAT = 1.5  # as planner.forecast.auto reads a season repeating, over 4 weeks
REPEAT_BLOCKS = 4
SEEN_SHARE = 0.5  # a week counts when in stock half of it or more; so do both stretches


@dataclass(frozen=True, slots=True)
class LevelShift:
    """Per series: the new level in demand per period divided by the time-of-year index
    (``rate``), that index (``yearly``: fitted before the recent weeks), how many periods ago
    the new level began (``since``), how far to follow it (``weight``: 1 - SHIFT_T / |t|, 0
    where none was found) and the new level over the old (``ratio``, 1 where none was found)."""

    rate: FloatArray
    yearly: FloatArray
    since: NDArray[np.intp]
    weight: FloatArray
    ratio: FloatArray

    @classmethod
    def none(cls, n: int, freq: str) -> LevelShift:
        """No shift in any of ``n`` series."""
        bins = YEAR_BINS[freq]
        return cls(np.zeros(n), np.ones((n, bins)), np.zeros(n, np.intp), np.zeros(n), np.ones(n))

    @property
    def found(self) -> NDArray[np.bool_]:
        """The series whose forecast follows a shift."""
        out: NDArray[np.bool_] = self.weight > 0
        return out

    def put(self, rows: NDArray[np.intp], part: LevelShift) -> None:
        """Write ``part`` (the shifts of ``rows``) into these arrays."""
        for name in self.__slots__:
            getattr(self, name)[rows] = getattr(part, name)


def level_shift(demand: Demand, start: date, freq: str) -> LevelShift:
    """Test each series for a recent level shift (see the module docstring)."""
    n, d = demand.values.shape
    block = BLOCK.get(freq, 0)
    blocks = BEFORE + max(RECENT)
    lo = d - blocks * block
    if lo < 0 or not block:  # too short to test, or months (another time scale)
        return LevelShift.none(n, freq)
    yearly = yearly_index(demand.head(lo + BEFORE * block), start, freq)
    factor = year_factor(yearly, start, freq, np.arange(lo, d))
    w = demand.weight[:, lo:]
    v = demand.values[:, lo:] / np.maximum(factor, 1e-6)
    wv = (w * v).reshape(n, blocks, block).sum(axis=2)
    ww = w.reshape(n, blocks, block).sum(axis=2)
    rate = np.where(ww >= SEEN_SHARE * block, wv / np.maximum(ww, 1e-9), np.nan)
    best_t, best_k = np.zeros(n), np.zeros(n, dtype=np.intp)
    best_rate, best_ratio = np.zeros(n), np.ones(n)
    for k in RECENT:
        before, recent = slice(blocks - k - BEFORE, blocks - k), slice(blocks - k, blocks)
        seen_before, seen = ww[:, before].sum(axis=1), ww[:, recent].sum(axis=1)
        old = wv[:, before].sum(axis=1) / np.maximum(seen_before, 1e-9)
        new = wv[:, recent].sum(axis=1) / np.maximum(seen, 1e-9)
        # On square roots, where count noise is the same at any level (a week's rate of a
        # Poisson seller has a variance of 1 / (4 * 7) there), so a halving is as plain as a
        # doubling.
        spread = np.maximum(_nanstd(np.sqrt(np.maximum(rate[:, before], 0.0))), COUNT_NOISE[freq])
        t = (np.sqrt(new) - np.sqrt(old)) / (spread * np.sqrt(1 / k + 1 / BEFORE))
        # Half the way or more at the median week and the last: a new level that holds, not
        # a busy week or a promotion that ended (a last week out of stock: not known to hold).
        middle = _nanmedian(rate[:, recent])
        half = old + 0.5 * (new - old)
        held = (middle - half) * np.sign(new - old) >= 0
        # Both stretches mostly in stock: weeks out of stock say nothing of a level.
        held &= (seen >= SEEN_SHARE * k * block) & (seen_before >= SEEN_SHARE * BEFORE * block)
        for b in range(blocks - LAST_BLOCKS, blocks):
            last = np.nan_to_num(rate[:, b], nan=half)
            held &= np.sign(last - half) == np.sign(new - old)
        t = np.where(held, t, 0.0)
        t = np.nan_to_num(t, nan=0.0, posinf=0.0, neginf=0.0)
        better = np.abs(t) > np.abs(best_t)
        best_t = np.where(better, t, best_t)
        best_k = np.where(better, k, best_k)
        best_rate = np.where(better, new, best_rate)
        best_ratio = np.where(better, new / np.maximum(old, 1e-9), best_ratio)
    moved = (best_ratio >= SHIFT_RATIO) | (best_ratio <= 1 / SHIFT_RATIO)
    found = (np.abs(best_t) >= SHIFT_T) & moved & (intermittency(demand) <= SMOOTH_ADI)
    # Under a year before the weeks tested, but a year in all: the index above is flat, so a
    # season's start reads as a shift. Where the last 4 weeks sold as the same weeks a year
    # before (within SEASON_REPEAT), it is that season, and no shift.
    period = SEASON_LENGTHS[freq][-1]
    first = first_in_stock(demand)
    young = (lo + BEFORE * block - first < period) & (d - first >= period)
    if young.any():
        span = REPEAT_BLOCKS * block
        found &= ~(young & sells_as_a_year_before(demand, first, period, span, SEASON_REPEAT))
    weight = np.where(found, 1.0 - SHIFT_T / np.maximum(np.abs(best_t), SHIFT_T), 0.0)
    ratio = np.where(found, best_ratio, 1.0)
    return LevelShift(best_rate, yearly, best_k * block, weight, ratio)


def _nanstd(x: FloatArray) -> FloatArray:
    """Row-wise sample standard deviation over the finite entries (0 with under two)."""
    ok = np.isfinite(x)
    count = ok.sum(axis=1)
    mean = np.where(ok, x, 0.0).sum(axis=1) / np.maximum(count, 1)
    dev = np.where(ok, x - mean[:, None], 0.0)
    out: FloatArray = np.sqrt((dev**2).sum(axis=1) / np.maximum(count - 1, 1))
    return out


def _nanmedian(x: FloatArray) -> FloatArray:
    """Row-wise median over the finite entries (NaN with none), without numpy's warning."""
    out = np.full(len(x), np.nan)
    ok = np.isfinite(x).any(axis=1)
    if ok.any():
        out[ok] = np.nanmedian(x[ok], axis=1)
    return out
