from hromada_common.migrations import run_migrations

from gamification.adapters.orm import Base

run_migrations("gamification", Base.metadata)
