"""appeal district

Revision ID: 0009_appeal_district
Revises: 0008_attachments
Create Date: 2026-12-07 12:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0009_appeal_district'
down_revision: Union[str, Sequence[str], None] = '0008_attachments'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """The city district routing found the appeal in (``appeal.assigned``), for the public
    list's district filter; appeals assigned before stay null."""
    with op.batch_alter_table('appeals') as batch:
        batch.add_column(sa.Column('district', sa.String(length=64), nullable=True))
    op.create_index(op.f('ix_appeals_district'), 'appeals', ['district'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_appeals_district'), table_name='appeals')
    with op.batch_alter_table('appeals') as batch:
        batch.drop_column('district')
