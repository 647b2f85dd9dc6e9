"""Fixtures for gamification's tests: a real migrated PostgreSQL database (or SQLite when no
server is configured), a throwaway RabbitMQ vhost, and helpers to build consumed events."""
import os
import uuid
from datetime import datetime, timezone

import pytest

from hromada_common import events as ev
from hromada_common.db import make_engine
from hromada_common.testing.helpers import ContainerDriver, migrated_database, service_config

SERVICE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SOURCES = {"state_changed": "/hromada/intake", "portal_feedback": "/hromada/feedback",
           "account": "/hromada/accounts"}


def event(event_type: str, data: dict, subject: str | None = None, actor: str = "system") -> dict:
    """A valid envelope of ``event_type`` (``data`` is checked against its contract)."""
    source = "/hromada/routing"
    for marker, candidate in SOURCES.items():
        if marker in event_type:
            source = candidate
    if event_type in (ev.APPEAL_CONFIRMED, ev.APPEAL_REWORK_REQUESTED, ev.APPEAL_ARCHIVED,
                      ev.APPEAL_RATED):
        source = "/hromada/feedback"
    return ev.make_event(event_type, data, source=source, subject=subject, actor=actor)


def new_id() -> str:
    return str(uuid.uuid4())


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture
def gamification_db(make_database):
    return migrated_database(make_database, "gamification", SERVICE_DIR)


@pytest.fixture
def gamification_engine(gamification_db):
    engine = make_engine(gamification_db, pool_size=2)
    yield engine
    engine.dispose()


@pytest.fixture
def gamification_config(hromada_amqp_uri, gamification_db, signing_keys):
    # Timers far apart: a test that needs one drives it through its entrypoint. No board
    # cache: tests look at a board right after new points (test_resident_leaderboard turns
    # it on where it is the subject).
    return service_config(hromada_amqp_uri, gamification_db, NOMINATION_CHECK_INTERVAL=3600,
                          LEADERBOARD_CACHE_SECONDS=0, **signing_keys.config)


@pytest.fixture
def gamification(container_factory, gamification_config):
    from gamification.service import GamificationService

    container = container_factory(GamificationService, gamification_config)
    container.start()
    return container


@pytest.fixture
def driver(gamification, hromada_amqp_uri, signing_keys):
    return ContainerDriver(gamification, hromada_amqp_uri, signing_keys)
