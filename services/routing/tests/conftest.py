import os
import tempfile
import uuid
from datetime import datetime, timezone

import pytest
from hypothesis.configuration import set_hypothesis_home_dir
from sqlalchemy import func, select

from hromada_common import events as ev
from hromada_common.db import make_engine
from hromada_common.testing.helpers import (
    EventListener,
    migrated_database,
    service_config,
    wait_until,
)

SERVICE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# hypothesis caches what it learns under ./.hypothesis; keep the working tree clean.
set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "hromada-hypothesis"))


@pytest.fixture
def routing_db(make_database):
    return migrated_database(make_database, "routing", SERVICE_DIR)


@pytest.fixture
def routing_engine(routing_db):
    """The test's own view of routing's database, to check what the service stored."""
    engine = make_engine(routing_db, pool_size=2)
    yield engine
    engine.dispose()


@pytest.fixture
def amqp_uri(make_amqp_uri):
    """A vhost of this test alone: no other suite's leftover events reach its containers."""
    return make_amqp_uri("routing")[0]


@pytest.fixture
def routing_config(amqp_uri, routing_db, signing_keys):
    return service_config(amqp_uri, routing_db, FALLBACK_BODY="dispatch_1551",
                          CITY_TIMEZONE="Europe/Kyiv", **signing_keys.config)


@pytest.fixture
def listener(amqp_uri):
    """Bound to hromada.events before any container starts, so it sees the first events."""
    listener = EventListener(amqp_uri)
    yield listener
    listener.close()


@pytest.fixture
def routing_container(container_factory, routing_config, listener):
    from routing.service import RoutingService

    container = container_factory(RoutingService, routing_config)
    container.start()
    return container


@pytest.fixture
def seeded_routing(routing_container, listener):
    """The routing container, once it has seeded and published the default taxonomy."""
    listener.wait_for(lambda e: e["type"] == ev.TAXONOMY_PUBLISHED, timeout=15)
    return routing_container


def submitted_data(**overrides) -> dict:
    data = {
        "appeal_id": str(uuid.uuid4()),
        "appeal_version": 1,
        "title": "Deep pothole outside school 12",
        "description": "A pothole about 40 cm across, cars swerve into the oncoming lane.",
        "category": "roads.surface.pothole",
        "location": {"lat": 50.4501, "lon": 30.5234, "address": "Khreshchatyk St, 22"},
        "channel": "web",
        "author_id": f"resident-{uuid.uuid4().hex[:8]}",
        "submitted_at": datetime.now(timezone.utc),
    }
    data.update(overrides)
    return data


def submitted_event(**overrides) -> dict:
    data = submitted_data(**overrides)
    return ev.make_event(ev.APPEAL_SUBMITTED, data, source="/hromada/intake",
                         subject=data["appeal_id"], actor=data["author_id"],
                         correlation_id=f"req-{uuid.uuid4().hex[:8]}")


def count_rows(engine, table, *where) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table).where(*where)).scalar()


def wait_until_outbox_empty(engine, timeout: float = 10.0) -> None:
    """Every event routing committed so far has been published (and so confirmed routed)."""
    from routing.adapters.orm import outbox

    wait_until(lambda: count_rows(engine, outbox, outbox.c.published_at.is_(None)) == 0,
               timeout=timeout, message="routing's outbox to drain")
