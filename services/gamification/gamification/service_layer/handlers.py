"""Consumed events, applied once each: every part of gamification sees each event in one
transaction together with the inbox row that makes a redelivery change nothing."""
from __future__ import annotations

from hromada_common import events as ev

from . import ratings, residents, rewards

CONSUMER = "gamification"

PARTS = (residents, ratings, rewards)
"""Each part has ``apply(uow, envelope, data)``: fold one consumed event into its tables."""


def apply_event(uow, envelope: dict, event_type: str) -> None:
    envelope, data = ev.parse_event(envelope, event_type)
    with uow:
        if uow.already_processed(CONSUMER, envelope["id"]):
            return
        for part in PARTS:
            part.apply(uow, envelope, data)
        uow.mark_processed(CONSUMER, envelope["id"])
        uow.commit()
