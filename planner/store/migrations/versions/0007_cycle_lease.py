"""Cycle lease: 64-bit counters, and whether a run held the cycle lease.

counters.value holds unix seconds for the leases: 32 bits run out in 2038 on PostgreSQL.
runs.exclusive tells a run that synced/planned/published (it held the lease, so once the lease
is free it is dead) from a digest-only run (no lease: judged by its age).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("counters") as batch:
        batch.alter_column("value", type_=sa.BigInteger(), existing_nullable=False)
    with op.batch_alter_table("runs") as batch:
        batch.add_column(
            sa.Column("exclusive", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("exclusive")
    with op.batch_alter_table("counters") as batch:
        batch.alter_column("value", type_=sa.Integer(), existing_nullable=False)
