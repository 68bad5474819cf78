"""Dead letters that do not fit, and dead-letter timestamps (issue 14, items 5 and 15)."""

from __future__ import annotations

import hashlib
from concurrent.futures import Future
from typing import Any

from confluent_kafka import KafkaError, KafkaException

from consumer.deadletter import DeadLetter, DeadLetterWriter
from consumer.errors import DecodeError, NotEntitledError
from consumer.kafka_config import dlq_topic_config, producer_config
from consumer.ops.dlq_records import DlqRecord
from consumer.pipeline.topics import ensure_topic
from tests.unit.pipeline.fakes import FakeMessage, FakeProducer, make_engine, settings

LIMIT = 100_000


def _writer(
    producer: FakeProducer, results: list[tuple[int, str | None]]
) -> DeadLetterWriter[DeadLetter]:
    return DeadLetterWriter(
        producer,
        "dlq",
        lambda letter, err: results.append((letter.offset, err)),
        max_message_bytes=LIMIT,
    )


def _size(record: dict[str, Any]) -> int:
    headers = record["headers"] or []
    return (
        len(record["key"] or b"")
        + len(record["value"] or b"")
        + sum(len(name) + len(value or b"") for name, value in headers)
    )


def _named(record: dict[str, Any]) -> dict[str, bytes | None]:
    return dict(record["headers"])


class RefusingProducer(FakeProducer):
    """Like the broker: refuses records above ``limit`` bytes, locally or on delivery."""

    def __init__(self, limit: int, *, on_delivery: bool) -> None:
        super().__init__()
        self.limit = limit
        self.on_delivery = on_delivery
        self.refused = 0

    def produce(self, topic: str, *args: Any, **kwargs: Any) -> None:
        too_large = _size(kwargs) > self.limit
        if too_large and not self.on_delivery:
            self.refused += 1
            raise KafkaException(KafkaError(KafkaError.MSG_SIZE_TOO_LARGE))
        callback = kwargs.pop("on_delivery")
        self.records.append({"topic": topic, **kwargs})
        error = KafkaError(KafkaError.MSG_SIZE_TOO_LARGE) if too_large else None
        self.refused += too_large
        self._callbacks.append(lambda _err, rec: callback(error, rec))


def test_dead_letter_is_written_now_and_carries_the_source_timestamp() -> None:
    """The DLQ record's timestamp is the write time; the source's is in a header."""
    producer = FakeProducer()
    writer = _writer(producer, [])
    msg = FakeMessage("t", 0, 3, b"v", b"k", None, (1, 123))
    writer.write(DeadLetter(NotEntitledError("nope"), msg, 1), now_ms=1_700_000_009_000)
    record = producer.records[0]
    assert record["timestamp"] == 1_700_000_009_000
    assert _named(record)["signals.source.timestamp.ms"] == b"123"


def test_a_source_without_timestamp_has_no_timestamp_header() -> None:
    """TIMESTAMP_NOT_AVAILABLE leaves the header out (nothing to carry)."""
    producer = FakeProducer()
    writer = _writer(producer, [])
    msg = FakeMessage("t", 0, 3, b"v", b"k", None, (0, -1))
    writer.write(DeadLetter(NotEntitledError("nope"), msg, 1), now_ms=5)
    assert "signals.source.timestamp.ms" not in _named(producer.records[0])


def test_a_dead_letter_over_the_limit_is_written_compact() -> None:
    """Above max_message_bytes the value and headers are omitted, the hash and size kept."""
    producer = FakeProducer()
    results: list[tuple[int, str | None]] = []
    writer = _writer(producer, results)
    value = b"\x00" + b"x" * LIMIT
    msg = FakeMessage("orders", 2, 41, value, b"key", [("trace", b"t" * 10)], (1, 7))
    writer.write(DeadLetter(DecodeError("bad magic byte"), msg, 1), now_ms=9)
    record = producer.records[0]
    assert record["value"] is None
    assert record["key"] == b"key"
    assert _size(record) < LIMIT // 10
    named = _named(record)
    assert named["signals.original.omitted"] == b"value,headers"
    assert named["signals.original.value.bytes"] == str(len(value)).encode()
    assert named["signals.original.value.sha256"] == hashlib.sha256(value).hexdigest().encode()
    assert named["signals.error.code"] == b"undecodable"
    assert named["__connect.errors.topic"] == b"orders"
    assert named["__connect.errors.partition"] == b"2"
    assert named["__connect.errors.offset"] == b"41"
    assert "trace" not in named
    writer.poll()
    assert results == [(41, None)]


def test_a_dead_letter_within_the_limit_is_copied_whole() -> None:
    """Below the limit nothing is omitted and no original.* header is added."""
    producer = FakeProducer()
    writer = _writer(producer, [])
    msg = FakeMessage("t", 0, 1, b"v" * (LIMIT // 2), b"k", None, (1, 7))
    writer.write(DeadLetter(DecodeError("bad"), msg, 1), now_ms=9)
    record = producer.records[0]
    assert record["value"] == b"v" * (LIMIT // 2)
    assert not [name for name in _named(record) if name.startswith("signals.original.")]


def test_a_huge_key_is_omitted_too() -> None:
    """A key that alone would not fit is omitted and named in the omitted header."""
    producer = FakeProducer()
    writer = _writer(producer, [])
    msg = FakeMessage("t", 0, 1, b"v", b"k" * LIMIT, None, (1, 7))
    writer.write(DeadLetter(DecodeError("bad"), msg, 1), now_ms=9)
    record = producer.records[0]
    assert record["key"] is None
    assert _named(record)["signals.original.omitted"] == b"value,headers,key"


def test_a_local_size_refusal_is_rewritten_compact() -> None:
    """MSG_SIZE_TOO_LARGE raised by produce is permanent: the compact form is written at once."""
    producer = RefusingProducer(LIMIT // 2, on_delivery=False)
    results: list[tuple[int, str | None]] = []
    writer = _writer(producer, results)
    msg = FakeMessage("t", 0, 5, b"v" * (LIMIT * 3 // 4), b"k", None, (1, 7))
    writer.write(DeadLetter(DecodeError("bad"), msg, 1), now_ms=9)
    writer.poll()
    assert producer.refused == 1
    assert [r["value"] for r in producer.records] == [None]
    assert results == [(5, None)]


def test_a_broker_size_refusal_is_rewritten_compact() -> None:
    """MSG_SIZE_TOO_LARGE in the delivery report is permanent: the compact form follows."""
    producer = RefusingProducer(LIMIT // 2, on_delivery=True)
    results: list[tuple[int, str | None]] = []
    writer = _writer(producer, results)
    msg = FakeMessage("t", 0, 5, b"v" * (LIMIT * 3 // 4), b"k", None, (1, 7))
    writer.write(DeadLetter(DecodeError("bad"), msg, 1), now_ms=9)
    writer.poll()
    writer.poll()
    assert producer.refused == 1
    assert producer.records[-1]["value"] is None
    assert results == [(5, None)]
    assert writer.outstanding == 0


def test_engine_commits_past_an_event_whose_dead_letter_is_refused_for_size() -> None:
    """The engine finishes the offset through the compact dead letter: nothing wedges."""
    producer = RefusingProducer(50_000, on_delivery=True)
    engine, _calls = make_engine(lambda lits: [f"id-{i}" for i in range(len(lits))], producer)
    engine.on_assign([("t", 0)])
    engine.on_message(FakeMessage("t", 0, 0, b"bad", b"k" * 60_000))
    engine.on_message(FakeMessage("t", 0, 1))
    for _ in range(3):
        engine.step()
    assert engine.tracker.commit_positions() == {("t", 0): 2}
    assert engine.retries.items() == []


class _Admin:
    """The slice of AdminClient ensure_topic uses; records the topics it is asked to create."""

    def __init__(self) -> None:
        self.created: list[Any] = []

    def list_topics(self, timeout: float) -> Any:
        return type("Metadata", (), {"topics": {}})()

    def create_topics(self, topics: list[Any], request_timeout: float) -> dict[str, Any]:
        self.created.extend(topics)
        done: Future[None] = Future()
        done.set_result(None)
        return {topic.topic: done for topic in topics}


def test_producer_and_topic_share_the_dead_letter_size_limit() -> None:
    """message.max.bytes of the DLQ producer equals max.message.bytes of the created topic."""
    s = settings(dlq_max_message_bytes=2_000_000)
    admin = _Admin()
    ensure_topic(admin, "dlq", 3, config=dlq_topic_config(s))
    assert producer_config(s)["message.max.bytes"] == 2_000_000
    assert admin.created[0].config == {"max.message.bytes": "2000000"}
    assert settings().dlq_max_message_bytes == 1_048_588


def test_reading_a_dead_letter_back_gives_the_source_timestamp() -> None:
    """dlq inspect/redrive see the source record's timestamp, not the dead letter's."""
    producer = FakeProducer()
    writer = _writer(producer, [])
    source = FakeMessage("t", 0, 3, b"v", b"k", [("h", b"1")], (1, 123))
    writer.write(DeadLetter(NotEntitledError("nope"), source, 1), now_ms=1_700_000_009_000)
    record = producer.records[0]
    read = FakeMessage("dlq", 0, 0, record["value"], record["key"], record["headers"], (1, 9))
    parsed = DlqRecord.from_message(read)
    assert parsed.source.timestamp() == (1, 123)
    assert parsed.source.headers() == [("h", b"1")]
