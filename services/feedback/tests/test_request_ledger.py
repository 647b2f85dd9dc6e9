"""State-changing RPCs apply each request once (messaging.commands): a second delivery of the
same request, as the broker makes after a worker died between its commit and its reply, gets
the first reply and changes nothing. Over real RabbitMQ RPC and real PostgreSQL."""
import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, text

from hromada_common.errors import Conflict
from hromada_common.messaging.commands import REQUEST_KEY_CONTEXT_KEY

from .test_feedback_service import acc, rows


def call_twice(config, method, *args, token, request_key):
    """Deliver one request twice: two RPC messages carrying the same gateway request key."""
    context = {"hromada.auth": token, REQUEST_KEY_CONTEXT_KEY: request_key}
    replies = []
    for _ in range(2):
        with ClusterRpcProxy(config, context_data=context) as cluster:
            replies.append(getattr(cluster.feedback, method)(*args))
    return replies


def test_a_redelivered_comment_is_posted_once_and_answered_alike(platform, feedback_config,
                                                                  feedback_db, signing_keys):
    author = acc()
    appeal = platform.resolved_appeal(author)
    token = signing_keys.token_for(author)

    first, second = call_twice(feedback_config, "add_comment", appeal, {"text": "Still there"},
                               token=token, request_key=f"gateway:{uuid.uuid4().hex}")

    assert second == first
    assert rows(feedback_db, "SELECT count(*) FROM comments WHERE appeal_id = :a",
                a=appeal) == [(1,)]
    # another request (another key) with the same text is another comment
    platform.call("add_comment", appeal, {"text": "Still there"}, token=token)
    assert rows(feedback_db, "SELECT count(*) FROM comments WHERE appeal_id = :a",
                a=appeal) == [(2,)]


def test_a_redelivered_confirmation_is_not_a_conflict(platform, feedback_config, signing_keys):
    author = acc()
    appeal = platform.resolved_appeal(author)

    first, second = call_twice(feedback_config, "confirm", appeal, {"rating": 5},
                               token=signing_keys.token_for(author),
                               request_key=f"gateway:{uuid.uuid4().hex}")

    assert second == first
    with pytest.raises(Conflict):  # a new request to confirm again is refused as before
        platform.call("confirm", appeal, {"rating": 4}, token=signing_keys.token_for(author))


def test_a_request_that_committed_without_storing_its_reply_is_not_applied_again(
        platform, feedback_config, feedback_db, signing_keys):
    author = acc()
    appeal = platform.resolved_appeal(author)
    token = signing_keys.token_for(author)
    key = f"gateway:{uuid.uuid4().hex}"
    call_twice(feedback_config, "add_comment", appeal, {"text": "once"}, token=token,
               request_key=key)
    # the worker died between its commit and storing its reply
    engine = create_engine(feedback_db)
    with engine.begin() as connection:
        updated = connection.execute(text(
            "UPDATE processed_requests SET replied = false, reply = NULL "
            "WHERE request_key = :k"), {"k": f"{key}:add_comment"}).rowcount
    engine.dispose()
    assert updated == 1

    with pytest.raises(Exception) as raised:
        call_twice(feedback_config, "add_comment", appeal, {"text": "once"}, token=token,
                   request_key=key)

    assert "AlreadyApplied" in str(raised.value) or "Conflict" in type(raised.value).__name__
    assert rows(feedback_db, "SELECT count(*) FROM comments WHERE appeal_id = :a",
                a=appeal) == [(1,)]
