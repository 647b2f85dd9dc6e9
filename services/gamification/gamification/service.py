"""The gamification nameko service: translates RPC calls, events and timers into use cases.

Three parts share it, each with its own tables, repository and use-case module: **residents**
(points ledger, levels, badges, resident leaderboards), **ratings** (executor and body
ratings, body leaderboards) and **rewards** (period nominations, certificates, gifts).
"""
from __future__ import annotations

from nameko.dependency_providers import Config
from sqlalchemy import text

from hromada_common import events as ev
from hromada_common.caller import CallerProvider
from hromada_common.messaging.commands import command
from hromada_common.messaging.nameko_ext import UnitOfWorkProvider, event_handler
from hromada_common.messaging.rpc import rpc
from hromada_common.timers import configured_timer

from .adapters.orm import Base, inbox, outbox
from .adapters.residents_cache import BoardCacheProvider
from .adapters.uow import GamificationUnitOfWork
from .service_layer import handlers, ratings, residents, rewards  # noqa: F401


class GamificationService:
    name = "gamification"

    uow = UnitOfWorkProvider(GamificationUnitOfWork, outbox, inbox, metadata=Base.metadata)
    config = Config()
    caller = CallerProvider()
    board_cache = BoardCacheProvider()  # public resident boards, a few seconds (config)

    @rpc
    def health(self):
        """Checks the database and that token revocations are loaded; the broker answered if
        this call arrived."""
        with self.uow() as uow:
            uow.session.execute(text("SELECT 1"))
        return {"database": "ok", "broker": "ok", "revocations": self.caller.revocations_status()}

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

    @rpc
    def my_points(self, params=None):
        """The signed-in resident's points (all time, running month/quarter/year), level and
        the next one, badges, a page of the ledger (``limit`` 1–100, default 20; ``offset``)
        and how boards show them. Never cached. Raises Unauthenticated, InvalidInput,
        Forbidden (the account was deleted)."""
        return residents.my_points(self.uow(), self.caller.identity(), params)

    @rpc
    def leaderboard_residents(self, params=None):
        """Public board of residents: ``period`` (a key such as ``2026-11``/``2026-Q4``/
        ``2026``/``all``, or a kind: ``month`` (default), ``quarter``, ``year`` for the
        running one), optional ``district``, ``limit`` 1–100 (default 100), ``offset``.
        Items carry rank, public name, points and level — never an id. Raises InvalidInput
        naming ``period`` (or another field). Served from a short-lived in-process cache
        (``LEADERBOARD_CACHE_SECONDS``)."""
        return residents.leaderboard_residents(self.uow(), params, cache=self.board_cache)

    @rpc
    def badge_catalogue(self):
        """Public: every badge with its name, description and threshold; levels and rules;
        and how rewards are nominated (``rewards``: the period kinds, nominees per district
        and city-wide), so the portal's help is rendered from the rules in force."""
        return residents.badge_catalogue() | {
            "rewards": rewards.nomination_rules(self.rewards_settings)}

    @command
    def set_public_profile(self, payload):
        """The signed-in resident is shown on boards by ``name`` (``display_name``, supplied
        by the gateway from accounts) or by ``pseudonym`` (optionally their own, 3–40
        characters, no ``@``). Audited. Raises Unauthenticated, Forbidden, InvalidInput,
        Conflict (pseudonym taken)."""
        return residents.set_public_profile(self.uow(), self.caller.identity(), payload)

    # --- ratings: executors and bodies, body leaderboards ------------------------------------

    @rpc
    def leaderboard_bodies(self, params=None):
        """Public body leaderboard. ``params``: ``period`` (a key ``2026-11`` / ``2026-Q4`` /
        ``2026`` / ``all`` or a kind ``month`` / ``quarter`` / ``year``; default ``month``),
        ``domain`` (a category domain code; default every domain), ``limit`` (1–100, default
        100). Returns ``{period, period_kind, domain, ranked: [{rank, body, score, appeals,
        on_time_rate, confirmed_rate, rework_rate, breaches, mean_rating, shrunk, counts,
        status}], unranked: [...], ranked_total, unranked_total, minimum_sample, prior}``.
        Raises InvalidInput naming the field."""
        return ratings.leaderboard_bodies(self.uow(), params)

    @rpc
    def executor_ratings(self, params=None):
        """Executors' ratings for staff (head, dispatcher, admin; a head sees only their own
        body). ``params``: ``period``, ``domain``, ``limit`` as for the body leaderboard, and
        ``body``. Entries carry ``executor`` and ``body``. Raises Unauthenticated, Forbidden,
        InvalidInput."""
        return ratings.executor_ratings(self.uow(), params, self.caller.identity())

    @rpc
    def body_rating(self, body, params=None):
        """One body's public figures in the running month, quarter, year and all time, per
        category domain (``params``: optional ``domain``), each with its rank. Raises
        InvalidInput (bad code) or NotFound (nothing counted for the body yet)."""
        return ratings.body_rating(self.uow(), body, params)

    # --- rewards: nominations, certificates, gift catalogue ----------------------------------

    @property
    def rewards_settings(self) -> rewards.RewardsSettings:
        return rewards.RewardsSettings.from_config(self.config)

    @configured_timer("NOMINATION_CHECK_INTERVAL", 300)
    def close_ended_periods(self):
        """Nominate the top residents of each district for every configured period kind whose
        last period ended and has not been nominated yet (exactly once across instances)."""
        return rewards.close_ended_periods(self.uow(), self.rewards_settings)

    @command
    def run_nominations(self, period):
        """Admins: nominate an ended period (``2026-11``, ``2026-Q4``, ``2026``) by hand;
        idempotent. → ``{"period", "kind", "created", "nominations", "ran_at", "by"}``.
        Raises Forbidden, InvalidInput (malformed, or not ended yet)."""
        return rewards.run_nominations(self.uow(), period, self.caller.require(),
                                       self.rewards_settings)

    @rpc
    def list_nominations(self, params=None):
        """Admins and dispatchers: ``{"items": [nomination], "total", "limit", "offset"}``
        filtered by ``period``, ``status``, ``district``."""
        return rewards.list_nominations(self.uow(), params or {}, self.caller.require())

    @rpc
    def get_nomination(self, nomination_id):
        """Admins and dispatchers: one nomination. Raises Forbidden, NotFound."""
        return rewards.get_nomination(self.uow(), nomination_id, self.caller.require())

    @command
    def decide_nomination(self, nomination_id, payload):
        """Admins and dispatchers approve (with a certificate or a gift) or decline (with a
        reason) a pending nomination. → ``{"nomination": {...}, "reward": {...} | None}``.
        Raises Forbidden, InvalidInput, NotFound, Conflict."""
        return rewards.decide_nomination(self.uow(), nomination_id, payload,
                                         self.caller.require(), self.rewards_settings)

    @rpc
    def my_rewards(self):
        """The caller's ``{"nominations": [...], "rewards": [...]}``."""
        return rewards.my_rewards(self.uow(), self.caller.require())

    @rpc
    def certificate(self, reward_id):
        """The certificate of gratitude PDF for its owner or staff:
        ``{"filename", "content_type": "application/pdf", "content_base64"}``."""
        return rewards.certificate(self.uow(), reward_id, self.caller.require())

    @command
    def create_gift(self, payload):
        """Admins and dispatchers add a gift to the catalogue: ``{"name": {"uk", "en"},
        "description"?, "stock"}`` → the gift."""
        return rewards.create_gift(self.uow(), payload, self.caller.require())

    @command
    def update_gift(self, gift_id, payload):
        """Admins and dispatchers restock, rename or withdraw a gift (``stock``, ``name``,
        ``description``, ``active``) → the gift."""
        return rewards.update_gift(self.uow(), gift_id, payload, self.caller.require())

    @rpc
    def list_gifts(self, params=None):
        """Admins and dispatchers: ``{"items": [gift], "total", "limit", "offset"}``."""
        return rewards.list_gifts(self.uow(), params or {}, self.caller.require())

    @command
    def mark_delivered(self, reward_id):
        """Admins and dispatchers record that a gift was handed over → the reward."""
        return rewards.mark_delivered(self.uow(), reward_id, self.caller.require())
