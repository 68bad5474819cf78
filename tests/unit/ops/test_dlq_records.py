"""Dead-letter records read back: header split, views, filters, PII masking."""

from __future__ import annotations

from consumer.deadletter import dead_letter_headers
from consumer.errors import NotEntitledError
from consumer.ops.dlq_records import DlqFilter, DlqRecord, mask_payload
from tests.unit.ops.fakes import FakeMessage

ORIGINAL: list[tuple[str, bytes | None]] = [
    ("trace", b"\x00\xffabc"),
    ("__connect.errors.topic", b"upstream-system"),
]


def dlq_message(
    *, attempt: int = 1, first_ms: int = 1_700_000_000_000, offset: int = 7
) -> FakeMessage:
    """A DLQ record as the pipeline writes it: original headers, then the reason headers."""
    source = FakeMessage(
        "orders",
        2,
        offset,
        _value=b"\x00\x00\x00\x00\x05body",
        _headers=ORIGINAL,
        _timestamp=(1, 1_690_000_000_000),
    )
    err = NotEntitledError("signal type pageView is not entitled", field="signalContent.signalType")
    err.schema_id = 5
    appended = dead_letter_headers(
        err, source, attempt=attempt, first_failure_ms=first_ms, now_ms=first_ms + 1000
    )
    return FakeMessage(
        "signals.dlq",
        1,
        40,
        _key=b"contact-1",
        _value=source.value(),
        _headers=[*ORIGINAL, *appended],
        _timestamp=(1, first_ms + 1000),  # written at failure time; the source's is a header
    )


def test_original_event_is_rebuilt_byte_for_byte() -> None:
    """The source message has the original key/value/headers/timestamp and source coordinates."""
    record = DlqRecord.from_message(dlq_message())
    src = record.source
    assert (src.topic(), src.partition(), src.offset()) == ("orders", 2, 7)
    assert src.key() == b"contact-1"
    assert src.value() == b"\x00\x00\x00\x00\x05body"
    assert list(src.headers() or []) == ORIGINAL
    assert src.timestamp() == (1, 1_690_000_000_000)
    assert (record.dlq_topic, record.dlq_partition, record.dlq_offset) == ("signals.dlq", 1, 40)


def test_reason_headers_are_decoded() -> None:
    """Reason, attempt, schema id and failure times come from the appended headers."""
    record = DlqRecord.from_message(dlq_message(attempt=3))
    assert record.reason == "not_entitled"
    assert record.attempt == 3
    assert record.schema_id == 5
    assert record.first_failure_ms == 1_700_000_000_000
    assert record.last_failure_ms == 1_700_000_001_000
    summary = record.header_summary()
    assert summary["field"] == "signalContent.signalType"
    assert summary["stage"] == "validate"


def test_a_record_without_reason_headers_is_unknown() -> None:
    """A record the consumer did not write keeps all headers as original, reason unknown."""
    record = DlqRecord.from_message(FakeMessage("dlq", 0, 1, _headers=[("a", b"1")]))
    assert record.reason == "unknown"
    assert record.attempt == 1
    assert list(record.source.headers() or []) == [("a", b"1")]


def test_filter_by_reason_topic_and_time() -> None:
    """Every given criterion must hold; the time compares with the last failure."""
    record = DlqRecord.from_message(dlq_message())
    assert DlqFilter().matches(record)
    assert DlqFilter(reasons=("not_entitled", "x")).matches(record)
    assert not DlqFilter(reasons=("undecodable",)).matches(record)
    assert DlqFilter(source_topics=("orders",)).matches(record)
    assert not DlqFilter(source_topics=("carts",)).matches(record)
    assert DlqFilter(since_ms=1_700_000_001_000).matches(record)
    assert not DlqFilter(since_ms=1_700_000_001_001).matches(record)


def test_mask_payload_masks_emails_phones_and_pii_fields() -> None:
    """Emails and E.164 numbers are masked anywhere; PII-named fields entirely."""
    payload = {
        "email": "jane.doe@example.com",
        "note": "call +14155550100 or mail bob@example.org",
        "phoneNumber": "0155 5550 100",
        "items": [{"whatsapp": "+447700900123"}],
        "count": 3,
        "contactKey": "K-1",
    }
    masked = mask_payload(payload)
    assert masked["email"] == "j***@example.com"
    assert masked["note"] == "call +1***00 or mail b***@example.org"
    assert masked["phoneNumber"] == "0***"
    assert masked["items"] == [{"whatsapp": "+4***23"}]
    assert masked["count"] == 3
    assert masked["contactKey"] == "K-1"
