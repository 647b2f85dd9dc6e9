"""Registration, verification, tokens and password reset (accounts decides)."""
from __future__ import annotations

from gateway.http import http, json_response, PUBLIC, read_json_object
from gateway.schemas import (
    EmailOnly,
    load,
    PasswordResetConfirm,
    RefreshToken,
    Register,
    TokenRequest,
    VerifyEmail,
)
from gateway.rest.common import API, no_content


class AuthRoutes:
    """Registration, verification, tokens and password reset (accounts decides). Mixed into
    :class:`gateway.service.GatewayService`, whose RPC proxies it uses."""

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
