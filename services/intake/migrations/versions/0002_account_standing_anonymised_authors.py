"""account standing, anonymised authors

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 13:58:28.847435

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
    """Remember blocked accounts; let appeals outlive their author's account."""
    op.create_table('account_standing',
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_account_standing'))
    )
    # batch mode, so the same migration runs on SQLite (which cannot ALTER a column)
    with op.batch_alter_table('appeals') as batch:
        batch.alter_column('author_id', existing_type=sa.VARCHAR(length=64), nullable=True)


def downgrade() -> None:
    """Downgrade schema."""
    # Appeals of deleted accounts have no author; they keep one of a placeholder.
    op.execute("UPDATE appeals SET author_id = 'deleted-account' WHERE author_id IS NULL")
    with op.batch_alter_table('appeals') as batch:
        batch.alter_column('author_id', existing_type=sa.VARCHAR(length=64), nullable=False)
    op.drop_table('account_standing')
