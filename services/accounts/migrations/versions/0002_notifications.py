"""notifications

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 15:00:56.648506

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """In-app notifications (once per account, source event and kind), and a per-account
    choice whether to copy them to the email."""
    op.create_table('notifications',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('appeal_id', sa.String(length=64), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('source_event_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_notifications_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('account_id', 'source_event_id', 'kind', name='uq_notifications_account_event_kind')
    )
    op.create_index('ix_notifications_account_created', 'notifications', ['account_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_notifications_unread', 'notifications', ['account_id'], unique=False, postgresql_where=sa.text('read_at IS NULL'), sqlite_where=sa.text('read_at IS NULL'))
    with op.batch_alter_table('accounts') as batch:
        batch.add_column(sa.Column('email_notifications', sa.Boolean(), server_default=sa.true(),
                                   nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('accounts') as batch:
        batch.drop_column('email_notifications')
    op.drop_index('ix_notifications_unread', table_name='notifications', postgresql_where=sa.text('read_at IS NULL'), sqlite_where=sa.text('read_at IS NULL'))
    op.drop_index('ix_notifications_account_created', table_name='notifications')
    op.drop_table('notifications')
