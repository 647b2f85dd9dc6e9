from hromada_common.migrations import run_migrations

from accounts.adapters.orm import Base

run_migrations("accounts", Base.metadata)
