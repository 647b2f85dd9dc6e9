"""residents tables

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


def downgrade() -> None:
    op.drop_index("ix_resident_totals_board", table_name="resident_totals")
    op.drop_table("resident_totals")
