"""Accounts in the browser: sign-up, e-mail verification, sign-in and sign-out, password reset
and the account's own page (profile, public name, notifications, data export, deletion).

Mixed into the gateway's nameko service before :class:`~gateway.web.pages.WebPages`
(``class GatewayService(AccountPages, WebPages)``). Every route is public at the edge: a page
that needs the account asks its session (:mod:`gateway.web.session`), which refreshes an
expired access token once and otherwise sends the reader to ``/signin``. Every POST checks the
form's CSRF token before any field is used. The forms are validated with the REST API's own
schemas and call the same RPCs its ``/api/v1/auth/*`` and ``/api/v1/me*`` handlers do; the
services' typed errors become messages beside the field, translated.
"""
from __future__ import annotations

import json
import logging
import re
from urllib.parse import urlencode

from hromada_common.auth import Unauthenticated
from hromada_common.errors import Conflict, Forbidden, InvalidInput, Unavailable
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from gateway.schemas import (
    EmailOnly, PasswordConfirmation, PasswordResetConfirm, PublicProfileIn, Register,
    VerifyEmail, load,
)

from .i18n import negotiate
from .pages import N_, page
from .session import REFRESH_COOKIE, Sessions, header_account

log = logging.getLogger(__name__)

GENERIC_FIELD_MESSAGE = N_("Check this value.")
FORM_ERROR = N_("Some fields need attention; see the messages beside them.")
# What the gateway's schemas and the accounts and gamification services say about a field,
# as the reader sees it (anything not listed shows GENERIC_FIELD_MESSAGE: never untranslated).
FIELD_MESSAGES = {
    "Missing data for required field.": N_("Fill this in."),
    "Must not be blank.": N_("Fill this in."),
    "required": N_("Fill this in."),
    "Not a valid email address.": N_("Enter an email address such as name@example.org."),
    "not a valid email address": N_("Enter an email address such as name@example.org."),
    "must name a mail domain, not an IP address":
        N_("Use an address at a mail domain, not at an IP address."),
    "Must be the 6-digit code from the email.": N_("Enter the 6-digit code from the email."),
    "must be at most 80 characters": N_("Use at most 80 characters."),
    "must not contain control characters": N_("Remove the special (control) characters."),
    "must be at least 10 characters": N_("Use at least 10 characters."),
    "must be at most 256 characters": N_("This is too long."),
    "must not be only spaces": N_("A password cannot be only spaces."),
    "must not be your email address": N_("Do not use your email address as the password."),
    "is one of the most common passwords; choose another":
        N_("This is one of the most common passwords; choose another."),
    "the code is wrong": N_("The code is wrong."),
    "the code has expired; ask for a new one": N_("The code has expired; ask for a new one."),
    "too many wrong attempts; ask for a new code":
        N_("Too many wrong attempts; ask for a new code."),
    "the code was already used; ask for a new one":
        N_("The code was already used; ask for a new one."),
    "no code was sent for this address, or it has expired; ask for a new one":
        N_("No code was sent for this address, or it has expired; ask for a new one."),
    "looks like an address already registered here (the same letters from another alphabet or "
    "style); register with your own address":
        N_("This looks like an address already registered here, written with look-alike "
           "letters; register with your own address."),
    "does not match": N_("The password is wrong."),
    "already taken": N_("This pseudonym is taken; choose another."),
    "invalid email or password": N_("The email or the password is wrong."),
}
_TOO_LONG = re.compile(r"^(Length must be between \d+ and \d+|Longer than maximum length \d+)\.$")
UNAVAILABLE = (Unavailable, RpcTimeout, UnknownService)


def field_errors(exc: Exception, fields=()) -> dict[str, list[str]]:
    """``{field: [message id]}`` for a typed error's ``fields`` (``InvalidInput``,
    ``Conflict``); a field the form does not show lands under ``"form"``."""
    errors: dict[str, list[str]] = {}
    for field, messages in (getattr(exc, "fields", None) or {"form": [str(exc)]}).items():
        key = field if field in fields else "form"
        for message in messages if isinstance(messages, (list, tuple)) else [messages]:
            errors.setdefault(key, []).append(message_id(str(message)))
    return errors


def message_id(message: str) -> str:
    if message in FIELD_MESSAGES:
        return FIELD_MESSAGES[message]
    if _TOO_LONG.match(message):
        return N_("This is too long.")
    return GENERIC_FIELD_MESSAGE


def safe_next(target: str | None, default: str = "/me") -> str:
    """Only paths on this site: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def filled(form, *names: str) -> dict:
    """The named fields that are not empty (an empty field is a missing one)."""
    return {name: form[name] for name in names if form.get(name, "") != ""}


def see_other(location: str) -> Response:
    return redirect(location, code=303)


class AccountPages:
    """The account pages. The service class that mixes this in provides ``accounts_rpc``,
    ``intake_rpc`` and ``gamification_rpc``."""

    sessions = Sessions()

    def _page(self, request, template, status=200, **context):
        """Every page's header knows the session (WebPages._page renders it)."""
        context.setdefault("account", header_account(request, self.sessions(request)))
        return super()._page(request, template, status=status, **context)

    def _form_page(self, request, template, errors=None, values=None, **context):
        errors = errors or {}
        context.setdefault("category_name", str)  # no categories on these pages
        return self._page(request, template, status=422 if errors else 200, errors=errors,
                          values=values or {}, **context)

    def _signed_in_or_redirect(self, request):
        """None when the request can act as its account (refreshing once if need be), else
        the redirect to the sign-in page."""
        if self.sessions(request).require(self.accounts_rpc):
            return None
        back = request.full_path.rstrip("?") if request.method == "GET" else "/me"
        return see_other("/signin?" + urlencode({"next": back}))

    def _language_chosen(self, request, locale: str) -> None:
        """The language switch, signed in: store the choice as the account's preference (one
        RPC; one more if the access token must be refreshed first), so mails come in it and
        other browsers speak it. The switch itself (its cookie) works whatever happens here:
        a failure is logged, never shown."""
        session = self.sessions(request)
        if not session.signed_in:
            return
        try:
            if session.require(self.accounts_rpc):
                me = self.accounts_rpc.set_preferences({"language": locale})
                session.remember_language(me.get("language"))
        except (Unauthenticated, Forbidden, InvalidInput, Conflict, RemoteError,
                *UNAVAILABLE) as exc:
            log.warning("the language switch could not store %r in the account: %r", locale, exc)

    # --- sign-in and sign-out -------------------------------------------------------------

    @page("GET", "/signin")
    def signin_page(self, request):
        return self._form_page(request, "account/signin.html",
                               values={"next": safe_next(request.args.get("next"))},
                               notice=request.args.get("done"))

    @page("POST", "/signin")
    def signin_post(self, request):
        """Email and password → the token pair in cookies, then back where the reader was."""
        session = self.sessions(request)
        form = session.form()
        values = {"email": form.get("email", ""), "next": safe_next(form.get("next"))}
        data = filled(form, "email", "password")
        missing = {name: [N_("Fill this in.")] for name in ("email", "password")
                   if name not in data}
        if missing:
            return self._form_page(request, "account/signin.html", missing, values)
        try:
            pair = self.accounts_rpc.issue_tokens(data["email"], data["password"])
        except Unauthenticated:
            errors = {"password": [N_("The email or the password is wrong.")]}
            return self._form_page(request, "account/signin.html", errors, values)
        session.start(pair)
        session.remember(self.accounts_rpc.get_me())
        return see_other(values["next"])

    @page("GET", "/signout")
    def signout_page(self, request):
        return self._page(request, "account/signout.html", category_name=str)

    @page("POST", "/signout")
    def signout_post(self, request):
        """Revoke the refresh token (its whole sign-in) and clear the cookies."""
        session = self.sessions(request)
        session.form()
        refresh = request.cookies.get(REFRESH_COOKIE)
        if refresh:
            self.accounts_rpc.revoke_refresh_token(refresh)
        session.end()
        return see_other("/")

    # --- registration and verification ----------------------------------------------------

    @page("GET", "/register")
    def register_page(self, request):
        return self._form_page(request, "account/register.html")

    @page("POST", "/register")
    def register_post(self, request):
        """Create the account; the code is mailed, and the reader goes on to enter it."""
        form = self.sessions(request).form()
        values = {"email": form.get("email", ""), "display_name": form.get("display_name", "")}
        try:
            data = load(Register(), filled(form, "email", "password", "display_name"))
            self.accounts_rpc.register(data["email"], data["password"], data["display_name"],
                                       data["phone"], negotiate(request))  # the page's language
        except InvalidInput as exc:
            errors = field_errors(exc, ("email", "password", "display_name"))
            return self._form_page(request, "account/register.html", errors, values)
        return see_other("/verify?" + urlencode({"email": data["email"]}))

    @page("GET", "/verify")
    def verify_page(self, request):
        return self._form_page(request, "account/verify.html",
                               values={"email": request.args.get("email", "")},
                               notice=request.args.get("done"))

    @page("POST", "/verify")
    def verify_post(self, request):
        """The mailed code proves the address."""
        form = self.sessions(request).form()
        values = {"email": form.get("email", ""), "code": form.get("code", "")}
        try:
            data = load(VerifyEmail(), filled(form, "email", "code"))
            self.accounts_rpc.verify_email(data["email"], data["code"])
        except InvalidInput as exc:
            errors = field_errors(exc, ("email", "code"))
            return self._form_page(request, "account/verify.html", errors, values)
        target = "/me" if self.sessions(request).signed_in else "/signin?done=verified"
        return see_other(target)

    @page("POST", "/verify/resend")
    def resend_post(self, request):
        """A new code (the same answer whether or not the address has an account)."""
        form = self.sessions(request).form()
        try:
            data = load(EmailOnly(), filled(form, "email"))
        except InvalidInput as exc:
            return self._form_page(request, "account/verify.html", field_errors(exc, ("email",)),
                                   {"email": form.get("email", "")})
        self.accounts_rpc.resend_verification(data["email"])
        return see_other("/verify?" + urlencode({"email": data["email"], "done": "sent"}))

    # --- password reset -------------------------------------------------------------------

    @page("GET", "/reset")
    def reset_page(self, request):
        return self._form_page(request, "account/reset.html")

    @page("POST", "/reset")
    def reset_post(self, request):
        """Mail a reset code if the account exists (the same answer if not)."""
        form = self.sessions(request).form()
        try:
            data = load(EmailOnly(), filled(form, "email"))
        except InvalidInput as exc:
            return self._form_page(request, "account/reset.html", field_errors(exc, ("email",)),
                                   {"email": form.get("email", "")})
        self.accounts_rpc.request_password_reset(data["email"])
        return see_other("/reset/confirm?" + urlencode({"email": data["email"]}))

    @page("GET", "/reset/confirm")
    def reset_confirm_page(self, request):
        return self._form_page(request, "account/reset_confirm.html",
                               values={"email": request.args.get("email", "")})

    @page("POST", "/reset/confirm")
    def reset_confirm_post(self, request):
        """Code and new password; every sign-in of the account ends, this browser's too."""
        session = self.sessions(request)
        form = session.form()
        values = {"email": form.get("email", ""), "code": form.get("code", "")}
        try:
            data = load(PasswordResetConfirm(), filled(form, "email", "code", "new_password"))
            self.accounts_rpc.reset_password(data["email"], data["code"], data["new_password"])
        except InvalidInput as exc:
            errors = field_errors(exc, ("email", "code", "new_password"))
            return self._form_page(request, "account/reset_confirm.html", errors, values)
        if session.signed_in:
            session.end()
        return see_other("/signin?done=reset")

    # --- the account's own page -----------------------------------------------------------

    @page("GET", "/me")
    def me_page(self, request):
        """Profile, public name, notification preferences, data export and deletion."""
        away = self._signed_in_or_redirect(request)
        if away:
            return away
        return self._me(request, notice=request.args.get("done"))

    def _me(self, request, errors=None, values=None, notice=None):
        me = self.accounts_rpc.get_me()
        self.sessions(request).remember(me)
        try:
            public = self.gamification_rpc.my_points({"limit": 1}).get("public_profile")
        except UNAVAILABLE:
            public = None  # the rest of the page still works while gamification restarts
        return self._form_page(request, "account/me.html", errors, values, me=me,
                               public=public, notice=notice)

    @page("POST", "/me/preferences")
    def me_preferences_post(self, request):
        """Whether notifications also come by e-mail (a checkbox: absent means no)."""
        away = self._signed_in_or_redirect(request)
        if away:
            return away
        form = self.sessions(request).form()
        wanted = form.get("email_notifications") == "on"
        self.accounts_rpc.set_email_notifications({"email_notifications": wanted})
        return see_other("/me?done=preferences")

    @page("POST", "/me/public-name")
    def me_public_name_post(self, request):
        """How leaderboards show the resident: the display name or a pseudonym."""
        away = self._signed_in_or_redirect(request)
        if away:
            return away
        form = self.sessions(request).form()
        values = {"shown_as": form.get("shown_as", ""), "pseudonym": form.get("pseudonym", "")}
        try:
            payload = load(PublicProfileIn(), filled(form, "shown_as", "pseudonym"))
            if payload["shown_as"] == "name":
                payload.pop("pseudonym", None)
                payload["display_name"] = self.accounts_rpc.get_me()["display_name"]
            self.gamification_rpc.set_public_profile(payload)
        except (InvalidInput, Conflict) as exc:
            return self._me(request, field_errors(exc, ("shown_as", "pseudonym")), values)
        return see_other("/me?done=public-name")

    @page("GET", "/me/export")
    def me_export_page(self, request):
        """Everything the platform holds about the resident, as a JSON download (the same
        document as ``GET /api/v1/me/export``)."""
        away = self._signed_in_or_redirect(request)
        if away:
            return away
        appeals, cursor = [], None
        while True:
            listing = self.intake_rpc.list_appeals({"mine": True, "limit": 100, "cursor": cursor})
            appeals += listing["items"]
            cursor = listing["next_cursor"]
            if not cursor:
                break
        document = self.accounts_rpc.export_my_data() | {"appeals": appeals}
        return Response(json.dumps(document, ensure_ascii=False, indent=2),
                        mimetype="application/json", headers={
                            "Content-Disposition": 'attachment; filename="hromada-my-data.json"',
                            "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})

    @page("POST", "/me/delete")
    def me_delete_post(self, request):
        """Delete the account after its password is given once more; its appeals stay,
        anonymised. The session ends."""
        away = self._signed_in_or_redirect(request)
        if away:
            return away
        session = self.sessions(request)
        form = session.form()
        try:
            data = load(PasswordConfirmation(), filled(form, "password"))
            self.accounts_rpc.delete_my_account(data["password"])
        except InvalidInput as exc:
            return self._me(request, {"delete_password" if k == "password" else k: v
                                      for k, v in field_errors(exc, ("password",)).items()})
        session.end()
        return self._page(request, "account/deleted.html", category_name=str,
                          account={"signed_in": False, "name": None, "csrf": None})
