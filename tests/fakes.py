"""In-memory fakes of planner's ports, for tests of rules that need no database.

Each fake subclasses the port it stands in for (as cosmicpython's FakeRepository does).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from planner.domain.errors import NotFound
from planner.domain.push import PushState
from planner.ports import (
    DeliveryWindowChoice,
    FailureKind,
    InboundBox,
    InboundOperationFailed,
    InboundPlanGateway,
    InboundPlanItem,
    InboundPlanLink,
    MarketplaceError,
    PlacementChoice,
    PushClaims,
    ShipFromAddress,
    ShipmentProgress,
    TransportChoice,
)

# --- push ---


class FakePushClaims(PushClaims):
    """Push states by order number, swapped compare-and-set as the SQL store does (whole state).

    `lease`/`renew`/`release` keep one expiry per order (no processes: a lease is held until it
    expires or is released).
    """

    def __init__(self, *numbers: str) -> None:
        self.states: dict[str, PushState | None] = dict.fromkeys(numbers)
        self.splits: dict[str, bool] = {}
        self.swaps: list[tuple[str, PushState]] = []  # every successful swap, in order
        self._leases: dict[str, int] = {}

    def current(self, order_number: str) -> PushState | None:
        if order_number not in self.states:
            raise NotFound(f"unknown order {order_number!r}", hint="`planner orders` lists them")
        return self.states[order_number]

    def swap(
        self,
        order_number: str,
        *,
        expected: PushState | None,
        new: PushState,
        split: bool | None = None,
    ) -> bool:
        if self.current(order_number) != expected:
            return False
        self.states[order_number] = new
        if split is not None:
            self.splits[order_number] = split
        self.swaps.append((order_number, new))
        return True

    def lease(self, order_number: str, *, now: int, seconds: int) -> int | None:
        if self._leases.get(order_number, 0) > now:
            return None
        self._leases[order_number] = now + seconds
        return now + seconds

    def renew(self, order_number: str, *, until: int, now: int, seconds: int) -> int | None:
        if self._leases.get(order_number) != until:
            return None
        self._leases[order_number] = now + seconds
        return now + seconds

    def release(self, order_number: str, *, until: int) -> None:
        if self._leases.get(order_number) == until:
            self._leases[order_number] = 0


@dataclass
class FakePlan:
    """One inbound plan at the fake Amazon: its steps' progress, as the push can ask for it."""

    plan_id: str
    name: str
    items: tuple[InboundPlanItem, ...]
    status: str = "ACTIVE"
    packed: bool = False
    placement: str | None = None  # the accepted placement option
    boxed: set[str] = field(default_factory=set)
    windows: dict[str, str] = field(default_factory=dict)  # shipment id -> window option
    transport: dict[str, str] = field(default_factory=dict)  # shipment id -> transport option


class FakeInboundPlanGateway(InboundPlanGateway):
    """Amazon's inbound workflow in memory: two shipments when split, one when not.

    `fail(method, error)` makes the next call of a method raise (once); `lose(method)` makes it
    do its work and then raise as a lost answer (FailureKind.UNAVAILABLE). `single_destination`:
    whether Amazon offers a one-shipment placement. `calls` counts every call by method name.
    """

    def __init__(self, *, single_destination: bool = True, own_carrier: bool = False) -> None:
        self.plans: dict[str, FakePlan] = {}
        self.single_destination = single_destination
        self.own_carrier = own_carrier  # own carrier: a delivery window is needed per shipment
        self.calls: Counter[str] = Counter()
        self.failing_operations: set[str] = set()  # operation ids that end FAILED
        self._faults: dict[str, MarketplaceError] = {}
        self._lost: set[str] = set()
        self._ids = itertools.count(1)

    # -- test controls --------------------------------------------------------------------------

    def fail(self, method: str, error: MarketplaceError) -> None:
        self._faults[method] = error

    def lose(self, method: str) -> None:
        self._lost.add(method)

    def active(self) -> list[FakePlan]:
        return [p for p in self.plans.values() if p.status == "ACTIVE"]

    def _call(self, method: str) -> None:
        self.calls[method] += 1
        error = self._faults.pop(method, None)
        if error is not None:
            raise error

    def _answer(self, method: str) -> None:
        if method in self._lost:
            self._lost.discard(method)
            raise MarketplaceError(f"{method}: no answer", kind=FailureKind.UNAVAILABLE)

    def _plan(self, plan_id: str) -> FakePlan:
        if plan_id not in self.plans:
            raise MarketplaceError(f"no plan {plan_id}", kind=FailureKind.REFUSED)
        return self.plans[plan_id]

    def _shipments(self, plan_id: str, option_id: str | None = None) -> tuple[str, ...]:
        option = option_id or self._plan(plan_id).placement
        return (f"{plan_id}-s1",) if option == f"{plan_id}-single" else (
            f"{plan_id}-s1", f"{plan_id}-s2",
        )  # fmt: skip

    # -- the port -------------------------------------------------------------------------------

    def create_inbound_plan(
        self,
        marketplace_id: str,
        *,
        name: str,
        source: ShipFromAddress,
        items: Sequence[InboundPlanItem],
    ) -> tuple[str, str]:
        self._call("create_inbound_plan")
        plan_id = f"wf{next(self._ids):04d}"
        self.plans[plan_id] = FakePlan(plan_id, name, tuple(items))
        self._answer("create_inbound_plan")
        return plan_id, f"op-{plan_id}"

    def wait_for_operation(self, operation_id: str, *, step: str) -> None:
        self._call("wait_for_operation")
        if operation_id in self.failing_operations:
            raise InboundOperationFailed("Amazon refused creating the inbound plan")

    def find_inbound_plan(self, name: str) -> str | None:
        self._call("find_inbound_plan")
        found = [p.plan_id for p in self.plans.values() if p.name == name]
        live = [i for i in found if self.plans[i].status in ("ACTIVE", "SHIPPED")]
        return live[0] if live else None

    def inbound_plan_status(self, plan_id: str) -> str:
        self._call("inbound_plan_status")
        return self._plan(plan_id).status

    def step_seconds(self) -> float:
        return 1.0

    def confirm_packing(self, plan_id: str) -> None:
        self._call("confirm_packing")
        plan = self._plan(plan_id)
        if not plan.packed:
            self.calls["confirm_packing:sent"] += 1
            plan.packed = True
        self._answer("confirm_packing")

    def placement_options(self, plan_id: str) -> list[PlacementChoice]:
        self._call("placement_options")
        plan = self._plan(plan_id)
        ids = [f"{plan_id}-split"] + ([f"{plan_id}-single"] if self.single_destination else [])
        return [
            PlacementChoice(
                i,
                self._shipments(plan_id, i),
                "ACCEPTED" if plan.placement == i else "OFFERED",
            )
            for i in ids
            if plan.placement in (None, i)
        ]

    def confirm_placement(self, plan_id: str, option_id: str) -> None:
        self._call("confirm_placement")
        self._plan(plan_id).placement = option_id
        self._answer("confirm_placement")

    def cancel_inbound_plan(self, plan_id: str) -> None:
        self._call("cancel_inbound_plan")
        self._plan(plan_id).status = "VOIDED"

    def inbound_plans(self, plan_ids: Collection[str]) -> list[InboundPlanLink]:
        self._call("inbound_plans")
        return [InboundPlanLink(i, self.plans[i].status, self._shipments(i)) for i in plan_ids]

    def close(self) -> None:
        self.calls["close"] += 1

    def shipment_progress(self, plan_id: str, shipment_id: str) -> ShipmentProgress:
        self._call("shipment_progress")
        plan = self._plan(plan_id)
        return ShipmentProgress(
            shipment_id,
            has_boxes=shipment_id in plan.boxed,
            transport_option_id=plan.transport.get(shipment_id),
            delivery_window_id=plan.windows.get(shipment_id),
            destination="FC1",
        )

    def shipment_items(self, plan_id: str, shipment_id: str) -> dict[str, int]:
        self._call("shipment_items")
        shipments = self._shipments(plan_id)
        share = shipments.index(shipment_id)
        return {
            i.seller_sku: i.quantity // len(shipments) + (i.quantity % len(shipments) > share)
            for i in self._plan(plan_id).items
        }

    def set_packing_information(self, plan_id: str, boxes: Sequence[InboundBox]) -> None:
        self._call("set_packing_information")
        self._plan(plan_id).boxed.update(b.shipment_id for b in boxes)
        self._answer("set_packing_information")

    def transportation_options(
        self,
        plan_id: str,
        placement_option_id: str,
        shipment_ids: Sequence[str],
        *,
        ready_from: datetime,
        contact: ShipFromAddress,
        valid_at: datetime,
    ) -> list[TransportChoice]:
        self._call("transportation_options")
        partnered = not self.own_carrier
        return [
            TransportChoice(
                f"t-{s}",
                s,
                partnered,
                "GROUND_SMALL_PARCEL",
                cost=10.0,
                needs_delivery_window=not partnered,
            )
            for s in shipment_ids
        ]

    def delivery_windows(
        self, plan_id: str, shipment_id: str, *, valid_at: datetime
    ) -> list[DeliveryWindowChoice]:
        self._call("delivery_windows")
        start = valid_at + timedelta(days=7)
        return [
            DeliveryWindowChoice(f"w-{shipment_id}", start, start + timedelta(days=3), "AVAILABLE")
        ]

    def confirm_delivery_window(self, plan_id: str, shipment_id: str, option_id: str) -> None:
        self._call("confirm_delivery_window")
        self._plan(plan_id).windows[shipment_id] = option_id

    def confirm_transportation(
        self, plan_id: str, selections: Mapping[str, str], *, contact: ShipFromAddress
    ) -> None:
        self._call("confirm_transportation")
        self._plan(plan_id).transport.update(selections)
        self._answer("confirm_transportation")
