"""The directly encoded publish frames are byte for byte what py-amqp sends for the same
message, so a consumer cannot tell which wrote them."""
import json
import uuid

import amqp
import pytest
from amqp import spec
from amqp.method_framing import frame_writer
from amqp.serialization import dumps

from hromada_common.messaging.wire import EventFrameEncoder, shortstr

EXCHANGE = "hromada.events"
FRAME_MAX = 131072


class _Capture:
    """What py-amqp writes to its transport, joined."""

    def __init__(self, frame_max):
        self.frame_max = frame_max
        self.bytes_sent = 0
        self.written = bytearray()

    def write(self, data):
        self.written += bytes(data)


def py_amqp_frames(channel_id, event_id, event_type, body: bytes, frame_max=FRAME_MAX) -> bytes:
    """The bytes py-amqp's own Channel.basic_publish path writes for this event."""
    capture = _Capture(frame_max)
    write_frame = frame_writer(capture, capture)
    message = amqp.Message(
        body, content_type="application/json", content_encoding="utf-8", delivery_mode=2,
        message_id=event_id, type=event_type,
        application_headers={"ce-type": event_type, "ce-id": event_id},
    )
    args = dumps("Bssbb", (0, EXCHANGE, event_type, False, False))
    write_frame(1, channel_id, spec.Basic.Publish, args, message)
    return bytes(capture.written)


def event_body(size_hint: int = 0) -> bytes:
    envelope = {"id": str(uuid.uuid4()), "type": "hromada.appeal.sla_breached.v1",
                "data": {"appeal_id": str(uuid.uuid4()), "body": "Київтеплоенерго",
                         "padding": "ї" * size_hint}}
    return json.dumps(envelope, ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize("channel_id", [1, 7, 65535])
def test_a_small_event_is_encoded_as_py_amqp_encodes_it(channel_id):
    event_id, event_type = str(uuid.uuid4()), "hromada.appeal.sla_breached.v1"
    body = event_body()
    ours = EventFrameEncoder(channel_id, EXCHANGE, FRAME_MAX).encode(event_id, event_type, body)
    assert ours == py_amqp_frames(channel_id, event_id, event_type, body)


@pytest.mark.parametrize("frame_max", [4096, 131072])
def test_a_body_longer_than_a_frame_is_split_into_body_frames_as_py_amqp_splits_it(frame_max):
    event_id, event_type = str(uuid.uuid4()), "hromada.appeal.submitted.v1"
    body = event_body(size_hint=150_000)  # about 300 kB of UTF-8
    ours = EventFrameEncoder(3, EXCHANGE, frame_max).encode(event_id, event_type, body)
    assert ours == py_amqp_frames(3, event_id, event_type, body, frame_max)
    # and it really is several frames, none longer than negotiated
    frames, offset = 0, 0
    while offset < len(ours):
        size = int.from_bytes(ours[offset + 3:offset + 7], "big")
        assert size + 8 <= frame_max
        assert ours[offset + 7 + size] == 0xCE
        offset += size + 8
        frames += 1
    assert frames > 2 + len(body) // frame_max


def test_a_body_exactly_filling_a_frame_stays_one_frame():
    event_id, event_type = str(uuid.uuid4()), "hromada.appeal.rated.v1"
    body = b"x" * (4096 - 8)
    ours = EventFrameEncoder(1, EXCHANGE, 4096).encode(event_id, event_type, body)
    assert ours == py_amqp_frames(1, event_id, event_type, body, 4096)
    assert ours.count(b"\xce") >= 3


def test_one_encoder_encodes_events_of_several_types_as_py_amqp_does():
    encoder = EventFrameEncoder(5, EXCHANGE, FRAME_MAX)
    for event_type in ["hromada.appeal.sla_breached.v1", "hromada.appeal.escalated.v1"] * 3:
        event_id, body = str(uuid.uuid4()), event_body(size_hint=len(event_type))
        assert encoder.encode(event_id, event_type, body) == py_amqp_frames(
            5, event_id, event_type, body)


def test_a_routing_key_longer_than_a_short_string_is_refused():
    with pytest.raises(ValueError, match="255 bytes"):
        EventFrameEncoder(1, EXCHANGE, FRAME_MAX).encode("id", "t" * 256, b"{}")
    assert shortstr("ї" * 127) == bytes((254,)) + ("ї" * 127).encode()
    with pytest.raises(ValueError):
        shortstr("ї" * 128)
