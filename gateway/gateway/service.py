"""The gateway service: Hromada's only HTTP edge, over the intake, routing, accounts, feedback
and gamification services.

Each edge is its own module, mixed in here: the REST API by resource (:mod:`gateway.rest`),
the portal's pages (:mod:`gateway.web`). Each entrypoint validates what arrives, makes its RPC
calls and shapes the answer; errors take the single path in :mod:`gateway.http`. This class
only holds what they share: the RPC proxies and the configuration.
"""
from __future__ import annotations

from nameko.dependency_providers import Config

from gateway.http import EdgeRevocations
from gateway.rpc import TimeoutRpcProxy
# Modules, not classes: `nameko run gateway.service` takes every class in this module's
# namespace that has entrypoints for a service of its own.
from gateway.rest import accounts_admin, answers, appeals, auth, gamification, me, operations
from gateway.rest import photos, portal_feedback, support, taxonomy, workflow
from gateway.web import account_pages, board_pages, filing_pages, help_pages
from gateway.web import pages as web
from gateway.web import resident_pages


class GatewayService(
    # the REST API, by resource
    appeals.AppealRoutes,
    support.SupportRoutes,
    photos.PhotoRoutes,
    workflow.WorkflowRoutes,
    taxonomy.TaxonomyRoutes,
    answers.AnswerRoutes,
    portal_feedback.PortalFeedbackRoutes,
    auth.AuthRoutes,
    me.MeRoutes,
    accounts_admin.AccountAdminRoutes,
    gamification.GamificationRoutes,
    operations.OperationRoutes,
    # the portal: the boards, help, resident's, filing and account pages first, as they add
    # the session to every page's header
    board_pages.BoardPages,
    help_pages.HelpPages,
    resident_pages.ResidentPages,
    filing_pages.FilingPages,
    account_pages.AccountPages,
    web.WebPages,
):
    """HTTP in, RPC out; no business rules live here."""

    name = "gateway"

    intake_rpc = TimeoutRpcProxy("intake")
    routing_rpc = TimeoutRpcProxy("routing")
    accounts_rpc = TimeoutRpcProxy("accounts")
    feedback_rpc = TimeoutRpcProxy("feedback")
    gamification_rpc = TimeoutRpcProxy("gamification")
    config = Config()
    edge_revocations = EdgeRevocations()
