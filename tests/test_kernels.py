"""The vectorised smoothing kernels against a plain per-series, per-parameter loop.

The kernels run every series and every grid point at once, laid out for speed; these loops
are the textbook recursions, one series and one parameter set at a time, so a layout or
broadcasting slip in a kernel shows up as a different forecast state.
"""

from __future__ import annotations

import numpy as np
import pytest

from planner.forecast.history import Demand
from planner.forecast.kernels import (
    SES_ALPHAS,
    damped_grid,
    damped_trend,
    initial_level,
    ses_states,
    tsb,
)

CUTS = [40, 90, 120]


def _demand(seed: int) -> Demand:
    rng = np.random.default_rng(seed)
    n, periods = 9, 120
    end = rng.uniform(0.2, 2.0, (n, 1))  # each series drifts to this share of its start rate
    rate = rng.gamma(1.0, 3.0, (n, 1)) * (1 + (end - 1) * np.arange(periods) / (periods - 1))
    values = rng.poisson(rate).astype(float) * (rng.random((n, periods)) > 0.3)
    weight = (rng.random((n, periods)) > 0.1).astype(float)  # some days out of stock
    weight[0, :50] = 0.0  # a series launched late
    return Demand(values, weight)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ses_picks_the_alpha_with_least_error_and_its_level(seed: int) -> None:
    d = _demand(seed)
    start = initial_level(d, 7)
    got = ses_states(d, cuts=CUTS)
    for i in range(d.n):
        runs = []
        for alpha in SES_ALPHAS:
            level, sse, at = start[i], 0.0, {}
            for t in range(d.periods + 1):
                if t in CUTS:
                    at[t] = (sse, level)
                if t < d.periods:
                    err = d.values[i, t] - level
                    level += alpha * d.weight[i, t] * err
                    sse += d.weight[i, t] * err * err
            runs.append(at)
        for k, cut in enumerate(CUTS):
            best = int(np.argmin([r[cut][0] for r in runs]))
            assert got[k][0][i] == pytest.approx(runs[best][cut][1], rel=1e-12, abs=1e-12)
            assert got[k][1][i] == SES_ALPHAS[best]


@pytest.mark.parametrize("seed", [4, 5])
def test_damped_trend_follows_holts_recursion_for_the_best_grid_point(seed: int) -> None:
    d = _demand(seed)
    start = initial_level(d, 4)
    alphas, betas, phis = (g[0] for g in damped_grid())
    got = damped_trend(d, cuts=CUTS)
    for i in range(d.n):
        runs = []
        for a, b, p in zip(alphas, betas, phis, strict=True):
            level, trend, sse, at = start[i], 0.0, 0.0, {}
            for t in range(d.periods + 1):
                if t in CUTS:
                    at[t] = (sse, level, trend, p)
                if t < d.periods:
                    pred = level + p * trend
                    weighted = d.weight[i, t] * (d.values[i, t] - pred)
                    sse += weighted * (d.values[i, t] - pred)
                    level, trend = pred + a * weighted, p * trend + b * weighted
            runs.append(at)
        for k, cut in enumerate(CUTS):
            best = runs[int(np.argmin([r[cut][0] for r in runs]))][cut]
            state = got[k]
            assert state.level[i] == pytest.approx(best[1], rel=1e-12, abs=1e-12)
            assert state.trend[i] == pytest.approx(best[2], rel=1e-12, abs=1e-12)
            assert state.phi[i] == best[3]


@pytest.mark.parametrize("grid", [((0.1, 0.1),), ((0.1, 0.1), (0.3, 0.05), (0.05, 0.3))])
def test_tsb_smooths_probability_and_size_per_series(grid: tuple[tuple[float, float], ...]) -> None:
    d = _demand(6)
    hits = ((d.values > 0) & (d.weight > 0)).astype(float)
    start = initial_level(Demand(hits, d.weight), 28)
    got = tsb(d, grid=grid, cuts=CUTS)
    for i in range(d.n):
        runs = []
        for alpha, beta in grid:
            prob, size, seen, sse, at = start[i], 0.0, False, 0.0, {}
            for t in range(d.periods + 1):
                if t in CUTS:
                    at[t] = (sse, prob * size)
                if t < d.periods:
                    v, w, h = d.values[i, t], d.weight[i, t], hits[i, t]
                    sse += w * (v - prob * size) ** 2
                    prob += beta * (w * (h - prob))
                    if h:
                        size += (alpha if seen else 1.0) * (v - size)
                        seen = True
            runs.append(at)
        for k, cut in enumerate(CUTS):
            best = runs[int(np.argmin([r[cut][0] for r in runs]))][cut]
            assert got[k][i] == pytest.approx(best[1], rel=1e-12, abs=1e-12)
