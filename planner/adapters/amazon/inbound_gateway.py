"""The InboundPlanGateway side of SpApiGateway: saving orders to Amazon (issue 6).

A mixin so the connector stays one object per connection (one token store, one request budget);
the calls themselves live in inbound_plans.py and inbound_transport.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from planner.adapters.amazon.calls import CallRunner
from planner.adapters.amazon.inbound_transport import InboundShipmentSteps
from planner.adapters.amazon.throttle import PollPolicy
from planner.ports import (
    DeliveryWindowChoice,
    InboundBox,
    InboundPlanItem,
    PlacementChoice,
    ShipFromAddress,
    ShipmentProgress,
    TransportChoice,
)


class InboundPlanMethods:
    """Delegates each workflow step to one InboundShipmentSteps, built when first needed."""

    calls: CallRunner
    settings: Any  # the connector's GatewaySettings (its HTTP timeout)
    _plans: Any  # the library's FulfillmentInboundV20240320 client

    @property
    def _poll(self) -> PollPolicy:
        raise NotImplementedError

    @property
    def _steps(self) -> InboundShipmentSteps:
        steps: InboundShipmentSteps | None = self.__dict__.get("_inbound_steps")
        if steps is None:
            steps = InboundShipmentSteps(self._plans, self.calls, self._poll)
            self.__dict__["_inbound_steps"] = steps
        return steps

    def create_inbound_plan(
        self,
        marketplace_id: str,
        *,
        name: str,
        source: ShipFromAddress,
        items: Sequence[InboundPlanItem],
    ) -> tuple[str, str]:
        steps = self._steps
        return steps.create_inbound_plan(marketplace_id, name=name, source=source, items=items)

    def wait_for_operation(self, operation_id: str, *, step: str) -> None:
        self._steps.wait_for_operation(operation_id, step=step)

    def find_inbound_plan(self, name: str) -> str | None:
        return self._steps.find_inbound_plan(name)

    def inbound_plan_status(self, plan_id: str) -> str:
        return self._steps.inbound_plan_status(plan_id)

    def step_seconds(self) -> float:
        # The worst case of the longest step (confirm packing): two operations polled until
        # Amazon's answer is given up on, and four calls each retried to the retry budget.
        retry = self.calls.retry
        call = retry.total_seconds + retry.attempts * float(self.settings.timeout)
        return 2 * self._poll.give_up_after + 4 * call

    def confirm_packing(self, plan_id: str) -> None:
        self._steps.confirm_packing(plan_id)

    def placement_options(self, plan_id: str) -> list[PlacementChoice]:
        return self._steps.placement_options(plan_id)

    def confirm_placement(self, plan_id: str, option_id: str) -> None:
        self._steps.confirm_placement(plan_id, option_id)

    def cancel_inbound_plan(self, plan_id: str) -> None:
        self._steps.cancel_inbound_plan(plan_id)

    def shipment_progress(self, plan_id: str, shipment_id: str) -> ShipmentProgress:
        return self._steps.shipment_progress(plan_id, shipment_id)

    def shipment_items(self, plan_id: str, shipment_id: str) -> dict[str, int]:
        return self._steps.shipment_items(plan_id, shipment_id)

    def set_packing_information(self, plan_id: str, boxes: Sequence[InboundBox]) -> None:
        self._steps.set_packing_information(plan_id, boxes)

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
        return self._steps.transportation_options(
            plan_id,
            placement_option_id,
            shipment_ids,
            ready_from=ready_from,
            contact=contact,
            valid_at=valid_at,
        )

    def delivery_windows(
        self, plan_id: str, shipment_id: str, *, valid_at: datetime
    ) -> list[DeliveryWindowChoice]:
        return self._steps.delivery_windows(plan_id, shipment_id, valid_at=valid_at)

    def confirm_delivery_window(self, plan_id: str, shipment_id: str, option_id: str) -> None:
        self._steps.confirm_delivery_window(plan_id, shipment_id, option_id)

    def confirm_transportation(
        self, plan_id: str, selections: Mapping[str, str], *, contact: ShipFromAddress
    ) -> None:
        self._steps.confirm_transportation(plan_id, selections, contact=contact)
