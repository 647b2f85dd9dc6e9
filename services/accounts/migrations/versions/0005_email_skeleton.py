"""the confusable skeleton of each email, unique

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10 11:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """``email_skeleton``: the UTS #39 skeleton of the email (accounts.domain.lookalikes), unique,
    so a look-alike of a registered address cannot register. Existing accounts get theirs; of
    look-alikes registered before this, the oldest keeps the skeleton and the later ones get
    none (they stay usable; only new registrations are refused)."""
    from accounts.domain.lookalikes import skeleton

    with op.batch_alter_table('accounts') as batch:
        batch.add_column(sa.Column('email_skeleton', sa.String(length=1024), nullable=True))
    connection = op.get_bind()
    accounts = sa.table('accounts', sa.column('id', sa.String), sa.column('email', sa.String),
                        sa.column('created_at', sa.DateTime),
                        sa.column('email_skeleton', sa.String))
    taken = set()
    rows = connection.execute(sa.select(accounts.c.id, accounts.c.email)
                              .where(accounts.c.email.is_not(None))
                              .order_by(accounts.c.created_at, accounts.c.id)).all()
    for account_id, email in rows:
        value = skeleton(email)
        if value in taken:
            continue
        taken.add(value)
        connection.execute(accounts.update().where(accounts.c.id == account_id)
                           .values(email_skeleton=value))
    with op.batch_alter_table('accounts') as batch:
        batch.create_unique_constraint(batch.f('uq_accounts_email_skeleton'), ['email_skeleton'])


def downgrade() -> None:
    with op.batch_alter_table('accounts') as batch:
        batch.drop_constraint(batch.f('uq_accounts_email_skeleton'), type_='unique')
        batch.drop_column('email_skeleton')
