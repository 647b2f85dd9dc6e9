"""Public boards and a resident's own points: the leaderboards of residents and of bodies,
each body's rating page, and ``/me/points`` (points, level, badges, rewards and the
certificates to download).

No page here shows anyone's identity: the resident board carries only the public name
gamification chose by the resident's wish (a pseudonym unless they asked for their name),
points and level; bodies are named from routing's list. The queries are checked here before
any call, so a bad filter is a 400 page with the message beside the field, never a 500.

Mixed into the gateway's nameko service before
:class:`~gateway.web.account_pages.AccountPages` (``/me/points`` uses the session).
"""
from __future__ import annotations

import base64
import re
import time

from babel.numbers import format_percent
from hromada_common.errors import NotFound
from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Response

from .account_pages import UNAVAILABLE
from .pages import N_, page

PERIOD_KINDS = ("month", "quarter", "year", "all")
PERIOD_LABELS = {"month": N_("This month"), "quarter": N_("This quarter"),
                 "year": N_("This year"), "all": N_("All time")}
ALL_DOMAINS = "*"
"""gamification's key of a body's figures over every category domain together."""
CODE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
CHOOSE_A_PERIOD = N_("Choose one of the periods in the list.")
CHOOSE_A_DOMAIN = N_("Choose a domain from the list.")
CHOOSE_A_DISTRICT = N_("Choose a district from the list.")
LEDGER_RULES = {
    "appeal_accepted": N_("Appeal accepted into work"),
    "resolution_confirmed": N_("Work confirmed"),
    "rating_given": N_("Work rated"),
    "appeal_rejected_spam": N_("Appeal rejected as spam"),
    "suggestion_useful": N_("Useful suggestion about the portal"),
}


LISTS_CACHE_SECONDS = 60.0


class PublicLists(DependencyProvider):
    """routing's bodies and districts (code → entry), kept a minute per gateway process like
    the category names (they change with a data file or an admin's edit, rarely)."""

    def setup(self):
        self.kept: dict[str, tuple[float, dict]] = {}

    def get_dependency(self, worker_ctx):
        return self

    def get(self, name: str, fetch) -> dict:
        fetched_at, entries = self.kept.get(name, (float("-inf"), {}))
        if time.monotonic() - fetched_at > LISTS_CACHE_SECONDS:
            entries = {entry["code"]: entry for entry in fetch()}
            self.kept[name] = (time.monotonic(), entries)
        return entries


def percent(value, locale: str) -> str:
    """A rate 0…1 as the reader writes a percentage ("87 %", "87%"); empty when unknown."""
    return "" if value is None else format_percent(value, locale=locale)


def attachment_name(document: dict, default: str = "certificate.pdf") -> str:
    """The file's name reduced to characters every client takes in a header (no quotes,
    no path, no line breaks), so ``Content-Disposition`` cannot be broken or spoofed."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", document.get("filename") or "")[:100].strip("-.")
    return name or default


class BoardPages:
    """Leaderboards, body rating pages and the resident's points. The service class that
    mixes this in provides ``gamification_rpc`` and ``routing_rpc``, and the session."""

    public_lists = PublicLists()

    def _bodies(self) -> dict:
        return self.public_lists.get("bodies", self.routing_rpc.list_bodies)

    def _districts(self) -> dict:
        return self.public_lists.get("districts", self.routing_rpc.list_districts)

    def _domains(self) -> dict:
        return {c["code"]: c for c in self.routing_rpc.list_categories(False)
                if c.get("level") == "domain"}

    @page("GET", "/leaderboards", cached=True)
    def leaderboards_page(self, request):
        """The residents' board (public names only) and the bodies' board of a period."""
        args = request.args
        domains, districts = self._domains(), self._districts()
        errors = {}
        for key, values in args.lists():
            if key not in ("period", "domain", "district"):
                errors.setdefault("query", []).append(key)
            elif len(values) > 1:
                errors[key] = [N_("Give this filter once.")]
        period = args.get("period") or "month"
        if "period" not in errors and period not in PERIOD_KINDS:
            errors["period"] = [CHOOSE_A_PERIOD]
        domain = args.get("domain") or None
        if "domain" not in errors and domain is not None and domain not in domains:
            errors["domain"] = [CHOOSE_A_DOMAIN]
        district = args.get("district") or None
        if "district" not in errors and district is not None and district not in districts:
            errors["district"] = [CHOOSE_A_DISTRICT]
        if errors:
            period = "month" if "period" in errors else period
            domain = None if "domain" in errors else domain
            district = None if "district" in errors else district
        residents_query = {"period": period, "limit": 50}
        if district:
            residents_query["district"] = district
        bodies_query = {"period": period, "limit": 50}
        if domain:
            bodies_query["domain"] = domain
        residents = self.gamification_rpc.leaderboard_residents(residents_query)
        bodies_board = self.gamification_rpc.leaderboard_bodies(bodies_query)
        return self._page(request, "boards/leaderboards.html", status=400 if errors else 200,
                          errors=errors, query=args, residents=residents,
                          bodies_board=bodies_board, bodies=self._bodies(), domains=domains,
                          districts=districts,
                          period_kinds=PERIOD_KINDS, period_labels=PERIOD_LABELS,
                          percent=percent, category_name=str)

    @page("GET", "/bodies/<string:body>", cached=True)
    def body_page(self, request, body):
        """One body's public record in the running month, quarter, year and all time."""
        bodies = self._bodies()
        if body not in bodies:
            raise NotFound(f"no body {body}")
        try:
            rating = self.gamification_rpc.body_rating(body, {})
        except NotFound:
            rating = None  # nothing of the body was resolved or breached yet
        return self._page(request, "boards/body.html", body=bodies[body], rating=rating,
                          domains=self._domains(), period_kinds=PERIOD_KINDS,
                          period_labels=PERIOD_LABELS, percent=percent, category_name=str,
                          all_domains=ALL_DOMAINS)

    @page("GET", "/me/points")
    def my_points_page(self, request):
        """The resident's points, level, badges, recent ledger and rewards."""
        away = self._signed_in_or_redirect(request)
        if away:
            return away
        points = self.gamification_rpc.my_points({"limit": 20})
        try:
            rewards = self.gamification_rpc.my_rewards()
        except UNAVAILABLE:
            rewards = None
        return self._page(request, "boards/my_points.html", points=points, rewards=rewards,
                          ledger_rules=LEDGER_RULES, period_labels=PERIOD_LABELS,
                          category_name=str)

    @page("GET", "/me/rewards/<string:reward_id>/certificate")
    def my_certificate_page(self, request, reward_id):
        """The certificate of gratitude, as a PDF download (its owner, or staff)."""
        away = self._signed_in_or_redirect(request)
        if away:
            return away
        if not CODE.match(reward_id):
            raise NotFound(f"no reward {reward_id}")
        document = self.gamification_rpc.certificate(reward_id)
        return Response(
            base64.b64decode(document["content_base64"]), status=200,
            mimetype="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{attachment_name(document)}"',
                     "X-Content-Type-Options": "nosniff",
                     "Cache-Control": "private, no-store"})
