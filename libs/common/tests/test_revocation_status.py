"""A process reports whether it can judge tokens yet (health checks and /ready use it)."""
from hromada_common.auth import TokenVerifier
from hromada_common.caller import Caller
from hromada_common.revocation import RevocationList


def test_a_list_waiting_for_its_snapshot_is_loading_until_the_snapshot_arrives():
    revocations = RevocationList(needs_snapshot=True)
    assert revocations.status() == "loading"

    revocations.load_snapshot({"sessions": [], "versions": []})

    assert revocations.status() == "ok"


def test_a_list_that_needs_no_snapshot_is_ready_at_once():
    assert RevocationList(needs_snapshot=False).status() == "ok"


def test_the_caller_reports_its_verifiers_revocations():
    revocations = RevocationList(needs_snapshot=True)
    caller = Caller(None, TokenVerifier("unused", revocations=revocations))
    assert caller.revocations_status() == "loading"
    revocations.load_snapshot({})
    assert caller.revocations_status() == "ok"
    assert Caller(None, TokenVerifier("unused")).revocations_status() == "ok"
