from hromada_common.migrations import run_migrations

from feedback.adapters.orm import Base

run_migrations("feedback", Base.metadata)
