"""durable SLA timers, and the escalated flag on assignments

One row per scheduled deadline fact (warning, breach, escalation). Pending rows are what the
timer runner claims with ``FOR UPDATE SKIP LOCKED``; fired and cancelled rows stay as the
appeal's SLA history. Hand-written; runs on PostgreSQL and SQLite.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

PENDING = sa.text("state = 'pending'")


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'sla_timers',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True,
                  nullable=False),
        sa.Column('appeal_id', sa.String(length=36), nullable=False),
        sa.Column('body', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('fire_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('generation', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('fired_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('warning', 'breach', 'escalation')",
                           name=op.f('ck_sla_timers_kind')),
        sa.CheckConstraint("state IN ('pending', 'fired', 'cancelled')",
                           name=op.f('ck_sla_timers_state')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_timers')),
    )
    op.create_index('ix_sla_timers_appeal_id', 'sla_timers', ['appeal_id'], unique=False)
    # The runner's query: pending rows in fire_at order. Fired rows never enter the index.
    op.create_index('ix_sla_timers_pending_fire_at', 'sla_timers', ['fire_at'], unique=False,
                    postgresql_where=PENDING, sqlite_where=PENDING)
    # At most one pending timer of each kind per appeal.
    op.create_index('uq_sla_timers_pending_kind', 'sla_timers', ['appeal_id', 'kind'],
                    unique=True, postgresql_where=PENDING, sqlite_where=PENDING)
    with op.batch_alter_table('assignments') as batch:
        batch.add_column(sa.Column('escalated', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('assignments') as batch:
        batch.drop_column('escalated')
    op.drop_index('uq_sla_timers_pending_kind', table_name='sla_timers',
                  postgresql_where=PENDING, sqlite_where=PENDING)
    op.drop_index('ix_sla_timers_pending_fire_at', table_name='sla_timers',
                  postgresql_where=PENDING, sqlite_where=PENDING)
    op.drop_index('ix_sla_timers_appeal_id', table_name='sla_timers')
    op.drop_table('sla_timers')
