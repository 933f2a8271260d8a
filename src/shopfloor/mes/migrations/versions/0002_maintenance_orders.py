"""Maintenance work orders (predictive maintenance closes its loop here).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mes_maintenance_order",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("equipment", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("due_ns", sa.BigInteger(), nullable=True),
        sa.Column("alarm_id", sa.BigInteger(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("created_ns", sa.BigInteger(), nullable=False),
        sa.Column("closed_ns", sa.BigInteger(), nullable=True),
        sa.Column("who", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mes_maintenance_order")),
    )
    op.create_index(
        op.f("ix_mes_maintenance_order_equipment"),
        "mes_maintenance_order",
        ["equipment"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_mes_maintenance_order_equipment"), table_name="mes_maintenance_order")
    op.drop_table("mes_maintenance_order")
