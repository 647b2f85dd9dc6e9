"""sign-in throttles per address and source

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-10 10:00:00.000000

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
    """A throttle's row now stands for one address from one source; ``address_key`` (a hash
    of the address alone) adds up every source's failures. Rows from before were keyed by the
    address alone: they match no new key and are purged within a day, as idle rows are."""
    with op.batch_alter_table('login_throttles') as batch:
        batch.add_column(sa.Column('address_key', sa.String(length=64), nullable=True))
        batch.create_index(batch.f('ix_login_throttles_address_key'), ['address_key'],
                           unique=False)


def downgrade() -> None:
    with op.batch_alter_table('login_throttles') as batch:
        batch.drop_index(batch.f('ix_login_throttles_address_key'))
        batch.drop_column('address_key')
