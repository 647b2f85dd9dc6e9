"""Points, badges, leaderboards, ratings and rewards (gamification decides)."""
from __future__ import annotations

import base64
import re

from werkzeug.wrappers import Response

from gateway.http import http, json_response, PUBLIC, read_json_object, roles
from gateway.schemas import (
    BodyLeaderboardQuery,
    BodyRatingQuery,
    ExecutorRatingsQuery,
    GiftIn,
    GiftUpdate,
    load,
    load_query,
    NominationDecision,
    NominationsQuery,
    PageQuery,
    PublicProfileIn,
    ResidentLeaderboardQuery,
    RunNominations,
)
from gateway.rest.common import ADMIN, API, MODERATORS, PUBLIC_BOARD_CACHING


class GamificationRoutes:
    """Points, badges, leaderboards, ratings and rewards (gamification decides). Mixed into
    :class:`gateway.service.GatewayService`, whose RPC proxies it uses."""

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
