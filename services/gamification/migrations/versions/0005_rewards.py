"""rewards tables: nomination runs, nominations, gift catalogue, rewards

Revision ID: 0005
Revises: 0004
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "nomination_runs",
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("nominations", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("period", name=op.f("pk_nomination_runs")),
    )
    op.create_table(
        "nominations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("district", sa.String(length=64), nullable=True),
        sa.Column("resident_id", sa.String(length=36), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nominations")),
        sa.UniqueConstraint("period", "resident_id", name="uq_nominations_period_resident"),
    )
    op.create_index("ix_nominations_status_period", "nominations", ["status", "period"])
    op.create_index("ix_nominations_resident_id", "nominations", ["resident_id"])
    op.create_table(
        "gifts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name_uk", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("stock >= 0", name=op.f("ck_gifts_stock_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gifts")),
    )
    op.create_table(
        "rewards",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("nomination_id", sa.String(length=36), nullable=False),
        sa.Column("resident_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("gift_id", sa.String(length=36), nullable=True),
        sa.Column("certificate", sa.JSON(), nullable=True),
        sa.Column("granted_by", sa.String(length=64), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_by", sa.String(length=64), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["gift_id"], ["gifts.id"],
                                name=op.f("fk_rewards_gift_id_gifts")),
        sa.ForeignKeyConstraint(["nomination_id"], ["nominations.id"],
                                name=op.f("fk_rewards_nomination_id_nominations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rewards")),
        sa.UniqueConstraint("nomination_id", name=op.f("uq_rewards_nomination_id")),
    )
    op.create_index("ix_rewards_resident_id", "rewards", ["resident_id"])


def downgrade() -> None:
    op.drop_index("ix_rewards_resident_id", table_name="rewards")
    op.drop_table("rewards")
    op.drop_table("gifts")
    op.drop_index("ix_nominations_resident_id", table_name="nominations")
    op.drop_index("ix_nominations_status_period", table_name="nominations")
    op.drop_table("nominations")
    op.drop_table("nomination_runs")
