from hromada_common.migrations import run_migrations

from routing.adapters.orm import Base

run_migrations("routing", Base.metadata)
