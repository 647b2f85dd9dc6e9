"""The gamification nameko service: translates RPC calls, events and timers into use cases.

Three parts share it, each with its own tables, repository and use-case module: **residents**
(points ledger, levels, badges, resident leaderboards), **ratings** (executor and body
ratings, body leaderboards) and **rewards** (period nominations, certificates, gifts).
"""
from __future__ import annotations

from nameko.dependency_providers import Config
from nameko.rpc import rpc
from sqlalchemy import text

from hromada_common import events as ev
from hromada_common.caller import CallerProvider
from hromada_common.messaging.nameko_ext import UnitOfWorkProvider, event_handler
from hromada_common.timers import configured_timer  # noqa: F401  (used by the rewards part)

from .adapters.orm import Base, inbox, outbox
from .adapters.uow import GamificationUnitOfWork
from .service_layer import handlers, ratings, residents, rewards  # noqa: F401


class GamificationService:
    name = "gamification"

    uow = UnitOfWorkProvider(GamificationUnitOfWork, outbox, inbox, metadata=Base.metadata)
    config = Config()
    caller = CallerProvider()

    @rpc
    def health(self):
        """Checks the database; the broker answered if this call arrived."""
        with self.uow() as uow:
            uow.session.execute(text("SELECT 1"))
        return {"database": "ok", "broker": "ok"}

    # --- consumed events: each applied once, by every part, in one transaction ---------------

    @event_handler(ev.APPEAL_STATE_CHANGED)
    def handle_appeal_state_changed(self, envelope):
        handlers.apply_event(self.uow(), envelope, ev.APPEAL_STATE_CHANGED)

    @event_handler(ev.APPEAL_ASSIGNED)
    def handle_appeal_assigned(self, envelope):
        handlers.apply_event(self.uow(), envelope, ev.APPEAL_ASSIGNED)

    @event_handler(ev.APPEAL_TAKEN)
    def handle_appeal_taken(self, envelope):
        handlers.apply_event(self.uow(), envelope, ev.APPEAL_TAKEN)

    @event_handler(ev.APPEAL_RESOLVED)
    def handle_appeal_resolved(self, envelope):
        handlers.apply_event(self.uow(), envelope, ev.APPEAL_RESOLVED)

    @event_handler(ev.APPEAL_DEADLINE_CHANGED)
    def handle_appeal_deadline_changed(self, envelope):
        handlers.apply_event(self.uow(), envelope, ev.APPEAL_DEADLINE_CHANGED)

    @event_handler(ev.SLA_BREACHED)
    def handle_sla_breached(self, envelope):
        handlers.apply_event(self.uow(), envelope, ev.SLA_BREACHED)

    @event_handler(ev.APPEAL_CONFIRMED)
    def handle_appeal_confirmed(self, envelope):
        handlers.apply_event(self.uow(), envelope, ev.APPEAL_CONFIRMED)

    @event_handler(ev.APPEAL_REWORK_REQUESTED)
    def handle_rework_requested(self, envelope):
        handlers.apply_event(self.uow(), envelope, ev.APPEAL_REWORK_REQUESTED)

    @event_handler(ev.APPEAL_ARCHIVED)
    def handle_appeal_archived(self, envelope):
        handlers.apply_event(self.uow(), envelope, ev.APPEAL_ARCHIVED)

    @event_handler(ev.APPEAL_RATED)
    def handle_appeal_rated(self, envelope):
        handlers.apply_event(self.uow(), envelope, ev.APPEAL_RATED)

    @event_handler(ev.PORTAL_FEEDBACK_ANSWERED)
    def handle_portal_feedback_answered(self, envelope):
        handlers.apply_event(self.uow(), envelope, ev.PORTAL_FEEDBACK_ANSWERED)

    @event_handler(ev.ACCOUNT_DELETED)
    def handle_account_deleted(self, envelope):
        handlers.apply_event(self.uow(), envelope, ev.ACCOUNT_DELETED)

    # --- residents: points, levels, badges, resident leaderboards ----------------------------

    # --- ratings: executors and bodies, body leaderboards ------------------------------------

    # --- rewards: nominations, certificates, gift catalogue ----------------------------------
