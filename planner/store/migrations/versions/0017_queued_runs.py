"""Runs carried by the task queue (issue 20): runs.queued and the run_tasks of each queued run.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(
            sa.Column("queued", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "run_tasks",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("hint", sa.Text()),
        sa.Column("result", sa.LargeBinary()),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False, server_default="0"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_run_tasks_run_id_runs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "key", name="pk_run_tasks"),
    )


def downgrade() -> None:
    op.drop_table("run_tasks")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("queued")
