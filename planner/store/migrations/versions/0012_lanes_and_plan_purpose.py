"""Which warehouses a warehouse ships to (transfer lanes, with transit days), and whether a
plan is the live one people review or a what-if made for another day.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("warehouses") as batch:
        batch.add_column(sa.Column("supplies", sa.JSON(), nullable=True))
    with op.batch_alter_table("plans") as batch:
        batch.add_column(sa.Column("purpose", sa.String(16), nullable=False, server_default="live"))


def downgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.drop_column("purpose")
    with op.batch_alter_table("warehouses") as batch:
        batch.drop_column("supplies")
