"""escalated flag

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 14:23:35.081014

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
    """Appeals remember that their deadline was broken and escalated."""
    with op.batch_alter_table('appeals') as batch:
        batch.add_column(sa.Column('escalated', sa.Boolean(), server_default='false',
                                   nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('appeals') as batch:
        batch.drop_column('escalated')
