"""Moderators and administrators acting on accounts and API keys."""
from __future__ import annotations

from gateway.http import http, json_response, read_json_object
from gateway.schemas import ApiKeyCreate, load, Reason, RolesUpdate
from gateway.rest.common import ADMIN, API, MODERATORS, no_content


class AccountAdminRoutes:
    """Moderators and administrators acting on accounts and API keys. Mixed into
    :class:`gateway.service.GatewayService`, whose RPC proxies it uses."""

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
