"""The intake nameko service: translates RPC calls and events into use cases. Nothing else."""
from __future__ import annotations

from nameko.dependency_providers import Config

from hromada_common import events as ev
from hromada_common.caller import CallerProvider
from hromada_common.messaging.commands import command
from hromada_common.messaging.nameko_ext import UnitOfWorkProvider, event_handler
from hromada_common.messaging.rpc import rpc

from .adapters.orm import Base, inbox, outbox
from .adapters.uow import IntakeUnitOfWork
from .domain.model import CityBounds
from .service_layer import handlers

# Kyiv, roughly: the demo city. Deployments set CITY_BOUNDS in config.yml.
DEFAULT_BOUNDS = (50.213, 30.239, 50.591, 30.826)


class IntakeService:
    name = "intake"

    uow = UnitOfWorkProvider(IntakeUnitOfWork, outbox, inbox, metadata=Base.metadata)
    config = Config()
    caller = CallerProvider()

    @property
    def bounds(self) -> CityBounds:
        return CityBounds(*(self.config.get("CITY_BOUNDS") or DEFAULT_BOUNDS))

    @command
    def submit_appeal(self, payload, idempotency_key=None):
        """Accept a new appeal from the signed-in caller; returns it. Raises InvalidInput,
        Conflict (reused key), Unauthenticated or Forbidden."""
        return handlers.submit_appeal(self.uow(), payload, self.bounds, self.caller.identity(),
                                      idempotency_key)

    @rpc
    def get_appeal(self, appeal_id):
        """One appeal with its full state history. Raises NotFound."""
        return handlers.get_appeal(self.uow(), appeal_id, self.caller.identity())

    @rpc
    def list_appeals(self, filters=None):
        """Appeals newest first, filtered, with a cursor to the next page."""
        return handlers.list_appeals(self.uow(), filters or {}, self.caller.identity())

    @rpc
    def statistics(self):
        """Counts by state; only confirmed (closed) appeals count as done."""
        return handlers.statistics(self.uow())

    @command
    def reject_appeal(self, appeal_id, payload):
        """A moderator rejects an appeal with a reason. Raises Forbidden, NotFound, Conflict."""
        return handlers.reject_appeal(self.uow(), appeal_id, payload, self.caller.identity())

    @rpc
    def health(self):
        """Checks the database and that token revocations are loaded; the broker answered if
        this call arrived."""
        return handlers.health(self.uow()) | {"broker": "ok",
                                              "revocations": self.caller.revocations_status()}

    @event_handler(ev.APPEAL_ASSIGNED)
    def handle_appeal_assigned(self, envelope):
        handlers.apply_assignment(self.uow(), envelope)

    @event_handler(ev.TAXONOMY_PUBLISHED)
    def handle_taxonomy_published(self, envelope):
        handlers.replace_taxonomy(self.uow(), envelope)

    @event_handler(ev.ACCOUNT_STATUS_CHANGED)
    def handle_account_status_changed(self, envelope):
        handlers.apply_account_status(self.uow(), envelope)

    @event_handler(ev.ACCOUNT_DELETED)
    def handle_account_deleted(self, envelope):
        handlers.anonymise_author(self.uow(), envelope)

    @event_handler(ev.APPEAL_TAKEN)
    def handle_appeal_taken(self, envelope):
        handlers.apply_taken(self.uow(), envelope)

    @event_handler(ev.APPEAL_RESOLVED)
    def handle_appeal_resolved(self, envelope):
        handlers.apply_resolved(self.uow(), envelope)

    @event_handler(ev.APPEAL_DEADLINE_CHANGED)
    def handle_appeal_deadline_changed(self, envelope):
        handlers.apply_deadline_change(self.uow(), envelope)

    @event_handler(ev.APPEAL_ESCALATED)
    def handle_appeal_escalated(self, envelope):
        handlers.apply_escalation(self.uow(), envelope)

    @event_handler(ev.APPEAL_CONFIRMED)
    def handle_appeal_confirmed(self, envelope):
        handlers.apply_confirmation(self.uow(), envelope)

    @event_handler(ev.APPEAL_REWORK_REQUESTED)
    def handle_rework_requested(self, envelope):
        handlers.apply_rework(self.uow(), envelope)

    @event_handler(ev.APPEAL_ARCHIVED)
    def handle_appeal_archived(self, envelope):
        handlers.apply_archive(self.uow(), envelope)
