"""supporters, the nearby-duplicates index and intake's audit log

Revision ID: 0007_supporters
Revises: 0006
Create Date: 2026-12-07 12:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0007_supporters'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# hromada_common.lifecycle.OPEN_STATES as of this revision (a migration never imports the
# living definition: if that changes, a new revision rebuilds the index).
OPEN_STATE_PREDICATE = "state IN ('assigned', 'in_progress', 'rework', 'submitted')"


def upgrade() -> None:
    """Residents support open appeals (the count kept on the appeal); open appeals of one
    category are found near a point through a partial index; support changes are audited."""
    with op.batch_alter_table('appeals') as batch:
        batch.add_column(sa.Column('supporters_count', sa.Integer(), server_default='0',
                                   nullable=False))
    op.create_index('ix_appeals_open_nearby', 'appeals', ['category', 'lat', 'lon'],
                    unique=False, postgresql_where=sa.text(OPEN_STATE_PREDICATE),
                    sqlite_where=sa.text(OPEN_STATE_PREDICATE))
    op.create_table('appeal_supporters',
    sa.Column('appeal_id', sa.String(length=36), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('supported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appeal_id'], ['appeals.id'],
                            name=op.f('fk_appeal_supporters_appeal_id_appeals'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('appeal_id', 'account_id', name=op.f('pk_appeal_supporters'))
    )
    op.create_index(op.f('ix_appeal_supporters_account_id'), 'appeal_supporters',
                    ['account_id'], unique=False)
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True,
              nullable=False),
    sa.Column('subject_type', sa.String(length=32), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.Column('subject_id', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_index('ix_audit_log_subject', 'audit_log', ['subject_type', 'subject_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_audit_log_subject', table_name='audit_log')
    op.drop_table('audit_log')
    op.drop_index(op.f('ix_appeal_supporters_account_id'), table_name='appeal_supporters')
    op.drop_table('appeal_supporters')
    op.drop_index('ix_appeals_open_nearby', table_name='appeals')
    with op.batch_alter_table('appeals') as batch:
        batch.drop_column('supporters_count')
