"""The push's state in its own columns; amazon_plan_id holds only Amazon's inbound plan ids.

Until this revision a push's claim lived in amazon_plan_id as a string: `push:<unix time>:<token>`
(a push is creating the plan), `push:0:<token>` (it ended before Amazon's answer) or
`push:stale:<token>` (a dead push's claim on an order edited since). Each moves to push_state
(claimed / expired / stale), push_token and push_claimed_at, and amazon_plan_id is cleared. An
order with a real plan id is `done` when its push finished (amazon_pushed_at), else
`plan_created` (the next push asks Amazon which steps are left). Downgrading writes the strings
back; states the strings could not say (stopped, cancelled) become the plan id, or nothing.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_CLAIM = "push:"  # the old prefix of a claim, in amazon_plan_id (only here from now on)


def _orders() -> sa.TableClause:
    return sa.table(
        "stock_orders",
        sa.column("id", sa.Integer()),
        sa.column("amazon_plan_id", sa.String()),
        sa.column("amazon_pushed_at", sa.DateTime(timezone=True)),
        sa.column("push_state", sa.String()),
        sa.column("push_token", sa.String()),
        sa.column("push_claimed_at", sa.BigInteger()),
        sa.column("push_step", sa.String()),
    )


def _from_string(held: str, pushed: bool) -> dict[str, object]:
    """The state columns of what amazon_plan_id held."""
    if not held.startswith(_CLAIM):
        state = "done" if pushed else "plan_created"
        return {"push_state": state, "push_token": None, "push_claimed_at": 0}
    _, when, token = [*held.split(":", 2), "", ""][:3]
    if when == "stale":
        state, at = "stale", 0
    else:
        at = int(when) if when.isdigit() else 0
        state = "claimed" if at > 0 else "expired"
    return {
        "push_state": state,
        "push_token": token[:16] or "0",
        "push_claimed_at": at,
        "amazon_plan_id": None,
    }


def upgrade() -> None:
    with op.batch_alter_table("stock_orders") as batch:
        batch.add_column(sa.Column("push_state", sa.String(16), nullable=True))
        batch.add_column(sa.Column("push_token", sa.String(16), nullable=True))
        batch.add_column(sa.Column("push_claimed_at", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("push_step", sa.String(16), nullable=True))
    conn = op.get_bind()
    orders = _orders()
    rows = conn.execute(
        sa.select(orders.c.id, orders.c.amazon_plan_id, orders.c.amazon_pushed_at).where(
            orders.c.amazon_plan_id.is_not(None)
        )
    ).all()
    for order_id, held, pushed_at in rows:
        values = _from_string(held, pushed_at is not None)
        conn.execute(sa.update(orders).where(orders.c.id == order_id).values(values))


def _to_string(state: str, token: str | None, at: int | None, plan_id: str | None) -> str | None:
    if state == "claimed":
        return f"{_CLAIM}{at or 0}:{token}"
    if state == "expired":
        return f"{_CLAIM}0:{token}"
    if state == "stale":
        return f"{_CLAIM}stale:{token}"
    return plan_id


def downgrade() -> None:
    conn = op.get_bind()
    orders = _orders()
    c = orders.c
    rows = conn.execute(
        sa.select(c.id, c.push_state, c.push_token, c.push_claimed_at, c.amazon_plan_id).where(
            c.push_state.is_not(None)
        )
    ).all()
    for order_id, state, token, at, plan_id in rows:
        held = _to_string(state, token, at, plan_id)
        conn.execute(sa.update(orders).where(c.id == order_id).values(amazon_plan_id=held))
    with op.batch_alter_table("stock_orders") as batch:
        batch.drop_column("push_step")
        batch.drop_column("push_claimed_at")
        batch.drop_column("push_token")
        batch.drop_column("push_state")
