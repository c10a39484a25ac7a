"""Stockout-aware demand: from units sold and in-stock fractions to a demand estimate with weights.

A day the item was out of stock all day says nothing about demand: it is *censored*, not a zero.
Every method fits on ``Demand``: ``values`` (the demand estimate of each period) and ``weight``
(how much of that period was observed, 0 to 1). Methods that weigh periods (moving averages,
smoothing, profiles) ignore weight-0 periods; methods that need a complete series (seasonal lags,
temporal aggregation, lag features) read the imputed values there.

- censored (in stock < ``min_in_stock``): weight 0, value imputed from the trailing in-stock level;
- partial stockout (0 < f < 1): the units were sold in a fraction f of the period, so demand is
  estimated as units / f, scaled up by at most ``max_scale``, with weight f;
- returns (negative units) are not negative demand: clipped to 0 (``returns="keep"`` keeps them);
- a shop-wide outage (``shop_outages``): a period in which every series together sold under
  ``OUTAGE_SHARE`` of what the same series sold in the same periods before (a week, a month
  back: same weekdays for daily data), while they are marked in stock, is censored for every
  series: a suspended account, a site down, or FBM listings a vacation setting made inactive
  (docs/amazon-behaviours.md), which stock records do not show, is no evidence that nobody
  wanted to buy;
- one-off spikes (wholesale orders) above ``spike_k`` × a robust local scale are taken out of the
  periods (weight 0, imputed) unless ``spike_k`` is None, so one order never inflates a level;
  with ``spikes="spread"`` (the default) their excess over the local level is kept aside and
  spread evenly over the history: ``Demand.spike_rate()``, which every method adds to its
  forecast (wholesale orders do recur, just not on a predictable day); ``"exclude"`` drops it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import numpy as np
from numpy.typing import NDArray

from planner.forecast.base import FloatArray

BoolArray = NDArray[np.bool_]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Cleaning:
    """How raw sales become a demand estimate (see the module docstring)."""

    min_in_stock: float = 0.05
    max_scale: float = 4.0
    spike_k: float | None = 10.0
    spikes: Literal["spread", "exclude"] = "spread"
    returns: Literal["clip", "keep"] = "clip"
    window: int = 28  # periods in the local level used for imputing and spike detection


DEFAULT_CLEANING = Cleaning()

# A shop-wide outage: the panel's in-stock sales under OUTAGE_SHARE of the median of what the same
# series sold OUTAGE_LAGS periods before (same weekdays for days), where that median is at least
# OUTAGE_MIN_UNITS (a day with no sale where 20 were expected has a Poisson chance of 2 in a
# billion; a small shop's quiet day, a chance zero, is never taken for one). 5 %, not more:
# an outage sells (next to) nothing, and at 20 % Chicago's train entries on public holidays
# (real demand, the stations open) were taken for outages. No period of any dataset of
# bench/accuracy.py is one at 5 %, so no benchmark figure moved (docs/forecast-evaluation.md).
OUTAGE_SHARE = 0.05
OUTAGE_MIN_UNITS = 20.0
OUTAGE_LAGS = {"D": (7, 14, 21, 28), "W": (1, 2, 3, 4), "M": (1, 2, 3)}
# ... and only if it ends within as many periods as the comparison reaches back, sales back to
# this share of the usual before it: an outage ends; a season's end, or a closed season, does not.
OUTAGE_RECOVERED = 0.5
OUTAGE_BLOCK = 8192  # rows summed at a time (memory stays flat on 100,000 series)
# A quiet run before a series' first sale is a launch (not demand) when it would be this
# unlikely at the share of periods the series sold on after that sale (``first_selling_day``).
LAUNCH_QUIET_P = 0.05
LAUNCH_BLOCK = 2048  # rows read at a time (about 8 arrays of rows × days in float64)


def shop_outages(
    units: NDArray[np.floating],
    in_stock: NDArray[np.floating] | None,
    freq: str,
    min_in_stock: float = 0.05,
    rows: NDArray[np.intp] | None = None,
) -> BoolArray:
    """Periods (shape (periods,)) in which the whole panel sold under ``OUTAGE_SHARE`` of its
    usual, marked in stock: an outage stock records miss (see the module docstring).

    "Usual" is the median over ``OUTAGE_LAGS`` of what the series in stock both then and now sold
    then, so a part of the catalogue out of stock, or launched since, changes nothing. Periods
    already taken for an outage are left out of it. And an outage ends: a run of such periods
    counts only when it is shorter than the comparison reaches back (four weeks, three months)
    and sales come back to ``OUTAGE_RECOVERED`` of the usual before it within as long. A
    collapse that lasts (a season's end, a range dropped, a shop closed for a season: a long
    outage looks the same) is demand, and so is one still going on at the end of the history:
    the forecast follows it until sales come back, and reads it as an outage from then on
    (``sales_stopped`` tells of one going on). ``rows``: only these series make the panel
    (default: all).
    """
    out, usual, now = _collapses(units, in_stock, freq, min_in_stock, rows)
    reach = max(OUTAGE_LAGS.get(freq, (1,)))
    flagged = np.flatnonzero(out)
    for first, last in _runs(flagged) if len(flagged) else []:
        after = now[last + 1 : last + 1 + reach]
        ended = (after >= OUTAGE_RECOVERED * usual[first]).any()
        if last - first + 1 >= reach or not ended:
            out[first : last + 1] = False
    return out


def sales_stopped(
    units: NDArray[np.floating],
    in_stock: NDArray[np.floating] | None,
    freq: str,
    min_in_stock: float = 0.05,
    rows: NDArray[np.intp] | None = None,
) -> tuple[int, float]:
    """How many periods, up to the last, the panel has sold under ``OUTAGE_SHARE`` of its
    usual while in stock (0: it sells as usual), and that usual per period: an outage going on,
    or a collapse, that ``shop_outages`` cannot yet tell apart."""
    out, usual, _ = _collapses(units, in_stock, freq, min_in_stock, rows)
    run = len(out) - int(np.flatnonzero(~out)[-1]) - 1 if (~out).any() else len(out)
    return run, float(usual[len(out) - run]) if run else 0.0


def _collapses(
    units: NDArray[np.floating],
    in_stock: NDArray[np.floating] | None,
    freq: str,
    min_in_stock: float,
    rows: NDArray[np.intp] | None,
) -> tuple[BoolArray, FloatArray, FloatArray]:
    """Periods the panel sold under ``OUTAGE_SHARE`` of its usual while in stock (whether or
    not sales came back), the usual and the panel's in-stock sales per period."""
    picked = np.arange(units.shape[0]) if rows is None else np.asarray(rows, dtype=np.intp)
    n, d = len(picked), units.shape[1]
    lags = OUTAGE_LAGS.get(freq, ())
    out = np.zeros(d, dtype=bool)
    usual, now = np.zeros(d), np.zeros(d)
    if not lags or d <= max(lags) or n == 0:
        return out, usual, now
    then = np.zeros((len(lags), d))
    for lo in range(0, n, OUTAGE_BLOCK):
        block = picked[lo : lo + OUTAGE_BLOCK]
        u = np.asarray(units[block], np.float64)
        u = np.where(u > 0, u, 0.0)  # returns and missing values (NaN) sold nothing
        if in_stock is None:
            now += u.sum(axis=0)
            for j, k in enumerate(lags):
                then[j, k:] += u[:, :-k].sum(axis=0)
            continue
        seen = (np.asarray(in_stock[block]) >= min_in_stock).astype(np.float64)
        u *= seen  # sales of periods in stock
        now += u.sum(axis=0)
        for j, k in enumerate(lags):  # sold then, by the series in stock now as well
            then[j, k:] += np.einsum("ij,ij->j", u[:, :-k], seen[:, k:])
    # In time order: a period already taken for a collapse is no reference for a later one; once
    # every reference is (a collapse as long as the comparison reaches back), the usual before
    # it stands.
    for t in range(max(lags), d):
        refs = [then[j, t] for j, k in enumerate(lags) if not out[t - k]]
        usual[t] = float(np.median(refs)) if refs else usual[t - 1]
        out[t] = usual[t] >= OUTAGE_MIN_UNITS and now[t] < OUTAGE_SHARE * usual[t]
    return out, usual, now


def _runs(index: NDArray[np.intp]) -> list[tuple[int, int]]:
    """(first, last) of each run of consecutive integers in a sorted, non-empty index."""
    breaks = np.flatnonzero(np.diff(index) > 1)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [len(index) - 1]])
    return [(int(index[a]), int(index[b])) for a, b in zip(starts, ends, strict=True)]


@dataclass(frozen=True, slots=True)
class Demand:
    """Demand estimate and observation weight per series and period, shape (n, periods)."""

    values: FloatArray
    weight: FloatArray
    # Spikes taken out: (row, period, excess units) of each, sparse.
    spikes: tuple[NDArray[np.intp], NDArray[np.intp], FloatArray] = field(
        default_factory=lambda: (np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0))
    )
    # Derived arrays (seasonal indices, backtest heads) computed once per Demand and shared by
    # every method fitted on it.
    cache: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def cached(self, key: Any, compute: Callable[[], T]) -> T:
        """``compute()``, memoised on this demand under ``key``."""
        if key not in self.cache:
            self.cache[key] = compute()
        out: T = self.cache[key]
        return out

    @property
    def n(self) -> int:
        return int(self.values.shape[0])

    @property
    def periods(self) -> int:
        return int(self.values.shape[1])

    def head(self, periods: int) -> Demand:
        """The first ``periods`` periods (a backtest's training part); the same object each time."""
        if periods >= self.periods:
            return self
        row, col, excess = self.spikes
        keep = col < periods
        return self.cached(
            ("head", periods),
            lambda: Demand(
                self.values[:, :periods],
                self.weight[:, :periods],
                (row[keep], col[keep], excess[keep]),
            ),
        )

    def take(self, rows: NDArray[np.intp]) -> Demand:
        """A subset of series."""
        rows = np.asarray(rows, dtype=np.intp)
        row, col, excess = self.spikes
        new = np.full(self.n, -1, dtype=np.intp)
        new[rows] = np.arange(len(rows))
        keep = new[row] >= 0
        spikes = (new[row[keep]], col[keep], excess[keep])
        return Demand(self.values[rows], self.weight[rows], spikes)

    def spike_rate(self) -> FloatArray:
        """Spike units per period, spread over the observed history (0 without spikes)."""
        row, _, excess = self.spikes
        total = np.bincount(row, weights=excess, minlength=self.n)
        count = np.bincount(row, minlength=self.n) + self.weight.sum(axis=1)
        out: FloatArray = total / np.maximum(count, 1.0)
        return out


def year_on_year(
    demand: Demand, lag: int, window: int, rate: FloatArray | None = None
) -> FloatArray:
    """The last ``window`` periods' demand over the same periods ``lag`` earlier, on periods in
    stock both times, shrunk towards 1 (by 2 units and 5 % of both sums). With ``rate``, each
    period of the window not seen both times counts as one of no change at that rate."""
    w, v = demand.weight, demand.values
    seen = max(min(window, demand.periods - lag), 0)
    now = slice(demand.periods - seen, demand.periods)
    before = slice(demand.periods - seen - lag, demand.periods - lag)
    both = w[:, now] * w[:, before]
    a = (both * v[:, now]).sum(axis=1)
    b = (both * v[:, before]).sum(axis=1)
    prior = 2.0 + 0.05 * (a + b)
    if rate is not None:
        prior = prior + rate * np.maximum(window - both.sum(axis=1), 0.0)
    out: FloatArray = (a + prior) / (b + prior)
    return out


def first_in_stock(demand: Demand) -> NDArray[np.intp]:
    """Each series' first period with any weight (``demand.periods`` where it has none)."""
    seen = demand.weight > 0
    out: NDArray[np.intp] = np.where(seen.any(axis=1), seen.argmax(axis=1), demand.periods)
    return out


def sells_as_a_year_before(
    demand: Demand, first: NDArray[np.intp], period: int, span: int, within: float
) -> BoolArray:
    """Whether each series' last ``span`` periods sold like the same periods a year
    (``period``) before, within ``within`` times either way as ``year_on_year`` reads it: a year
    seen once cannot tell a season from a level that moved within it, but the stretch seen twice
    can. False with under ``span`` periods seen twice (``first``: each series' first period in
    stock)."""
    if demand.periods < period + span:
        return np.zeros(demand.n, dtype=bool)
    ratio = year_on_year(demand, period, span)
    twice = demand.periods - first >= period + span
    out: BoolArray = twice & (ratio <= within) & (ratio >= 1 / within)
    return out


def first_selling_day(
    units: NDArray[np.floating],
    in_stock: NDArray[np.floating],
    listed: NDArray[np.integer] | None = None,
) -> NDArray[np.int64]:
    """Per series, the first period it was on sale, where its history shows a launch: its first
    sale, when the quiet in-stock run before it would be unlikely (under ``LAUNCH_QUIET_P``) at
    the share of in-stock periods it sold on after that sale, and no quiet run after it is half
    as long (a seasonal product or a lumpy buyer waits like that again; a lone sale, with
    nothing after it, is no launch either). Else 0. ``listed`` (a period index per series, -1
    for unknown: a variant's launch date, the same for every warehouse) moves the start no later
    than the first sale and no earlier than a launch found here. A series that never sold keeps
    its zeros (a product may not be listed in every warehouse). Nothing records a product out
    of stock before it was listed, so the periods before this are not periods of zero demand."""
    n = np.shape(units)[0]
    out = np.zeros(n, dtype=np.int64)
    for lo in range(0, n, LAUNCH_BLOCK):  # memory stays flat on 100,000 series
        hi = min(n, lo + LAUNCH_BLOCK)
        part = None if listed is None else np.asarray(listed[lo:hi], dtype=np.int64)
        out[lo:hi] = _first_selling_day(
            np.asarray(units[lo:hi]) > 0, np.asarray(in_stock[lo:hi], dtype=np.float64), part
        )
    return out


def _first_selling_day(
    sold: NDArray[np.bool_], w: NDArray[np.float64], listed: NDArray[np.int64] | None
) -> NDArray[np.int64]:
    d = sold.shape[1]
    ever = sold.any(axis=1)
    first = np.where(ever, sold.argmax(axis=1), 0).astype(np.int64)
    seen = np.cumsum(w, axis=1)  # in-stock periods up to and including each period
    rows = np.arange(len(sold))
    quiet = seen[rows, first] - w[rows, first]  # in stock before the first sale
    after = seen[:, -1] - seen[rows, first]
    days_sold = (sold & (w > 0)).sum(axis=1) - 1  # selling periods after the first
    share = np.where(after > 0, np.maximum(days_sold, 0) / np.maximum(after, 1e-9), 0.0)
    # The longest quiet in-stock run after the first sale: in-stock periods since the last sale.
    last = np.maximum.accumulate(np.where(sold, np.arange(d)[None, :], -1), axis=1)
    since = seen - np.where(last >= 0, seen[rows[:, None], np.maximum(last, 0)], 0.0)
    later = np.where(np.arange(d)[None, :] > first[:, None], since, 0.0).max(axis=1, initial=0.0)
    launch = ever & (np.exp(-share * quiet) < LAUNCH_QUIET_P) & (later < quiet / 2)
    out: NDArray[np.int64] = np.where(launch, first, 0)
    if listed is not None:
        usable = (listed >= 0) & ever & (listed <= first)
        out = np.where(usable, np.maximum(listed, out), out)
    return out


def censor_before_first_sale(
    units: NDArray[np.floating],
    in_stock: NDArray[np.floating],
    listed: NDArray[np.integer] | None = None,
) -> None:
    """Mark the periods before each series' ``first_selling_day`` out of stock (in place)."""
    first = first_selling_day(units, in_stock, listed)
    for i in np.flatnonzero(first > 0):
        in_stock[i, : first[i]] = 0.0


def clean_history(
    y: FloatArray, in_stock: FloatArray, cleaning: Cleaning = DEFAULT_CLEANING
) -> Demand:
    """Turn units sold and in-stock fractions into a stockout-aware demand estimate."""
    y = np.asarray(y, dtype=np.float64)
    frac = np.clip(np.asarray(in_stock, dtype=np.float64), 0.0, 1.0)
    observed = frac >= cleaning.min_in_stock
    units = np.maximum(y, 0.0) if cleaning.returns == "clip" else y
    scale = 1.0 / np.maximum(frac, 1.0 / cleaning.max_scale)
    values = np.where(observed, units * scale, 0.0)
    weight = np.where(observed, frac, 0.0)
    if cleaning.spike_k is None:
        return Demand(impute(values, weight, cleaning.window), weight)
    spikes, local = find_spikes(values, weight, cleaning.spike_k, cleaning.window)
    row, col = np.nonzero(spikes)
    excess = np.maximum(values[row, col] - local[row, col], 0.0) * weight[row, col]
    if cleaning.spikes == "exclude":
        excess = np.zeros_like(excess)
    weight[spikes] = 0.0
    return Demand(impute(values, weight, cleaning.window), weight, (row, col, excess))


def window_sums(x: FloatArray, lo: int, hi: int) -> FloatArray:
    """Sum of x[:, t+lo : t+hi] for every t (clipped at the edges), via one cumulative sum."""
    n, d = x.shape
    left, right = max(0, -lo), max(0, hi)
    # Padded cumulative sum: column j holds the sum of x[:, :j - left] (clipped to [0, d]).
    c = np.empty((n, left + d + 1 + right))
    c[:, : left + 1] = 0.0
    np.cumsum(x, axis=1, out=c[:, left + 1 : left + d + 1])
    c[:, left + d + 1 :] = c[:, left + d : left + d + 1]
    out: FloatArray = c[:, left + hi : left + hi + d] - c[:, left + lo : left + lo + d]
    return out


def find_spikes(
    values: FloatArray, weight: FloatArray, k: float, window: int
) -> tuple[BoolArray, FloatArray]:
    """One-off spikes: above k × the larger of the local mean and the local mean sale size.

    "Local" is the ``window`` periods either side, the period itself left out; the scale is at
    least one unit, so a slow mover's two-unit day is never a spike, and a period beside less
    than one whole period seen is never one. Also returns the local mean (0 on series with no
    period above k, which cannot have a spike and are skipped).
    """
    spikes = np.zeros(values.shape, dtype=bool)
    local = np.zeros(values.shape)
    rows = np.flatnonzero((values > k).any(axis=1))
    if not len(rows):
        return spikes, local
    v, w = values[rows], weight[rows]
    wv = w * v
    sold = np.where(v > 0, w, 0.0)
    span = (-window, window + 1)
    others = window_sums(wv, *span) - wv
    seen = window_sums(w, *span) - w
    near = others / np.maximum(seen, 1.0)
    size = others / np.maximum(window_sums(sold, *span) - sold, 1.0)
    scale = np.maximum(np.maximum(near, size), 1.0)
    # A spike stands out from at least one whole period seen around it: beside less (a history
    # of two months, the second 4 days in), the local mean is no level to stand out from.
    spikes[rows] = (w > 0) & (seen >= 1.0) & (v > k * scale)
    local[rows] = near
    return spikes, local


def impute(values: FloatArray, weight: FloatArray, window: int) -> FloatArray:
    """Fill unobserved periods with the trailing in-stock level (else the series' mean)."""
    missing = weight <= 0
    rows = np.flatnonzero(missing.any(axis=1))
    if not len(rows):
        return values
    v, w = values[rows], weight[rows]
    wv = w * v
    recent_w = window_sums(w, -window, 0)
    level = window_sums(wv, -window, 0) / np.maximum(recent_w, 1e-9)
    # Before any observation in the window: the mean of everything observed so far, else overall.
    cum_w = np.cumsum(w, axis=1)
    expanding = np.cumsum(wv, axis=1) / np.maximum(cum_w, 1e-9)
    overall = wv.sum(axis=1) / np.maximum(w.sum(axis=1), 1e-9)
    fallback = np.where(cum_w > 0, expanding, overall[:, None])
    fill = np.where(recent_w > 0, level, fallback)
    out = values.copy()
    out[rows] = np.where(missing[rows], fill, v)
    return out


def in_stock_rate(demand: Demand, periods: int, factor: FloatArray | None = None) -> FloatArray:
    """Mean demand per period over the last ``periods`` in-stock periods (0 with none).

    With ``factor`` (a seasonal index per period), the mean of demand over the mean factor: the
    deseasonalised level.
    """
    # Most series fill the window within the recent past; only the others read further back.
    span = min(demand.periods, 2 * periods + 56)
    f = None if factor is None else factor[:, -span:]
    out, count = _recent_mean(demand.values[:, -span:], demand.weight[:, -span:], periods, f)
    short = np.flatnonzero(count < periods)
    if len(short) and span < demand.periods:
        f = None if factor is None else factor[short]
        out[short], _ = _recent_mean(demand.values[short], demand.weight[short], periods, f)
    return out


def _recent_mean(
    v: FloatArray, w: FloatArray, periods: int, factor: FloatArray | None
) -> tuple[FloatArray, FloatArray]:
    w, v = w[:, ::-1], v[:, ::-1]
    cum = np.cumsum(w, axis=1)
    # Take whole periods while the in-stock count stays within the window, the last one partly.
    take = np.clip(periods - (cum - w), 0.0, w)
    total = (take * v).sum(axis=1)
    count = take.sum(axis=1)
    den = count if factor is None else (take * factor[:, ::-1]).sum(axis=1)
    out: FloatArray = np.where(den > 0, total / np.maximum(den, 1e-9), 0.0)
    return out, count


def intermittency(demand: Demand) -> FloatArray:
    """Average demand interval (ADI): observed periods per period with demand (inf: none)."""
    observed = demand.weight.sum(axis=1)
    sales = ((demand.values > 0) & (demand.weight > 0)).sum(axis=1)
    out: FloatArray = np.where(sales > 0, observed / np.maximum(sales, 1), np.inf)
    return out
