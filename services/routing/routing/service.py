"""The routing nameko service: translates RPC calls, events and timers into use cases."""
from __future__ import annotations

from nameko.dependency_providers import Config
from nameko.timer import timer

from hromada_common import events as ev
from hromada_common.caller import CallerProvider
from hromada_common.messaging.commands import command
from hromada_common.messaging.nameko_ext import UnitOfWorkProvider, event_handler
from hromada_common.messaging.rpc import rpc

from .adapters.orm import Base, inbox, outbox
from .adapters.routing_data import load_settings
from .adapters.taxonomy_file import load_taxonomy_file
from .adapters.timer_runner import SlaTimerRunner
from .adapters.uow import RoutingUnitOfWork
from .service_layer import handlers, taxonomy_admin, workflow

taxonomy_cache = handlers.TaxonomyCache()


class RoutingService:
    name = "routing"

    uow = UnitOfWorkProvider(RoutingUnitOfWork, outbox, inbox, metadata=Base.metadata)
    config = Config()
    caller = CallerProvider()
    sla_timers = SlaTimerRunner()

    @property
    def settings(self) -> workflow.RoutingSettings:
        """Calendars, districts, rules and policies (data files read once per process)."""
        return load_settings(self.config)

    @timer(interval=3600, eager=True)
    def publish_taxonomy(self):
        """At start (and hourly) seed the default taxonomy if there is none, and publish it,
        so intake's copy converges even if it missed an update."""
        default_file = self.config.get("TAXONOMY_FILE") or None
        if not handlers.seed_taxonomy(self.uow(), lambda: load_taxonomy_file(default_file)):
            handlers.publish_taxonomy(self.uow())

    @event_handler(ev.APPEAL_SUBMITTED)
    def handle_appeal_submitted(self, envelope):
        settings = self.settings
        handlers.assign(self.uow(), envelope, taxonomy_cache, settings.calendars,
                        settings.fallback_body, settings.districts, settings.rules)

    @event_handler(ev.APPEAL_STATE_CHANGED)
    def handle_appeal_state_changed(self, envelope):
        workflow.apply_state_change(self.uow(), envelope, taxonomy_cache, self.settings)

    # --- the executor's workflow -------------------------------------------------------------

    @command
    def take_appeal(self, appeal_id):
        """An executor (or the head) of the responsible body takes the appeal into work.
        Raises NotFound, Forbidden (another body), Conflict (state in ``extra``)."""
        return workflow.take_appeal(self.uow(), appeal_id, self.caller.identity())

    @command
    def resolve_appeal(self, appeal_id, payload):
        """The executor reports the work done: ``{comment, photo_ref?}``. Raises
        InvalidInput, NotFound, Forbidden, Conflict."""
        return workflow.resolve_appeal(self.uow(), appeal_id, payload, self.caller.identity())

    # --- triage and deadlines ------------------------------------------------------------------

    @command
    def set_complexity(self, appeal_id, payload):
        """Dispatchers: ``{complexity}``; the deadline is recomputed. Raises InvalidInput,
        Forbidden, NotFound, Conflict."""
        return workflow.set_complexity(self.uow(), appeal_id, payload, self.caller.identity(),
                                       taxonomy_cache, self.settings)

    @command
    def extend_deadline(self, appeal_id, payload):
        """The head of the responsible body: ``{until, reason}``, later than the current
        deadline. Raises InvalidInput, Forbidden, NotFound, Conflict."""
        return workflow.extend_deadline(self.uow(), appeal_id, payload, self.caller.identity())

    @command
    def reassign(self, appeal_id, payload):
        """Dispatchers: ``{body, reason}``. Raises InvalidInput, Forbidden, NotFound, Conflict."""
        return workflow.reassign(self.uow(), appeal_id, payload, self.caller.identity(),
                                 taxonomy_cache, self.settings)

    @rpc
    def get_assignment(self, appeal_id):
        """Staff: one assignment with its audited history. Raises NotFound, Forbidden."""
        return workflow.get_assignment(self.uow(), appeal_id, self.caller.identity())

    # --- queues ------------------------------------------------------------------------------

    @rpc
    def body_queue(self, body, params=None):
        """A body's unfinished appeals, overdue first then by due time; ``{limit, cursor}``."""
        return workflow.body_queue(self.uow(), body, params, self.caller.identity(),
                                   taxonomy_cache)

    @rpc
    def dispatcher_queue(self, params=None):
        """Appeals waiting at the dispatch centre (no rule covered them); ``{limit, cursor}``."""
        return workflow.dispatcher_queue(self.uow(), params, self.caller.identity(),
                                         self.settings)

    # --- taxonomy ----------------------------------------------------------------------------

    @rpc
    def list_bodies(self):
        """Every executor body (public)."""
        return workflow.list_bodies(self.uow(), taxonomy_cache)

    @rpc
    def list_districts(self):
        """The city's districts (public): ``[{"code", "name": {"uk", "en"}}]``, in the data
        file's order; the codes appeals are filed under (``appeal.assigned``'s ``district``)."""
        return [{"code": d.code, "name": {"uk": d.name_uk, "en": d.name_en}}
                for d in self.settings.districts]

    @command
    def create_category(self, payload):
        """Administrators: add a domain, category or leaf; publishes the new taxonomy."""
        return taxonomy_admin.create_category(self.uow(), payload, self.caller.identity())

    @command
    def update_category(self, code, payload):
        """Administrators: rename, move, change body/deadlines/fields, (de)activate. There is
        no delete: appeals keep their category codes."""
        return taxonomy_admin.update_category(self.uow(), code, payload,
                                              self.caller.identity())

    @rpc
    def list_categories(self, include_inactive=False):
        """The taxonomy as a flat list (domains, categories, leaves), in data-file order."""
        return handlers.list_categories(self.uow(), taxonomy_cache, bool(include_inactive))

    @rpc
    def health(self):
        """Checks the database and that token revocations are loaded; the broker answered if
        this call arrived."""
        return handlers.health(self.uow()) | {"broker": "ok",
                                              "revocations": self.caller.revocations_status()}
