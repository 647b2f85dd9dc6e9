"""rejection reason code

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """A rejection in the history names its code (spam, not_constructive, out_of_remit,
    other); earlier rows and other states keep null."""
    with op.batch_alter_table('appeal_history') as batch:
        batch.add_column(sa.Column('reason_code', sa.String(length=32), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('appeal_history') as batch:
        batch.drop_column('reason_code')
