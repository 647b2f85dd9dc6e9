"""The gateway service: Hromada's public REST API over the intake and routing services.

Each entrypoint validates what arrives, makes one RPC call and shapes the answer; errors
take the single path in :mod:`gateway.http`.
"""
from __future__ import annotations

import base64
import re
import uuid
from urllib.parse import urlencode

import eventlet
from nameko.dependency_providers import Config
from nameko.exceptions import RpcTimeout
from werkzeug.wrappers import Response

from gateway.http import PUBLIC, http, json_response, problem_response, read_json_object, roles
from gateway.openapi import openapi_document
from gateway.rpc import TimeoutRpcProxy
# The module, not the class: `nameko run` takes every class in this module that has
# entrypoints for a service of its own.
from gateway.web import account_pages
from gateway.web import board_pages
from gateway.web import help_pages
from gateway.web import pages as web
from gateway.schemas import (
    BodyLeaderboardQuery,
    BodyRatingQuery,
    ExecutorRatingsQuery,
    GiftIn,
    GiftUpdate,
    NominationDecision,
    NominationsQuery,
    PageQuery,
    PublicProfileIn,
    ResidentLeaderboardQuery,
    RunNominations,
    ApiKeyCreate,
    CommentIn,
    Confirm,
    NotificationsQuery,
    NotificationsRead,
    PortalFeedbackAnswer,
    PortalFeedbackIn,
    Preferences,
    QueueQuery as PortalFeedbackQuery,
    Rework,
    CategoryInput,
    ComplexityUpdate,
    Extension,
    QueueQuery,
    Reassign,
    Resolve,
    AppealCreate,
    AppealListQuery,
    CategoryListQuery,
    EmailOnly,
    PasswordConfirmation,
    PasswordResetConfirm,
    Reason,
    Rejection,
    RefreshToken,
    Register,
    RolesUpdate,
    TokenRequest,
    VerifyEmail,
    idempotency_key_from,
    load,
    load_query,
)

API = "/api/v1"
PUBLIC_BOARD_CACHING = {"Cache-Control": "public, max-age=5"}
"""Public boards are served from a cache up to a few seconds old anyway: let proxies and
browsers keep them that long too."""
READY_TIMEOUT_CONFIG_KEY = "ready_timeout"

# Who may call what (checked at the edge before the body is read; routes without ``access``
# need a signed-in caller). The services check again, finer: the author, the body's staff.
MODERATORS = roles("dispatcher", "admin")
ADMIN = roles("admin")
BODY_STAFF = roles("executor", "head")
STAFF = roles("executor", "head", "dispatcher", "admin")


class GatewayService(board_pages.BoardPages, help_pages.HelpPages, account_pages.AccountPages,
                     web.WebPages):
    """HTTP in, RPC out; no business rules live here. The portal's pages come from
    :class:`~gateway.web.pages.WebPages` and
    :class:`~gateway.web.account_pages.AccountPages` (the web edge, its own package; the
    account pages first, as they add the session to every page's header)."""

    name = "gateway"

    intake_rpc = TimeoutRpcProxy("intake")
    routing_rpc = TimeoutRpcProxy("routing")
    accounts_rpc = TimeoutRpcProxy("accounts")
    feedback_rpc = TimeoutRpcProxy("feedback")
    gamification_rpc = TimeoutRpcProxy("gamification")
    config = Config()

    @http("POST", f"{API}/appeals")
    def submit_appeal(self, request):
        """File an appeal: 201 with the new appeal, or 200 when an earlier request with the
        same ``Idempotency-Key`` and body is replayed."""
        client_key = idempotency_key_from(request.headers)
        payload = load(AppealCreate(), read_json_object(request))
        appeal = self.intake_rpc.submit_appeal(payload, client_key or request_scoped_key())
        return submitted_appeal_response(appeal, replay_visible=client_key is not None)

    @http("GET", f"{API}/appeals/<string:appeal_id>", access=PUBLIC)
    def get_appeal(self, request, appeal_id):
        """One appeal with its state history; the author's contact only for the author,
        moderators and staff of the responsible body (intake decides, accounts re-checks)."""
        appeal = self.intake_rpc.get_appeal(appeal_id)
        if appeal.get("author_id"):
            appeal["author"] = self.accounts_rpc.contact_of(appeal["author_id"])
        return json_response(appeal)

    @http("POST", f"{API}/appeals/<string:appeal_id>/reject", access=MODERATORS)
    def reject_appeal(self, request, appeal_id):
        """A moderator rejects an appeal with a reason and its code (spam, not_constructive,
        out_of_remit, other)."""
        payload = load(Rejection(), read_json_object(request))
        return json_response(self.intake_rpc.reject_appeal(appeal_id, payload))

    # --- executor workflow and triage (routing decides, intake records) --------------------

    @http("POST", f"{API}/appeals/<string:appeal_id>/take", access=BODY_STAFF)
    def take_appeal(self, request, appeal_id):
        """An executor of the responsible body takes the appeal into work (409 names the
        current state when that is not possible)."""
        return json_response(self.routing_rpc.take_appeal(appeal_id))

    @http("POST", f"{API}/appeals/<string:appeal_id>/resolve", access=BODY_STAFF)
    def resolve_appeal(self, request, appeal_id):
        """The executor reports the work done; the resident's confirmation closes it."""
        payload = load(Resolve(), read_json_object(request))
        return json_response(self.routing_rpc.resolve_appeal(appeal_id, payload))

    @http("POST", f"{API}/appeals/<string:appeal_id>/complexity", access=MODERATORS)
    def set_complexity(self, request, appeal_id):
        """A dispatcher sets the complexity class at triage; the deadline is recomputed."""
        payload = load(ComplexityUpdate(), read_json_object(request))
        return json_response(self.routing_rpc.set_complexity(appeal_id, payload))

    @http("POST", f"{API}/appeals/<string:appeal_id>/reassign", access=MODERATORS)
    def reassign(self, request, appeal_id):
        """A dispatcher sends the appeal to another body."""
        payload = load(Reassign(), read_json_object(request))
        return json_response(self.routing_rpc.reassign(appeal_id, payload))

    @http("POST", f"{API}/appeals/<string:appeal_id>/extend", access=roles("head", "admin"))
    def extend_deadline(self, request, appeal_id):
        """The head of the responsible body extends the deadline, with a reason."""
        payload = load(Extension(), read_json_object(request))
        payload["until"] = payload["until"].isoformat()
        return json_response(self.routing_rpc.extend_deadline(appeal_id, payload))

    @http("GET", f"{API}/bodies", access=PUBLIC)
    def list_bodies(self, request):
        """The executor bodies appeals are routed to."""
        return json_response({"items": self.routing_rpc.list_bodies()})

    @http("GET", f"{API}/bodies/<string:body>/queue", access=STAFF)
    def body_queue(self, request, body):
        """A body's open appeals, overdue first, then by time left (its staff, dispatchers)."""
        query = load_query(QueueQuery(), request.args)
        return json_response(self.routing_rpc.body_queue(body, query))

    @http("GET", f"{API}/dispatcher/queue", access=MODERATORS)
    def dispatcher_queue(self, request):
        """Appeals no rule could route, waiting for a dispatcher."""
        query = load_query(QueueQuery(), request.args)
        return json_response(self.routing_rpc.dispatcher_queue(query))

    @http("POST", f"{API}/categories", access=ADMIN)
    def create_category(self, request):
        """An administrator adds a category to the taxonomy."""
        payload = load(CategoryInput(), read_json_object(request))
        return json_response(self.routing_rpc.create_category(payload), status=201)

    @http("PATCH", f"{API}/categories/<string:code>", access=ADMIN)
    def update_category(self, request, code):
        """An administrator renames, moves, retunes or (de)activates a category; categories
        are never deleted."""
        payload = load(CategoryInput(partial=True), read_json_object(request))
        return json_response(self.routing_rpc.update_category(code, payload))

    # --- the resident's answer, discussion, portal feedback (feedback decides) --------------

    @http("POST", f"{API}/appeals/<string:appeal_id>/confirm")
    def confirm_appeal(self, request, appeal_id):
        """The author confirms the resolution with a rating (1–5): the only way to ``closed``."""
        payload = load(Confirm(), read_json_object(request))
        return json_response(self.feedback_rpc.confirm(appeal_id, payload))

    @http("POST", f"{API}/appeals/<string:appeal_id>/rework")
    def request_rework(self, request, appeal_id):
        """The author sends the resolved appeal back to the same body, with a reason."""
        payload = load(Rework(), read_json_object(request))
        return json_response(self.feedback_rpc.request_rework(appeal_id, payload))

    @http("POST", f"{API}/appeals/<string:appeal_id>/archive", access=STAFF)
    def archive_appeal(self, request, appeal_id):
        """Staff archive a resolved appeal the author never answered (never counted as done)."""
        payload = load(Reason(), read_json_object(request))
        return json_response(self.feedback_rpc.archive(appeal_id, payload))

    @http("GET", f"{API}/appeals/<string:appeal_id>/comments", access=PUBLIC)
    def list_comments(self, request, appeal_id):
        """The discussion of an appeal (residents' identities only for those allowed)."""
        return json_response(self.feedback_rpc.list_comments(appeal_id))

    @http("POST", f"{API}/appeals/<string:appeal_id>/comments")
    def add_comment(self, request, appeal_id):
        """The author or the body's staff add to the discussion."""
        payload = load(CommentIn(), read_json_object(request))
        return json_response(self.feedback_rpc.add_comment(appeal_id, payload), status=201)

    @http("POST", f"{API}/portal-feedback")
    def submit_portal_feedback(self, request):
        """A suggestion or complaint about the portal itself."""
        payload = load(PortalFeedbackIn(), read_json_object(request))
        return json_response(self.feedback_rpc.submit_portal_feedback(payload), status=201)

    @http("GET", f"{API}/portal-feedback")
    def list_portal_feedback(self, request):
        """Staff see all portal feedback; a resident sees their own."""
        query = load_query(PortalFeedbackQuery(), request.args)
        return json_response(self.feedback_rpc.list_portal_feedback(query))

    @http("POST", f"{API}/portal-feedback/<string:feedback_id>/answer", access=MODERATORS)
    def answer_portal_feedback(self, request, feedback_id):
        """Staff answer a resident's portal feedback, marking it ``useful`` if it is."""
        payload = load(PortalFeedbackAnswer(), read_json_object(request))
        return json_response(self.feedback_rpc.answer_portal_feedback(feedback_id, payload))

    @http("POST", f"{API}/portal-feedback/<string:feedback_id>/close")
    def close_portal_feedback(self, request, feedback_id):
        """The author or staff close answered portal feedback."""
        return json_response(self.feedback_rpc.close_portal_feedback(feedback_id))

    @http("GET", f"{API}/me/notifications")
    def my_notifications(self, request):
        """The signed-in account's in-app notifications, newest first."""
        query = load_query(NotificationsQuery(), request.args)
        return json_response(self.accounts_rpc.my_notifications(query))

    @http("POST", f"{API}/me/notifications/read")
    def mark_notifications_read(self, request):
        """Mark some (or all) of one's notifications read."""
        payload = load(NotificationsRead(), read_json_object(request))
        return json_response(self.accounts_rpc.mark_notifications_read(payload))

    @http("PUT", f"{API}/me/preferences")
    def set_preferences(self, request):
        """Whether notifications also come by email (they always appear in the app)."""
        payload = load(Preferences(), read_json_object(request))
        return json_response(self.accounts_rpc.set_email_notifications(payload))

    @http("GET", f"{API}/statistics", access=PUBLIC)
    def statistics(self, request):
        """Public counts by state: only appeals their authors confirmed count as done."""
        return json_response(self.intake_rpc.statistics())

    # --- accounts --------------------------------------------------------------------------

    @http("POST", f"{API}/auth/register", access=PUBLIC)
    def register(self, request):
        """Create a resident account; a one-time code is emailed to verify the address."""
        data = load(Register(), read_json_object(request))
        return json_response(self.accounts_rpc.register(
            data["email"], data["password"], data["display_name"], data["phone"]), status=201)

    @http("POST", f"{API}/auth/verify-email", access=PUBLIC)
    def verify_email(self, request):
        """Confirm the email address with the emailed code."""
        data = load(VerifyEmail(), read_json_object(request))
        return json_response(self.accounts_rpc.verify_email(data["email"], data["code"]))

    @http("POST", f"{API}/auth/resend-verification", access=PUBLIC)
    def resend_verification(self, request):
        """Email a new verification code (the same answer whether or not the address exists)."""
        data = load(EmailOnly(), read_json_object(request))
        self.accounts_rpc.resend_verification(data["email"])
        return json_response({"status": "sent if the account exists"}, status=202)

    @http("POST", f"{API}/auth/token", access=PUBLIC)
    def issue_token(self, request):
        """Sign in: email and password (residents, staff) or an API key (integrations)."""
        data = load(TokenRequest(), read_json_object(request))
        if "api_key" in data:
            return json_response(self.accounts_rpc.authenticate_api_key(data["api_key"]))
        return json_response(self.accounts_rpc.issue_tokens(data["email"], data["password"]))

    @http("POST", f"{API}/auth/refresh", access=PUBLIC)
    def refresh_token(self, request):
        """A new token pair for a refresh token (which is then used up)."""
        data = load(RefreshToken(), read_json_object(request))
        return json_response(self.accounts_rpc.refresh_tokens(data["refresh_token"]))

    @http("POST", f"{API}/auth/logout", access=PUBLIC)
    def logout(self, request):
        """Revoke the refresh token (and every token rotated from the same sign-in)."""
        data = load(RefreshToken(), read_json_object(request))
        self.accounts_rpc.revoke_refresh_token(data["refresh_token"])
        return no_content()

    @http("POST", f"{API}/auth/password-reset", access=PUBLIC)
    def request_password_reset(self, request):
        """Email a password-reset code (the same answer whether or not the address exists)."""
        data = load(EmailOnly(), read_json_object(request))
        self.accounts_rpc.request_password_reset(data["email"])
        return json_response({"status": "sent if the account exists"}, status=202)

    @http("POST", f"{API}/auth/password-reset/confirm", access=PUBLIC)
    def reset_password(self, request):
        """Set a new password with the emailed code; every sign-in is revoked."""
        data = load(PasswordResetConfirm(), read_json_object(request))
        self.accounts_rpc.reset_password(data["email"], data["code"], data["new_password"])
        return no_content()

    @http("GET", f"{API}/me")
    def me(self, request):
        """The signed-in account: id, display name, roles, body for staff."""
        return json_response(self.accounts_rpc.get_me())

    @http("GET", f"{API}/me/export")
    def export_my_data(self, request):
        """Everything the platform holds about the signed-in resident, as one document."""
        appeals, cursor = [], None
        while True:
            page = self.intake_rpc.list_appeals({"mine": True, "limit": 100, "cursor": cursor})
            appeals += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                break
        return json_response(self.accounts_rpc.export_my_data() | {"appeals": appeals})

    @http("DELETE", f"{API}/me")
    def delete_me(self, request):
        """Delete the signed-in account; its appeals stay, anonymised."""
        data = load(PasswordConfirmation(), read_json_object(request))
        self.accounts_rpc.delete_my_account(data["password"])
        return no_content()

    @http("POST", f"{API}/accounts/<string:account_id>/block", access=MODERATORS)
    def block_account(self, request, account_id):
        """A moderator blocks an abusive account (it can still sign in to read)."""
        data = load(Reason(), read_json_object(request))
        return json_response(self.accounts_rpc.block_account(account_id, data["reason"]))

    @http("POST", f"{API}/accounts/<string:account_id>/unblock", access=MODERATORS)
    def unblock_account(self, request, account_id):
        """A moderator lifts a block."""
        data = load(Reason(), read_json_object(request))
        return json_response(self.accounts_rpc.unblock_account(account_id, data["reason"]))

    @http("PUT", f"{API}/accounts/<string:account_id>/roles", access=ADMIN)
    def set_roles(self, request, account_id):
        """An administrator sets an account's roles (and body, for executors and heads)."""
        data = load(RolesUpdate(), read_json_object(request))
        return json_response(self.accounts_rpc.set_roles(account_id, data["roles"], data["body"]))

    @http("POST", f"{API}/api-keys", access=ADMIN)
    def create_api_key(self, request):
        """An administrator creates an API key for an integration; the key is shown once."""
        data = load(ApiKeyCreate(), read_json_object(request))
        return json_response(self.accounts_rpc.create_api_key(data["name"], data["scopes"]),
                             status=201)

    @http("DELETE", f"{API}/api-keys/<string:key_id>", access=ADMIN)
    def revoke_api_key(self, request, key_id):
        """An administrator revokes an API key."""
        self.accounts_rpc.revoke_api_key(key_id)
        return no_content()

    @http("GET", f"{API}/appeals", access=PUBLIC)
    def list_appeals(self, request):
        """A page of appeals matching the query's filters, newest first, with a cursor."""
        filters = appeal_filters(load_query(AppealListQuery(), request.args))
        page = self.intake_rpc.list_appeals(filters)
        return appeal_page_response(page, request)

    @http("GET", f"{API}/categories", access=PUBLIC)
    def list_categories(self, request):
        """The category taxonomy (active categories unless ``include_inactive=true``)."""
        query = load_query(CategoryListQuery(), request.args)
        categories = self.routing_rpc.list_categories(query["include_inactive"])
        return json_response({"items": categories})

    # --- gamification: points, leaderboards, ratings, rewards ------------------------------

    @http("GET", f"{API}/me/points")
    def my_points(self, request):
        """The signed-in resident's points, level, badges and ledger (paged)."""
        query = load_query(PageQuery(), request.args)
        return json_response(self.gamification_rpc.my_points(query))

    @http("PUT", f"{API}/me/public-profile")
    def set_public_profile(self, request):
        """Choose how leaderboards show you: your display name or a pseudonym."""
        payload = load(PublicProfileIn(), read_json_object(request))
        if payload["shown_as"] == "name":
            payload["display_name"] = self.accounts_rpc.get_me()["display_name"]
        return json_response(self.gamification_rpc.set_public_profile(payload))

    @http("GET", f"{API}/me/rewards")
    def my_rewards(self, request):
        """The signed-in resident's nominations and rewards."""
        return json_response(self.gamification_rpc.my_rewards())

    @http("GET", f"{API}/me/rewards/<string:reward_id>/certificate")
    def my_certificate(self, request, reward_id):
        """A certificate of gratitude as a PDF (its owner, or staff)."""
        return pdf_response(self.gamification_rpc.certificate(reward_id))

    @http("GET", f"{API}/badges", access=PUBLIC)
    def badge_catalogue(self, request):
        """Every badge and level, with what earns it."""
        return json_response(self.gamification_rpc.badge_catalogue())

    @http("GET", f"{API}/leaderboards/residents", access=PUBLIC)
    def resident_leaderboard(self, request):
        """Top residents of a period, city-wide or in a district; public names only."""
        query = load_query(ResidentLeaderboardQuery(), request.args)
        return json_response(self.gamification_rpc.leaderboard_residents(query),
                             headers=PUBLIC_BOARD_CACHING)

    @http("GET", f"{API}/leaderboards/bodies", access=PUBLIC)
    def body_leaderboard(self, request):
        """Bodies ranked by their shrunk (Bayesian) record in a period and domain."""
        query = load_query(BodyLeaderboardQuery(), request.args)
        return json_response(self.gamification_rpc.leaderboard_bodies(query),
                             headers=PUBLIC_BOARD_CACHING)

    @http("GET", f"{API}/bodies/<string:body>/rating", access=PUBLIC)
    def body_rating(self, request, body):
        """One body's record in the running month, quarter and year and all time: on time,
        confirmed, rework, breaches, rating."""
        query = load_query(BodyRatingQuery(), request.args)
        return json_response(self.gamification_rpc.body_rating(body, query))

    @http("GET", f"{API}/staff/executor-ratings", access=roles("head", "dispatcher", "admin"))
    def executor_ratings(self, request):
        """Each executor's record (staff; a head sees their own body)."""
        query = load_query(ExecutorRatingsQuery(), request.args)
        return json_response(self.gamification_rpc.executor_ratings(query))

    @http("GET", f"{API}/staff/nominations", access=MODERATORS)
    def list_nominations(self, request):
        """Nominations for rewards, filtered by period, status and district (staff)."""
        query = load_query(NominationsQuery(), request.args)
        return json_response(self.gamification_rpc.list_nominations(query))

    @http("POST", f"{API}/staff/nominations/run", access=ADMIN)
    def run_nominations(self, request):
        """Nominate the top residents of an ended period now (admin; once per period)."""
        payload = load(RunNominations(), read_json_object(request))
        return json_response(self.gamification_rpc.run_nominations(payload["period"]))

    @http("POST", f"{API}/staff/nominations/<string:nomination_id>/decision", access=MODERATORS)
    def decide_nomination(self, request, nomination_id):
        """Approve a nomination with a reward (certificate or gift), or decline it (staff)."""
        payload = load(NominationDecision(), read_json_object(request))
        if payload["decision"] == "approved" and payload["reward"]["kind"] == "certificate":
            # The certificate is printed with the resident's name, which accounts holds.
            resident_id = self.gamification_rpc.get_nomination(nomination_id)["resident_id"]
            names = self.accounts_rpc.public_name_of([resident_id])
            payload["resident_name"] = names.get(resident_id)
        return json_response(self.gamification_rpc.decide_nomination(nomination_id, payload))

    @http("GET", f"{API}/staff/gifts", access=MODERATORS)
    def list_gifts(self, request):
        """The gift catalogue with stock (staff)."""
        query = load_query(PageQuery(), request.args)
        return json_response(self.gamification_rpc.list_gifts(query))

    @http("POST", f"{API}/staff/gifts", access=MODERATORS)
    def create_gift(self, request):
        """Add a gift to the catalogue (staff)."""
        payload = load(GiftIn(), read_json_object(request))
        return json_response(self.gamification_rpc.create_gift(payload), status=201)

    @http("PATCH", f"{API}/staff/gifts/<string:gift_id>", access=MODERATORS)
    def update_gift(self, request, gift_id):
        """Change a gift's name, description, stock or availability (staff)."""
        payload = load(GiftUpdate(), read_json_object(request))
        return json_response(self.gamification_rpc.update_gift(gift_id, payload))

    @http("POST", f"{API}/staff/rewards/<string:reward_id>/delivered", access=MODERATORS)
    def mark_reward_delivered(self, request, reward_id):
        """Record that a gift was handed over (staff)."""
        return json_response(self.gamification_rpc.mark_delivered(reward_id))

    @http("GET", f"{API}/openapi.json", access=PUBLIC)
    def openapi(self, request):
        """The OpenAPI 3.1 description of this API."""
        return json_response(openapi_document())

    @http("GET", "/health", access=PUBLIC)
    def health(self, request):
        """Liveness: the process is serving HTTP."""
        return json_response({"status": "ok"})

    @http("GET", "/ready", access=PUBLIC)
    def ready(self, request):
        """Readiness: intake, routing, accounts, feedback and gamification answer ``health()``
        in time (200), else 503."""
        timeout = float(self.config.get(READY_TIMEOUT_CONFIG_KEY) or 2)
        probes = {
            name: eventlet.spawn(health_report, proxy, timeout)
            for name, proxy in (("intake", self.intake_rpc), ("routing", self.routing_rpc),
                                ("accounts", self.accounts_rpc), ("feedback", self.feedback_rpc),
                                ("gamification", self.gamification_rpc))
        }
        checks = {name: probe.wait() for name, probe in probes.items()}
        failed = sorted(name for name, report in checks.items() if not report_is_ok(report))
        if failed:
            return problem_response(
                503, f"Not ready; failed health checks: {', '.join(failed)}.", request.path,
                extra={"checks": checks},
            )
        return json_response({"status": "ready", "checks": checks})


def no_content():
    return Response(status=204)


def pdf_response(document: dict) -> Response:
    """A file a service sent over RPC as ``{filename, content_type, content_base64}``."""
    return Response(
        base64.b64decode(document["content_base64"]), status=200,
        mimetype=document.get("content_type", "application/pdf"),
        headers={"Content-Disposition": f'attachment; filename="{safe_filename(document)}"'},
    )


def safe_filename(document: dict) -> str:
    """The file's name reduced to characters every client takes in a header."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", document.get("filename") or "")[:100].strip("-.")
    return name or "document.pdf"


def request_scoped_key() -> str:
    """An idempotency key for a submission the client sent without one.

    nameko redelivers an RPC request whose worker died before acking it, even when the work was
    committed; with a key of its own the redelivered request finds the appeal it already filed
    instead of filing it again. Fresh per HTTP request: two requests are two appeals.
    """
    return f"gateway:{uuid.uuid4().hex}"


def submitted_appeal_response(appeal: dict, replay_visible: bool = True):
    """201 + ``Location`` for a new appeal; 200 + ``Idempotent-Replayed`` for a replay of the
    client's own key (a replay of :func:`request_scoped_key` is the first answer the client
    sees, so it is a 201)."""
    appeal = dict(appeal)
    replayed = bool(appeal.pop("replayed", False)) and replay_visible
    headers = {"Location": f"{API}/appeals/{appeal['id']}"}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return json_response(appeal, status=200 if replayed else 201, headers=headers)


def appeal_filters(query: dict) -> dict:
    """The validated query as intake's ``list_appeals`` filters (datetimes as ISO strings)."""
    filters = dict(query)
    for key in ("created_from", "created_to"):
        if key in filters:
            filters[key] = filters[key].isoformat()
    return filters


def appeal_page_response(page: dict, request):
    """The page as JSON, with a ``Link: <…>; rel="next"`` header when there is a next page."""
    next_cursor = page.get("next_cursor")
    headers = {}
    if next_cursor:
        args = [(key, value) for key, value in request.args.items(multi=True) if key != "cursor"]
        args.append(("cursor", next_cursor))
        headers["Link"] = f'<{request.path}?{urlencode(args)}>; rel="next"'
    return json_response({"items": page["items"], "next_cursor": next_cursor}, headers=headers)


def health_report(proxy, timeout: float) -> dict:
    """What ``proxy.health()`` says within ``timeout`` seconds, or why it said nothing."""
    try:
        with eventlet.Timeout(timeout, RpcTimeout(f"no answer in {timeout}s")):
            return proxy.health()
    except Exception as exc:  # any failure means "not ready"; the report says which
        return {"status": "failed", "error": type(exc).__name__, "detail": str(exc)}


def report_is_ok(report) -> bool:
    return isinstance(report, dict) and bool(report) and all(value == "ok" for value in report.values())
