"""Dead-letter headers and the writer."""

from __future__ import annotations

from consumer.deadletter import DeadLetter, DeadLetterWriter, dead_letter_headers
from consumer.errors import ApiRejectedSignal, NotEntitledError, SignalValidationError
from tests.unit.pipeline.fakes import FakeMessage, FakeProducer


def _h(headers: list[tuple[str, bytes]]) -> dict[str, str]:
    return {k: v.decode() for k, v in headers}


def test_headers_carry_connect_and_signals_fields() -> None:
    """Kafka Connect headers and ours are present, the reason PII-masked."""
    msg = FakeMessage("orders", 2, 41)
    err = SignalValidationError(
        "email jane.doe@example.com is not valid",
        field="identifiableAttributes.email",
        schema_id=7,
    )
    headers = _h(dead_letter_headers(err, msg, now_ms=2000, first_failure_ms=1000, attempt=2))
    assert headers["__connect.errors.topic"] == "orders"
    assert headers["__connect.errors.partition"] == "2"
    assert headers["__connect.errors.offset"] == "41"
    assert headers["__connect.errors.connector.name"] == "connect-signals-consumer"
    assert headers["__connect.errors.stage"] == "validate"
    assert headers["__connect.errors.exception.class.name"] == (
        "consumer.errors.SignalValidationError"
    )
    assert "jane.doe@" not in headers["__connect.errors.exception.message"]
    assert headers["signals.error.code"] == "invalid_signal"
    assert headers["signals.error.field"] == "identifiableAttributes.email"
    assert headers["signals.attempt"] == "2"
    assert headers["signals.schema.id"] == "7"
    assert headers["signals.failure.first.ms"] == "1000"
    assert headers["signals.failure.last.ms"] == "2000"
    assert "signals.api.error" not in headers


def test_api_error_excerpt_is_bounded() -> None:
    """The API's message goes to signals.api.error, at most 1000 characters."""
    msg = FakeMessage("t", 0, 0)
    err = ApiRejectedSignal("x" * 5000, raw=msg, schema_id=None)
    headers = _h(dead_letter_headers(err, msg, now_ms=5))
    assert headers["signals.error.code"] == "rejected_by_api"
    assert len(headers["signals.api.error"]) == 1000
    assert headers["signals.failure.first.ms"] == "5"


def test_writer_copies_record_and_reports_ack() -> None:
    """Key, value and original headers are copied, the source timestamp kept; the ack reported."""
    producer = FakeProducer()
    results: list[tuple[int, str | None]] = []
    writer: DeadLetterWriter[DeadLetter] = DeadLetterWriter(
        producer, "dlq", lambda dl, err: results.append((dl.offset, err))
    )
    msg = FakeMessage("t", 0, 3, b"\x00raw", b"key", [("h", b"\x01"), ("n", None)], (1, 123))
    writer.write(DeadLetter(NotEntitledError("nope"), msg, 1), now_ms=9)
    record = producer.records[0]
    assert record["value"] == b"\x00raw"
    assert record["key"] == b"key"
    assert record["timestamp"] == 9  # written now; the source timestamp is a header
    assert ("signals.source.timestamp.ms", b"123") in record["headers"]
    assert record["headers"][:2] == [("h", b"\x01"), ("n", None)]
    assert writer.outstanding == 1
    writer.poll()
    assert results == [(3, None)]
    assert writer.outstanding == 0
