"""residents tables: totals, points ledger, daily counts, counters, badges, profiles and the
appeal projection

Revision ID: 0003
Revises: 0002
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "resident_totals",
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("district", sa.String(length=64), nullable=False),
        sa.Column("resident_id", sa.String(length=36), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("reached_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("period", "district", "resident_id",
                                name=op.f("pk_resident_totals")),
    )
    op.create_index("ix_resident_totals_board", "resident_totals",
                    ["period", "district", "points", "reached_at"])
    op.create_table(
        "points_ledger",
        sa.Column("id", BIGINT, autoincrement=True, nullable=False),
        sa.Column("resident_id", sa.String(length=36), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("capped", sa.Boolean(), nullable=False),
        sa.Column("appeal_id", sa.String(length=64), nullable=True),
        sa.Column("district", sa.String(length=64), nullable=True),
        sa.Column("cause", sa.String(length=36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_ledger")),
        sa.UniqueConstraint("cause", "resident_id", "rule", name="uq_points_ledger_cause_rule"),
    )
    op.create_index("ix_points_ledger_resident", "points_ledger", ["resident_id", "id"])
    op.create_index("ix_points_ledger_appeal", "points_ledger", ["appeal_id", "resident_id"])
    op.create_table(
        "points_daily_counts",
        sa.Column("resident_id", sa.String(length=36), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("resident_id", "rule", "day", name=op.f("pk_points_daily_counts")),
    )
    op.create_table(
        "resident_counters",
        sa.Column("resident_id", sa.String(length=36), nullable=False),
        sa.Column("counter", sa.String(length=40), nullable=False),
        sa.Column("district", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("resident_id", "counter", "district",
                                name=op.f("pk_resident_counters")),
    )
    op.create_table(
        "resident_badges",
        sa.Column("resident_id", sa.String(length=36), nullable=False),
        sa.Column("badge", sa.String(length=40), nullable=False),
        sa.Column("awarded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cause", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("resident_id", "badge", name=op.f("pk_resident_badges")),
    )
    op.create_table(
        "resident_profiles",
        sa.Column("resident_id", sa.String(length=36), nullable=False),
        sa.Column("shown_as", sa.String(length=16), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=True),
        sa.Column("pseudonym", sa.String(length=40), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("resident_id", name=op.f("pk_resident_profiles")),
        sa.UniqueConstraint("pseudonym", name=op.f("uq_resident_profiles_pseudonym")),
    )
    op.create_table(
        "resident_appeals",
        sa.Column("appeal_id", sa.String(length=64), nullable=False),
        sa.Column("author_id", sa.String(length=36), nullable=True),
        sa.Column("district", sa.String(length=64), nullable=True),
        sa.Column("assignment_version", sa.Integer(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_cause", sa.String(length=36), nullable=True),
        sa.Column("accepted_awarded", sa.Boolean(), nullable=False),
        sa.Column("confirmed_awarded", sa.Boolean(), nullable=False),
        sa.Column("rated_awarded", sa.Boolean(), nullable=False),
        sa.Column("own", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("appeal_id", name=op.f("pk_resident_appeals")),
    )
    op.create_index("ix_resident_appeals_author", "resident_appeals", ["author_id"])
    op.create_table(
        "resident_appeal_staff",
        sa.Column("appeal_id", sa.String(length=64), nullable=False),
        sa.Column("actor_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("appeal_id", "actor_id", name=op.f("pk_resident_appeal_staff")),
    )
    op.create_index("ix_resident_appeal_staff_actor", "resident_appeal_staff", ["actor_id"])


def downgrade() -> None:
    op.drop_index("ix_resident_appeal_staff_actor", table_name="resident_appeal_staff")
    op.drop_table("resident_appeal_staff")
    op.drop_index("ix_resident_appeals_author", table_name="resident_appeals")
    op.drop_table("resident_appeals")
    op.drop_table("resident_profiles")
    op.drop_table("resident_badges")
    op.drop_table("resident_counters")
    op.drop_table("points_daily_counts")
    op.drop_index("ix_points_ledger_appeal", table_name="points_ledger")
    op.drop_index("ix_points_ledger_resident", table_name="points_ledger")
    op.drop_table("points_ledger")
    op.drop_index("ix_resident_totals_board", table_name="resident_totals")
    op.drop_table("resident_totals")
