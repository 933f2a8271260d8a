"""Initial MES schema: orders, dispatch, material and genealogy, quality, equipment, alarms.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

#: 64-bit keys, still SQLite's rowid (INTEGER PRIMARY KEY) on SQLite.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column[int]:
    return sa.Column("id", BIG_ID, autoincrement=True, nullable=False)


def upgrade() -> None:
    op.create_table(
        "mes_alarm",
        _id(),
        sa.Column("equipment", sa.String(length=255), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=200), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("shelved_until_ns", sa.BigInteger(), nullable=True),
        sa.Column("shelved_by", sa.String(length=64), nullable=False),
        sa.Column("raised_ns", sa.BigInteger(), nullable=False),
        sa.Column("cleared_ns", sa.BigInteger(), nullable=True),
        sa.Column("acked_ns", sa.BigInteger(), nullable=True),
        sa.Column("acked_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mes_alarm")),
    )
    op.create_index(
        op.f("ix_mes_alarm_key"), "mes_alarm", ["equipment", "code", "state"], unique=False
    )
    op.create_index(op.f("ix_mes_alarm_ref"), "mes_alarm", ["ref"], unique=False)

    op.create_table(
        "mes_dispatch",
        _id(),
        sa.Column("equipment", sa.String(length=255), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sent_ns", sa.BigInteger(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mes_dispatch")),
        sa.UniqueConstraint("order_id", "seq", name=op.f("uq_mes_dispatch_order_id_seq")),
    )
    op.create_index(op.f("ix_mes_dispatch_equipment"), "mes_dispatch", ["equipment"], unique=False)

    op.create_table(
        "mes_downtime",
        _id(),
        sa.Column("equipment", sa.String(length=255), nullable=False),
        sa.Column("start_ns", sa.BigInteger(), nullable=False),
        sa.Column("end_ns", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("planned", sa.Boolean(), nullable=True),
        sa.Column("machine_reason", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("who", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mes_downtime")),
    )
    op.create_index(
        op.f("ix_mes_downtime_when"), "mes_downtime", ["equipment", "start_ns"], unique=False
    )

    op.create_table(
        "mes_equipment_state",
        sa.Column("equipment", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("element", sa.String(length=8), nullable=False),
        sa.Column("since_ns", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("equipment", name=op.f("pk_mes_equipment_state")),
    )
    op.create_table(
        "mes_event_parked",
        _id(),
        sa.Column("equipment", sa.String(length=255), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("ts_ns", sa.BigInteger(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("event", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mes_event_parked")),
    )
    op.create_table(
        "mes_event_seen",
        sa.Column("equipment", sa.String(length=255), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("ts_ns", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("equipment", "seq", name=op.f("pk_mes_event_seen")),
    )
    op.create_table(
        "mes_genealogy",
        _id(),
        sa.Column("parent", sa.String(length=64), nullable=False),
        sa.Column("child", sa.String(length=64), nullable=False),
        sa.Column("child_kind", sa.String(length=8), nullable=False),
        sa.Column("material", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("equipment", sa.String(length=255), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("ts_ns", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mes_genealogy")),
    )
    op.create_index(
        op.f("ix_mes_genealogy_child"),
        "mes_genealogy",
        ["child", "child_kind", "parent"],
        unique=False,
    )
    op.create_index(op.f("ix_mes_genealogy_parent"), "mes_genealogy", ["parent"], unique=False)

    op.create_table(
        "mes_inspection",
        _id(),
        sa.Column("serial", sa.String(length=64), nullable=True),
        sa.Column("product", sa.String(length=64), nullable=False),
        sa.Column("characteristic", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("in_spec", sa.Boolean(), nullable=True),
        sa.Column("equipment", sa.String(length=255), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("ts_ns", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mes_inspection")),
    )
    op.create_index(op.f("ix_mes_inspection_serial"), "mes_inspection", ["serial"], unique=False)
    op.create_index(
        op.f("ix_mes_inspection_series"),
        "mes_inspection",
        ["product", "characteristic", "ts_ns"],
        unique=False,
    )

    op.create_table(
        "mes_lot",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("material", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("consumed", sa.Float(), nullable=False),
        sa.Column("supplier", sa.String(length=200), nullable=False),
        sa.Column("received_ns", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mes_lot")),
    )
    op.create_index(op.f("ix_mes_lot_material"), "mes_lot", ["material"], unique=False)

    op.create_table(
        "mes_lot_load",
        _id(),
        sa.Column("equipment", sa.String(length=255), nullable=False),
        sa.Column("material", sa.String(length=64), nullable=False),
        sa.Column("lot_id", sa.String(length=64), nullable=False),
        sa.Column("loaded_ns", sa.BigInteger(), nullable=False),
        sa.Column("unloaded_ns", sa.BigInteger(), nullable=True),
        sa.Column("who", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mes_lot_load")),
    )
    op.create_index(
        op.f("ix_mes_lot_load_where"),
        "mes_lot_load",
        ["equipment", "material", "unloaded_ns"],
        unique=False,
    )

    op.create_table(
        "mes_ncr",
        _id(),
        sa.Column("serial", sa.String(length=64), nullable=True),
        sa.Column("lot", sa.String(length=64), nullable=True),
        sa.Column("product", sa.String(length=64), nullable=True),
        sa.Column("characteristic", sa.String(length=64), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("disposition", sa.String(length=16), nullable=True),
        sa.Column("raised_by", sa.String(length=64), nullable=False),
        sa.Column("created_ns", sa.BigInteger(), nullable=False),
        sa.Column("updated_ns", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mes_ncr")),
    )
    op.create_index(op.f("ix_mes_ncr_serial"), "mes_ncr", ["serial"], unique=False)
    op.create_index(op.f("ix_mes_ncr_status"), "mes_ncr", ["status"], unique=False)

    op.create_table(
        "mes_ncr_history",
        _id(),
        sa.Column("ncr_id", sa.BigInteger(), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("disposition", sa.String(length=16), nullable=True),
        sa.Column("who", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("ts_ns", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mes_ncr_history")),
    )
    op.create_index(op.f("ix_mes_ncr_history_ncr_id"), "mes_ncr_history", ["ncr_id"], unique=False)

    op.create_table(
        "mes_order",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("product", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("due_ns", sa.BigInteger(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("routing", sa.String(length=64), nullable=True),
        sa.Column("bom", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_ns", sa.BigInteger(), nullable=False),
        sa.Column("released_ns", sa.BigInteger(), nullable=True),
        sa.Column("started_ns", sa.BigInteger(), nullable=True),
        sa.Column("ended_ns", sa.BigInteger(), nullable=True),
        sa.Column("good", sa.Integer(), nullable=False),
        sa.Column("scrap", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mes_order")),
    )
    op.create_index(op.f("ix_mes_order_status"), "mes_order", ["status"], unique=False)

    op.create_table(
        "mes_order_history",
        _id(),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("who", sa.String(length=64), nullable=False),
        sa.Column("ts_ns", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mes_order_history")),
    )
    op.create_index(
        op.f("ix_mes_order_history_order_id"), "mes_order_history", ["order_id"], unique=False
    )

    op.create_table(
        "mes_quality_spec",
        sa.Column("product", sa.String(length=64), nullable=False),
        sa.Column("characteristic", sa.String(length=64), nullable=False),
        sa.Column("nominal", sa.Float(), nullable=True),
        sa.Column("lsl", sa.Float(), nullable=True),
        sa.Column("usl", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("product", "characteristic", name=op.f("pk_mes_quality_spec")),
    )
    op.create_table(
        "mes_report",
        _id(),
        sa.Column("equipment", sa.String(length=255), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("good", sa.Integer(), nullable=False),
        sa.Column("scrap", sa.Integer(), nullable=False),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("ts_ns", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mes_report")),
    )
    op.create_index(op.f("ix_mes_report_equipment"), "mes_report", ["equipment"], unique=False)

    op.create_table(
        "mes_state_history",
        _id(),
        sa.Column("equipment", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("element", sa.String(length=8), nullable=False),
        sa.Column("start_ns", sa.BigInteger(), nullable=False),
        sa.Column("end_ns", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mes_state_history")),
    )
    op.create_index(
        op.f("ix_mes_state_history_when"),
        "mes_state_history",
        ["equipment", "start_ns"],
        unique=False,
    )

    op.create_table(
        "mes_unit",
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("product", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("defect", sa.String(length=200), nullable=True),
        sa.Column("created_ns", sa.BigInteger(), nullable=False),
        sa.Column("ended_ns", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("serial", name=op.f("pk_mes_unit")),
    )
    op.create_index(op.f("ix_mes_unit_order_id"), "mes_unit", ["order_id"], unique=False)

    op.create_table(
        "mes_unit_op",
        _id(),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("op_id", sa.String(length=64), nullable=False),
        sa.Column("equipment", sa.String(length=255), nullable=False),
        sa.Column("operator", sa.String(length=64), nullable=True),
        sa.Column("started_ns", sa.BigInteger(), nullable=True),
        sa.Column("ended_ns", sa.BigInteger(), nullable=True),
        sa.Column("good", sa.Boolean(), nullable=True),
        sa.Column("process", sa.JSON(), nullable=True),
        sa.Column("missing", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mes_unit_op")),
    )
    op.create_index(op.f("ix_mes_unit_op_serial"), "mes_unit_op", ["serial"], unique=False)

    op.create_table(
        "mes_alarm_history",
        _id(),
        sa.Column("alarm_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("who", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("ts_ns", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alarm_id"],
            ["mes_alarm.id"],
            name=op.f("fk_mes_alarm_history_alarm_id_mes_alarm"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mes_alarm_history")),
    )
    op.create_index(
        op.f("ix_mes_alarm_history_alarm_id"), "mes_alarm_history", ["alarm_id"], unique=False
    )

    op.create_table(
        "mes_order_op",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("op_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("eligible", sa.JSON(), nullable=False),
        sa.Column("standard_time_s", sa.Double(), nullable=False),
        sa.Column("setup_time_s", sa.Double(), nullable=False),
        sa.Column("inspect", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("equipment", sa.String(length=255), nullable=True),
        sa.Column("good", sa.Integer(), nullable=False),
        sa.Column("scrap", sa.Integer(), nullable=False),
        sa.Column("started_ns", sa.BigInteger(), nullable=True),
        sa.Column("ended_ns", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["mes_order.id"],
            name=op.f("fk_mes_order_op_order_id_mes_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_id", "seq", name=op.f("pk_mes_order_op")),
    )


def downgrade() -> None:
    op.drop_table("mes_order_op")
    op.drop_index(op.f("ix_mes_alarm_history_alarm_id"), table_name="mes_alarm_history")

    op.drop_table("mes_alarm_history")
    op.drop_index(op.f("ix_mes_unit_op_serial"), table_name="mes_unit_op")

    op.drop_table("mes_unit_op")
    op.drop_index(op.f("ix_mes_unit_order_id"), table_name="mes_unit")

    op.drop_table("mes_unit")
    op.drop_index(op.f("ix_mes_state_history_when"), table_name="mes_state_history")

    op.drop_table("mes_state_history")
    op.drop_index(op.f("ix_mes_report_equipment"), table_name="mes_report")

    op.drop_table("mes_report")
    op.drop_table("mes_quality_spec")
    op.drop_index(op.f("ix_mes_order_history_order_id"), table_name="mes_order_history")

    op.drop_table("mes_order_history")
    op.drop_index(op.f("ix_mes_order_status"), table_name="mes_order")

    op.drop_table("mes_order")
    op.drop_index(op.f("ix_mes_ncr_history_ncr_id"), table_name="mes_ncr_history")

    op.drop_table("mes_ncr_history")
    op.drop_index(op.f("ix_mes_ncr_status"), table_name="mes_ncr")
    op.drop_index(op.f("ix_mes_ncr_serial"), table_name="mes_ncr")

    op.drop_table("mes_ncr")
    op.drop_index(op.f("ix_mes_lot_load_where"), table_name="mes_lot_load")

    op.drop_table("mes_lot_load")
    op.drop_index(op.f("ix_mes_lot_material"), table_name="mes_lot")

    op.drop_table("mes_lot")
    op.drop_index(op.f("ix_mes_inspection_series"), table_name="mes_inspection")
    op.drop_index(op.f("ix_mes_inspection_serial"), table_name="mes_inspection")

    op.drop_table("mes_inspection")
    op.drop_index(op.f("ix_mes_genealogy_parent"), table_name="mes_genealogy")
    op.drop_index(op.f("ix_mes_genealogy_child"), table_name="mes_genealogy")

    op.drop_table("mes_genealogy")
    op.drop_table("mes_event_seen")
    op.drop_table("mes_event_parked")
    op.drop_table("mes_equipment_state")
    op.drop_index(op.f("ix_mes_downtime_when"), table_name="mes_downtime")

    op.drop_table("mes_downtime")
    op.drop_index(op.f("ix_mes_dispatch_equipment"), table_name="mes_dispatch")

    op.drop_table("mes_dispatch")
    op.drop_index(op.f("ix_mes_alarm_ref"), table_name="mes_alarm")
    op.drop_index(op.f("ix_mes_alarm_key"), table_name="mes_alarm")

    op.drop_table("mes_alarm")
