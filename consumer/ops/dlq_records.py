"""Reading dead-letter records back: their headers, the original event, filters, PII masking.

A dead-letter record (docs/architecture.md) is the source record - key, value, headers byte for
byte, the source timestamp in ``signals.source.timestamp.ms`` (older records: the record's own
timestamp) - followed by the headers the consumer appended, starting with
``__connect.errors.topic``. :meth:`DlqRecord.from_message` splits the two at the *last*
``__connect.errors.topic`` header, so a record dead-lettered again by ``dlq redrive`` carries the
original headers once, never the previous reason headers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from consumer.avro.framing import schema_id_of
from consumer.logs import mask_text
from consumer.types import Header, KafkaMessage

__all__ = [
    "DlqFilter",
    "DlqRecord",
    "SourceMessage",
    "mask_payload",
]

_FIRST_HEADER = "__connect.errors.topic"
_PII_KEY = re.compile(r"(e-?mail|phone|mobile|sms|whatsapp|msisdn)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SourceMessage:
    """The original event of a dead-letter record (satisfies ``KafkaMessage``)."""

    source_topic: str
    source_partition: int
    source_offset: int
    raw_key: bytes | None
    raw_value: bytes | None
    raw_headers: tuple[Header, ...]
    ts: tuple[int, int]

    def topic(self) -> str | None:
        """The source topic."""
        return self.source_topic

    def partition(self) -> int | None:
        """The source partition."""
        return self.source_partition

    def offset(self) -> int | None:
        """The source offset."""
        return self.source_offset

    def key(self) -> bytes | None:
        """The original key."""
        return self.raw_key

    def value(self) -> bytes | None:
        """The original value."""
        return self.raw_value

    def headers(self) -> Sequence[Header] | None:
        """The original headers (without the dead-letter headers)."""
        return list(self.raw_headers)

    def timestamp(self) -> tuple[int, int]:
        """The source record's timestamp (``signals.source.timestamp.ms``)."""
        return self.ts


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _source_timestamp(meta: dict[str, str], msg: KafkaMessage) -> tuple[int, int]:
    """The source timestamp from its header (CreateTime), else the record's (written before the
    header existed, when dead letters kept the source timestamp)."""
    ms = _int(meta.get("signals.source.timestamp.ms"))
    return (1, ms) if ms is not None and ms >= 0 else msg.timestamp()


@dataclass(frozen=True, slots=True)
class DlqRecord:
    """One dead-letter record: where it sits, the original event and the reason headers."""

    dlq_topic: str
    dlq_partition: int
    dlq_offset: int
    source: SourceMessage
    meta: dict[str, str]

    @classmethod
    def from_message(cls, msg: KafkaMessage) -> DlqRecord:
        """Parse a record read from the dead-letter topic."""
        headers = list(msg.headers() or [])
        starts = (i for i in reversed(range(len(headers))) if headers[i][0] == _FIRST_HEADER)
        split = next(starts, len(headers))  # the last reason headers (see the module doc)
        meta = {
            name: (value or b"").decode("utf-8", errors="replace")
            for name, value in headers[split:]
        }
        source = SourceMessage(
            source_topic=meta.get(_FIRST_HEADER, ""),
            source_partition=_int(meta.get("__connect.errors.partition")) or 0,
            source_offset=_int(meta.get("__connect.errors.offset")) or 0,
            raw_key=msg.key(),
            raw_value=msg.value(),
            raw_headers=tuple(headers[:split]),
            ts=_source_timestamp(meta, msg),
        )
        return cls(msg.topic() or "", msg.partition() or 0, msg.offset() or 0, source, meta)

    # --- header views -------------------------------------------------------------------------
    @property
    def reason(self) -> str:
        """``signals.error.code`` (``unknown`` when the record has none)."""
        return self.meta.get("signals.error.code") or "unknown"

    @property
    def attempt(self) -> int:
        """``signals.attempt`` (1 when missing)."""
        return max(1, _int(self.meta.get("signals.attempt")) or 1)

    @property
    def first_failure_ms(self) -> int | None:
        """``signals.failure.first.ms``."""
        return _int(self.meta.get("signals.failure.first.ms"))

    @property
    def last_failure_ms(self) -> int | None:
        """``signals.failure.last.ms`` (else the first failure, else the record timestamp)."""
        last = _int(self.meta.get("signals.failure.last.ms")) or self.first_failure_ms
        if last is None:
            ts_type, ts = self.source.ts
            return ts if ts_type and ts >= 0 else None
        return last

    @property
    def schema_id(self) -> int | None:
        """``signals.schema.id``, else the id in the value's Confluent frame."""
        explicit = _int(self.meta.get("signals.schema.id"))
        return explicit if explicit is not None else schema_id_of(self.source.raw_value)

    def header_summary(self) -> dict[str, Any]:
        """The decoded reason headers, by short name (for display and ``--json``)."""
        m = self.meta
        return {
            "reason": self.reason,
            "stage": m.get("__connect.errors.stage"),
            "field": m.get("signals.error.field"),
            "message": m.get("__connect.errors.exception.message"),
            "exception": m.get("__connect.errors.exception.class.name"),
            "api_error": m.get("signals.api.error"),
            "attempt": self.attempt,
            "schema_id": self.schema_id,
            "first_failure_ms": self.first_failure_ms,
            "last_failure_ms": self.last_failure_ms,
        }


@dataclass(frozen=True, slots=True)
class DlqFilter:
    """Which dead-letter records a command selects (every given criterion must hold)."""

    reasons: tuple[str, ...] = ()
    source_topics: tuple[str, ...] = ()
    since_ms: int | None = None

    def matches(self, record: DlqRecord) -> bool:
        """True when ``record`` is selected."""
        if self.reasons and record.reason not in self.reasons:
            return False
        if self.source_topics and record.source.source_topic not in self.source_topics:
            return False
        if self.since_ms is None:
            return True
        failed = record.last_failure_ms  # a header parse: only when --since asks for it
        return failed is not None and failed >= self.since_ms

    def as_dict(self) -> dict[str, Any]:
        """The filter as JSON-able data (stored in the re-drive state file)."""
        return {
            "reasons": sorted(self.reasons),
            "source_topics": sorted(self.source_topics),
            "since_ms": self.since_ms,
        }


def mask_payload(value: Any) -> Any:
    """Mask emails and phone numbers anywhere in ``value``; PII-named fields entirely.

    Strings pass :func:`consumer.logs.mask_text`; a string under a key that names an email or
    phone field (``email``, ``phone``, ``sms``, ``whatsapp``...) keeps only its first character
    and, for an email, its domain.
    """
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            if isinstance(item, str) and _PII_KEY.search(str(key)):
                out[key] = _mask_whole(item)
            else:
                out[key] = mask_payload(item)
        return out
    if isinstance(value, list | tuple):
        return [mask_payload(item) for item in value]
    return value


def _mask_whole(text: str) -> str:
    masked = mask_text(text)
    if masked != text or not text:
        return masked
    return f"{text[:1]}***"
