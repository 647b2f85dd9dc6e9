"""Revoked means revoked within seconds (issue 10, item 10): an access token of a blocked,
deleted, demoted or signed-out session is refused by the gateway and by a service's verifier
long before it expires. Real accounts, a real gateway and a service verifying tokens with the
shared CallerProvider, all on real RabbitMQ and PostgreSQL; revocations travel as
``hromada.account.access_revoked.v1`` through accounts' outbox to every verifier's broadcast
queue."""
import pytest
import requests
from nameko.rpc import rpc
from nameko.testing.services import replace_dependencies
from nameko.testing.utils import find_free_port

from hromada_common.auth import Unauthenticated
from hromada_common.caller import CallerProvider
from hromada_common.testing.helpers import wait_until

from .conftest import PASSWORD, call


class ProbeService:
    """Stands for any service behind the gateway: it verifies the caller's token itself."""

    name = "probe"
    caller = CallerProvider()

    @rpc
    def whoami(self):
        identity = self.caller.require()
        return {"id": identity.account_id, "roles": sorted(identity.roles)}


@pytest.fixture
def verifier_config(accounts_config, jwt_keys):
    """What a verifier outside accounts gets: the public key, the broker, and the start-up
    snapshot from the accounts service (as in every config.yml)."""
    return {"AMQP_URI": accounts_config["AMQP_URI"], "JWT_PUBLIC_KEY_FILE": jwt_keys[1],
            "TOKEN_REVOCATION_SNAPSHOT": "accounts", "max_workers": 10}


def revocations_loaded(container):
    """Wait until the container's verifier has loaded accounts' snapshot (its readiness)."""
    from hromada_common.revocation import RevocationFeed

    feed = next(e for e in container.subextensions if isinstance(e, RevocationFeed))
    wait_until(lambda: feed.revocations.snapshot_loaded, timeout=15,
               message=f"{container.service_name} to load the token revocations")


@pytest.fixture
def probe(container_factory, verifier_config, accounts_container):
    container = container_factory(ProbeService, verifier_config)
    container.start()
    revocations_loaded(container)
    return container


@pytest.fixture
def gateway(container_factory, verifier_config, accounts_container):
    """The real gateway (its own verifier) with routing stood in for: GET /api/v1/categories
    reaches no service that verifies tokens, so a refusal there is the gateway's own."""
    from gateway.service import GatewayService

    address = f"127.0.0.1:{find_free_port()}"
    container = container_factory(GatewayService, verifier_config | {
        "WEB_SERVER_ADDRESS": address, "RATE_LIMITS_ENABLED": False, "rpc_timeout": 5})
    routing = replace_dependencies(container, "routing_rpc")
    routing.list_categories.return_value = []
    container.start()
    revocations_loaded(container)
    return f"http://{address}"


def gateway_status(base: str, token: str) -> int:
    return requests.get(f"{base}/api/v1/categories",
                        headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code


def probe_accepts(probe, token: str) -> bool:
    try:
        call(probe, "whoami", token=token)
    except Unauthenticated:
        return False
    return True


def assert_works_then_refused_everywhere(gateway, probe, token, revoke):
    assert gateway_status(gateway, token) == 200 and probe_accepts(probe, token)
    revoke()
    wait_until(lambda: gateway_status(gateway, token) == 401, timeout=15,
               message="the gateway to refuse the revoked token")
    wait_until(lambda: not probe_accepts(probe, token), timeout=15,
               message="the service to refuse the revoked token")


def test_a_blocked_accounts_old_token_is_refused_within_seconds(
        accounts_container, gateway, probe, make_account, sign_in):
    dispatcher, resident = make_account(roles=("dispatcher",)), make_account()
    token = sign_in(resident)["access_token"]
    assert_works_then_refused_everywhere(gateway, probe, token, lambda: call(
        accounts_container, "block_account", resident.id, "abusive comments",
        token=sign_in(dispatcher)["access_token"]))
    # a fresh token says "blocked": the services' require_active() keeps it read-only
    fresh = sign_in(resident)["access_token"]
    assert gateway_status(gateway, fresh) == 200 and probe_accepts(probe, fresh)


def test_a_deleted_accounts_old_token_is_refused_within_seconds(
        accounts_container, gateway, probe, make_account, sign_in):
    resident = make_account()
    token = sign_in(resident)["access_token"]
    assert_works_then_refused_everywhere(gateway, probe, token, lambda: call(
        accounts_container, "delete_my_account", PASSWORD, token=token))


def test_a_demoted_executors_old_token_is_refused_within_seconds(
        accounts_container, gateway, probe, make_account, sign_in):
    admin = make_account(roles=("admin",))
    executor = make_account(roles=("executor",), body="kyivavtodor")
    token = sign_in(executor)["access_token"]
    assert call(probe, "whoami", token=token)["roles"] == ["executor"]
    assert_works_then_refused_everywhere(gateway, probe, token, lambda: call(
        accounts_container, "set_roles", executor.id, ["resident"],
        token=sign_in(admin)["access_token"]))
    # the next token carries the new roles and works
    assert call(probe, "whoami", token=sign_in(executor)["access_token"])["roles"] == ["resident"]


def test_signing_out_refuses_that_sessions_token_and_no_other(
        accounts_container, gateway, probe, make_account, sign_in):
    resident = make_account()
    phone, laptop = sign_in(resident), sign_in(resident)
    assert_works_then_refused_everywhere(gateway, probe, phone["access_token"], lambda: call(
        accounts_container, "revoke_refresh_token", phone["refresh_token"]))
    assert gateway_status(gateway, laptop["access_token"]) == 200
    assert probe_accepts(probe, laptop["access_token"])


def test_refresh_token_reuse_refuses_the_sessions_access_tokens(
        accounts_container, gateway, probe, make_account, sign_in):
    resident = make_account()
    first = sign_in(resident)
    second = call(accounts_container, "refresh_tokens", first["refresh_token"])

    def reuse():
        with pytest.raises(Unauthenticated):
            call(accounts_container, "refresh_tokens", first["refresh_token"])

    assert_works_then_refused_everywhere(gateway, probe, second["access_token"], reuse)
    assert gateway_status(gateway, first["access_token"]) == 401


def test_a_verifier_started_after_the_revocation_refuses_the_token_at_once(
        accounts_container, container_factory, verifier_config, probe, make_account, sign_in):
    """The events came before its queue existed: the start-up snapshot from accounts tells it."""
    resident = make_account()
    session = sign_in(resident)
    token = session["access_token"]
    call(accounts_container, "revoke_refresh_token", session["refresh_token"])
    wait_until(lambda: not probe_accepts(probe, token), timeout=15,
               message="the first verifier to refuse the token")  # the event was published

    class LateService(ProbeService):
        name = "late"

    late = container_factory(LateService, verifier_config)
    late.start()
    # never accepted: refused (from the snapshot), or unavailable while it loads
    wait_until(lambda: _late_refuses(late, token), timeout=15,
               message="the late verifier to load the snapshot")
    fresh = sign_in(resident)["access_token"]
    assert call(late, "whoami", token=fresh)["id"] == resident.id


def _late_refuses(container, token) -> bool:
    from hromada_common.errors import Unavailable

    try:
        call(container, "whoami", token=token)
    except Unauthenticated:
        return True
    except Unavailable:
        return False  # still loading: not accepted either
    raise AssertionError("a verifier accepted a revoked token it could not yet judge")
