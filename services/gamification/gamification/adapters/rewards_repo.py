"""Repository of the rewards part of gamification."""
from __future__ import annotations

from sqlalchemy.orm import Session


class RewardsRepository:
    def __init__(self, session: Session):
        self.session = session
