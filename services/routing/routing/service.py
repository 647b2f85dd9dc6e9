"""The routing nameko service: translates RPC calls, events and timers into use cases."""
from __future__ import annotations

from nameko.dependency_providers import Config
from nameko.rpc import rpc
from nameko.timer import timer

from hromada_common import events as ev
from hromada_common.messaging.nameko_ext import UnitOfWorkProvider, event_handler

from .adapters.orm import Base, inbox, outbox
from .adapters.taxonomy_file import load_taxonomy_file
from .adapters.uow import RoutingUnitOfWork
from .domain.deadlines import WorkingCalendar
from .service_layer import handlers

taxonomy_cache = handlers.TaxonomyCache()


class RoutingService:
    name = "routing"

    uow = UnitOfWorkProvider(RoutingUnitOfWork, outbox, inbox, metadata=Base.metadata)
    config = Config()

    @property
    def calendar(self) -> WorkingCalendar:
        return WorkingCalendar(tz=self.config.get("CITY_TIMEZONE", "Europe/Kyiv"))

    @property
    def fallback_body(self) -> str:
        return self.config.get("FALLBACK_BODY", "dispatch_1551")

    @timer(interval=3600, eager=True)
    def publish_taxonomy(self):
        """At start (and hourly) seed the default taxonomy if there is none, and publish it,
        so intake's copy converges even if it missed an update."""
        default_file = self.config.get("TAXONOMY_FILE") or None
        if not handlers.seed_taxonomy(self.uow(), lambda: load_taxonomy_file(default_file)):
            handlers.publish_taxonomy(self.uow())

    @event_handler(ev.APPEAL_SUBMITTED)
    def handle_appeal_submitted(self, envelope):
        handlers.assign(self.uow(), envelope, taxonomy_cache, self.calendar, self.fallback_body)

    @rpc
    def list_categories(self, include_inactive=False):
        """The taxonomy as a flat list (domains, categories, leaves), in data-file order."""
        return handlers.list_categories(self.uow(), taxonomy_cache, bool(include_inactive))

    @rpc
    def health(self):
        """Checks the database; the broker answered if this call arrived."""
        return handlers.health(self.uow()) | {"broker": "ok"}
