"""appeal followers: supporters are told of each change of the appeal they support

Revision ID: 0008_followers
Revises: 0007
Create Date: 2026-12-07 12:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0008_followers'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('appeal_followers',
    sa.Column('appeal_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('following', sa.Boolean(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('appeal_id', 'account_id', name=op.f('pk_appeal_followers'))
    )
    op.create_index('ix_appeal_followers_account_id', 'appeal_followers', ['account_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_appeal_followers_account_id', table_name='appeal_followers')
    op.drop_table('appeal_followers')
