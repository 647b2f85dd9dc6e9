"""residents: tombstones of deleted accounts; pseudonyms unique regardless of case

Revision ID: 0006
Revises: 0005
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: Union[str, Sequence[str], None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "resident_tombstones",
        sa.Column("resident_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("resident_id", name=op.f("pk_resident_tombstones")),
    )
    op.create_index("uq_resident_profiles_pseudonym_lower", "resident_profiles",
                    [sa.text("lower(pseudonym)")], unique=True)


def downgrade() -> None:
    op.drop_index("uq_resident_profiles_pseudonym_lower", table_name="resident_profiles")
    op.drop_table("resident_tombstones")
