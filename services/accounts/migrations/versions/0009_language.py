"""the language each account reads (its mails are written in it)

Revision ID: 0009_language
Revises: 0008_followers
Create Date: 2026-12-07 12:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0009_language'
down_revision: Union[str, Sequence[str], None] = '0008_followers'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """``accounts.language`` (``uk`` or ``en``): every account there already is reads
    Ukrainian, the platform's default, until its owner chooses otherwise."""
    with op.batch_alter_table('accounts') as batch:
        batch.add_column(sa.Column('language', sa.String(length=8), server_default='uk',
                                   nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('accounts') as batch:
        batch.drop_column('language')
