"""Schedules proposed for the open orders (the scheduler plugs into MES here).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mes_schedule",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("created_ns", sa.BigInteger(), nullable=False),
        sa.Column("who", sa.String(length=64), nullable=False),
        sa.Column("solver", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("solver_status", sa.String(length=16), nullable=False),
        sa.Column("time_limit_s", sa.Float(), nullable=False),
        sa.Column("wall_s", sa.Float(), nullable=False),
        sa.Column("makespan_s", sa.BigInteger(), nullable=False),
        sa.Column("lower_bound", sa.BigInteger(), nullable=False),
        sa.Column("objective", sa.BigInteger(), nullable=False),
        sa.Column("weighted_tardiness", sa.BigInteger(), nullable=False),
        sa.Column("orders", sa.JSON(), nullable=False),
        sa.Column("units", sa.JSON(), nullable=False),
        sa.Column("applied_ns", sa.BigInteger(), nullable=True),
        sa.Column("applied_by", sa.String(length=64), nullable=False),
        sa.Column("moved", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mes_schedule")),
    )
    op.create_index(
        op.f("ix_mes_schedule_created_ns"), "mes_schedule", ["created_ns"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_mes_schedule_created_ns"), table_name="mes_schedule")
    op.drop_table("mes_schedule")
