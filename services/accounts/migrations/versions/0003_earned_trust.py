"""trust earned from gamification levels

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 10:00:00.000000

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
    """The highest gamification level an account reached (it earns trust) and when rejected
    appeals last lowered its trust (a points raise waits out the window after that)."""
    with op.batch_alter_table('accounts') as batch:
        batch.add_column(sa.Column('trust_lowered_at', sa.DateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column('gamification_level', sa.Integer(), server_default='0',
                                   nullable=False))
        batch.create_index(batch.f('ix_accounts_gamification_level'), ['gamification_level'],
                           unique=False)
    # Lowerings from before this column: the audit trail has them ("0: <reason>", at = the
    # time of the rejection that lowered the trust, as record_rejection writes it).
    op.execute(
        "UPDATE accounts SET trust_lowered_at = ("
        " SELECT max(a.at) FROM account_audit a WHERE a.account_id = accounts.id"
        " AND a.action = 'trust_changed' AND a.reason LIKE '0:%')")


def downgrade() -> None:
    with op.batch_alter_table('accounts') as batch:
        batch.drop_index(batch.f('ix_accounts_gamification_level'))
        batch.drop_column('gamification_level')
        batch.drop_column('trust_lowered_at')
