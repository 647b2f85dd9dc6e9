"""portal feedback marked useful

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Staff mark an answered suggestion useful (it earns its author points); earlier
    answers were not marked."""
    with op.batch_alter_table('portal_feedback') as batch:
        batch.add_column(sa.Column('useful', sa.Boolean(), server_default='false',
                                   nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('portal_feedback') as batch:
        batch.drop_column('useful')
