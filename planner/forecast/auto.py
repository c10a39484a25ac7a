"""Automatic method selection per series by rolling-origin backtest on its own history.

For every series, each candidate method forecasts ``windows`` windows of ``horizon`` periods at the
end of the history (3, or a year of weekly windows: ``default_windows``), refitted on the data
before each origin; the scale-free score of
``planner.forecast.backtest`` (RMSSE, plus optional bias and MAE terms) ranks the methods, and
the series gets an inverse-score blend of its ``combine`` best (5 by default; ``combine=1`` picks
the best). An intermittent series' blend is shrunk toward the plain combination of ADIDA, IMAPA
and SES by how few sales its backtest windows held, and series too short or too sparse to rank
get that combination outright (``planner.forecast.selection``): a winner picked on a handful of
sales is luck. Weekly and monthly data get no weekday profile. Daily data, whose windows
rarely hold the season ahead, are also scored on the same days a year before the forecast
(``SEASON_LAG_DAYS``; not when ``windows`` is given), and on whole weeks' totals, whose blend
sets half the forecast's level (``LEVEL_BY_WEEKS``). Series with a year of history but not a
year before their backtest have the level methods' forecasts carried along their season
(``SEASON_CARRIERS``). A smooth daily series whose level moved 3 to 8 weeks ago, which the
backtest cannot see, is scaled toward its new level as far as the evidence goes
(``SHIFT_FREQS``, ``planner.forecast.shifts``). The backtest errors of the chosen forecast give
``sigma_`` and ``error_over`` (``planner.forecast.uncertainty``).

These choices (and ``EVIDENCE_PRIOR``) were made on bench/accuracy.py's *tuning* datasets only,
on origins before their last windows; its evaluation datasets only report
(docs/forecast-evaluation.md).

Series are processed in blocks of ``block_size`` (memory stays flat however many series there
are, and blocks stay in the CPU cache); pooled methods (the global GBM) are trained once on a
sample of all series and applied to every block.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Self, cast

import numpy as np
from numpy.typing import NDArray

from planner.forecast.backtest import (
    backtest,
    default_horizon,
    default_windows,
    origins,
    rms_scale,
    score,
    week_score,
)
from planner.forecast.base import FloatArray, Freq, NotFittedError
from planner.forecast.calendar import SEASON_LENGTHS, check_freq, periods_for_days
from planner.forecast.fitting import DEFAULT_START, DemandForecaster, PooledForecaster
from planner.forecast.history import (
    DEFAULT_CLEANING,
    Cleaning,
    Demand,
    clean_history,
    first_in_stock,
    in_stock_rate,
    intermittency,
    sells_as_a_year_before,
    shop_outages,
)
from planner.forecast.methods import METHODS
from planner.forecast.parallel import run_all, slot
from planner.forecast.seasonality import YEAR_BINS, year_factor, yearly_index
from planner.forecast.selection import blend_weights, can_backtest, shrink_to_anchor
from planner.forecast.shifts import LevelShift, level_shift
from planner.forecast.uncertainty import (
    backtest_error_stats,
    demand_sigma,
    error_over,
    shrink_ratio,
    spread_sigma,
    window_actuals,
)

Rows = NDArray[np.intp]
VELOCITY_DAYS = 30  # the recent in-stock rate reported as velocity
SPREAD_DAYS = 182  # recent in-stock days whose spread bounds an intermittent series' sigma
# Every method but ADIDA and IMAPA alone (they take part through the combination). Pass
# ``methods=`` to try any subset.
DEFAULT_METHODS = (
    "moving_average",
    "seasonal_trend",
    "ses",
    "damped_trend",
    "weekly_profile",
    "yearly_profile",
    "croston_sba",
    "tsb",
    "global_gbm",
    "seasonal_ses",
    "seasonal_damped",
    "theta",
    "combination",
)
INTERMITTENT_ADI = 1.32  # the Syntetos-Boylan cut-off on the average demand interval
# Only daily series have a week inside a period: weekly and monthly data get no weekday profile.
DAILY_ONLY = ("weekly_profile",)
ANCHOR = "combination"
# Selection trusts a series' backtest in proportion to its evidence: with s in-stock test periods
# that had demand, the backtest's blend gets s / (s + EVIDENCE_PRIOR) of the weight and the
# robust combination the rest (see ``shrink_to_anchor``).
EVIDENCE_PRIOR = 12.0
# Daily data's backtest windows (the last 84 days) rarely hold the season the forecast runs into,
# so a method that knows the season cannot show it there. Methods are also scored on one more
# window: the same days a year (52 weeks, same weekdays) before the first forecast day, from what
# was known then. Tuning split, planner's `auto`, RMSE: demo 5.220 -> 5.212 (3 windows) and
# 3.914 -> 3.911 (5), pedestrian 3,643 -> 3,624 and 2,854 -> 2,830; MASE lower on both at both
# (evaluation, reported only: chicago's RMSE 898 -> 901). One more window: about 13 % more time.
SEASON_LAG_DAYS = 364
# A series with a year of history but less than a year before its first backtest origin (a seller
# who started 13 to 18 months ago): its backtests ran without a time-of-year index (a season
# needs a year), so they cannot tell a method that knows the season from one that does not, and
# the blend mostly takes level methods. Their forecasts (every method but SEASON_CARRIERS) are
# carried along the series' own shrunk time-of-year index: its value ahead over its mean on the
# last SEASON_LEVEL_DAYS, the stretch a level reads, to the power SEASON_CARRY (half the swing:
# one year shows one draw of a season). Only where the stretch seen twice sold alike, within
# SEASON_REPEAT either way (``sells_as_a_year_before``): within one year a level that moved reads
# as a season.
# Made-up sellers with 400 days (docs/forecast-evaluation.md item 15): SKUs past their peak were
# forecast at 1.20-1.34 times what came, now 1.09-1.17; no season: no cost. Tuning split, MASE at
# 3 windows: pbs_tune 0.6242 -> 0.6157, pbs_tune_short 0.5737 -> 0.5649, retail 1.4402 -> 1.4332,
# ansett_tune 1.1043 -> 1.1094; at 5: ansett_tune 1.1009 -> 1.0417, pedestrian 0.4492 -> 0.4531
# (RMSE 2,830 -> 2,854; one sensor, two windows); every other figure the same. The whole swing
# (power 1) scored worse on ansett_tune and pedestrian; without the repeat check a level that fell
# within the year was carried as a season (tests/test_forecast_auto.py).
SEASON_CARRIERS = frozenset(
    {"seasonal_trend", "yearly_profile", "seasonal_ses", "seasonal_damped", "theta", "global_gbm"}
)
SEASON_LEVEL_DAYS = 28
SEASON_CARRY = 0.5
SEASON_REPEAT = 1.5
SEASON_CARRY_MAX = 3.0  # a peak-only SKU's level is near 0: its carry is capped
# Daily backtests score daily errors, which the weekday pattern dominates: they rank the methods
# that know the week (most of them slow to move) above the ones that follow a level, so a level
# that doubled 45 days ago left the next 28 days a fifth off. Each method is also scored on
# whole weeks' totals (``week_score``: the level alone), which gives a second blend; the forecast
# keeps the daily blend's shape and takes, over its first LEVEL_DAYS, the geometric mean of the
# two blends' levels (LEVEL_BY_WEEKS = 0.5: neither criterion alone). Made-up sellers
# (`bench/scenarios.py`, docs/forecast-evaluation.md item 18): a doubling 0.186 -> 0.147 of
# demand off, a halving 0.274 -> 0.199, a trend 0.075 -> 0.059, no scenario worse by more than
# 0.001. Tuning split (the daily sets; weekly and monthly data are untouched): within 1 % either
# way (pedestrian RMSE 3,604 -> 3,573 at 3 windows, 2,882 -> 2,902 at 5). The week-scored blend
# alone lost pedestrian's weekday pattern (2,882 -> 3,339); its whole level, 2,943. sigma_
# stays the daily blend's backtest error (held-out calibration refits the whole model).
LEVEL_BY_WEEKS = 0.5
LEVEL_DAYS = 28
LEVEL_RATIO_MAX = 3.0  # where the daily blend is near 0, the two levels' ratio is capped
# A smooth series whose level shifted 3 to 8 weeks ago (``planner.forecast.shifts``): the
# forecast keeps its shape and is scaled by how far its first LEVEL_DAYS fall short of the new
# level carried along the season (at most LEVEL_RATIO_MAX either way), to the power of the
# shift's weight. Made-up sellers: doubled 0.146 -> 0.079 of demand off, halved 0.205 ->
# 0.143; tuning split: demo RMSE 5.2172 -> 5.2181 (3 windows), 3.9178 -> 3.9180 (5), pedestrian
# the same. Daily data only: weekly data gained 0.7 % on ansett_tune but lost 4 % on
# ansett_eval; monthly data lost on PBS (docs/forecast-evaluation.md item 21).
SHIFT_FREQS: tuple[str, ...] = ("D",)


@dataclass(frozen=True, slots=True)
class _Part:
    """One fitted method applied to some series with some weight."""

    name: str
    rows: Rows
    weight: FloatArray
    model: DemandForecaster
    level_weight: FloatArray  # its weight in the week-scored blend (``LEVEL_BY_WEEKS``)


def _none() -> None:
    return None


@dataclass(frozen=True, slots=True)
class _Fitted:
    """One block's fitted parts, and its series too short to backtest with their own spread."""

    parts: list[_Part]
    spread: tuple[Rows, FloatArray] | None


@dataclass(frozen=True, slots=True)
class _Plan:
    names: list[str]
    horizon: int
    cuts: list[int]
    # name -> (trained before the first origin, on everything, before the season origin)
    pooled: dict[str, tuple[PooledForecaster | None, PooledForecaster, PooledForecaster | None]]
    season: int | None = None  # the origin a year before the end (``SEASON_LAG_DAYS``), if any

    @property
    def span(self) -> int:
        """Backtest forecasts run to the end of the history (scored on ``horizon`` steps)."""
        return self.cuts[-1] + self.horizon - self.cuts[0] if self.cuts else self.horizon


class AutoForecaster(DemandForecaster):
    """Picks (or blends) the best method per series by backtest; see the module docstring."""

    name = "auto"
    # Told the number of series of each block once it is fitted (from the thread that fitted
    # it): a progress bar. Not a setting: a clone (the held-out refit) reports nothing.
    progress: Callable[[int], None] | None = None

    def __init__(
        self,
        methods: Sequence[str] | None = None,
        windows: int | None = None,
        horizon: int | None = None,
        combine: int = 5,
        bias_penalty: float = 0.0,
        mae_weight: float = 0.0,
        power: float = 1.0,
        evidence_prior: float = EVIDENCE_PRIOR,
        min_sales: int = 6,
        block_size: int = 2000,
        threads: int | None = None,
        pooled_series: int = 3000,
        fallback: bool = True,
        cleaning: Cleaning = DEFAULT_CLEANING,
        random_state: int = 0,
    ) -> None:
        self.methods = methods
        self.fallback = fallback
        self.windows = windows
        self.horizon = horizon
        self.combine = combine
        self.bias_penalty = bias_penalty
        self.mae_weight = mae_weight
        self.power = power
        self.evidence_prior = evidence_prior
        self.min_sales = min_sales
        self.block_size = block_size
        self.threads = threads
        self.pooled_series = pooled_series
        self.cleaning = cleaning
        self.random_state = random_state

    # -- fitting ------------------------------------------------------------------------------

    def fit(
        self,
        y: NDArray[np.floating],
        in_stock: NDArray[np.floating] | None = None,
        *,
        start: date | None = None,
        freq: Freq = "D",
    ) -> Self:
        """Fit block by block from raw units (cleaned per block, so memory stays bounded)."""
        y_arr = np.asarray(y)
        if y_arr.ndim != 2:
            raise ValueError(f"y must be 2-D (series × periods), got shape {y_arr.shape}")
        mask = None if in_stock is None else np.asarray(in_stock)
        if mask is not None and mask.shape != y_arr.shape:
            raise ValueError("in_stock must have the same shape as y")

        self.freq_ = check_freq(freq)
        # Periods the whole panel sold (almost) nothing while in stock: censored for every series.
        outage = shop_outages(y_arr, mask, self.freq_, self.cleaning.min_in_stock)
        self.outages_ = np.flatnonzero(outage)

        def block(rows: Rows) -> Demand:
            units = np.asarray(y_arr[rows], dtype=np.float64)
            units = np.where(np.isfinite(units), units, 0.0)
            frac = np.ones_like(units) if mask is None else np.asarray(mask[rows], np.float64)
            frac = np.nan_to_num(frac, nan=0.0)
            frac[:, outage] = 0.0
            return clean_history(units, frac, self.cleaning)

        self.n_series_, self.n_periods_ = y_arr.shape
        self.start_ = start or DEFAULT_START
        self._fit_blocks(block)
        return self

    def _fit_spread(self, demand: Demand) -> None:
        self._fit_demand(demand)  # the chosen methods add their own spike rates

    def _fit_demand(self, demand: Demand) -> None:
        self._fit_blocks(demand.take)

    def _fit_blocks(self, block: Callable[[Rows], Demand]) -> None:
        n = self.n_series_
        plan = self._plan(block)
        self.methods_ = plan.names
        self.origins_ = plan.cuts  # where the backtest windows start
        self.horizon_ = plan.horizon  # the backtest windows' length
        self.season_origin_ = plan.season  # the scored window a year before (daily data)
        self.scores_ = np.full((n, len(plan.names)), np.nan)
        self.weights_ = np.zeros((n, len(plan.names)))
        self.sigma_ = np.zeros(n)
        self.growth_ = np.zeros(n)
        self.in_stock_periods_ = np.zeros(n)
        self.history_rate_ = np.zeros(n)
        self.velocity_ = np.zeros(n)
        self.parts_: list[_Part] = []
        self.season_unseen_ = np.zeros(n, dtype=bool)
        self.season_yearly_ = np.ones((n, YEAR_BINS[self.freq_]))
        self.season_level_ = np.ones(n)
        self.shift_ = LevelShift.none(n, self.freq_)  # level shifts followed (SHIFT_FREQS)
        self.backtested_ = np.zeros(n, dtype=bool)
        step = max(1, self.block_size)
        blocks = [np.arange(lo, min(n, lo + step)) for lo in range(0, n, step)]
        # Blocks are independent and write disjoint rows: fitted on threads.
        tasks = [partial(self._fit_rows, rows, block, plan) for rows in blocks]
        fitted = run_all(tasks, self.threads, cells=n * self.n_periods_)
        for done in fitted:  # in block order, so the forecast sums in the same order always
            self.parts_.extend(done.parts)
        self._default_growth([done.spread for done in fitted if done.spread is not None])
        self.method_ = np.asarray(plan.names, dtype=object)[np.argmax(self.weights_, axis=1)]

    def _plan(self, block: Callable[[Rows], Demand]) -> _Plan:
        names = list(self.methods or DEFAULT_METHODS)
        unknown = [m for m in names if m not in METHODS]
        if unknown:
            raise ValueError(f"unknown forecasting methods: {unknown}")
        if self.freq_ != "D":
            daily = [m for m in names if m in DAILY_ONLY]
            if self.methods is not None and daily:
                raise ValueError(
                    f"{', '.join(daily)} needs daily data (a week has no weekdays to profile)"
                )
            names = [m for m in names if m not in DAILY_ONLY]
        if self.fallback and ANCHOR not in names:
            names.append(ANCHOR)
        horizon = self.horizon or default_horizon(self.freq_)
        windows = self.windows or default_windows(self.freq_, horizon)
        cuts = origins(self.n_periods_, horizon, windows)
        season = self._season_origin(cuts, horizon) if len(names) > 1 else None
        pooled = self._fit_pooled(names, cuts, season, block)
        return _Plan(names, horizon, cuts, pooled, season)

    def _season_origin(self, cuts: list[int], horizon: int) -> int | None:
        """Daily data: the origin ``SEASON_LAG_DAYS`` before the end, where its window ends before
        the first backtest origin and leaves as much history before it as the backtest asks."""
        if self.freq_ != "D" or not cuts or self.windows is not None:
            return None
        origin = self.n_periods_ - SEASON_LAG_DAYS
        return origin if origin >= 2 * horizon and origin + horizon <= cuts[0] else None

    def _fit_pooled(
        self,
        names: list[str],
        cuts: list[int],
        season: int | None,
        block: Callable[[Rows], Demand],
    ) -> dict[str, tuple[PooledForecaster | None, PooledForecaster, PooledForecaster | None]]:
        """Train each pooled method on a sample of series: before the first origin and before
        the season's (for the backtest), and on all the history (for the forecast)."""
        pooled = [m for m in names if METHODS[m].pooled]
        if not pooled:
            return {}
        rng = np.random.default_rng(self.random_state)
        size = min(self.n_series_, self.pooled_series)
        sample = block(np.sort(rng.choice(self.n_series_, size=size, replace=False)))
        out: dict[
            str, tuple[PooledForecaster | None, PooledForecaster, PooledForecaster | None]
        ] = {}
        for m in pooled:
            # Trained before the first origin, before the season's and on everything: on threads.
            ends = [cuts[0] if cuts else None, season, sample.periods]
            early, before, final = run_all(
                [
                    partial(self._fit_pooled_one, m, sample.head(end)) if end is not None else _none
                    for end in ends
                ],
                self.threads,
                cells=sample.n * sample.periods,
            )
            out[m] = (
                cast(PooledForecaster, early) if early else None,
                cast(PooledForecaster, final),
                cast(PooledForecaster, before) if before else None,
            )
        return out

    def _fit_rows(self, rows: Rows, block: Callable[[Rows], Demand], plan: _Plan) -> _Fitted:
        with slot():
            fitted = self._fit_block(rows, block(rows), plan)
        if self.progress is not None:
            self.progress(len(rows))
        return fitted

    def _fit_block(self, rows: Rows, demand: Demand, plan: _Plan) -> _Fitted:
        seen = demand.weight.sum(axis=1)
        self.in_stock_periods_[rows] = seen
        self.history_rate_[rows] = (demand.weight * demand.values).sum(axis=1) / np.maximum(
            seen, 1e-9
        )
        self.velocity_[rows] = in_stock_rate(demand, periods_for_days(VELOCITY_DAYS, self.freq_))
        weights = np.zeros((len(rows), len(plan.names)))
        level = np.zeros_like(weights)  # the week-scored blend where there is one
        tested = (
            can_backtest(demand, plan.cuts[0], plan.horizon, self.min_sales) if plan.cuts else None
        )
        if tested is not None and tested.any():
            idx = np.flatnonzero(tested)
            self._select(rows[idx], demand.take(idx), plan, weights, idx, level)
        rest = np.arange(len(rows)) if tested is None else np.flatnonzero(~tested)
        spread = None
        if len(rest):
            spread = self._default(rows[rest], demand.take(rest), plan, weights, rest)
            level[rest] = weights[rest]
        self.weights_[rows] = weights
        self._note_unseen_season(rows, demand, plan)
        if self.freq_ in SHIFT_FREQS and len(plan.names) > 1:  # one method named: as it is
            self.shift_.put(rows, level_shift(demand, self.start_, self.freq_))
        return _Fitted(self._fit_final(rows, demand, plan, weights, level), spread)

    def _select(
        self,
        rows: Rows,
        demand: Demand,
        plan: _Plan,
        weights: FloatArray,
        local: Rows,
        level: FloatArray,
    ) -> None:
        """Backtest every method on these series, then weigh them (``weights``; ``level``: the
        week-scored blend, see ``LEVEL_BY_WEEKS``) and keep error statistics."""
        values, obs, inside = window_actuals(demand, plan.cuts, plan.span)
        h = plan.horizon
        scale = rms_scale(demand, plan.cuts[0])
        scores = np.empty((len(rows), len(plan.names)))
        by_weeks = self._by_weeks(h)
        weekly = np.full_like(scores, np.nan)
        forecasts = []
        came, seen = values[:, :, :h], obs[:, :, :h]
        if plan.season is not None:  # the same days a year before: one more scored window
            last_year, in_stock, _ = window_actuals(demand, [plan.season], h)
            came, seen = np.concatenate([came, last_year]), np.concatenate([seen, in_stock])
        for j, name in enumerate(plan.names):
            forecast = self._backtest_one(name, demand, plan)
            scored = forecast[:, :, :h]
            if plan.season is not None:
                scored = np.concatenate(
                    [scored, self._backtest_one(name, demand, plan, season=True)]
                )
            scores[:, j], _ = score(
                scored, came, seen, scale, bias=self.bias_penalty, absolute=self.mae_weight
            )
            if by_weeks:
                weekly[:, j] = week_score(scored, came, seen, scale)
            forecasts.append(forecast)
        chosen = blend_weights(scores, self.combine, self.power)
        # Too few weeks in stock to read a level from (NaN): the daily blend's level stands.
        read = np.asarray(np.isfinite(weekly).all(axis=1), dtype=bool)
        by_level = blend_weights(np.where(read[:, None], weekly, 0.0), self.combine, self.power)
        by_level = np.where(read[:, None], by_level, chosen)
        if self.fallback:
            # Smooth series (demand in most periods) have a backtest worth trusting; intermittent
            # ones are ranked on a few sales, so they lean on the combination.
            sales = ((values[:, :, :h] > 0) & (obs[:, :, :h] > 0)).sum(axis=(0, 2))
            smooth = intermittency(demand.head(plan.cuts[0])) <= INTERMITTENT_ADI
            evidence = np.where(smooth, np.inf, sales)
            anchor = plan.names.index(ANCHOR)
            chosen = shrink_to_anchor(chosen, anchor, evidence, self.evidence_prior)
            by_level = shrink_to_anchor(by_level, anchor, evidence, self.evidence_prior)
        level[local] = by_level
        combined = np.einsum("nm,mont->ont", chosen, np.stack(forecasts))
        sigma, ratio, ok = backtest_error_stats(combined - values, obs, inside, h)
        ratio = shrink_ratio(ratio, ok, len(plan.cuts))
        # No in-stock period in any window: no error seen, so the demand's own spread stands in.
        sigma = np.where(ok, sigma, spread_sigma(demand, periods_for_days(91, self.freq_)))
        self.scores_[rows] = scores
        self.backtested_[rows] = True
        weights[local] = chosen
        # Growth is the backtest's correlated error; the thin-sample spread floor is not.
        self.growth_[rows] = ratio * sigma**2
        self.sigma_[rows] = demand_sigma(sigma, demand, periods_for_days(SPREAD_DAYS, self.freq_))

    def _by_weeks(self, horizon: int) -> bool:
        """Whether the blend's level is also read off whole weeks (``LEVEL_BY_WEEKS``): daily
        data, more than one method, backtest windows of two weeks or more."""
        return self.freq_ == "D" and horizon >= 14 and len(self.methods_) > 1

    def _fit_one(self, name: str, demand: Demand) -> DemandForecaster:
        return METHODS[name]().fit_demand(demand, start=self.start_, freq=self.freq_)

    def _fit_pooled_one(self, name: str, demand: Demand) -> DemandForecaster:
        with slot():
            return self._fit_one(name, demand)

    def _backtest_one(
        self, name: str, demand: Demand, plan: _Plan, *, season: bool = False
    ) -> FloatArray:
        """``name``'s backtest forecasts from the plan's origins over its span, or (``season``)
        of the window a year before, from what was known at each origin."""
        cuts, span = plan.cuts, plan.span
        if season:
            assert plan.season is not None  # asked for only where the plan has one
            cuts, span = [plan.season], plan.horizon
        if name in plan.pooled:
            trained = plan.pooled[name][2 if season else 0]
            assert trained is not None  # trained before every origin the plan has
            out: FloatArray = trained.forecast_from(demand, cuts, span)
            return np.clip(np.nan_to_num(out, nan=0.0), 0.0, None)
        model = METHODS[name]()
        return backtest(model, demand, cuts, span, start=self.start_, freq=self.freq_)

    def _default(
        self, rows: Rows, demand: Demand, plan: _Plan, weights: FloatArray, local: Rows
    ) -> tuple[Rows, FloatArray]:
        """Too short or too sparse to backtest: the robust combination (``ANCHOR``). Returns the
        rows and their demand's own spread, whose error growth ``_default_growth`` sets."""
        chosen = np.full(demand.n, ANCHOR if self.fallback else plan.names[0])
        for j, name in enumerate(plan.names):
            weights[local, j] = chosen == name
        sigma = spread_sigma(demand, periods_for_days(91, self.freq_))
        self.sigma_[rows] = demand_sigma(sigma, demand, periods_for_days(SPREAD_DAYS, self.freq_))
        return rows, sigma

    def _default_growth(self, spreads: list[tuple[Rows, FloatArray]]) -> None:
        """Series that were not backtested take the median share of shared error (growth over
        sigma squared) of the backtested ones, of every block, on their own spread."""
        known = self.backtested_ & (self.sigma_ > 0)
        share = self.growth_[known] / np.maximum(self.sigma_[known] ** 2, 1e-12)
        ratio = float(np.median(share)) if len(share) else 0.0
        for rows, sigma in spreads:
            self.growth_[rows] = ratio * sigma**2

    def _fit_final(
        self, rows: Rows, demand: Demand, plan: _Plan, weights: FloatArray, level: FloatArray
    ) -> list[_Part]:
        """Fit each method that carries weight (in either blend) on the series it carries
        weight for."""
        parts = []
        for j, name in enumerate(plan.names):
            local = np.flatnonzero((weights[:, j] > 0) | (level[:, j] > 0))
            if not len(local):
                continue
            part = demand.take(local)
            if name in plan.pooled:
                model = plan.pooled[name][1].bind(part)
            else:
                model = self._fit_one(name, part)
            parts.append(_Part(name, rows[local], weights[local, j], model, level[local, j]))
        return parts

    # -- forecasting --------------------------------------------------------------------------

    def _predict(self, horizon: int) -> FloatArray:
        span = periods_for_days(LEVEL_DAYS, self.freq_)
        weeks = self._by_weeks(self.horizon_)
        # Both levels are read over whole weeks, however short the horizon asked for.
        shifted = np.flatnonzero(self.shift_.found)
        ahead = max(horizon, span) if weeks or len(shifted) else horizon
        out = np.zeros((self.n_series_, ahead))
        weekly = np.zeros(self.n_series_)  # the week-scored blend's total over ``span``
        carry = self._season_ahead(ahead)
        for part in self.parts_:
            f = part.model.predict(ahead)
            if carry is not None and part.name not in SEASON_CARRIERS:
                f = f * carry[part.rows]
            out[part.rows] += part.weight[:, None] * f
            if weeks:
                weekly[part.rows] += part.level_weight * f[:, :span].sum(axis=1)
        if weeks:  # the daily blend's shape at the geometric mean of the two blends' levels
            daily = out[:, :span].sum(axis=1)
            ratio = np.where(daily > 1e-9, weekly / np.maximum(daily, 1e-9), 1.0)
            ratio = np.clip(ratio, 1 / LEVEL_RATIO_MAX, LEVEL_RATIO_MAX)
            out *= (ratio**LEVEL_BY_WEEKS)[:, None]
        if len(shifted):
            self._follow_shifts(out, span, shifted)
        return out[:, :horizon]

    def _follow_shifts(self, out: FloatArray, span: int, rows: Rows) -> None:
        """Scale each shifted series' whole forecast (in place) by how far its first ``span``
        periods (whole weeks) fall short of the new level over them, to the power of the
        shift's weight (``SHIFT_FREQS``)."""
        shift = self.shift_
        t = np.arange(self.n_periods_, self.n_periods_ + span)
        factor = year_factor(shift.yearly[rows], self.start_, self.freq_, t)
        target = shift.rate[rows] * factor.sum(axis=1)
        current = out[rows, :span].sum(axis=1)
        ratio = np.where(current > 1e-9, target / np.maximum(current, 1e-9), 1.0)
        ratio = np.clip(ratio, 1 / LEVEL_RATIO_MAX, LEVEL_RATIO_MAX)
        out[rows] *= (ratio ** shift.weight[rows])[:, None]

    def _season_ahead(self, horizon: int) -> FloatArray | None:
        """Per series and period ahead, the time-of-year index over its recent mean where the
        backtest could not see the season (``SEASON_CARRIERS``), else 1; None where no series
        needs it."""
        if not self.season_unseen_.any():
            return None
        rows = np.flatnonzero(self.season_unseen_)
        t = np.arange(self.n_periods_, self.n_periods_ + horizon)
        ahead = year_factor(self.season_yearly_[rows], self.start_, self.freq_, t)
        out = np.ones((self.n_series_, horizon))
        carry = (ahead / self.season_level_[rows, None]) ** SEASON_CARRY
        out[rows] = np.clip(carry, 1 / SEASON_CARRY_MAX, SEASON_CARRY_MAX)
        return out

    def _note_unseen_season(self, rows: Rows, demand: Demand, plan: _Plan) -> None:
        """Mark the series whose backtest ran without their season (see ``SEASON_CARRIERS``) and
        keep their time-of-year index and its mean over their last in-stock stretch."""
        period = SEASON_LENGTHS[self.freq_][-1]
        if not plan.cuts or demand.periods < period or len(plan.names) == 1:
            return  # one method named: its forecast as it is
        first = first_in_stock(demand)
        span = periods_for_days(SEASON_LEVEL_DAYS, self.freq_)
        unseen = (plan.cuts[0] - first < period) & (demand.periods - first >= period)
        unseen &= sells_as_a_year_before(demand, first, period, span, SEASON_REPEAT)
        if not unseen.any():
            return
        local = np.flatnonzero(unseen)
        yearly = yearly_index(demand.take(local), self.start_, self.freq_)
        t = np.arange(demand.periods - span, demand.periods)
        recent = year_factor(yearly, self.start_, self.freq_, t)
        w = demand.weight[local, -span:]
        level = np.where(
            w.sum(axis=1) > 0,
            (w * recent).sum(axis=1) / np.maximum(w.sum(axis=1), 1e-9),
            recent.mean(axis=1),
        )
        self.season_unseen_[rows[local]] = True
        self.season_yearly_[rows[local]] = yearly
        self.season_level_[rows[local]] = np.maximum(level, 1e-6)

    def error_over(self, periods: NDArray[np.integer] | int) -> FloatArray:
        """Std of the summed demand forecast error over ``periods`` periods, per series."""
        if not hasattr(self, "sigma_"):
            raise NotFittedError("AutoForecaster must be fitted before error_over()")
        p = np.broadcast_to(np.asarray(periods), (self.n_series_,))
        return error_over(self.sigma_, self.growth_, p)
