"""Help and instructions, and feedback about the portal itself.

The help is a set of short pages under ``/help`` with one table of contents. What the
platform's rules decide is rendered from their one source, so the help cannot drift from the
rules: the states from :mod:`hromada_common.lifecycle`, the deadlines from routing's taxonomy
(``routing.list_categories``: hours per complexity class, per leaf category), points, levels
and badges from gamification's catalogue (``gamification.badge_catalogue``).

``/feedback`` is the portal form for a suggestion or a complaint about the portal
(``feedback.submit_portal_feedback``, the RPC of ``POST /api/v1/portal-feedback``), and
``/me/feedback`` lists the author's own, with the staff's answer.

Mixed into the gateway's nameko service before
:class:`~gateway.web.account_pages.AccountPages` (it uses the session and form helpers).
"""
from __future__ import annotations

from urllib.parse import urlencode

from babel.units import format_unit
from hromada_common.errors import InvalidInput
from hromada_common.lifecycle import ALLOWED_TRANSITIONS, AppealState

from gateway.schemas import PortalFeedbackIn, load

from .account_pages import UNAVAILABLE, field_errors, filled, see_other
from .pages import N_, STATE_MEANINGS, page

# The help's pages in reading order: (slug, title). The slug "" is /help itself.
HELP_TOPICS = (
    ("", N_("How it works")),
    ("filing", N_("How to file an appeal")),
    ("deadlines", N_("Deadlines")),
    ("confirming", N_("Confirming, rating and rework")),
    ("points", N_("Points and rewards")),
    ("privacy", N_("Privacy")),
    ("faq", N_("Questions and answers")),
)
COMPLEXITIES = ("simple", "standard", "complex")
COMPLEXITY_LABELS = {"simple": N_("Simple"), "standard": N_("Standard"),
                     "complex": N_("Complex")}
# What earns or costs points, by gamification's rule code (the points come from its data).
POINT_RULES = {
    "appeal_accepted": N_("Your appeal is accepted into work"),
    "resolution_confirmed": N_("You confirm the work done on your appeal"),
    "rating_given": N_("You rate the quality of the work"),
    "appeal_rejected_spam": N_("A moderator rejects your appeal as spam"),
    "suggestion_useful": N_("Staff mark your suggestion about the portal as useful"),
}
PERIOD_NAMES = {"month": N_("a month"), "quarter": N_("a quarter"), "year": N_("a year")}
FEEDBACK_CATEGORIES = {
    "idea": N_("A suggestion"),
    "complaint": N_("A complaint"),
    "usability": N_("Something is hard to use"),
    "bug": N_("Something does not work"),
}
FEEDBACK_STATES = {
    "new": N_("Waiting for an answer"),
    "answered": N_("Answered"),
    "closed": N_("Closed"),
}
CHOOSE_A_KIND = N_("Choose what kind of feedback this is.")
FEEDBACK_PAGE = 20


def duration(hours: int, locale: str) -> str:
    """``hours`` as the reader says it ("24 години", "40 hours")."""
    return format_unit(hours, "duration-hour", length="long", locale=locale)


def deadline_rows(categories: list[dict], bodies: dict) -> list[dict]:
    """The leaf categories with their deadlines, grouped under their domain, in the
    taxonomy's own order. Only leaves carry deadlines (an appeal is filed under a leaf)."""
    by_code = {c["code"]: c for c in categories}
    domains: dict[str, dict] = {}
    for leaf in categories:
        if leaf.get("level") != "leaf" or not leaf.get("deadline_hours"):
            continue
        parent = by_code.get(leaf.get("parent") or "")
        domain = by_code.get(parent.get("parent") or "") if parent else None
        domain = domain or parent or leaf
        group = domains.setdefault(domain["code"], {"domain": domain, "leaves": []})
        group["leaves"].append({
            "category": leaf, "parent": parent if parent is not domain else None,
            "hours": [leaf["deadline_hours"].get(c) for c in COMPLEXITIES],
            "default": leaf.get("default_complexity"), "emergency": bool(leaf.get("emergency")),
            "body": bodies.get(leaf.get("body")) or {"code": leaf.get("body"), "name": {}},
        })
    return list(domains.values())


class HelpPages:
    """The help pages and the portal feedback form. The service class that mixes this in
    provides ``routing_rpc``, ``gamification_rpc``, ``feedback_rpc``, ``_bodies`` (from
    :class:`~gateway.web.board_pages.BoardPages`) and (through
    :class:`~gateway.web.account_pages.AccountPages`) the session."""

    def _help(self, request, slug, **context):
        return self._page(request, f"help/{slug or 'index'}.html", topics=HELP_TOPICS,
                          topic=slug, category_name=str, **context)

    @page("GET", "/help", cached=True)
    def help_page(self, request):
        """How an appeal moves, rendered from the one lifecycle definition."""
        lifecycle = [(state, STATE_MEANINGS[state], sorted(ALLOWED_TRANSITIONS[state]))
                     for state in AppealState]
        return self._help(request, "", lifecycle=lifecycle)

    @page("GET", "/help/filing", cached=True)
    def help_filing(self, request):
        return self._help(request, "filing")

    @page("GET", "/help/deadlines", cached=True)
    def help_deadlines(self, request):
        """Each leaf category's deadline per complexity class, from routing's taxonomy."""
        bodies = self._bodies()  # web.board_pages: kept a minute
        rows = deadline_rows(self.routing_rpc.list_categories(False), bodies)
        return self._help(request, "deadlines", domains=rows, complexities=COMPLEXITIES,
                          complexity_labels=COMPLEXITY_LABELS, duration=duration)

    @page("GET", "/help/confirming", cached=True)
    def help_confirming(self, request):
        return self._help(request, "confirming")

    @page("GET", "/help/points", cached=True)
    def help_points(self, request):
        """What earns points, the levels and the badges, from gamification's catalogue."""
        try:
            catalogue = self.gamification_rpc.badge_catalogue()
        except UNAVAILABLE:
            catalogue = None  # the words still help while gamification restarts
        return self._help(request, "points", catalogue=catalogue, point_rules=POINT_RULES,
                          period_names=PERIOD_NAMES)

    @page("GET", "/help/privacy", cached=True)
    def help_privacy(self, request):
        return self._help(request, "privacy")

    @page("GET", "/help/faq", cached=True)
    def help_faq(self, request):
        return self._help(request, "faq")

    # --- feedback about the portal --------------------------------------------------------

    @page("GET", "/feedback")
    def feedback_page(self, request):
        """The form for a suggestion or complaint about the portal (signed in)."""
        away = self._signed_in_or_redirect(request)
        if away:
            return away
        return self._feedback_form(request)

    def _feedback_form(self, request, errors=None, values=None):
        return self._form_page(request, "help/feedback.html", errors, values,
                               feedback_categories=FEEDBACK_CATEGORIES)

    @page("POST", "/feedback")
    def feedback_post(self, request):
        """Send it (the same RPC as ``POST /api/v1/portal-feedback``), then see it listed."""
        if self._signed_in_or_redirect(request):
            return see_other("/signin?next=%2Ffeedback")  # back to the form, not to /me
        form = self.sessions(request).form()
        values = {"category": form.get("category", ""), "text": form.get("text", "")}
        try:
            payload = load(PortalFeedbackIn(), filled(form, "category", "text"))
            self.feedback_rpc.submit_portal_feedback(payload)
        except InvalidInput as exc:
            errors = field_errors(exc, ("category", "text"))
            if "category" in errors:  # "Must be one of …" would only say "check this value"
                errors["category"] = [CHOOSE_A_KIND]
            return self._feedback_form(request, errors, values)
        return see_other("/me/feedback?done=sent")

    @page("GET", "/me/feedback")
    def my_feedback_page(self, request):
        """The reader's own portal feedback with the staff's answers (``mine``: staff, who
        may read everyone's, see only their own here too)."""
        away = self._signed_in_or_redirect(request)
        if away:
            return away
        query = {"mine": True, "limit": FEEDBACK_PAGE}
        if request.args.get("cursor"):
            query["cursor"] = request.args["cursor"][:1000]  # feedback checks it (422 page)
        listing = self.feedback_rpc.list_portal_feedback(query)
        next_url = None
        if listing.get("next_cursor"):
            next_url = "/me/feedback?" + urlencode({"cursor": listing["next_cursor"]})
        return self._page(request, "help/my_feedback.html", items=listing["items"],
                          next_url=next_url,
                          feedback_categories=FEEDBACK_CATEGORIES,
                          feedback_states=FEEDBACK_STATES, notice=request.args.get("done"),
                          category_name=str)

