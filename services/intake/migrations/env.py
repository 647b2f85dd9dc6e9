from hromada_common.migrations import run_migrations

from intake.adapters.orm import Base

run_migrations("intake", Base.metadata)
