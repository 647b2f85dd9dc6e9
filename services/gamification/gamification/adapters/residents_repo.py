"""Repository of the residents part of gamification."""
from __future__ import annotations

from sqlalchemy.orm import Session


class ResidentsRepository:
    def __init__(self, session: Session):
        self.session = session
