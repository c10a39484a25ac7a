"""What every policy faces and how a day plays out: the world, the daily replay, the orders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from planner.domain.series import SeriesKey
from planner.engine.replenish import Inputs, Outputs, replenish
from planner.ports.history import SeriesHistory

F = NDArray[np.float64]
I = NDArray[np.int64]  # noqa: E741  (array of integers)
# (review day, history known that morning) -> (daily forecast (n, H), safety stock (n,))
View = Callable[[int, SeriesHistory], tuple[F, F]]
# (review day, raw need (n,), daily forecast (n, H), stock held: on hand + arriving within P)
# -> units to order: how needs become orders when the world's own packs are not the rule.
Rounder = Callable[[int, I, F, F], I]


@dataclass(frozen=True)
class World:
    """What every policy faces: the known sales history, true demand and supply terms."""

    keys: list[SeriesKey]
    start: date  # first day of ``units``
    units: NDArray[np.float32]  # (n, first + T) sales as the store has them
    in_stock: NDArray[np.float32]
    demand: F  # (n, T) true demand of the simulated days (the last T of the history)
    lead: I
    pack: I
    cost: F
    initial: F  # on hand at the start of the first simulated day
    review: int = 7
    warmup: int = 0  # simulated days left out of the metrics
    # False: stock is continuous (a dataset of turnover, say): orders are the raw need, unrounded
    # (no whole units, no packs). True: the engine's whole units in ``pack``s.
    whole: bool = True

    @property
    def first(self) -> int:
        """History index of the first simulated day."""
        return int(self.units.shape[1] - self.demand.shape[1])

    @property
    def period(self) -> I:
        out: I = self.lead + self.review
        return out

    @property
    def horizon(self) -> int:
        return int(self.period.max(initial=0)) + 1

    def known(self, t: int) -> SeriesHistory:
        """The demo's history up to the day before simulated day ``t``."""
        end = self.first + t
        return SeriesHistory(self.keys, self.start, self.units[:, :end], self.in_stock[:, :end])


@dataclass(frozen=True)
class Run:
    """Per series and simulated day: what happened."""

    served: F
    lost: F
    on_hand: F  # at the end of the day
    ordered: F  # placed that morning
    received: F  # landed that morning
    needed: F  # the raw need (before MOQ and packs) on review days


def simulate(
    world: World, view: View, *, closed_loop: bool = False, rounder: Rounder | None = None
) -> Run:
    """Replay every day: order on review days, receive what lands, serve demand, lose the rest.

    With ``closed_loop`` the history a policy plans on holds its own sales and stockouts for
    the simulated days; otherwise it is the demo's. A ``rounder`` turns the raw needs into
    orders instead of the world's packs (no MOQ).
    """
    n, days = world.demand.shape
    horizon, rows, first = world.horizon, np.arange(n), world.first
    units = world.units.copy() if closed_loop else world.units
    in_stock = world.in_stock.copy() if closed_loop else world.in_stock
    on_hand = world.initial.astype(np.float64).copy()
    pipeline = np.zeros((n, days + horizon))
    served, lost, held, ordered, received, needed = (np.zeros((n, days)) for _ in range(6))
    for t in range(days):
        if t % world.review == 0:
            end = first + t
            seen = SeriesHistory(world.keys, world.start, units[:, :end], in_stock[:, :end])
            plan = view(t, seen)
            out = plan_orders(world, plan, on_hand, pipeline[:, t : t + horizon])
            qty, need = out.to_order_qty, out.replenishment_qty
            if not world.whole:  # continuous stock: order the raw need as it is
                need = np.maximum(out.target - on_hand - out.on_order, 0.0)
                qty = need
            if rounder is not None:
                mean = np.asarray(plan[0][:, :horizon], dtype=np.float64)
                qty = rounder(t, out.replenishment_qty, mean, on_hand + out.on_order)
            pipeline[rows, t + world.lead] += qty
            ordered[:, t] = qty
            needed[:, t] = need
        received[:, t] = pipeline[:, t]
        on_hand += pipeline[:, t]
        demand = world.demand[:, t]
        served[:, t] = np.minimum(on_hand, demand)
        if closed_loop:
            units[:, first + t] = served[:, t]
            in_stock[:, first + t] = in_stock_share(on_hand, demand)
        lost[:, t] = demand - served[:, t]
        on_hand -= served[:, t]
        held[:, t] = on_hand
    return Run(served, lost, held, ordered, received, needed)


def in_stock_share(stock: F, demand: F) -> F:
    """The day's in-stock fraction as the store would record it: the share of demand served."""
    short = stock / np.maximum(demand, 1e-9)
    out: F = np.where(stock <= 0, 0.0, np.where(demand > stock, short, 1.0))
    return out


def plan_orders(world: World, plan: tuple[F, F], on_hand: F, arrivals: F) -> Outputs:
    """The engine's order-up-to numbers for one review day (same logic for every policy): raw
    need, the order in the world's packs, and what is on order within the planning period."""
    mean, safety = plan
    n = len(world.keys)
    out = replenish(
        Inputs(
            mean=np.asarray(mean[:, : world.horizon], dtype=np.float64),
            arrivals=arrivals,
            available=on_hand,
            lead_time=world.lead,
            days_of_stock=np.full(n, world.review, dtype=np.int64),
            safety_stock=np.asarray(safety, dtype=np.float64),
            min_stock=np.zeros(n),
            max_stock=np.full(n, np.inf),
            pack_size=world.pack,
            moq=np.zeros(n, dtype=np.int64),
            unit_cost=world.cost,
        )
    )
    return out
