"""The feedback shell answers health checks against its real, migrated database."""
import os

from nameko.testing.services import entrypoint_hook

from hromada_common.testing.helpers import migrated_database, service_config

SERVICE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_health_reports_database_and_broker(container_factory, hromada_amqp_uri, make_database):
    from feedback.service import FeedbackService

    url = migrated_database(make_database, "feedback", SERVICE_DIR)
    container = container_factory(FeedbackService, service_config(hromada_amqp_uri, url))
    container.start()
    with entrypoint_hook(container, "health") as health:
        assert health() == {"database": "ok", "broker": "ok"}
