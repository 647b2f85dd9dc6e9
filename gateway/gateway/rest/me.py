"""The signed-in account's own data: profile, notifications, preferences, export, deletion."""
from __future__ import annotations

from gateway.http import http, json_response, read_json_object
from gateway.schemas import (
    load,
    load_query,
    NotificationsQuery,
    NotificationsRead,
    PasswordConfirmation,
    Preferences,
)
from gateway.rest.common import API, no_content


class MeRoutes:
    """The signed-in account's own data: profile, notifications, preferences, export,
    deletion. Mixed into :class:`gateway.service.GatewayService`, whose RPC proxies it uses."""

    @http("GET", f"{API}/me")
    def me(self, request):
        """The signed-in account: id, display name, roles, body for staff."""
        return json_response(self.accounts_rpc.get_me())

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
