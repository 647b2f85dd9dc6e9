"""auth versions and revoked sessions a verifier can ask about

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10 12:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """``accounts.auth_version`` (tokens carry it as ``ver``; verifiers refuse older ones) and
    when it last changed; an index on when sessions were revoked, for the verifiers' start-up
    snapshot (``revocations()``)."""
    with op.batch_alter_table('accounts') as batch:
        batch.add_column(sa.Column('auth_version', sa.Integer(), server_default='0',
                                   nullable=False))
        batch.add_column(sa.Column('auth_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch.create_index(batch.f('ix_accounts_auth_changed_at'), ['auth_changed_at'],
                           unique=False)
    with op.batch_alter_table('refresh_token_families') as batch:
        batch.create_index(batch.f('ix_refresh_token_families_revoked_at'), ['revoked_at'],
                           unique=False)


def downgrade() -> None:
    with op.batch_alter_table('refresh_token_families') as batch:
        batch.drop_index(batch.f('ix_refresh_token_families_revoked_at'))
    with op.batch_alter_table('accounts') as batch:
        batch.drop_index(batch.f('ix_accounts_auth_changed_at'))
        batch.drop_column('auth_changed_at')
        batch.drop_column('auth_version')
