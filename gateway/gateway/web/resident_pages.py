"""The resident's own appeals and notifications in the browser: ``/me/appeals``, the actions
on an appeal's page (confirm with a rating, send back for rework, comment) and
``/me/notifications`` with the unread count in every page's header.

Mixed into the gateway's nameko service before :class:`~gateway.web.account_pages.AccountPages`
(``class GatewayService(ResidentPages, AccountPages, WebPages)``). Which actions an appeal's
page offers is computed from the one lifecycle definition (:data:`RESIDENT_MOVES` and
``hromada_common.lifecycle.can_transition``) and the reader's relation to the appeal: only
its author acts, and staff actions are not here. Every form is a POST that checks the session,
then its CSRF token, then its fields, calls the same RPC as its REST counterpart, and answers
with a redirect (POST-redirect-GET) to the page with a notice; the services' typed errors are
shown beside the field or as a notice, never as a 500.
"""
from __future__ import annotations

import logging
import re
import time
from urllib.parse import parse_qsl, urlencode, urlsplit

from hromada_common.auth import Unauthenticated
from hromada_common.errors import Conflict, Forbidden, InvalidInput, NotFound
from hromada_common.lifecycle import OPEN_STATES as SUPPORTABLE_STATES
from hromada_common.lifecycle import AppealState, can_transition
from nameko.exceptions import RpcTimeout
from werkzeug.exceptions import RequestEntityTooLarge

from gateway.http import Problem
from gateway.media_upload import chosen_files
from gateway.rest.photos import media_url
from gateway.schemas import CommentIn, Confirm, NotificationsQuery, NotificationsRead, Rework, load

from .account_pages import UNAVAILABLE, filled, message_id, see_other
from .i18n import Formatter, negotiate
from .pages import N_, page
from .photo_forms import (NO_ROOM, PURPOSE_ALT, PURPOSE_TITLES, STORAGE_DOWN, phrase,
                          photos_by_purpose, upload_errors)
from .render import gettext
from .session import header_account

S = AppealState
log = logging.getLogger(__name__)

RESIDENT_MOVES = {S.CLOSED: "confirm", S.REWORK: "rework"}
"""The transitions the appeal's author makes (the lifecycle's "entered by: resident"), and the
form that makes each. An action is offered when the lifecycle allows its move from the
appeal's current state; commenting is not a move and is open to the author in any state."""

OPEN_STATES = frozenset({S.ASSIGNED, S.IN_PROGRESS, S.REWORK})
"""States in which the appeal has a running deadline (a countdown is shown)."""

NOTICES = {
    "confirmed": N_("Thank you — your rating is saved. The appeal is closed as done."),
    "rework": N_("Sent back for rework: the executor sees your reason and has a new deadline."),
    "commented": N_("Your comment is added."),
    "read": N_("Marked as read."),
    "supported": N_("You support this appeal; you will be told of every change."),
    "withdrawn": N_("You no longer support this appeal."),
    "rework-without-photo": N_("Sent back for rework: the executor sees your reason and has "
                               "a new deadline. The photo could not be added."),
}
CONFLICT_NOTICE = N_("This appeal has changed meanwhile (or its new state has not reached us "
                     "yet); see its current state below and try again in a moment.")
REWORK_LIMIT_NOTICE = N_("This appeal was sent back as often as allowed; instead of another "
                         "rework it has gone to the head of the responsible body, who now "
                         "answers for it.")
FORBIDDEN_NOTICE = N_("Only the resident who filed this appeal can do this.")
OWN_APPEAL_NOTICE = N_("You filed this appeal, so you follow it already: there is no need to "
                       "support it.")
NOT_OPEN_NOTICE = N_("This appeal is no longer open, so it takes no more support.")
SUPPORT_REFUSED = N_("Only residents with a confirmed email address support appeals.")
CHOOSE_RATING = N_("Choose a rating from 1 to 5.")
TOO_SHORT = N_("Write at least 3 characters.")

WHO = {
    S.SUBMITTED: N_("the resident"),
    S.REJECTED: N_("a moderator"),
    S.DUPLICATE: N_("a moderator"),
    S.ASSIGNED: N_("routing"),
    S.IN_PROGRESS: N_("the executor"),
    S.RESOLVED: N_("the executor"),
    S.REWORK: N_("the resident"),
    S.CLOSED: N_("the resident"),
    S.ARCHIVED: N_("staff"),
}
"""Who makes each move, by role: the public timeline never names a person."""
WHAT = {
    S.SUBMITTED: N_("Appeal filed"),
    S.REJECTED: N_("Rejected"),
    S.DUPLICATE: N_("Marked as a duplicate of an earlier appeal"),
    S.ASSIGNED: N_("Sent to the responsible body"),
    S.IN_PROGRESS: N_("Taken into work"),
    S.RESOLVED: N_("Work reported done"),
    S.REWORK: N_("Sent back for rework"),
    S.CLOSED: N_("Work confirmed, appeal closed"),
    S.ARCHIVED: N_("Archived without the resident's confirmation"),
}
"""What each move is, as a phrase that needs no grammatical agreement with who made it."""
DEADLINE_SETTER = {"complexity": N_("a dispatcher"), "extension": N_("the head of the body"),
                   "reassignment": N_("a dispatcher")}
"""Who moves a deadline, by routing's kind of change (the rest are routing's own)."""
REASSIGNED = N_("Sent to another body")
DEADLINE_SET = N_("Deadline set: %(when)s")
ESCALATED = N_("Escalated to the head of the responsible body")
RATED = N_("rating %(rating)s of 5")
YOU_WHO = N_("you")
YOU = N_("You")
STAFF_ROLES = {"head": N_("Head of the body"), "executor": N_("Executor"),
               "dispatcher": N_("Dispatcher"), "admin": N_("Administrator"), "staff": N_("Staff")}

# The history's notes are written by intake for its audit trail (see intake's domain model);
# the page reads the few it turns into words.
_DEADLINE_NOTE = re.compile(r"^deadline \((?P<kind>[\w-]+)\): (?P<due>\S+), (?P<complexity>\w+)"
                            r"(?:; (?P<reason>.*))?$", re.S)
_RATING_NOTE = re.compile(r"^rating (?P<rating>[1-5])(?:: (?P<comment>.*))?$", re.S)

UNREAD_COOKIE = "hromada_unread"
UNREAD_CACHE_SECONDS = 60
"""How long the header's unread count is kept in the browser's cookie before it is asked
for again (one ``accounts.my_notifications`` call a minute per signed-in browser, not one
per page; the notifications page and every action refresh it at once)."""
NOTIFICATIONS_PAGE_SIZE = 20
APPEALS_PAGE_SIZE = 20


def resident_actions(state: str, is_author: bool) -> list[str]:
    """The forms an appeal's page offers its reader, in order: none unless the reader filed
    it; then each of :data:`RESIDENT_MOVES` the lifecycle allows from ``state``, and
    ``comment``."""
    if not is_author:
        return []
    moves = [action for target, action in RESIDENT_MOVES.items() if can_transition(state, target)]
    return moves + ["comment"]


def timeline_in_words(history: list[dict], locale: str, fmt, viewer_is_author: bool = False,
                      author_id: str | None = None) -> list[dict]:
    """Each history entry as ``{at, who, what, detail}``, translated: who by role (or "You"
    for the author's own moves, shown only to the author), what happened, and the note that
    explains it (a reason, the executor's report, the rating's comment)."""
    _ = gettext(locale)
    words, previous = [], None
    for entry in history:
        state = S(entry["state"])
        note = entry.get("note") or None
        who, what, detail = _(WHO[state]), _(WHAT[state]), note
        if previous == state:  # same state: a deadline change, an escalation, a reassignment
            who = _(WHO[S.ASSIGNED])
            deadline = _DEADLINE_NOTE.match(note or "")
            if deadline:
                who = _(DEADLINE_SETTER.get(deadline["kind"], WHO[S.ASSIGNED]))
                what = _(DEADLINE_SET) % {"when": fmt.datetime(deadline["due"])}
                # a rework's reason is already on the rework itself: not twice
                detail = deadline["reason"] if deadline["kind"] != "rework" else None
            elif (note or "").startswith("escalated: "):
                what, detail = _(ESCALATED), None
            elif state is S.ASSIGNED:
                what = _(REASSIGNED)
        elif state is S.CLOSED:
            rating = _RATING_NOTE.match(note or "")
            if rating:
                what = f'{what}; {_(RATED) % {"rating": rating["rating"]}}'
                detail = rating["comment"]
        deadline = _DEADLINE_NOTE.match(detail or "")
        if deadline:  # the first deadline rides on the assignment (or the rework) itself
            detail = _(DEADLINE_SET) % {"when": fmt.datetime(deadline["due"])}
        if viewer_is_author and author_id and entry.get("by") == author_id:
            who = _(YOU_WHO)
        words.append({"at": entry["at"], "who": who, "what": what, "detail": detail,
                      "state": state.value})
        previous = state
    return words


def executor_report(history: list[dict]) -> dict | None:
    """The latest resolution: when, and the executor's words (intake keeps them as the note
    of the ``resolved`` entry). Its photos are the appeal's ``resolution`` photos."""
    resolved = [h for h in history if h["state"] == S.RESOLVED.value and h.get("note")]
    if not resolved:
        return None
    return {"at": resolved[-1]["at"], "text": resolved[-1]["note"]}


def comment_author(comment: dict, locale: str, viewer_id: str | None) -> str:
    """How a comment is signed: "You", the resident, or the staff member's role and body."""
    _ = gettext(locale)
    if viewer_id and comment.get("author_id") == viewer_id:
        return _(YOU)
    if comment.get("author_role") == "resident":
        return _(N_("The resident who filed it"))
    role, _sep, body = (comment.get("display") or "staff").partition(" · ")
    label = _(STAFF_ROLES.get(role, STAFF_ROLES["staff"]))
    return f"{label} · {body}" if body else label


def notification_in(notification: dict, locale: str) -> dict:
    """A notification in the reader's language: accounts writes each one in both
    (``"uk / en"`` title, ``"uk\\n\\nen"`` text)."""
    index = 0 if locale == "uk" else -1
    title = (notification.get("title") or "").split(" / ", 1)
    text = (notification.get("text") or "").split("\n\n", 1)
    return notification | {"title": title[index], "text": text[index]}


def cached_unread(cookie: str | None, account_id: str, now: float | None = None) -> int | None:
    """The count kept in :data:`UNREAD_COOKIE` (``count.epoch.account``) if it is this
    account's and younger than :data:`UNREAD_CACHE_SECONDS`, else None."""
    count, at, owner = ((cookie or "").split(".", 2) + ["", "", ""])[:3]
    if owner != account_id or not count.isdigit() or not at.isdigit():
        return None
    age = (time.time() if now is None else now) - int(at)
    return int(count) if 0 <= age < UNREAD_CACHE_SECONDS else None


class PhotoFieldRefused(Exception):
    """The photo beside a form was refused; ``errors`` are the messages by field."""

    def __init__(self, errors: dict):
        super().__init__("photo refused")
        self.errors = errors


def appeal_errors(exc: Exception, values: dict, fields=()) -> dict[str, list[str]]:
    """``{field: [message id]}`` of a form on the appeal page, from the schema's or the
    service's ``InvalidInput``: the account pages' messages, and the few of these forms."""
    errors: dict[str, list[str]] = {}
    for field, messages in (getattr(exc, "fields", None) or {"form": [str(exc)]}).items():
        key = field if field in fields else "form"
        for message in messages if isinstance(messages, (list, tuple)) else [messages]:
            message = str(message)
            if key == "rating":
                wanted = CHOOSE_RATING
            elif message.startswith("Length must be between") and \
                    len((values.get(key) or "").strip()) < 3:
                written = (values.get(key) or "").strip()
                wanted = TOO_SHORT if written else message_id("Must not be blank.")
            else:
                wanted = message_id(message)
            if wanted not in errors.get(key, []):
                errors.setdefault(key, []).append(wanted)
    return errors


class ResidentPages:
    """The resident's appeals, actions and notifications. The service class that mixes this
    in provides ``intake_rpc``, ``feedback_rpc`` and ``accounts_rpc`` and (from AccountPages)
    ``sessions``."""

    # --- every page's header: the unread count ----------------------------------------------

    def _page(self, request, template, status=200, **context):
        """Every page's header shows a signed-in reader how many notifications are unread."""
        if "account" not in context:
            account = header_account(request, self.sessions(request))
            if account["signed_in"]:
                account["unread"] = self._unread_count(request)
            context["account"] = account
        return super()._page(request, template, status=status, **context)

    def _unread_count(self, request) -> int | None:
        """The header's count: from the cookie while it is fresh and for this account, else
        asked of accounts (and kept for :data:`UNREAD_CACHE_SECONDS`). None when it cannot be
        known cheaply (no verified access token on this request, accounts unavailable)."""
        session = self.sessions(request)
        if session.identity is None:
            return None  # an expired access token: no refresh just for the header
        cached = cached_unread(request.cookies.get(UNREAD_COOKIE), session.identity.account_id)
        if cached is not None:
            return cached
        try:
            count = int(self.accounts_rpc.my_notifications(
                {"limit": 1, "unread_only": True})["unread_count"])
        except UNAVAILABLE + (Unauthenticated,):
            return None  # the header is not worth an error page; the page itself decides
        self._remember_unread(request, count)
        return count

    def _remember_unread(self, request, count: int) -> None:
        session = self.sessions(request)
        if session.identity is not None:
            session.keep_cookie(UNREAD_COOKIE,
                                f"{count}.{int(time.time())}.{session.identity.account_id}",
                                UNREAD_CACHE_SECONDS)

    def _forget_unread(self, request) -> None:
        """Something changed what is unread: the next page asks again."""
        if request.cookies.get(UNREAD_COOKIE):
            self.sessions(request).keep_cookie(UNREAD_COOKIE, None)

    # --- who is reading ---------------------------------------------------------------------

    def _viewer_id(self, request) -> str | None:
        """The signed-in reader's account id (refreshing the session once if need be), or
        None for a visitor."""
        session = self.sessions(request)
        if not session.signed_in or not session.require(self.accounts_rpc):
            return None
        if session.identity is not None:
            return session.identity.account_id
        return self.accounts_rpc.get_me()["id"]  # just refreshed: ask once whose token it is

    def _signed_in_or_signin(self, request, back: str):
        if self.sessions(request).require(self.accounts_rpc):
            return None
        return see_other("/signin?" + urlencode({"next": back}))

    # --- the appeal's page: what the resident sees and may do -------------------------------

    def _appeal_extras(self, request, appeal: dict) -> dict:
        """What :meth:`WebPages.appeal_page` adds for this reader: the timeline in words,
        the executor's report, the comments, the supporters and the actions allowed now."""
        locale = negotiate(request)
        viewer = self._viewer_id(request)
        author_id = appeal.get("author_id")
        is_author = viewer is not None and author_id is not None and viewer == author_id
        history = appeal.get("history") or []
        try:
            comments = self.feedback_rpc.list_comments(appeal["id"])["items"]
        except NotFound:
            comments = []  # feedback learns of an appeal by event, a moment after it is filed
        except UNAVAILABLE:
            comments = None
        for comment in comments or ():
            comment["signed"] = comment_author(comment, locale, viewer)
            comment.pop("author_id", None)  # public page: nobody's identity
        supporters = next((appeal[k] for k in ("supporters_count", "supporters")
                           if isinstance(appeal.get(k), int)), None)
        notice = request.args.get("done", "")
        actions = resident_actions(appeal["state"], is_author)
        if notice in ("confirmed", "rework", "rework-without-photo"):  # the new state comes later
            actions = [a for a in actions if a not in RESIDENT_MOVES.values()]
        identity = self.sessions(request).identity
        # Residents other than the author support; staff do not (intake decides again).
        supporter = viewer is not None and not is_author and (
            identity is None or identity.has_role("resident"))
        supported = bool(appeal.get("supported_by_me"))
        if notice in ("supported", "withdrawn"):  # the page may be read before the change
            supported = notice == "supported"
        support = None
        if supporter and supported:
            support = "withdraw"
        elif supporter and appeal["state"] in {s.value for s in SUPPORTABLE_STATES}:
            support = "support"
        return {
            "errors": {}, "values": {}, "problem": None,
            "photos": photos_by_purpose(appeal),
            "photo_titles": PURPOSE_TITLES, "photo_alt": PURPOSE_ALT,
            "photo_megabytes": self.media.limits.max_bytes // 2**20,
            "support": support,
            "timeline": timeline_in_words(history, locale, Formatter(locale), is_author,
                                          author_id),
            "report": executor_report(history),
            "comments": comments,
            "supporters": supporters,
            "actions": actions,
            "is_author": is_author,
            "open_states": [s.value for s in OPEN_STATES],
            "notice": NOTICES.get(notice),
        }

    def _appeal_answer(self, request, appeal_id, errors=None, values=None, notice=None,
                       status=200):
        """The appeal's page again, with a form's errors (or a notice) and its values."""
        return self._appeal_page(request, appeal_id, status=status, errors=errors or {},
                                 values=values or {}, problem=notice)

    def _act(self, request, appeal_id, form_fields, call, done):
        """Run one of the appeal page's forms: session, CSRF, fields, the RPC, then the
        redirect with a notice; errors re-render the page beside the field or as a notice."""
        back = f"/appeals/{appeal_id}"
        away = self._signed_in_or_signin(request, back)
        if away:
            return away
        form = self.sessions(request).form()
        values = {name: form.get(name, "") for name in form_fields}
        try:
            done = call(form, values) or done
        except PhotoFieldRefused as exc:
            return self._appeal_answer(request, appeal_id, exc.errors, values, status=422)
        except InvalidInput as exc:
            return self._appeal_answer(request, appeal_id, appeal_errors(exc, values, form_fields),
                                       values, status=422)
        except Conflict as exc:
            notice = REWORK_LIMIT_NOTICE if exc.extra.get("escalated") else CONFLICT_NOTICE
            return self._appeal_answer(request, appeal_id, values=values, notice=notice,
                                       status=409)
        except Forbidden:
            return self._appeal_answer(request, appeal_id, values=values,
                                       notice=FORBIDDEN_NOTICE, status=403)
        self._forget_unread(request)
        return see_other(f"{back}?done={done}#notice")

    @page("POST", "/appeals/<string:appeal_id>/confirm")
    def appeal_confirm_post(self, request, appeal_id):
        """The author confirms the resolution with a rating 1–5 and an optional comment."""
        def call(form, values):
            data = filled(form, "rating", "comment")
            if "rating" in data:
                data["rating"] = int(data["rating"]) if data["rating"].isdigit() else -1
            self.feedback_rpc.confirm(appeal_id, load(Confirm(), data))
        return self._act(request, appeal_id, ("rating", "comment"), call, "confirmed")

    @page("POST", "/appeals/<string:appeal_id>/rework")
    def appeal_rework_post(self, request, appeal_id):
        """The author sends the resolved appeal back for rework with a reason and, if chosen,
        a photo of what is still wrong (stored first, attached with purpose ``rework``)."""
        # This form may carry a photo (the gateway's usual limit is 1 MB).
        request.max_content_length = self.media.limits.max_upload_bytes

        def call(form, values):
            payload = load(Rework(), filled(form, "reason"))
            try:
                files = chosen_files(request.files.getlist("photo"))
            except RequestEntityTooLarge:
                raise Problem(413, "The photo is too large.") from None
            stored = self._store_rework_photos(appeal_id, files)
            if stored:  # feedback keeps a reference with the rework request (its event too)
                payload["photo_ref"] = media_url(stored[0]["key"])
            try:
                self.feedback_rpc.request_rework(appeal_id, payload)
            except Exception:
                self.media.discard(stored)
                raise
            if stored and not self._attach_rework_photos(appeal_id, stored):
                return "rework-without-photo"
            return None
        return self._act(request, appeal_id, ("reason", "photo"), call, "rework")

    def _store_rework_photos(self, appeal_id: str, files: list) -> list[dict]:
        """Store the rework's photos once intake says the reader may attach that many (its
        Forbidden / Conflict come before any image is decoded); refusals are
        :class:`PhotoFieldRefused`, shown beside the field."""
        if not files:
            return []
        allowance = self.intake_rpc.photo_allowance(appeal_id, "rework")
        if len(files) > allowance["remaining"]:
            raise PhotoFieldRefused(
                {"photo": [phrase(NO_ROOM, count=allowance.get("limit", len(files)))]})
        try:
            return self.media.store_photos(files)
        except Problem as exc:
            messages = upload_errors(exc, self.media.limits)
            if messages is None:
                raise
            raise PhotoFieldRefused({"photo": messages}) from None
        except UNAVAILABLE as exc:
            log.error("rework photos could not be stored: %r", exc)
            raise PhotoFieldRefused({"photo": [STORAGE_DOWN]}) from None

    def _attach_rework_photos(self, appeal_id: str, stored: list[dict]) -> bool:
        """Attach the stored photos with purpose ``rework``, once feedback took the request.
        False when intake would not (the files are removed again, except after a timeout, as
        the API does); the rework itself stands."""
        try:
            self.intake_rpc.attach_photos(appeal_id, stored, "rework")
        except RpcTimeout:
            log.error("attaching rework photos to %s timed out; the files are kept", appeal_id)
            return False
        except Exception as exc:
            log.error("rework photos of %s could not be attached: %r", appeal_id, exc)
            self.media.discard(stored)
            return False
        return True

    # --- support: a resident's voice on someone else's appeal --------------------------------

    @page("POST", "/appeals/<string:appeal_id>/support")
    def appeal_support_post(self, request, appeal_id):
        """Support the appeal (from its page, or "Support this instead" on the last filing
        step) and follow it; back to its page with a notice."""
        return self._support(request, appeal_id, self.intake_rpc.support_appeal, "supported")

    @page("POST", "/appeals/<string:appeal_id>/support/withdraw")
    def appeal_withdraw_support_post(self, request, appeal_id):
        """Withdraw one's support (and stop following the appeal)."""
        return self._support(request, appeal_id, self.intake_rpc.withdraw_support, "withdrawn")

    def _support(self, request, appeal_id, rpc, done):
        back = f"/appeals/{appeal_id}"
        away = self._signed_in_or_signin(request, back)
        if away:
            return away
        self.sessions(request).form()  # the CSRF check; the form carries nothing else
        try:
            rpc(appeal_id)
        except Conflict as exc:
            notice = OWN_APPEAL_NOTICE if exc.extra.get("reason") == "own_appeal" \
                else NOT_OPEN_NOTICE
            return self._appeal_answer(request, appeal_id, notice=notice, status=409)
        except Forbidden:
            return self._appeal_answer(request, appeal_id, notice=SUPPORT_REFUSED, status=403)
        return see_other(f"{back}?done={done}#notice")

    @page("POST", "/appeals/<string:appeal_id>/comments")
    def appeal_comment_post(self, request, appeal_id):
        """The author adds to the discussion with the executor."""
        def call(form, values):
            self.feedback_rpc.add_comment(appeal_id, load(CommentIn(), filled(form, "text")))
        return self._act(request, appeal_id, ("text",), call, "commented")

    # --- the resident's own appeals ---------------------------------------------------------

    @page("GET", "/me/appeals")
    def my_appeals_page(self, request):
        """The reader's own appeals, newest first, with state, deadline and countdown."""
        away = self._signed_in_or_signin(request, request.full_path.rstrip("?"))
        if away:
            return away
        query = {"mine": True, "limit": APPEALS_PAGE_SIZE}
        cursor = request.args.get("cursor")
        errors = {}
        if cursor:
            query["cursor"] = cursor
        try:
            listing = self.intake_rpc.list_appeals(query)
        except InvalidInput:
            errors = {"cursor": [N_("This link to older appeals is not valid; here are the "
                                    "newest.")]}
            query.pop("cursor", None)
            listing = self.intake_rpc.list_appeals(query)
        next_url = None
        if listing.get("next_cursor"):
            next_url = "/me/appeals?" + urlencode({"cursor": listing["next_cursor"]})
        return self._page(request, "resident/appeals.html", appeals=listing["items"],
                          next_url=next_url, errors=errors,
                          open_states=[s.value for s in OPEN_STATES],
                          status=400 if errors else 200)

    # --- notifications ----------------------------------------------------------------------

    @page("GET", "/me/notifications")
    def my_notifications_page(self, request):
        """The reader's in-app notifications, newest first, with "mark read" buttons."""
        away = self._signed_in_or_signin(request, request.full_path.rstrip("?"))
        if away:
            return away
        errors = {}
        try:
            query = load(NotificationsQuery(), filled(request.args, "cursor", "unread_only"))
        except InvalidInput as exc:
            errors = {k: [N_("This filter was not understood and is ignored.")]
                      for k in (exc.fields or {"form": None})}
            query = {}
        query["limit"] = NOTIFICATIONS_PAGE_SIZE
        try:
            listing = self.accounts_rpc.my_notifications(query)
        except InvalidInput:
            errors = {"cursor": [N_("This link to older notifications is not valid; here "
                                    "are the newest.")]}
            query.pop("cursor", None)
            listing = self.accounts_rpc.my_notifications(query)
        locale = negotiate(request)
        self._remember_unread(request, int(listing.get("unread_count") or 0))
        next_url = None
        if listing.get("next_cursor"):
            args = {"cursor": listing["next_cursor"]}
            if query.get("unread_only"):
                args["unread_only"] = "true"
            next_url = "/me/notifications?" + urlencode(args)
        account = header_account(request, self.sessions(request))
        account["unread"] = int(listing.get("unread_count") or 0)
        return self._page(request, "resident/notifications.html", category_name=str,
                          account=account,
                          notifications=[notification_in(n, locale) for n in listing["items"]],
                          unread_count=account["unread"], next_url=next_url, errors=errors,
                          unread_only=bool(query.get("unread_only")),
                          notice=NOTICES.get(request.args.get("done", "")),
                          status=400 if errors else 200)

    @page("POST", "/me/notifications/read")
    def my_notifications_read_post(self, request):
        """Mark one notification (``id``) or all of them (``all``) read."""
        away = self._signed_in_or_signin(request, "/me/notifications")
        if away:
            return away
        form = self.sessions(request).form()
        payload = {"all": True} if form.get("all") else {"ids": form.getlist("id")}
        try:
            payload = load(NotificationsRead(), payload)
        except InvalidInput:
            return see_other("/me/notifications")  # nothing chosen: nothing to mark
        self.accounts_rpc.mark_notifications_read(payload)
        self._forget_unread(request)
        back = urlsplit(form.get("next", ""))
        args = [(k, v) for k, v in parse_qsl(back.query) if k != "done"] + [("done", "read")]
        target = back.path if back.path == "/me/notifications" and not back.netloc \
            else "/me/notifications"  # only this page: never an open redirect
        return see_other(f"{target}?{urlencode(args)}")
