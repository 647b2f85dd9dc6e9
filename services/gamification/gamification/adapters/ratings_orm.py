"""Tables of the ratings part of gamification (on the shared ``Base``)."""
from __future__ import annotations

from .orm import BIGINT, Base  # noqa: F401
