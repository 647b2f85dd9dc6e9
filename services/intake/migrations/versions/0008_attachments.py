"""attachments: photos attached to appeals (metadata only)

Revision ID: 0008_attachments
Revises: 0007_supporters
Create Date: 2026-12-07 12:00:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0008_attachments'
down_revision: Union[str, Sequence[str], None] = '0007_supporters'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('attachments',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('appeal_id', sa.String(length=36), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('thumbnail_key', sa.String(length=200), nullable=False),
    sa.Column('thumbnail_content_type', sa.String(length=32), nullable=False),
    sa.Column('thumbnail_size', sa.Integer(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appeal_id'], ['appeals.id'], name=op.f('fk_attachments_appeal_id_appeals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments')),
    sa.UniqueConstraint('key', name=op.f('uq_attachments_key')),
    sa.UniqueConstraint('thumbnail_key', name=op.f('uq_attachments_thumbnail_key'))
    )
    op.create_index('ix_attachments_appeal_id_created_at', 'attachments', ['appeal_id', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_attachments_appeal_id_created_at', table_name='attachments')
    op.drop_table('attachments')
