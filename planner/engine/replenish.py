"""Replenishment maths on whole arrays: order-up-to levels, rounding, cover and overstock.

One row per (variant, warehouse) series; day 0 is today. The policy is periodic review with an
order-up-to level: every ``days_of_stock`` days (the ordering cycle) an order is placed that
lands after ``lead_time`` days, so stock must cover the planning period P = lead time + days of
stock, plus safety stock against forecast error over P:

    target      = max(forecast over P + safety stock, min stock), capped by max stock
    supply      = available + on order arriving within P
    replenish   = max(0, target - supply)                        (the raw need)
    to order    = replenish raised to the MOQ, rounded up to whole packs

Days of cover count on-hand stock only; the stockout date also counts arrivals on their
expected day, so a PO landing next week moves it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

F = NDArray[np.float64]
I = NDArray[np.int64]  # noqa: E741  (array of integers)


@dataclass(frozen=True, slots=True)
class Inputs:
    """Everything the maths needs, one entry (or row) per series."""

    mean: F  # (n, H) daily forecast from today
    arrivals: F  # (n, H) units expected to arrive each day (overdue ones on day 0)
    available: F
    lead_time: I
    days_of_stock: I
    safety_stock: F
    min_stock: F
    max_stock: F  # +inf when there is none
    pack_size: I
    moq: I
    unit_cost: F


@dataclass(frozen=True, slots=True)
class Outputs:
    forecast_units: F  # over the planning period
    on_order: F  # arriving within the planning period
    target: F
    replenishment_qty: I
    to_order_qty: I
    days_of_cover: F  # +inf when the forecast never uses the stock up
    stockout_day: I  # first day projected stock runs out (with arrivals); -1 = not in horizon
    lost_sales: F  # demand missed before an order placed today can land
    overstock_units: I
    overstock_value: F


def cumulative(mean: F) -> F:
    """cum[:, d] = demand over days [0, d) — so cum[:, P] is the planning-period total."""
    n = mean.shape[0]
    out: F = np.concatenate([np.zeros((n, 1)), np.cumsum(mean, axis=1)], axis=1)
    return out


def at(cum: F, days: I) -> F:
    """cum value at a per-series day count (clipped to the horizon)."""
    d = np.clip(days, 0, cum.shape[1] - 1)
    out: F = cum[np.arange(cum.shape[0]), d]
    return out


def first_day_below_zero(level: F) -> I:
    """Index of the first column where level < 0 per row, -1 if none."""
    below = level < -1e-9
    out: I = np.where(below.any(axis=1), below.argmax(axis=1), -1).astype(np.int64)
    return out


def round_order(need: I, moq: I, pack: I, nearest: NDArray[np.bool_] | None = None) -> I:
    """Raise a positive need to the MOQ, then up to whole packs; zero stays zero.

    Where ``nearest`` is set the packs are rounded to the nearest whole number (at least one,
    and never below the MOQ): the vendor's rule for cartons that need not be topped up.
    """
    pack = np.maximum(pack, 1)
    raised = np.where(need > 0, np.maximum(need, moq), 0)
    up = -(-raised // pack)
    if nearest is not None:
        near = np.maximum(np.floor(raised / pack + 0.5).astype(np.int64), 1)
        near = np.where(near * pack < moq, up, near)
        up = np.where(nearest & (raised > 0), near, up)
    out: I = (up * pack).astype(np.int64)
    return out


def days_of_cover(cum: F, stock: F, mean: F) -> F:
    """Days until on-hand stock is used up by forecast demand (fractional; inf if never)."""
    used_up = cum[:, 1:] > stock[:, None] + 1e-9
    any_out = used_up.any(axis=1)
    day = used_up.argmax(axis=1)
    rows = np.arange(cum.shape[0])
    before = cum[rows, day]
    rate = np.maximum(mean[rows, day], 1e-12)
    frac = np.clip((stock - before) / rate, 0.0, 1.0)
    out: F = np.where(any_out, day + frac, np.inf)
    return out


def replenish(x: Inputs) -> Outputs:
    """Compute every recommendation number for all series at once."""
    period = x.lead_time + x.days_of_stock
    cum = cumulative(x.mean)
    forecast_p = at(cum, period)
    arrived = cumulative(x.arrivals)
    on_order = at(arrived, period)
    target = np.minimum(np.maximum(forecast_p + x.safety_stock, x.min_stock), x.max_stock)
    need = np.ceil(np.maximum(target - x.available - on_order, 0.0) - 1e-9).astype(np.int64)
    to_order = round_order(need, x.moq, x.pack_size)
    projected = x.available[:, None] + arrived[:, 1:] - cum[:, 1:]
    unmet_by_lead = at(cum, x.lead_time) - x.available - at(arrived, x.lead_time)
    surplus = x.available + on_order - np.maximum(forecast_p + x.safety_stock, x.min_stock)
    over = np.floor(np.maximum(surplus, 0.0) + 1e-9).astype(np.int64)
    return Outputs(
        forecast_units=forecast_p,
        on_order=on_order,
        target=target,
        replenishment_qty=need,
        to_order_qty=to_order,
        days_of_cover=days_of_cover(cum, x.available, x.mean),
        stockout_day=first_day_below_zero(projected),
        lost_sales=np.maximum(unmet_by_lead, 0.0),
        overstock_units=over,
        overstock_value=over * x.unit_cost,
    )


def with_lead_time_variability(error: F, daily_demand: F, lead_time_std: F) -> F:
    """Std of demand over the protection period when the lead time itself varies.

    The standard formula is Var = L·σd² + d²·σL²: ``error`` already holds the first term (the
    forecast's error over the period, correlated days included), so the lead-time term adds
    in quadrature: a delivery ``σL`` days late costs ``d·σL`` units of average demand.
    """
    spread = np.maximum(np.asarray(lead_time_std, dtype=np.float64), 0.0)
    out: F = np.sqrt(error**2 + (np.maximum(daily_demand, 0.0) * spread) ** 2)
    return out


def fill_rate_safety(sigma: F, cycle_demand: F, fill_rate: F) -> F:
    """Safety stock for a fill-rate target (share of demand served from stock), not a cycle one.

    With normal forecast error over the protection period (std ``sigma``), the expected units
    short per ordering cycle are ``sigma · G(k)`` where G is the standard normal loss function and
    ``k = safety / sigma``. A fill rate β allows ``(1 − β) · cycle demand`` short per cycle, so k
    solves ``G(k) = (1 − β) · cycle_demand / sigma`` (by bisection: G falls as k grows).
    """
    from scipy.special import ndtr

    target = (1.0 - fill_rate) * cycle_demand / np.maximum(sigma, 1e-12)
    lo = np.full_like(sigma, -4.0)
    hi = np.full_like(sigma, 8.0)
    for _ in range(50):
        k = (lo + hi) / 2
        loss = np.exp(-0.5 * k * k) / np.sqrt(2 * np.pi) - k * (1.0 - ndtr(k))
        too_short = loss > target
        lo = np.where(too_short, k, lo)
        hi = np.where(too_short, hi, k)
    out: F = np.where(sigma > 0, np.maximum((lo + hi) / 2 * sigma, 0.0), 0.0)
    return out
