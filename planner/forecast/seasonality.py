"""Multiplicative seasonal indices: day of the week and time of the year, shrunk towards 1.

An index of 1.2 for Saturdays means Saturdays sell 20 % above the average day. Indices are
estimated from observed (in-stock) periods only and shrunk towards 1 in proportion to the evidence
(units sold), so short, sparse or noisy series get a flat profile rather than noise. A time-of-year
index whose spread stands clear of its own noise is shrunk less (``_clear_share``): a small
seller's strong season is a season, however few units it took. With one year in stock it keeps
no more than that clear share: a big seller's noise is noise, however many units it took.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from planner.forecast.base import FloatArray
from planner.forecast.calendar import SEASON_LENGTHS, period_start, weekday, year_phase
from planner.forecast.history import Demand

WEEKLY_DAYS = 182  # the weekday profile reads the last 26 weeks
WEEKLY_SHRINK = 60.0  # units of evidence at which the weekday profile counts half
YEARLY_SHRINK = 150.0  # same for the month-of-year profile (12 bins need more evidence; 52
# weekly bins take 52/12 times as much)
MAX_INDEX = 5.0
# The evidence prior alone cut a small seller's strong season by two fifths: 2 years of weekly
# sales of about 10 a week, swinging 80 % either way, got 58 % of their swing (YEARLY_SHRINK × 52/12
# = 650 units counts half), and the next quarter's forecast came out 21 % low. An index now keeps
# at least the share of its spread that its noise cannot explain (``_clear_share``), counted in
# full from two years in stock. Tuning split, 3 and 5 windows: RMSE the same on every set but
# gasoline's (0.311 -> 0.308), MASE the same or lower on every set but the demo's at 3 windows
# (+0.0001; pbs_tune 0.627 -> 0.624, retail 1.446 -> 1.440, gasoline 0.987 -> 0.980). The share
# alone, without the prior beneath it, cost PBS 12 % RMSE (its noise estimate, from neighbouring
# months, carries part of the season).
# With one year in stock an index keeps at most its clear share (the smaller of it and the prior):
# the prior counts units sold, so a steady seller of about 3 a day with a year of history kept 90 %
# of its months' noise (about 10 % a month) as a season, and its next 28 days came out 6 % off
# where plain smoothing was 4 % off. Made-up SKUs with 400 days and no season
# (docs/forecast-evaluation.md item 16): 0.058 -> 0.052 of demand off; with a season: the same.
# Tuning split, RMSE: pbs_tune_short 9,879 -> 9,550 at 5 windows, pedestrian 3,624 -> 3,604 at 3
# but 2,854 -> 2,884 at 5, the demo 5.212 -> 5.219 at 3 and 3.911 -> 3.912 at 5; MASE at 5:
# pbs_tune_short 0.9617 -> 0.9525, ansett_tune 1.0417 -> 1.0396, pedestrian 0.4531 -> 0.4572.
# A series that sells on nearly every in-stock day (ROBUST_SOLD of them or more) has its weekday
# profile read week by week: each day over its week's mean, then a mean per weekday of those ratios
# with the highest and lowest ROBUST_TRIM of the weeks left out, from at least ROBUST_WEEKS whole
# weeks in stock. A holiday Monday or a promotion's Tuesday is one week's ratio, trimmed away (up
# to ROBUST_TRIM of the weeks on either side), where a plain mean per weekday carries it. Tuning
# split, pedestrian (daily counts of Melbourne sensors, public holidays included): RMSE 3,796 ->
# 3,643 and MASE 0.483 -> 0.460 over 3 windows, 2,897 -> 2,854 and 0.463 -> 0.451 over 5; the demo
# level (RMSE 5.222 -> 5.220, 3.908 -> 3.914). The median of the weeks (3,672 and 0.466 on
# pedestrian) cost the demo 0.4 % RMSE.
ROBUST_SOLD = 0.9
ROBUST_TRIM = 0.15
ROBUST_WEEKS = 8
# Years of history the time-of-year index reads: seasons drift (PBS's monthly seasons fit worse
# from 8 years than from 4), but a week-of-year bin sees one week a year where a month bin sees
# four, and weekly data fit better from 8 (tuning split: gasoline, ansett_tune; never worse).
YEARLY_YEARS = {"D": 4, "W": 8, "M": 4}
# Bins of the time-of-year index: months, except weekly data, whose season is the 52 weeks of
# the year (a holiday week's peak is a week wide; a month-wide bin spreads it over four).
YEAR_BINS = {"D": 12, "W": 52, "M": 12}
# A week's index is averaged with the weeks either side of it, weighted 1/4, 1/2, 1/4 (52 bins
# read from a few years are noisy, and a holiday's week shifts by a day or two a year). Chosen on
# the tuning split's weekly sets (ansett_tune, gasoline) at 3 and 5 windows: no averaging, equal
# thirds and +-2 weeks scored no better, and equal thirds flattened a one-week peak more.
WEEK_KERNEL = (0.25, 0.5, 0.25)


@dataclass(frozen=True, slots=True)
class SeasonalIndex:
    """Weekday (n, 7) and time-of-year (n, bins) indices; ``factor`` maps them onto periods.

    The time-of-year bins split the calendar year evenly: 12 months, or 52 weeks for weekly data.
    """

    weekly: FloatArray
    yearly: FloatArray

    def factor(self, start: date, freq: str, t: np.ndarray) -> FloatArray:
        """The combined index of each series at periods ``t``, shape (n, len(t))."""
        t = np.asarray(t, dtype=np.int64)
        out = year_factor(self.yearly, start, freq, t)
        if freq == "D":
            out *= self.weekday_factor(start, freq, t)
        return out

    def weekday_factor(self, start: date, freq: str, t: np.ndarray) -> FloatArray:
        """The weekday index of each series at daily periods ``t``, shape (n, len(t))."""
        out: FloatArray = self.weekly @ _one_hot(weekday(start, freq, t), 7)
        return out

    def take(self, rows: np.ndarray) -> SeasonalIndex:
        return SeasonalIndex(self.weekly[rows], self.yearly[rows])


def flat_index(n: int) -> SeasonalIndex:
    return SeasonalIndex(np.ones((n, 7)), np.ones((n, 12)))


def year_factor(yearly: FloatArray, start: date, freq: str, t: np.ndarray) -> FloatArray:
    """A time-of-year index (n, bins) read at periods ``t`` counted from ``start``."""
    return _interpolate_year(yearly, year_phase(start, freq, np.asarray(t, dtype=np.int64)))


def _interpolate_year(index: FloatArray, phase: FloatArray) -> FloatArray:
    """Circular linear interpolation between bin mid-points (phase in months, 0.5 = mid-Jan;
    ``index`` has 12 or 52 bins a year), as one matrix product: (n, bins) @ (bins, periods)."""
    bins = index.shape[1]
    x = phase * (bins / 12.0) - 0.5
    lo = np.floor(x).astype(np.int64)
    frac = x - lo
    weights = np.zeros((bins, len(phase)))
    cols = np.arange(len(phase))
    # Two different bins per period (bins > 1): plain fancy-index writes, not np.add.at (slow).
    weights[lo % bins, cols] = 1 - frac
    weights[(lo + 1) % bins, cols] = frac
    out: FloatArray = index @ weights
    return out


def _one_hot(index: np.ndarray, size: int) -> FloatArray:
    out = np.zeros((size, len(index)))
    out[index, np.arange(len(index))] = 1.0
    return out


def _shrink(raw: FloatArray, share: FloatArray) -> FloatArray:
    """Keep ``share`` (per series, 0 to 1) of each index's distance from 1; then renormalise
    to mean 1."""
    clipped = np.clip(raw, 0.0, MAX_INDEX)
    idx = 1.0 + share[:, None] * (clipped - 1.0)
    out: FloatArray = idx / np.maximum(idx.mean(axis=1, keepdims=True), 1e-9)
    return out


def _evidence_share(evidence: FloatArray, strength: float) -> FloatArray:
    """The evidence prior: units sold over units sold plus ``strength``."""
    out: FloatArray = evidence / (evidence + strength)
    return out


def _clear_share(index: FloatArray, noise: FloatArray) -> FloatArray:
    """The share of the indices' spread across bins that their noise does not explain (method
    of moments: the spread of pure noise over ``bins`` bins is about (bins - 1) × its variance,
    averaged over the bins it is known for), 0 to 1; 0 where it is known for none."""
    bins = index.shape[1]
    spread = ((index - index.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    known = np.isfinite(noise)
    mean = np.where(known, noise, 0.0).sum(axis=1) / np.maximum(known.sum(axis=1), 1)
    expected = np.where(known.any(axis=1), (bins - 1) * mean, np.inf)
    share = 1.0 - expected / np.maximum(spread, 1e-12)
    out: FloatArray = np.where(np.isfinite(share), np.clip(share, 0.0, 1.0), 0.0)
    return out


def _unit_noise(v: FloatArray, w: FloatArray, lag: int) -> FloatArray:
    """Each series' variance of one period's demand, from periods ``lag`` apart that were both
    in stock (half their mean squared difference). A season between them adds to it (towards
    shrinking); a level shift, promotion or trend lasting many periods shows only at its edges
    (towards keeping it as a season: hence the two years ``_yearly_index`` asks for). NaN with
    no such pair."""
    both = w[:, lag:] * w[:, :-lag]
    squares = (both * (v[:, lag:] - v[:, :-lag]) ** 2).sum(axis=1)
    pairs = both.sum(axis=1)
    out: FloatArray = np.where(pairs > 0, squares / np.maximum(2 * pairs, 1e-12), np.nan)
    return out


def _weekly_index(demand: Demand, start: date, freq: str) -> FloatArray:
    """Day-of-week index from the last 26 weeks (daily series only; 1 otherwise)."""
    n, d = demand.values.shape
    if freq != "D" or d < 14:
        return np.ones((n, 7))
    lo = max(0, d - WEEKLY_DAYS)
    w = demand.weight[:, lo:]
    wv = w * demand.values[:, lo:]
    dow = weekday(start, freq, np.arange(lo, d))
    mean_all = wv.sum(axis=1) / np.maximum(w.sum(axis=1), 1e-9)
    raw = np.ones((n, 7))
    for k in range(7):
        cols = dow == k
        wk = w[:, cols].sum(axis=1)
        mean_k = wv[:, cols].sum(axis=1) / np.maximum(wk, 1e-9)
        raw[:, k] = np.where((wk > 0) & (mean_all > 0), mean_k / np.maximum(mean_all, 1e-12), 1.0)
    raw = _trimmed_weekdays(raw, w, demand.values[:, lo:], dow)
    return _shrink(raw, _evidence_share(wv.sum(axis=1), WEEKLY_SHRINK))


def _trimmed_weekdays(raw: FloatArray, w: FloatArray, v: FloatArray, dow: np.ndarray) -> FloatArray:
    """``raw`` with the rows of steady sellers replaced by their trimmed weekly-ratio profile
    (see ``ROBUST_SOLD``); ``w``, ``v`` and ``dow`` cover the days the profile reads."""
    d = v.shape[1]
    weeks = d // 7
    # Only these are read week by week (cheap). Whole days in stock only, as the weeks below
    # (``intermittency`` counts a half day in stock as half a period).
    seen = w >= 1
    sold = ((v > 0) & seen).sum(axis=1) / np.maximum(seen.sum(axis=1), 1)
    rows = np.flatnonzero(sold >= ROBUST_SOLD)
    if weeks < ROBUST_WEEKS or not len(rows):
        return raw
    tail = slice(d - weeks * 7, d)
    in_stock = seen[rows, tail].reshape(len(rows), weeks, 7)
    values = v[rows, tail].reshape(len(rows), weeks, 7)
    mean = values.mean(axis=2)
    whole = in_stock.all(axis=2) & (mean > 0)  # (rows, weeks): fully in stock, with sales
    ratio = np.where(whole[:, :, None], values / np.where(whole, mean, 1.0)[:, :, None], np.inf)
    ordered = np.sort(ratio, axis=1)  # per weekday, the weeks that do not count (inf) last
    count = whole.sum(axis=1)
    cut = np.floor(ROBUST_TRIM * count).astype(np.int64)
    rank = np.arange(weeks)[None, :, None]
    keep = (rank >= cut[:, None, None]) & (rank < (count - cut)[:, None, None])
    profile = np.where(keep, ordered, 0.0).sum(axis=1) / np.maximum(keep.sum(axis=1), 1)
    steady = count >= ROBUST_WEEKS
    out = raw.copy()
    out[np.ix_(rows[steady], dow[tail][:7])] = profile[steady]
    return out


def _yearly_index(demand: Demand, start: date, freq: str) -> FloatArray:
    """Time-of-year index: demand over its centred one-year mean, per calendar month (per week of
    the year for weekly data, ``YEAR_BINS``).

    Needs a year of history; reads the last ``YEARLY_YEARS`` years of them.
    """
    n, d = demand.values.shape
    period = SEASON_LENGTHS[freq][-1]
    bins = YEAR_BINS[freq]
    if d < period:
        return np.ones((n, bins))
    lo = max(0, d - YEARLY_YEARS[freq] * period)
    start = period_start(start, freq, lo)
    d -= lo
    w, v = demand.weight[:, lo:], demand.values[:, lo:]
    wv = w * v
    level = _year_level(wv, w, period)
    t = np.arange(d)
    slot = np.floor(year_phase(start, freq, t) * (bins / 12.0)).astype(np.int64) % bins
    # One period's variance (same weekday a week apart for days): each bin's ratio varies by it
    # times the periods in the bin over the square of their level.
    unit = _unit_noise(v, w, 7 if freq == "D" else 1)
    raw = np.ones((n, bins))
    noise = np.full((n, bins), np.nan)
    covered = np.zeros(n)
    for m in range(bins):
        cols = slot == m
        if not cols.any():
            continue
        num = wv[:, cols].sum(axis=1)
        den = (w[:, cols] * level[:, cols]).sum(axis=1)
        ok = den > 1e-9
        raw[:, m] = np.where(ok, num / np.maximum(den, 1e-12), 1.0)
        spread = unit * w[:, cols].sum(axis=1) / np.maximum(den, 1e-12) ** 2
        noise[:, m] = np.where(ok, spread, np.nan)
        covered += ok
    if bins > 12:
        before, same, after = WEEK_KERNEL
        raw = before * np.roll(raw, 1, axis=1) + same * raw + after * np.roll(raw, -1, axis=1)
        noise = noise * (before**2 + same**2 + after**2)  # the average of 3 bins varies less
    evidence = wv.sum(axis=1) * (covered / bins)
    # Neighbouring periods see a level shift, a promotion or a trend only at its edges, so within
    # one year they read as a season clear of the noise; a season repeats, and only a second
    # year shows it. So from two years in stock an index keeps the larger of the evidence prior
    # and its clear share, and with one year the smaller: a spread its noise explains is noise,
    # however many units it took, and a spread clear of it may be a level that moved. In between
    # the two are mixed by the years past the first.
    years = np.clip(w.sum(axis=1) / period - 1.0, 0.0, 1.0)
    raw = np.clip(raw, 0.0, MAX_INDEX)
    clear = _clear_share(raw, noise)
    prior = _evidence_share(evidence, YEARLY_SHRINK * bins / 12.0)
    share = (1 - years) * np.minimum(prior, clear) + years * np.maximum(prior, clear)
    return _shrink(raw, share)


def _year_level(wv: FloatArray, w: FloatArray, period: int) -> FloatArray:
    """Mean over a whole year around each period: centred where the history allows, else the
    first or last full year (a whole year averages the season out, wherever it is centred)."""
    d = wv.shape[1]
    lo = np.clip(np.arange(d) - period // 2, 0, d - period)
    hi = lo + period
    cwv = np.concatenate([np.zeros((len(wv), 1)), np.cumsum(wv, axis=1)], axis=1)
    cw = np.concatenate([np.zeros((len(w), 1)), np.cumsum(w, axis=1)], axis=1)
    out: FloatArray = (cwv[:, hi] - cwv[:, lo]) / np.maximum(cw[:, hi] - cw[:, lo], 1e-9)
    return out


def seasonal_index(
    demand: Demand, start: date, freq: str, *, weekly: bool, yearly: bool
) -> SeasonalIndex:
    """Weekday and/or time-of-year indices of every series (flat where not asked for)."""
    n = demand.n
    w_idx = weekly_index(demand, start, freq) if weekly else np.ones((n, 7))
    y_idx = yearly_index(demand, start, freq) if yearly else np.ones((n, YEAR_BINS[freq]))
    return SeasonalIndex(w_idx, y_idx)


def weekly_index(demand: Demand, start: date, freq: str) -> FloatArray:
    """Day-of-week index (n, 7), memoised on the demand."""
    return demand.cached(("weekly", start, freq), lambda: _weekly_index(demand, start, freq))


def yearly_index(demand: Demand, start: date, freq: str) -> FloatArray:
    """Time-of-year index (n, 12 or 52), memoised on the demand."""
    return demand.cached(("yearly", start, freq), lambda: _yearly_index(demand, start, freq))


def deseasonalise(demand: Demand, index: SeasonalIndex, start: date, freq: str) -> Demand:
    """Demand divided by its seasonal index. A day whose weekday index is under 1 weighs that
    much: divided by a small index, its noise grows (a quiet Sunday at 0.2 of the week's mean
    carries five times its noise into the level), and smoothing that took it at full weight
    read one busy quiet weekend as the level (docs/forecast-evaluation.md, item 20)."""
    t = np.arange(demand.periods)
    f = year_factor(index.yearly, start, freq, t)
    weight = demand.weight
    if freq == "D":  # as ``factor``, its weekday part kept for the weights
        weekday_index = index.weekday_factor(start, freq, t)
        f *= weekday_index
        weight = weight * np.minimum(weekday_index, 1.0)
    return Demand(demand.values / np.maximum(f, 1e-6), weight)
