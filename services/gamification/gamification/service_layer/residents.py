"""Use cases of the residents part of gamification."""
from __future__ import annotations


def apply(uow, envelope: dict, data: dict) -> None:
    """Fold one consumed event (already parsed and checked against its contract) into this
    part's tables, inside the caller's unit of work; must not commit."""
