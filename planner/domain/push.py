"""Where saving one order to Amazon (a push) has got: a typed state and its allowed transitions.

A push first claims the order (CLAIMED: a token that names the inbound plan it is about to make,
`planner <order> <token>`, and when it claimed it), then Amazon answers with a plan id and the
push walks the workflow's steps in order:

    CLAIMED -> PLAN_CREATED -> PACKING -> BOX_CONTENTS -> PLACEMENT -> TRANSPORT
            -> DELIVERY_WINDOW -> CARRIER -> DONE

(the boxes go to Amazon per packing group before placement, so each placement option can be
quoted with its carrier's price; a plan an older planner placed first gets its boxes per
shipment after placement)

(a step Amazon does not need is skipped: no delivery window for a partnered carrier, nothing after
the boxes when transportation was confirmed earlier). A push that fails at a step is STOPPED there;
the next push RESUMES the same plan from its start, asking Amazon which steps are done. A push that
ended before Amazon's answer leaves its claim EXPIRED (the plan may exist under the claim's name:
the next push looks for it); an edit of the order turns a dead claim STALE (a plan made under it
no longer matches the order: the next push cancels it). CANCELLED: there is no plan at Amazon for
the order (cancelled, void or refused); the next push starts afresh.

Every function here is pure; an illegal transition raises IllegalPushTransition.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from planner.domain.errors import InvalidTransition


class PushStage(StrEnum):
    CLAIMED = "claimed"  # a push is about to create the inbound plan
    EXPIRED = "expired"  # the push ended before Amazon's answer: its plan may exist
    STALE = "stale"  # a dead push's claim on an order edited since: its plan is to be cancelled
    PLAN_CREATED = "plan_created"  # Amazon gave the plan id
    PACKING = "packing"  # confirming how the units are packed
    BOX_CONTENTS = "box_contents"  # sending the boxes' contents (per packing group)
    PLACEMENT = "placement"  # quoting, choosing and confirming where the units go
    TRANSPORT = "transport"  # asking for and choosing the transportation options
    DELIVERY_WINDOW = "delivery_window"  # confirming delivery windows, where an option needs one
    CARRIER = "carrier"  # confirming the carrier (transportation): the workflow's last call
    DONE = "done"  # every step taken: the order is saved to Amazon
    STOPPED = "stopped"  # the push failed at `step`; the next one continues the plan
    CANCELLED = "cancelled"  # no plan at Amazon for the order: the next push starts afresh


# No plan id known: a push has claimed the order (or had, and died).
CLAIMS = (PushStage.CLAIMED, PushStage.EXPIRED, PushStage.STALE)
# A plan exists: its workflow steps, in the order a push takes them.
STEPS = (
    PushStage.PLAN_CREATED,
    PushStage.PACKING,
    PushStage.BOX_CONTENTS,  # before placement: Amazon quotes each placement from the boxes
    PushStage.PLACEMENT,
    PushStage.TRANSPORT,
    PushStage.DELIVERY_WINDOW,
    PushStage.CARRIER,
)

# A plan exists (its id is kept with the state).
PLANNED = (*STEPS, PushStage.DONE, PushStage.STOPPED)


class IllegalPushTransition(InvalidTransition):
    """A push's state cannot move to the one asked for (a bug or a race, never a person's doing)."""


@dataclass(frozen=True, slots=True)
class PushState:
    """One order's push: its stage, the claim's token and time, the plan id, a stopped step."""

    stage: PushStage
    token: str | None = None  # names the plan: `planner <order> <token>` (None: no claim yet)
    # unix seconds the claim was last taken: its createInboundPlan was sent after that (kept when
    # the claim expires, so the next push knows how long that create may still be in flight;
    # 0: no claim, or one from before planner kept the time)
    claimed_at: int = 0
    plan_id: str | None = None  # Amazon's inbound plan id (only in STEPS, DONE and STOPPED)
    step: PushStage | None = None  # STOPPED: the step the push failed at

    def __post_init__(self) -> None:
        has_plan = self.stage in PLANNED
        if has_plan != (self.plan_id is not None):
            raise IllegalPushTransition(f"a {self.stage} push {_plan_words(has_plan)}")
        if (self.stage is PushStage.STOPPED) != (self.step is not None):
            raise IllegalPushTransition("only a stopped push names the step it stopped at")
        if self.stage in CLAIMS and not self.token:
            raise IllegalPushTransition(f"a {self.stage} claim needs its token")

    @property
    def running_claim(self) -> bool:
        """A claim a push may still be working under (it may be dead: the lease tells)."""
        return self.stage is PushStage.CLAIMED

    @property
    def continues(self) -> bool:
        """A claim whose plan Amazon may have made: the next push looks for it by name."""
        return self.stage in (PushStage.CLAIMED, PushStage.EXPIRED)

    @property
    def has_plan(self) -> bool:
        return self.plan_id is not None


def _plan_words(has_plan: bool) -> str:
    return "needs its plan id" if has_plan else "has no plan id"


def _illegal(state: PushState | None, to: str) -> IllegalPushTransition:
    stage = state.stage if state is not None else "unpushed"
    return IllegalPushTransition(f"a push cannot go from {stage} to {to}")


def step_words(stage: PushStage) -> str:
    """A workflow step as people read it ("box contents", "delivery window")."""
    return "creating the plan" if stage is PushStage.PLAN_CREATED else stage.value.replace("_", " ")


def plan_name(order_number: str, token: str) -> str:
    """The plan's name at Amazon: unique to the claim, so a lost answer can be found again."""
    return f"planner {order_number} {token}"[:40]


def claim(state: PushState | None, *, now: int, token: str) -> PushState:
    """A push claims the order before creating its plan.

    A dead push's claim (CLAIMED or EXPIRED) is continued with its token, hence its plan name:
    a plan Amazon may have made under it is found by every later push. The new claim's time is
    later than the dead one's, so an edit loaded before it is refused. Otherwise (never pushed,
    STALE, CANCELLED) the claim takes the fresh `token`.
    """
    if state is None or state.stage in (PushStage.STALE, PushStage.CANCELLED):
        return PushState(PushStage.CLAIMED, token=token, claimed_at=max(now, 1))
    if state.continues:
        return replace(state, stage=PushStage.CLAIMED, claimed_at=max(now, state.claimed_at + 1))
    raise _illegal(state, "a new claim")


def expire(state: PushState) -> PushState:
    """The push ended before Amazon's answer: the claim (and its plan name) waits for the next.

    The claim's time stays: Amazon may still make the plan of a create sent after it, and list
    it later still, so the next push looks for it until that could no longer happen.
    """
    if state.stage is not PushStage.CLAIMED:
        raise _illegal(state, PushStage.EXPIRED)
    return replace(state, stage=PushStage.EXPIRED)


def edited(state: PushState | None, *, push_running: bool) -> PushState | None:
    """The state after a person edited the order (None: unchanged).

    A dead push's claim (expired, stale, or claimed with no live push behind it) becomes STALE:
    a plan Amazon may have made under it is for the order as it was, to be cancelled, never
    adopted. A running push's claim and every plan state stay as they are.
    """
    if state is None or state.stage not in CLAIMS:
        return None
    if state.stage is PushStage.CLAIMED and push_running:
        return None
    return replace(state, stage=PushStage.STALE, claimed_at=0)


def created(state: PushState, plan_id: str) -> PushState:
    """Amazon answered the claim with a plan id (made now, or found under the claim's name)."""
    if state.stage is not PushStage.CLAIMED:
        raise _illegal(state, PushStage.PLAN_CREATED)
    return PushState(PushStage.PLAN_CREATED, token=state.token, plan_id=plan_id)


def resume(state: PushState) -> PushState:
    """A push continues the order's plan from its start (Amazon tells which steps are done)."""
    if state.stage not in (*STEPS, PushStage.STOPPED):
        raise _illegal(state, "its plan's first step")
    return PushState(PushStage.PLAN_CREATED, token=state.token, plan_id=state.plan_id)


def reach(state: PushState, stage: PushStage) -> PushState:
    """The push is at `stage`: a later workflow step (or the same one, for the next shipment)."""
    if state.stage not in STEPS or stage not in STEPS:
        raise _illegal(state, stage)
    if STEPS.index(stage) < STEPS.index(state.stage):
        raise _illegal(state, stage)
    return replace(state, stage=stage)


def next_step(stage: PushStage) -> PushStage:
    """The step after `stage` in the workflow (DONE after the last)."""
    if stage not in STEPS:
        raise IllegalPushTransition(f"{stage} is no workflow step")
    at = STEPS.index(stage)
    return STEPS[at + 1] if at + 1 < len(STEPS) else PushStage.DONE


def stop(state: PushState) -> PushState:
    """The push failed at the step it was at: the plan stays, the next push continues it."""
    if state.stage not in STEPS:
        raise _illegal(state, PushStage.STOPPED)
    return replace(state, stage=PushStage.STOPPED, step=state.stage)


def finish(state: PushState) -> PushState:
    """Every step Amazon needed is taken."""
    if state.stage not in STEPS:
        raise _illegal(state, PushStage.DONE)
    return replace(state, stage=PushStage.DONE)


def cancel(state: PushState) -> PushState:
    """No plan at Amazon for the order any more (refused, void, or cancelled by the push)."""
    if state.stage not in (PushStage.CLAIMED, *STEPS, PushStage.STOPPED):
        raise _illegal(state, PushStage.CANCELLED)
    return PushState(PushStage.CANCELLED, token=state.token)
