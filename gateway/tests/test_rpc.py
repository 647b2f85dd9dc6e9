"""The gateway over real RabbitMQ RPC, with a stand-in intake service in the same vhost."""
import uuid

import eventlet
from hromada_common.errors import NotFound
from nameko.extensions import DependencyProvider
from nameko.rpc import rpc

from gateway_support import appeal_from, appeal_request, assert_problem


class RequestId(DependencyProvider):
    def get_dependency(self, worker_ctx):
        return worker_ctx.data.get("hromada.request_id")


seen_request_ids = []


class StandInIntake:
    """Just enough of intake to exercise the wire: context data, typed errors, slowness."""

    name = "intake"
    request_id = RequestId()

    @rpc
    def get_appeal(self, appeal_id):
        seen_request_ids.append(self.request_id)
        if appeal_id.startswith("missing-"):
            raise NotFound(f"No appeal {appeal_id}.")
        return appeal_from(appeal_request(), id=appeal_id)

    @rpc
    def list_appeals(self, filters):
        eventlet.sleep(5)  # longer than the gateway's rpc_timeout (1 s in tests)
        return {"items": [], "next_cursor": None}

    @rpc
    def health(self):
        return {"database": "ok", "broker": "ok"}


def start_real(start_gateway, container_factory, config):
    container_factory(StandInIntake, config).start()
    api, _ = start_gateway(mock_rpc=False)
    return api


def test_request_id_travels_to_intake_as_context_data(start_gateway, container_factory, config):
    api = start_real(start_gateway, container_factory, config)
    request_id = f"req-{uuid.uuid4()}"
    appeal_id = str(uuid.uuid4())

    response = api.get(f"/api/v1/appeals/{appeal_id}", headers={"X-Request-Id": request_id})

    assert response.status_code == 200
    assert response.json()["id"] == appeal_id
    assert seen_request_ids[-1] == request_id


def test_typed_error_crosses_rpc_and_becomes_its_status(start_gateway, container_factory, config):
    api = start_real(start_gateway, container_factory, config)

    response = api.get("/api/v1/appeals/missing-1")

    problem = assert_problem(response, 404, "not-found")
    assert problem["detail"] == "No appeal missing-1."


def test_slow_service_is_a_503_after_the_rpc_timeout(start_gateway, container_factory, config):
    api = start_real(start_gateway, container_factory, config)

    response = api.get("/api/v1/appeals")

    problem = assert_problem(response, 503, "unavailable")
    assert "in time" in problem["detail"]


def test_not_ready_while_routing_is_not_running(start_gateway, container_factory, config):
    api = start_real(start_gateway, container_factory, config)

    response = api.get("/ready")

    problem = assert_problem(response, 503, "unavailable")
    assert problem["checks"]["intake"] == {"database": "ok", "broker": "ok"}
    assert problem["checks"]["routing"]["error"] == "UnknownService"


calls_while_away = []


class IntakeThatRecordsCalls:
    """Records every appeal it is asked for, to tell whether a request ran after all."""

    name = "intake"

    @rpc
    def get_appeal(self, appeal_id):
        calls_while_away.append(appeal_id)
        return appeal_from(appeal_request(), id=appeal_id)


def test_a_request_the_gateway_gave_up_on_never_runs_later(start_gateway, container_factory,
                                                           config):
    intake = container_factory(IntakeThatRecordsCalls, config)
    intake.start()  # declares intake's durable request queue
    intake.stop()   # intake is down; its queue keeps whatever arrives
    api, _ = start_gateway(mock_rpc=False)
    appeal_id = str(uuid.uuid4())

    response = api.get(f"/api/v1/appeals/{appeal_id}")

    assert_problem(response, 503, "unavailable")
    eventlet.sleep(config["rpc_timeout"] + 0.5)
    revived = container_factory(IntakeThatRecordsCalls, config)
    revived.start()
    eventlet.sleep(1.5)  # long enough for a waiting request to be delivered and run
    assert appeal_id not in calls_while_away
    # the revived service does answer new requests: the old one was dropped, not lost in transit
    fresh_id = str(uuid.uuid4())
    assert api.get(f"/api/v1/appeals/{fresh_id}").status_code == 200
    assert calls_while_away == [fresh_id]


class SlowIntake:
    name = "intake"

    @rpc
    def get_appeal(self, appeal_id):
        eventlet.sleep(2)  # longer than the gateway's rpc_timeout (1 s in tests)
        return appeal_from(appeal_request(), id=appeal_id)


def test_a_killed_gateways_reply_queue_does_not_keep_late_replies(start_gateway, container_factory,
                                                                  config):
    from nameko.testing.utils import get_extension

    from gateway.rpc import ExpiringReplyListener
    from hromada_common.testing.helpers import queue_depth, wait_until

    import requests

    from gateway.service import GatewayService

    container_factory(SlowIntake, config).start()
    gateway = container_factory(GatewayService, config)
    gateway.start()
    api = requests.Session()
    reply_queue = get_extension(gateway, ExpiringReplyListener).queue
    assert reply_queue.queue_arguments["x-expires"] == 60_000

    response = api.get(f"http://{config['WEB_SERVER_ADDRESS']}/api/v1/appeals/{uuid.uuid4()}",
                       timeout=10)
    assert_problem(response, 503, "unavailable")
    gateway.kill()  # intake's reply arrives in a queue nobody consumes any more

    wait_until(lambda: queue_depth(config["AMQP_URI"], reply_queue.name) == 1, timeout=10,
               message="intake's late reply in the dead gateway's reply queue")
    # the reply expires after rpc_timeout instead of sitting there for minutes
    wait_until(lambda: queue_depth(config["AMQP_URI"], reply_queue.name) == 0, timeout=5,
               message="the late reply to expire")
