"""The push's decisions, on in-memory fakes: which step comes next, what a claim found means.

The state machine (planner.domain.push) as pure functions, then the push's walk (PushWorkflow)
over FakePushClaims and FakeInboundPlanGateway: a fresh push, a taken claim, an expired claim
whose plan Amazon made, a stale claim's orphan plan, refusals, a push stopped at a step and
continued, a cancelled plan. No database, no HTTP: the whole file runs in well under a second.
"""

from __future__ import annotations

import pytest
from fakes import FakeInboundPlanGateway, FakePushClaims

from planner.demo.places import DEMO_ADDRESS, DEMO_ITEM
from planner.domain.orders import OrderKind, OrderLine, OrderStatus, StockOrder
from planner.domain.push import (
    STEPS,
    IllegalPushTransition,
    PushStage,
    PushState,
    cancel,
    claim,
    created,
    edited,
    expire,
    finish,
    next_step,
    plan_name,
    reach,
    resume,
    stop,
)
from planner.ports import FailureKind, InboundOperationFailed, InboundPlanItem, MarketplaceError
from planner.services.push import PushInProgress, PushRefused, PushTarget, PushWorkflow
from planner.services.push_settings import PushSettings

NUMBER = "TO-1001"
NOW = 1_764_000_000
CLAIMED = PushState(PushStage.CLAIMED, token="aaaaaaaaaaaa", claimed_at=NOW - 600)
EXPIRED = PushState(PushStage.EXPIRED, token="aaaaaaaaaaaa")
STALE = PushState(PushStage.STALE, token="aaaaaaaaaaaa")
PLANNED = PushState(PushStage.PLAN_CREATED, token="aaaaaaaaaaaa", plan_id="wf-1")


# -- the state machine ---------------------------------------------------------------------------


def test_the_steps_come_in_amazons_order_and_done_follows_the_last() -> None:
    walked = [PushStage.PLAN_CREATED]
    while walked[-1] is not PushStage.DONE:
        walked.append(next_step(walked[-1]))
    assert walked == [*STEPS, PushStage.DONE]
    # Boxes per packing group before placement: Amazon quotes each placement option from them.
    assert [s.value for s in STEPS[1:6]] == [
        "packing", "box_contents", "placement", "transport", "delivery_window",
    ]  # fmt: skip


def test_a_push_moves_forward_only_and_may_skip_a_step_amazon_does_not_need() -> None:
    at = reach(PLANNED, PushStage.PACKING)
    assert reach(at, PushStage.PACKING) == at, "the same step again: the next shipment"
    boxed = reach(at, PushStage.BOX_CONTENTS)
    assert reach(boxed, PushStage.CARRIER).stage is PushStage.CARRIER  # no delivery window
    with pytest.raises(IllegalPushTransition):
        reach(boxed, PushStage.PACKING)
    with pytest.raises(IllegalPushTransition):
        reach(CLAIMED, PushStage.PACKING)  # no plan yet
    assert finish(boxed).stage is PushStage.DONE  # transport confirmed earlier: nothing left


@pytest.mark.parametrize(
    ("move", "state"),
    [
        (lambda s: created(s, "wf-2"), EXPIRED),  # only a running claim gets Amazon's answer
        (expire, PLANNED),
        (finish, CLAIMED),
        (stop, CLAIMED),
        (resume, CLAIMED),
        (cancel, STALE),
        (lambda s: claim(s, now=NOW, token="b" * 12), PLANNED),  # a plan is never claimed over
        (lambda s: claim(s, now=NOW, token="b" * 12), finish(PLANNED)),
    ],
)
def test_illegal_transitions_raise(move: object, state: PushState) -> None:
    with pytest.raises(IllegalPushTransition):
        move(state)  # type: ignore[operator]


def test_a_state_must_say_what_its_stage_needs() -> None:
    with pytest.raises(IllegalPushTransition):
        PushState(PushStage.PACKING)  # a step without its plan
    with pytest.raises(IllegalPushTransition):
        PushState(PushStage.CLAIMED, plan_id="wf-1", token="a")  # a claim is no plan
    with pytest.raises(IllegalPushTransition):
        PushState(PushStage.STOPPED, plan_id="wf-1")  # stopped, but where?


def test_a_dead_claim_is_continued_under_its_name_and_a_later_time() -> None:
    for dead in (CLAIMED, EXPIRED):
        again = claim(dead, now=NOW, token="bbbbbbbbbbbb")
        assert again.stage is PushStage.CLAIMED and again.token == dead.token
        assert again.claimed_at == NOW and again.continues
    hurried = claim(CLAIMED, now=CLAIMED.claimed_at, token="b" * 12)  # the same second
    assert hurried.claimed_at == CLAIMED.claimed_at + 1, "an edit loaded before it is refused"


def test_a_stale_cancelled_or_unpushed_order_is_claimed_under_a_new_name() -> None:
    for state in (None, STALE, cancel(PLANNED)):
        fresh = claim(state, now=NOW, token="bbbbbbbbbbbb")
        assert fresh == PushState(PushStage.CLAIMED, token="bbbbbbbbbbbb", claimed_at=NOW)


def test_an_edit_makes_a_dead_claim_stale_and_leaves_a_running_push_and_plans_alone() -> None:
    assert edited(EXPIRED, push_running=False) == STALE
    assert edited(CLAIMED, push_running=False) == STALE, "no live push behind it: it died"
    assert edited(CLAIMED, push_running=True) is None
    assert edited(STALE, push_running=False) == STALE
    for state in (None, PLANNED, stop(reach(PLANNED, PushStage.PACKING)), cancel(PLANNED)):
        assert edited(state, push_running=False) is None


def test_a_stopped_push_names_its_step_and_the_next_one_resumes_from_the_plan() -> None:
    stopped = stop(reach(PLANNED, PushStage.BOX_CONTENTS))
    assert stopped.stage is PushStage.STOPPED and stopped.step is PushStage.BOX_CONTENTS
    assert stopped.plan_id == "wf-1"
    assert resume(stopped) == PLANNED, "Amazon tells which steps are done"


def test_the_plan_name_is_the_claims_and_fits_amazons_limit() -> None:
    assert plan_name("TO-1001", "abcdef123456") == "planner TO-1001 abcdef123456"
    assert len(plan_name("PO-" + "7" * 40, "abcdef123456")) == 40


# -- the push's walk on fakes ---------------------------------------------------------------------


def _target() -> PushTarget:
    order = StockOrder(
        NUMBER, OrderKind.TRANSFER, "FBA-US", source="IP-MAIN", status=OrderStatus.OPEN,
        lines=[OrderLine("TEA-1", 48), OrderLine("TEA-2", 30)],
    )  # fmt: skip
    items = tuple(InboundPlanItem(line.sku, line.ordered) for line in order.lines)
    return PushTarget(order, "amazon-na", "ATVPDKIKX0DER", items, DEMO_ADDRESS, {"TEA-1": 12})


def _flow(claims: FakePushClaims, amazon: FakeInboundPlanGateway) -> PushWorkflow:
    return PushWorkflow(claims, amazon, NUMBER, clock=lambda: float(NOW), beat=lambda: None)


def _walk(
    claims: FakePushClaims, amazon: FakeInboundPlanGateway, *, split: bool = True
) -> PushWorkflow:
    flow = _flow(claims, amazon)
    flow.walk(_target(), split=split, settings=PushSettings(carrier="any", default_item=DEMO_ITEM))
    flow.finish()
    return flow


def test_a_fresh_push_claims_creates_one_plan_and_walks_every_step_in_order() -> None:
    claims, amazon = FakePushClaims(NUMBER), FakeInboundPlanGateway(own_carrier=True)
    flow = _walk(claims, amazon)
    (plan,) = amazon.active()
    assert flow.state is not None and flow.state.stage is PushStage.DONE
    assert flow.state.plan_id == plan.plan_id
    assert plan.name == plan_name(NUMBER, flow.state.token or "")
    assert [s.stage for _, s in claims.swaps] == [PushStage.CLAIMED, *STEPS, PushStage.DONE]
    assert claims.splits[NUMBER] is True
    assert set(plan.transport) == set(plan.boxed) == set(plan.windows)


def test_a_claim_another_push_took_first_stops_this_one_before_amazon_hears_of_it() -> None:
    class Raced(FakePushClaims):
        def current(self, order_number: str) -> PushState | None:
            seen = super().current(order_number)
            self.states[order_number] = CLAIMED  # another push claims in between
            return seen

    claims, amazon = Raced(NUMBER), FakeInboundPlanGateway()
    with pytest.raises(PushInProgress, match="being saved to Amazon right now"):
        _walk(claims, amazon)
    assert amazon.calls["create_inbound_plan"] == 0 and claims.states[NUMBER] == CLAIMED


def test_an_expired_claim_whose_plan_amazon_made_is_adopted_not_made_again() -> None:
    claims, amazon = FakePushClaims(NUMBER), FakeInboundPlanGateway()
    amazon.lose("create_inbound_plan")  # Amazon made it; the answer and the lookup were lost
    amazon.fail("find_inbound_plan", MarketplaceError("down", kind=FailureKind.UNAVAILABLE))
    with pytest.raises(MarketplaceError):
        _walk(claims, amazon)
    held = claims.states[NUMBER]
    assert held is not None and held.stage is PushStage.EXPIRED, "the plan may exist"
    flow = _walk(claims, amazon)
    assert amazon.calls["create_inbound_plan"] == 1 and len(amazon.plans) == 1
    assert flow.state is not None and flow.state.token == held.token


def test_a_stale_claims_orphan_plan_is_cancelled_and_a_new_one_made() -> None:
    claims, amazon = FakePushClaims(NUMBER), FakeInboundPlanGateway()
    orphan, _ = amazon.create_inbound_plan(
        "ATVPDKIKX0DER", name=plan_name(NUMBER, STALE.token or ""), source=DEMO_ADDRESS, items=()
    )
    claims.states[NUMBER] = STALE  # a dead push's claim on an order edited since
    flow = _walk(claims, amazon)
    assert amazon.plans[orphan].status == "VOIDED"
    assert flow.state is not None and flow.state.token != STALE.token
    assert [p.plan_id for p in amazon.active()] == [flow.state.plan_id]


@pytest.mark.parametrize(
    ("kind", "after"),
    [
        (FailureKind.REFUSED, PushStage.CANCELLED),  # Amazon said no: no plan to look for
        (FailureKind.REJECTED, PushStage.CANCELLED),
        (FailureKind.THROTTLED, PushStage.CANCELLED),  # 429: Amazon never took the request
        (FailureKind.UNAVAILABLE, PushStage.EXPIRED),  # no answer: the plan may exist
        (FailureKind.TRANSIENT, PushStage.EXPIRED),
    ],
)
def test_a_failed_create_leaves_the_claim_by_what_the_failure_means(
    kind: FailureKind, after: PushStage
) -> None:
    claims, amazon = FakePushClaims(NUMBER), FakeInboundPlanGateway()
    amazon.fail("create_inbound_plan", MarketplaceError("no", kind=kind))
    with pytest.raises(MarketplaceError):
        _walk(claims, amazon)
    held = claims.states[NUMBER]
    assert held is not None and held.stage is after and held.plan_id is None
    looked = 1 if kind is FailureKind.UNAVAILABLE else 0
    assert amazon.calls["find_inbound_plan"] == looked, "by kind, never by the message's words"


def test_a_plan_amazon_refused_to_make_is_cancelled() -> None:
    claims, amazon = FakePushClaims(NUMBER), FakeInboundPlanGateway()
    amazon.failing_operations.add("op-wf0001")
    with pytest.raises(InboundOperationFailed, match=f"order {NUMBER} was not saved"):
        _walk(claims, amazon)
    held = claims.states[NUMBER]
    assert held is not None and held.stage is PushStage.CANCELLED and held.plan_id is None


def test_a_push_stopped_at_a_step_is_continued_and_no_step_is_sent_twice() -> None:
    claims, amazon = FakePushClaims(NUMBER), FakeInboundPlanGateway()
    amazon.fail("set_packing_information", MarketplaceError("down", kind=FailureKind.UNAVAILABLE))
    with pytest.raises(MarketplaceError):
        _walk(claims, amazon)
    held = claims.states[NUMBER]
    assert held is not None and held.stage is PushStage.STOPPED
    assert held.step is PushStage.BOX_CONTENTS
    flow = _walk(claims, amazon)
    assert flow.state is not None and flow.state.stage is PushStage.DONE
    assert flow.state.plan_id == held.plan_id and len(amazon.plans) == 1
    assert amazon.calls["confirm_packing:sent"] == 1 and amazon.calls["confirm_placement"] == 1


def test_a_push_killed_mid_step_is_continued_from_the_step_it_was_at() -> None:
    claims, amazon = FakePushClaims(NUMBER), FakeInboundPlanGateway()
    _walk(claims, amazon)
    plan_id = next(iter(amazon.plans))
    amazon.plans[plan_id].transport.clear()  # as if the carrier was never confirmed
    claims.states[NUMBER] = reach(created(claim(None, now=NOW, token="c" * 12), plan_id),
                                  PushStage.TRANSPORT)  # fmt: skip
    flow = _walk(claims, amazon)
    assert flow.state is not None and flow.state.stage is PushStage.DONE
    assert amazon.calls["confirm_transportation"] == 2 and amazon.calls["confirm_packing:sent"] == 1


def test_no_single_destination_cancels_the_plan_and_the_next_push_starts_afresh() -> None:
    claims, amazon = FakePushClaims(NUMBER), FakeInboundPlanGateway(single_destination=False)
    with pytest.raises(PushRefused, match="Do not split shipments"):
        _walk(claims, amazon, split=False)
    held = claims.states[NUMBER]
    assert held is not None and held.stage is PushStage.CANCELLED
    assert [p.status for p in amazon.plans.values()] == ["VOIDED"]
    flow = _walk(claims, amazon, split=True)
    assert flow.state is not None and flow.state.token != held.token
    assert len(amazon.active()) == 1


def test_a_plan_voided_at_amazon_is_replaced_by_a_new_one() -> None:
    claims, amazon = FakePushClaims(NUMBER), FakeInboundPlanGateway()
    _walk(claims, amazon)
    (old,) = amazon.active()
    old.status = "VOIDED"  # cancelled in Seller Central before the push finished
    claims.states[NUMBER] = PushState(PushStage.STOPPED, token="d" * 12, plan_id=old.plan_id,
                                      step=PushStage.CARRIER)  # fmt: skip
    flow = _walk(claims, amazon)
    assert flow.state is not None and flow.state.plan_id != old.plan_id
    assert len(amazon.active()) == 1


# -- a dead push's createInboundPlan still in flight (issue 17 item 12) ---------------------------


def _timed_flow(claims: FakePushClaims, amazon: FakeInboundPlanGateway) -> PushWorkflow:
    now = [float(NOW)]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    return PushWorkflow(
        claims, amazon, NUMBER, clock=lambda: now[0], beat=lambda: None, sleep=sleep
    )


def _dead_push_made(
    amazon: FakeInboundPlanGateway, claims: FakePushClaims, *, late: int, stage: PushStage
) -> str:
    """A push claimed the order at NOW and died (or timed out: expired); its create made a plan
    Amazon lists only after `late` more listings."""
    dead = PushState(stage, token="aaaaaaaaaaaa", claimed_at=NOW)
    claims.states[NUMBER] = dead
    made, _ = amazon.create_inbound_plan(
        "ATVPDKIKX0DER", name=plan_name(NUMBER, dead.token or ""), source=DEMO_ADDRESS, items=()
    )
    amazon.unlisted[made] = late
    amazon.in_flight_seconds = 10.0
    return made


@pytest.mark.parametrize("stage", [PushStage.CLAIMED, PushStage.EXPIRED])
def test_a_plan_listed_late_is_waited_for_and_adopted_not_made_again(stage: PushStage) -> None:
    claims, amazon = FakePushClaims(NUMBER), FakeInboundPlanGateway()
    made = _dead_push_made(amazon, claims, late=3, stage=stage)
    flow = _timed_flow(claims, amazon)
    flow.walk(_target(), split=True, settings=PushSettings(carrier="any", default_item=DEMO_ITEM))
    assert flow.state is not None and flow.state.plan_id == made
    assert amazon.calls["create_inbound_plan"] == 1, "only the dead push's"
    assert amazon.calls["find_inbound_plan"] == 4, "looked again until Amazon listed it"
    assert [p.plan_id for p in amazon.active()] == [made]


def test_a_plan_listed_after_the_wait_is_cancelled_as_a_twin_of_the_new_one() -> None:
    claims, amazon = FakePushClaims(NUMBER), FakeInboundPlanGateway()
    late = _dead_push_made(amazon, claims, late=6, stage=PushStage.CLAIMED)  # hidden all along
    flow = _timed_flow(claims, amazon)
    flow.walk(_target(), split=True, settings=PushSettings(carrier="any", default_item=DEMO_ITEM))
    assert amazon.calls["find_inbound_plan"] == 6, "until claim time + the create's timeout"
    assert flow.state is not None and flow.state.plan_id != late
    assert amazon.plans[late].status == "VOIDED", "the dead push's plan, listed too late"
    assert [p.plan_id for p in amazon.active()] == [flow.state.plan_id]


def test_a_stale_claims_orphan_listed_late_is_cancelled_all_the_same() -> None:
    claims, amazon = FakePushClaims(NUMBER), FakeInboundPlanGateway()
    orphan, _ = amazon.create_inbound_plan(
        "ATVPDKIKX0DER", name=plan_name(NUMBER, STALE.token or ""), source=DEMO_ADDRESS, items=()
    )
    amazon.unlisted[orphan] = 1  # not yet listed when the push looks for it first
    claims.states[NUMBER] = STALE
    flow = _walk(claims, amazon)
    assert amazon.plans[orphan].status == "VOIDED"
    assert flow.state is not None and [p.plan_id for p in amazon.active()] == [flow.state.plan_id]


def test_an_expired_claim_without_its_time_is_looked_up_once() -> None:
    claims, amazon = FakePushClaims(NUMBER), FakeInboundPlanGateway()
    amazon.in_flight_seconds = 10.0
    claims.states[NUMBER] = EXPIRED
    _timed_flow(claims, amazon).walk(
        _target(), split=True, settings=PushSettings(carrier="any", default_item=DEMO_ITEM)
    )
    assert amazon.calls["find_inbound_plan"] == 1 and amazon.calls["create_inbound_plan"] == 1


# -- a push stopped part-way says so (issue 17 item 11) ------------------------------------------


@pytest.mark.parametrize("kind", [FailureKind.TRANSIENT, FailureKind.BAD_RESPONSE])
def test_a_stopped_push_says_where_it_stopped_and_that_pushing_again_continues(
    kind: FailureKind,
) -> None:
    claims, amazon = FakePushClaims(NUMBER), FakeInboundPlanGateway()
    amazon.fail("set_packing_information", MarketplaceError("Amazon said nothing", kind=kind))
    with pytest.raises(MarketplaceError) as stopped:
        _walk(claims, amazon)
    held = claims.states[NUMBER]
    assert held is not None and held.stage is PushStage.STOPPED and held.plan_id is not None
    text = str(stopped.value)
    assert f"order {NUMBER} is being saved to Amazon, stopped at box contents" in text
    assert f"inbound plan {held.plan_id} is kept" in text and "Amazon said nothing" in text
    assert f"`planner push {NUMBER}` continues that plan from box contents" in text
