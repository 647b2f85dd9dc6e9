"""Repository of the ratings part of gamification."""
from __future__ import annotations

from sqlalchemy.orm import Session


class RatingsRepository:
    def __init__(self, session: Session):
        self.session = session
