"""The feedback nameko service: translates RPC calls, events and timers into use cases."""
from __future__ import annotations

from nameko.dependency_providers import Config

from hromada_common import events as ev
from hromada_common.caller import CallerProvider
from hromada_common.messaging.commands import command
from hromada_common.messaging.nameko_ext import UnitOfWorkProvider, event_handler
from hromada_common.messaging.rpc import rpc
from hromada_common.timers import configured_timer

from .adapters.orm import Base, inbox, outbox
from .adapters.uow import FeedbackUnitOfWork
from .service_layer import handlers


class FeedbackService:
    name = "feedback"

    uow = UnitOfWorkProvider(FeedbackUnitOfWork, outbox, inbox, metadata=Base.metadata)
    config = Config()
    caller = CallerProvider()

    @property
    def settings(self) -> handlers.FeedbackSettings:
        return handlers.FeedbackSettings.from_config(self.config)

    # --- the author's answer to a resolution ------------------------------------------------

    @command
    def confirm(self, appeal_id, payload):
        """The author confirms the resolution with a rating 1–5 (and an optional comment):
        the only way an appeal becomes ``closed``. Raises Unauthenticated, Forbidden,
        InvalidInput, NotFound, Conflict (``extra["state"]`` when not resolved)."""
        return handlers.confirm(self.uow(), appeal_id, payload, self.caller.identity())

    @command
    def request_rework(self, appeal_id, payload):
        """The author sends the resolved appeal back with a reason (and a photo reference).
        Past ``REWORK_LIMIT`` it escalates to the head instead and raises Conflict with
        ``extra["escalated"] = True``."""
        return handlers.request_rework(self.uow(), appeal_id, payload, self.caller.identity(),
                                       self.settings)

    @command
    def archive(self, appeal_id, payload):
        """Staff (dispatcher, admin, head of the body) archive a resolution left unanswered
        for ``ARCHIVE_AFTER_DAYS``, with a reason. Never counts as done."""
        return handlers.archive(self.uow(), appeal_id, payload, self.caller.identity(),
                                self.settings)

    @rpc
    def get_feedback_summary(self, appeal_id):
        """Public numbers for the appeal page: ``rework_count``, ``rating``, ``ratings``."""
        return handlers.feedback_summary(self.uow(), appeal_id)

    # --- discussion -------------------------------------------------------------------------

    @command
    def add_comment(self, appeal_id, payload):
        """The author, the body's staff, dispatchers and admins comment on an appeal."""
        return handlers.add_comment(self.uow(), appeal_id, payload, self.caller.identity())

    @rpc
    def list_comments(self, appeal_id):
        """The appeal's discussion; authors' ids only for those allowed to see them."""
        return handlers.list_comments(self.uow(), appeal_id, self.caller.identity())

    # --- feedback about the portal ----------------------------------------------------------

    @command
    def submit_portal_feedback(self, payload):
        """Any signed-in, active account sends a suggestion or complaint (state ``new``)."""
        return handlers.submit_portal_feedback(self.uow(), payload, self.caller.identity())

    @rpc
    def list_portal_feedback(self, params=None):
        """Dispatchers and admins see all portal feedback; anyone else their own."""
        return handlers.list_portal_feedback(self.uow(), params or {}, self.caller.identity())

    @command
    def answer_portal_feedback(self, feedback_id, payload):
        """Staff answer portal feedback (``new`` → ``answered``)."""
        return handlers.answer_portal_feedback(self.uow(), feedback_id, payload,
                                               self.caller.identity())

    @command
    def close_portal_feedback(self, feedback_id):
        """The author or staff close answered portal feedback (``answered`` → ``closed``)."""
        return handlers.close_portal_feedback(self.uow(), feedback_id, self.caller.identity())

    @rpc
    def health(self):
        """Checks the database and that token revocations are loaded; the broker answered if
        this call arrived."""
        return handlers.health(self.uow()) | {"broker": "ok",
                                              "revocations": self.caller.revocations_status()}

    # --- events and timers ------------------------------------------------------------------

    @event_handler(ev.APPEAL_STATE_CHANGED)
    def handle_appeal_state_changed(self, envelope):
        handlers.apply_state_change(self.uow(), envelope)

    @configured_timer("REMINDER_CHECK_INTERVAL", 60)
    def send_confirmation_reminders(self):
        """Remind authors of resolutions they have not answered; never changes a state."""
        return handlers.send_confirmation_reminders(self.uow(), self.settings)
