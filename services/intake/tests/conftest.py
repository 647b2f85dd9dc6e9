import os

import pytest

from hromada_common import events as ev
from hromada_common.testing.helpers import (
    migrated_database,
    publish_events,
    service_config,
)

SERVICE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

LEAF_FIELDS = [{"name": "lamp_post_number", "type": "text", "required": True,
                "label": {"uk": "Номер опори", "en": "Lamp post number"}, "choices": None}]


def taxonomy_event(version=1):
    def cat(code, level, parent, body=None, active=True, fields=()):
        return {"code": code, "name": {"uk": code, "en": code}, "parent": parent, "level": level,
                "body": body, "active": active, "fields_": list(fields)}

    return ev.make_event(ev.TAXONOMY_PUBLISHED, {
        "taxonomy_version": version,
        "categories": [
            cat("roads", "domain", None),
            cat("roads.surface", "category", "roads"),
            cat("roads.surface.pothole", "leaf", "roads.surface", "kyivavtodor"),
            cat("roads.surface.retired", "leaf", "roads.surface", "kyivavtodor", active=False),
            cat("lighting", "domain", None),
            cat("lighting.street", "category", "lighting"),
            cat("lighting.street.lamp_out", "leaf", "lighting.street", "kyivmiskvitlo",
                fields=LEAF_FIELDS),
        ],
    }, source="/hromada/routing", subject=None)


@pytest.fixture
def intake_db(make_database):
    return migrated_database(make_database, "intake", SERVICE_DIR)


@pytest.fixture
def intake_config(hromada_amqp_uri, intake_db, signing_keys):
    return service_config(hromada_amqp_uri, intake_db, **signing_keys.config)


@pytest.fixture
def intake_container(container_factory, intake_config, hromada_amqp_uri):
    from intake.service import IntakeService

    container = container_factory(IntakeService, intake_config)
    container.start()
    return container


@pytest.fixture
def with_taxonomy(intake_container, hromada_amqp_uri):
    """The intake container, after it has applied a taxonomy published by 'routing'."""
    from nameko.testing.services import entrypoint_waiter

    with entrypoint_waiter(intake_container, "handle_taxonomy_published", timeout=10):
        publish_events(hromada_amqp_uri, [taxonomy_event()])
    return intake_container


def valid_payload(**overrides):
    payload = {
        "title": "Deep pothole outside school 12",
        "description": "A pothole about 40 cm across, cars swerve into the oncoming lane.",
        "category": "roads.surface.pothole",
        "location": {"lat": 50.4501, "lon": 30.5234, "address": "Khreshchatyk St, 22"},
        "channel": "web",
    }
    payload.update(overrides)
    return payload
