import os
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from hromada_common import events as ev
from hromada_common.testing.helpers import ContainerDriver, migrated_database, service_config

SERVICE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BODY = "kyivavtodor"


def state_changed(appeal_id, version, state, author_id, *, previous=None, body=BODY,
                  at=None, category="roads.surface.pothole"):
    at = at or datetime.now(timezone.utc)
    return ev.make_event(ev.APPEAL_STATE_CHANGED, {
        "appeal_id": appeal_id, "appeal_version": version, "state": state,
        "previous_state": previous, "category": category, "body": body,
        "due_at": at + timedelta(days=5), "author_id": author_id, "at": at, "by": "intake",
        "reason": None, "cause": None,
    }, source="/hromada/intake", subject=appeal_id, actor="intake")


@pytest.fixture
def feedback_db(make_database):
    return migrated_database(make_database, "feedback", SERVICE_DIR)


@pytest.fixture
def feedback_config(hromada_amqp_uri, feedback_db, signing_keys):
    return service_config(hromada_amqp_uri, feedback_db, REMINDER_CHECK_INTERVAL=3600,
                          **signing_keys.config)


@pytest.fixture
def feedback(container_factory, feedback_config):
    from feedback.service import FeedbackService

    container = container_factory(FeedbackService, feedback_config)
    container.start()
    return container


class Platform(ContainerDriver):
    """Drives the feedback container as intake and the gateway would."""

    def resolved_appeal(self, author_id, *, resolved_ago=timedelta(0), reworks=0, body=BODY):
        """An appeal intake reports as resolved ``resolved_ago``, after ``reworks`` reworks."""
        appeal_id = str(uuid.uuid4())
        start = datetime.now(timezone.utc) - resolved_ago - timedelta(days=reworks + 1)
        events = [state_changed(appeal_id, 1, "assigned", author_id, body=body, at=start)]
        version = 1
        for n in range(reworks):
            events.append(state_changed(appeal_id, version + 1, "resolved", author_id,
                                        previous="assigned", body=body,
                                        at=start + timedelta(hours=n * 2 + 1)))
            events.append(state_changed(appeal_id, version + 2, "rework", author_id,
                                        previous="resolved", body=body,
                                        at=start + timedelta(hours=n * 2 + 2)))
            version += 2
        events.append(state_changed(appeal_id, version + 1, "resolved", author_id,
                                    previous="rework" if reworks else "assigned", body=body,
                                    at=datetime.now(timezone.utc) - resolved_ago))
        self.deliver(*events)
        return appeal_id


@pytest.fixture
def platform(feedback, hromada_amqp_uri, signing_keys):
    return Platform(feedback, hromada_amqp_uri, signing_keys)
