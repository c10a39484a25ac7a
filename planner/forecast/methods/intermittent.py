"""Intermittent demand: Croston (SBA), TSB, and temporal aggregation (ADIDA, IMAPA).

Intervals between demands count in-stock time only, so a stockout does not look like a lull.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from planner.forecast.base import FloatArray
from planner.forecast.fitting import RateForecaster
from planner.forecast.history import (
    DEFAULT_CLEANING,
    Cleaning,
    Demand,
    in_stock_rate,
    intermittency,
)
from planner.forecast.kernels import (
    SES_ALPHAS,
    TSB_GRID,
    CrostonState,
    croston,
    ses,
    tsb,
)

AGGREGATE_ALPHAS = (0.05, 0.15, 0.3)  # a lighter grid: aggregated series are short
# TSB's rate never falls below this share of the series' in-stock rate over the last
# ``TSB_FLOOR_DAYS``: after a lull it decays towards zero, but a slow seller that sold 1 unit a
# month over half a year is rarely dead after 3 quiet weeks (on the demo, TSB series forecast
# under a unit over the planning period sold ~6× that). Half a year is long enough to hold
# several sales and short enough to let a truly dying item fade out.
TSB_FLOOR_SHARE = 0.75
TSB_FLOOR_DAYS = 182
# ...unless the quiet spell is itself the evidence: a run of in-stock periods without demand that
# the series' own demand probability makes less likely than this is fading or obsolescent
# demand, and the floor is lifted so the forecast decays as TSB intends.
FADING_CHANCE = 0.05
# Temporal aggregation reads at least this many levels whatever the frequency: a monthly part
# that sells every 8 months is aggregated to 8-month buckets, not capped at 91 days' worth (3).
MIN_LEVELS = 12


class CrostonSBA(RateForecaster):
    """Croston's method with the Syntetos-Boylan bias correction: (1 - α/2) × size / interval."""

    name = "croston_sba"

    def __init__(self, alpha: float = 0.1, cleaning: Cleaning = DEFAULT_CLEANING) -> None:
        self.alpha = alpha
        self.cleaning = cleaning

    def _rates(self, demand: Demand, cuts: Sequence[int] | None) -> list[FloatArray]:
        return [self._rate(s) for s in croston(demand, self.alpha, cuts=cuts)]

    def _rate(self, state: CrostonState) -> FloatArray:
        rate = (1 - self.alpha / 2) * state.size / state.interval
        out: FloatArray = np.where(state.seen, rate, 0.0)
        return out


class TSB(RateForecaster):
    """Teunter-Syntetos-Babai: demand probability (updated every in-stock period) × size.

    Unlike Croston, the forecast decays while no demand comes, so dying items fade out, though
    never below ``floor_share`` of the in-stock rate over the last ``floor_days`` (0: no floor).
    (alpha for size, beta for probability) is chosen per series from ``grid``.
    """

    name = "tsb"

    def __init__(
        self,
        grid: tuple[tuple[float, float], ...] = TSB_GRID,
        floor_share: float = TSB_FLOOR_SHARE,
        floor_days: int = TSB_FLOOR_DAYS,
        cleaning: Cleaning = DEFAULT_CLEANING,
    ) -> None:
        self.grid = grid
        self.floor_share = floor_share
        self.floor_days = floor_days
        self.cleaning = cleaning

    def _rates(self, demand: Demand, cuts: Sequence[int] | None) -> list[FloatArray]:
        rates = tsb(demand, self.grid, init=self._periods(28), cuts=cuts)
        if self.floor_share <= 0:
            return rates
        periods = self._periods(self.floor_days)
        # The floor at each cut from the history before it, as a fit on that history would see.
        points = [demand.periods] if cuts is None else list(cuts)
        floors = [
            np.where(fading(demand.head(c)), 0.0, in_stock_rate(demand.head(c), periods))
            if c > 0
            else 0.0
            for c in points
        ]
        return [np.maximum(r, self.floor_share * f) for r, f in zip(rates, floors, strict=True)]


def fading(demand: Demand, chance: float = FADING_CHANCE) -> np.ndarray:
    """Series whose current run of in-stock periods without demand is improbable by their own
    history: (1 - p) ** run < ``chance``, p the share of earlier in-stock periods with demand."""
    hit = (demand.values > 0) & (demand.weight > 0)
    seen = demand.weight > 0
    # The quiet run: in-stock periods since the last period with demand.
    last = np.where(hit.any(axis=1), demand.periods - 1 - np.argmax(hit[:, ::-1], axis=1), -1)
    after = np.arange(demand.periods)[None, :] > last[:, None]
    run = (seen & after).sum(axis=1)
    before = seen & ~after
    p = hit.sum(axis=1) / np.maximum(before.sum(axis=1), 1)
    with np.errstate(divide="ignore"):
        chance_of_run = np.where(p < 1, np.exp(run * np.log1p(-np.minimum(p, 1 - 1e-12))), 0.0)
    out: np.ndarray = hit.any(axis=1) & (run > 0) & (chance_of_run < chance)
    return out


def _levels(demand: Demand, max_level: int) -> np.ndarray:
    """Each series' aggregation level: its average demand interval, rounded, in [1, max_level]."""
    adi = intermittency(demand)
    adi = np.where(np.isfinite(adi), adi, 1.0)
    return np.clip(np.rint(adi), 1, max_level).astype(np.int64)


class _Totals:
    """Cumulative demand and weight of a batch: any bucketing of any rows without copies."""

    def __init__(self, demand: Demand) -> None:
        n, d = demand.values.shape
        self.periods = d
        self.values = np.zeros((n, d + 1))
        self.weight = np.zeros((n, d + 1))
        np.cumsum(demand.values, axis=1, out=self.values[:, 1:])
        np.cumsum(demand.weight, axis=1, out=self.weight[:, 1:])

    def buckets(self, rows: np.ndarray, k: int) -> tuple[Demand, int]:
        """Rows' k-period totals aligned to the end (and where the first bucket starts)."""
        m = self.periods // k
        lo = self.periods - m * k
        edges = lo + k * np.arange(m + 1)
        v = np.diff(self.values[np.ix_(rows, edges)], axis=1)
        w = np.diff(self.weight[np.ix_(rows, edges)], axis=1) / k
        return Demand(v, w), lo


def _aggregated_rates(
    totals: _Totals,
    rows: np.ndarray,
    k: int,
    alphas: tuple[float, ...],
    cuts: Sequence[int] | None = None,
) -> list[FloatArray]:
    """SES over k-period totals, per period (the demand rate seen at aggregation level k).

    Buckets align to the end of the history; at a cut that falls inside a bucket, the state
    before that bucket is used (data before the cut only).
    """
    points = [totals.periods] if cuts is None else list(cuts)
    if totals.periods < k:
        return [np.zeros(len(rows)) for _ in points]
    buckets, lo = totals.buckets(rows, k)
    bucket_cuts = [max(0, (c - lo) // k) for c in points]
    return [level / k for level in ses(buckets, alphas, init=2, cuts=bucket_cuts)]


class ADIDA(RateForecaster):
    """Aggregate-disaggregate: SES on buckets as long as the series' average demand interval
    (at most ``max_days`` worth of periods, and at least ``MIN_LEVELS`` periods)."""

    name = "adida"
    min_levels = MIN_LEVELS

    def __init__(
        self,
        max_days: int = 91,
        alphas: tuple[float, ...] = AGGREGATE_ALPHAS,
        cleaning: Cleaning = DEFAULT_CLEANING,
    ) -> None:
        self.max_days = max_days
        self.alphas = alphas
        self.cleaning = cleaning

    def _rates(self, demand: Demand, cuts: Sequence[int] | None) -> list[FloatArray]:
        """Rates at each cut; each series' aggregation level is read from the history before
        the first cut (one pass per level)."""
        levels = self._series_levels(demand, cuts)
        totals = _Totals(demand)
        out = [np.zeros(demand.n) for _ in cuts or [0]]
        for k in np.unique(levels).tolist():
            rows = np.flatnonzero(levels == k)
            rates = _aggregated_rates(totals, rows, k, self.alphas, cuts)
            for o, r in zip(out, rates, strict=True):
                o[rows] = r
        return out

    def _series_levels(self, demand: Demand, cuts: Sequence[int] | None) -> np.ndarray:
        basis = demand if cuts is None else demand.head(min(cuts))
        return _levels(basis, max(self._periods(self.max_days), self.min_levels))


class IMAPA(ADIDA):
    """Multiple aggregation: the mean of the aggregated SES rates at levels 1…ADI.

    Levels stop at ``max_days`` worth of periods (28 by default: beyond a month the extra levels
    add cost, not information).
    """

    name = "imapa"

    def __init__(
        self,
        max_days: int = 28,
        alphas: tuple[float, ...] = AGGREGATE_ALPHAS,
        cleaning: Cleaning = DEFAULT_CLEANING,
    ) -> None:
        super().__init__(max_days, alphas, cleaning)

    def _rates(self, demand: Demand, cuts: Sequence[int] | None) -> list[FloatArray]:
        levels = self._series_levels(demand, cuts)
        totals = _Totals(demand)
        out = [np.zeros(demand.n) for _ in cuts or [0]]
        for k in range(1, int(levels.max(initial=1)) + 1):
            rows = np.flatnonzero(levels >= k)
            rates = _aggregated_rates(totals, rows, k, self.alphas, cuts)
            for o, r in zip(out, rates, strict=True):
                o[rows] += r
        return [o / levels for o in out]


class Combination(RateForecaster):
    """The plain mean of ADIDA, IMAPA and SES (smoothing constants chosen per series by in-sample
    error): robust where a backtest cannot see, on short and intermittent histories.

    Combining the temporal-aggregation methods with SES is the combination Petropoulos and
    Kourentzes found more accurate than any single intermittent-demand method ("Forecast
    combinations for intermittent demand", JORS 66, 2015); statsforecast's ADIDA, IMAPA and
    SESOpt, averaged, are the peer it is measured against (bench/accuracy.py).
    """

    name = "combination"

    def __init__(
        self, alphas: tuple[float, ...] = SES_ALPHAS, cleaning: Cleaning = DEFAULT_CLEANING
    ) -> None:
        self.alphas = alphas
        self.cleaning = cleaning

    def _rates(self, demand: Demand, cuts: Sequence[int] | None) -> list[FloatArray]:
        # ADIDA's rate at level k is IMAPA's level-k term: one pass over the levels serves both.
        adida, imapa = ADIDA()._begin(demand, self.start_, self.freq_), IMAPA()
        imapa._begin(demand, self.start_, self.freq_)
        level = adida._series_levels(demand, cuts)
        top = np.minimum(level, imapa._series_levels(demand, cuts))
        totals = _Totals(demand)
        at_level = [np.zeros(demand.n) for _ in cuts or [0]]
        summed = [np.zeros(demand.n) for _ in cuts or [0]]
        for k in range(1, int(level.max(initial=1)) + 1):
            rows = np.flatnonzero((top >= k) | (level == k))
            if not len(rows):
                continue
            rates = _aggregated_rates(totals, rows, k, AGGREGATE_ALPHAS, cuts)
            mine, in_imapa = level[rows] == k, top[rows] >= k
            for a, m, r in zip(at_level, summed, rates, strict=True):
                a[rows[mine]] = r[mine]
                m[rows[in_imapa]] += r[in_imapa]
        init = max(self._periods(28), 2)
        plain = ses(demand, self.alphas, init=init, cuts=cuts)
        return [(a + m / top + p) / 3 for a, m, p in zip(at_level, summed, plain, strict=True)]
