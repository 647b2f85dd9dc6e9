"""rework count and rating

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 14:56:36.892291

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Appeals show how often they were sent back, and the author's rating once closed."""
    with op.batch_alter_table('appeals') as batch:
        batch.add_column(sa.Column('rework_count', sa.Integer(), server_default='0',
                                   nullable=False))
        batch.add_column(sa.Column('rating', sa.Integer(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('appeals') as batch:
        batch.drop_column('rating')
        batch.drop_column('rework_count')
