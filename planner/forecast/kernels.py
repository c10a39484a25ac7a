"""Recursive smoothing kernels, vectorised over series × parameter grid.

Each kernel walks the periods once (a Python loop over time, never over series) with arrays of
shape (series, grid); unobserved periods (weight 0) do not update the states, partial ones update
them in proportion to their weight. The in-sample one-step squared error picks the grid point.

Kernels take ``cuts``: the states (and grid choice) as they stood just before each cut period,
exactly what fitting on ``values[:, :cut]`` would give. One pass serves a whole rolling-origin
backtest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from planner.forecast.base import FloatArray
from planner.forecast.history import Demand

SES_ALPHAS = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5)
TSB_GRID = ((0.1, 0.1),)  # (size alpha, probability beta); a wider grid overfits noise


def initial_level(demand: Demand, periods: int) -> FloatArray:
    """Weighted mean of the first ``periods`` observed periods of each series (0 with none)."""
    span = min(demand.periods, 4 * periods + 28)
    out, count = _first_mean(demand.values[:, :span], demand.weight[:, :span], periods)
    late = np.flatnonzero(count < periods)  # launched (or first in stock) later on
    if len(late) and span < demand.periods:
        out[late], _ = _first_mean(demand.values[late], demand.weight[late], periods)
    return out


def _first_mean(v: FloatArray, w: FloatArray, periods: int) -> tuple[FloatArray, FloatArray]:
    cum = np.cumsum(w, axis=1)
    take = np.clip(periods - (cum - w), 0.0, w)
    count = take.sum(axis=1)
    mean: FloatArray = (take * v).sum(axis=1) / np.maximum(count, 1e-9)
    return mean, count


def _columns(demand: Demand) -> tuple[FloatArray, FloatArray]:
    """Values and weights as (periods, series), so each step reads contiguous memory."""
    return np.ascontiguousarray(demand.values.T), np.ascontiguousarray(demand.weight.T)


def _cut_list(demand: Demand, cuts: Sequence[int] | None) -> list[int]:
    out = [demand.periods] if cuts is None else [int(c) for c in cuts]
    if any(c < 0 or c > demand.periods for c in out):
        raise ValueError("cuts must lie within the history")
    return out


def _pick(states: FloatArray, sse: FloatArray) -> FloatArray:
    """The state of the grid point with the least error, per series."""
    best = np.argmin(sse, axis=1)
    out: FloatArray = states[np.arange(len(best)), best]
    return out


def ses(
    demand: Demand,
    alphas: Sequence[float] = SES_ALPHAS,
    init: int = 7,
    cuts: Sequence[int] | None = None,
) -> list[FloatArray]:
    """Simple exponential smoothing level at each cut, alpha chosen per series from the grid."""
    return [level for level, _ in ses_states(demand, alphas, init, cuts)]


def ses_states(
    demand: Demand,
    alphas: Sequence[float] = SES_ALPHAS,
    init: int = 7,
    cuts: Sequence[int] | None = None,
) -> list[tuple[FloatArray, FloatArray]]:
    """``ses``, with the alpha each series chose at each cut: [(level, alpha)] per cut."""
    points = _cut_list(demand, cuts)
    # (alphas, series): each step's arithmetic runs along the series, not along the few alphas
    # (numpy's inner loops over rows of six cost three times the arithmetic).
    a = np.asarray(alphas, dtype=np.float64)[:, None]
    level = np.repeat(initial_level(demand, init)[None, :], a.shape[0], axis=0)
    sse = np.zeros_like(level)
    vt, wt = _columns(demand)
    grid = np.broadcast_to(a, level.shape)
    snaps: dict[int, tuple[FloatArray, FloatArray]] = {}
    for t in range(demand.periods + 1):
        if t in points:
            snaps[t] = (_pick(level.T, sse.T), _pick(grid.T, sse.T))
        if t == demand.periods:
            break
        err = vt[t] - level
        weighted = wt[t] * err
        sse += weighted * err
        level += a * weighted
    return [snaps[c] for c in points]


@dataclass(frozen=True, slots=True)
class HoltState:
    level: FloatArray
    trend: FloatArray
    phi: FloatArray


def damped_grid() -> tuple[FloatArray, FloatArray, FloatArray]:
    """The (alpha, beta, phi) grid of damped-trend smoothing; beta is a share of alpha."""
    grid = [
        (a, b, p) for a in (0.05, 0.12, 0.25, 0.5) for b in (0.03, 0.15, 0.4) for p in (0.85, 0.95)
    ]
    arr = np.asarray(grid, dtype=np.float64).T
    return arr[0][None, :], (arr[0] * arr[1])[None, :], arr[2][None, :]


def damped_trend(
    demand: Demand, init: int = 4, cuts: Sequence[int] | None = None
) -> list[HoltState]:
    """Additive damped-trend (Holt) smoothing, parameters chosen per series from a grid."""
    points = _cut_list(demand, cuts)
    grid_alpha, grid_beta, grid_phi = damped_grid()
    # (grid, series), like ``ses_states``: each step runs along the series.
    alpha, beta, phi = grid_alpha.T, grid_beta.T, grid_phi.T
    level = np.repeat(initial_level(demand, init)[None, :], alpha.shape[0], axis=0)
    trend = np.zeros_like(level)
    sse = np.zeros_like(level)
    vt, wt = _columns(demand)
    snaps: dict[int, HoltState] = {}
    rows = np.arange(demand.n)
    for t in range(demand.periods + 1):
        if t in points:
            best = np.argmin(sse, axis=0)
            snaps[t] = HoltState(level[best, rows], trend[best, rows], grid_phi[0][best])
        if t == demand.periods:
            break
        damped = phi * trend
        pred = level + damped
        err = vt[t] - pred
        weighted = wt[t] * err
        sse += weighted * err
        level = pred + alpha * weighted
        trend = damped + beta * weighted
    return [snaps[c] for c in points]


def damped_path(state: HoltState, horizon: int) -> FloatArray:
    """Forecasts of a damped trend: level + (phi + phi² + … + phi^h) × trend."""
    steps = np.arange(1, horizon + 1)
    phi = state.phi[:, None]
    cum = phi * (1 - phi**steps) / np.maximum(1 - phi, 1e-12)
    out: FloatArray = state.level[:, None] + cum * state.trend[:, None]
    return out


@dataclass(frozen=True, slots=True)
class CrostonState:
    size: FloatArray  # smoothed demand size
    interval: FloatArray  # smoothed periods between demands
    seen: NDArray[np.bool_]  # any demand at all


def croston(demand: Demand, alpha: float, cuts: Sequence[int] | None = None) -> list[CrostonState]:
    """Croston's size and interval smoothing; intervals count in-stock time only."""
    points = _cut_list(demand, cuts)
    n = demand.n
    size, interval, since = np.zeros(n), np.ones(n), np.zeros(n)
    seen = np.zeros(n, dtype=bool)
    vt, wt = _columns(demand)
    snaps: dict[int, CrostonState] = {}
    for t in range(demand.periods + 1):
        if t in points:
            snaps[t] = CrostonState(size.copy(), np.maximum(interval, 1.0), seen.copy())
        if t == demand.periods:
            break
        v, w = vt[t], wt[t]
        since += w
        hit = (v > 0) & (w > 0)
        first, later = hit & ~seen, hit & seen
        size = np.where(first, v, np.where(later, size + alpha * (v - size), size))
        interval = np.where(
            first, since, np.where(later, interval + alpha * (since - interval), interval)
        )
        seen |= hit
        since = np.where(hit, 0.0, since)
    return [snaps[c] for c in points]


def tsb(
    demand: Demand,
    grid: Sequence[tuple[float, float]] = TSB_GRID,
    init: int = 28,
    cuts: Sequence[int] | None = None,
) -> list[FloatArray]:
    """Teunter-Syntetos-Babai: smoothed demand probability × smoothed size, per-series grid.

    The probability starts at the share of the first ``init`` observed periods with demand; the
    size starts at the first demand seen.
    """
    points = _cut_list(demand, cuts)
    arr = np.asarray(grid, dtype=np.float64)
    # (grid, series), like ``ses_states``: each step runs along the series.
    alpha, beta = arr[:, :1], arr[:, 1:]
    hits = ((demand.values > 0) & (demand.weight > 0)).astype(np.float64)
    prob0 = initial_level(Demand(hits, demand.weight), init)
    prob = np.repeat(prob0[None, :], alpha.shape[0], axis=0)
    size = np.zeros_like(prob)
    seen = np.zeros((1, demand.n), dtype=bool)
    sse = np.zeros_like(prob)
    vt, wt = _columns(demand)
    ht = np.ascontiguousarray(hits.T)
    snaps: dict[int, FloatArray] = {}
    for t in range(demand.periods + 1):
        if t in points:
            snaps[t] = _pick((prob * size).T, sse.T)
        if t == demand.periods:
            break
        v2, w2, h2 = vt[t][None, :], wt[t][None, :], ht[t][None, :]
        err = v2 - prob * size
        sse += w2 * err * err  # the same for every grid point until the first demand
        prob += beta * (w2 * (h2 - prob))
        if h2.any():
            # The first demand sets the size; later ones smooth it.
            size += h2 * np.where(seen, alpha, 1.0) * (v2 - size)
            seen |= h2 > 0
    return [snaps[c] for c in points]


def aggregate(demand: Demand, k: int) -> Demand:
    """Non-overlapping buckets of k periods, aligned to the end (a partial first bucket dropped).

    A bucket's value is its total demand (imputed where unobserved); its weight is the mean weight.
    """
    m = demand.periods // k
    lo = demand.periods - m * k
    v = demand.values[:, lo:].reshape(demand.n, m, k).sum(axis=2)
    w = demand.weight[:, lo:].reshape(demand.n, m, k).mean(axis=2)
    return Demand(v, w)
