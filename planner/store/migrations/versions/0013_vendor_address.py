"""A vendor's postal address, printed at the head of its purchase order documents.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("vendors") as batch:
        batch.add_column(sa.Column("address", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("vendors") as batch:
        batch.drop_column("address")
