"""ratings tables

Revision ID: 0004
Revises: 0003
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "rating_appeals",
        sa.Column("appeal_id", sa.String(length=36), nullable=False),
        sa.Column("body", sa.String(length=64), nullable=True),
        sa.Column("category", sa.String(length=128), nullable=True),
        sa.Column("executor", sa.String(length=64), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("resolved_body", sa.String(length=64), nullable=True),
        sa.Column("resolved_by", sa.String(length=64), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_round", sa.Integer(), nullable=False),
        sa.Column("breached_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rated_round", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("appeal_id", name=op.f("pk_rating_appeals")),
    )
    counter = dict(nullable=False)
    op.create_table(
        "rating_counters",
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("domain", sa.String(length=64), nullable=False),
        sa.Column("executor", sa.String(length=64), nullable=False),
        sa.Column("body", sa.String(length=64), nullable=False),
        sa.Column("resolved", sa.Integer(), **counter),
        sa.Column("resolved_on_time", sa.Integer(), **counter),
        sa.Column("confirmed", sa.Integer(), **counter),
        sa.Column("archived", sa.Integer(), **counter),
        sa.Column("reworks", sa.Integer(), **counter),
        sa.Column("breaches", sa.Integer(), **counter),
        sa.Column("rating_sum", sa.Integer(), **counter),
        sa.Column("rating_count", sa.Integer(), **counter),
        sa.PrimaryKeyConstraint("period", "domain", "executor", "body",
                                name=op.f("pk_rating_counters")),
    )


def downgrade() -> None:
    op.drop_table("rating_counters")
    op.drop_table("rating_appeals")
