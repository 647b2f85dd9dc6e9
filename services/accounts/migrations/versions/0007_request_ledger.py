"""processed-requests ledger: state-changing RPCs apply each request once

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 02:30:00.000000

"""
from typing import Sequence, Union

from hromada_common.migrations import create_request_ledger, drop_request_ledger

# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    create_request_ledger()


def downgrade() -> None:
    drop_request_ledger()
