"""The dead-letter topic, one module for the pipeline and the operations commands.

A dead-letter record copies the source key, value and headers byte for byte and appends the
headers of docs/architecture.md (:func:`dead_letter_headers`, pure). It is written with the current
time (a dead-letter topic's retention counts from its own write, not the event's); the source
timestamp is in ``signals.source.timestamp.ms``. A dead letter larger than the producer's
``message.max.bytes`` (``SIGNALS_DLQ_MAX_MESSAGE_BYTES``), or refused by the broker for its size,
is written *compact*: the reason headers, the source key when small, and the size and SHA-256 of
the value instead of the value and the original headers (``signals.original.*`` headers) - a
size refusal is permanent, retrying it would wedge the partition. :class:`DeadLetterWriter`
produces asynchronously and reports each acknowledgement or
failure (delivery callback, served by ``poll``): the pipeline finishes the source offset only
then. :class:`DeadLetterSink` is the one-shot commands' use of it: write, then wait for every
acknowledgement.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from consumer.config import Settings
from consumer.errors import ApiRejectedSignal, DeadLetterUnavailable, PermanentError
from consumer.logs import get_logger, mask_text
from consumer.text import clip
from consumer.types import Header, KafkaMessage, KafkaProducer

__all__ = [
    "CONNECTOR_NAME",
    "DeadLetter",
    "DeadLetterSink",
    "DeadLetterWriter",
    "dead_letter_headers",
]

CONNECTOR_NAME = "connect-signals-consumer"
API_ERROR_MAX = 1000
#: librdkafka's and the broker's size limit for one dead letter, when none is configured
#: (the broker's default ``message.max.bytes``; ``SIGNALS_DLQ_MAX_MESSAGE_BYTES``).
DEFAULT_MAX_MESSAGE_BYTES = 1_048_588
#: What the size estimate adds for a record's framing (varints, attributes, batch header).
RECORD_OVERHEAD = 512
#: A compact dead letter keeps the source key up to this size.
COMPACT_KEY_MAX = 1024
API_CODE_MAX = 100


#: The component class named in ``__connect.errors.class.name`` per stage.
_STAGE_CLASS = {
    "decode": "consumer.avro.Decoder",
    "map": "consumer.mapping.Mapper",
    "validate": "consumer.signals.rules",
    "send": "consumer.connect.ConnectClient",
}

#: librdkafka's TIMESTAMP_NOT_AVAILABLE
_NO_TIMESTAMP = 0


def _api_error(err: PermanentError) -> str | None:
    if isinstance(err, ApiRejectedSignal) and err.api_error:
        return err.api_error
    if err.code == "rejected_by_api":
        return str(err)
    return None


def _source_timestamp(msg: KafkaMessage) -> list[tuple[str, str]]:
    """``signals.source.timestamp.ms`` when the source record has a timestamp."""
    ts_type, ts = msg.timestamp()
    return (
        [("signals.source.timestamp.ms", str(ts))] if ts_type != _NO_TIMESTAMP and ts >= 0 else []
    )


def record_bytes(
    key: bytes | None, value: bytes | None, headers: Sequence[tuple[str, bytes | None]]
) -> int:
    """Bytes of a record's key, value and headers (what ``message.max.bytes`` limits)."""
    return (
        len(key or b"")
        + len(value or b"")
        + sum(len(name.encode()) + len(data or b"") for name, data in headers)
    )


def _too_large(error: Any) -> bool:
    """True for librdkafka's or the broker's MSG_SIZE_TOO_LARGE (a KafkaError or its exception)."""
    from confluent_kafka import KafkaError, KafkaException

    if isinstance(error, KafkaException) and error.args:
        error = error.args[0]
    return isinstance(error, KafkaError) and error.code() == KafkaError.MSG_SIZE_TOO_LARGE


def dead_letter_headers(
    err: PermanentError,
    msg: KafkaMessage,
    *,
    attempt: int = 1,
    first_failure_ms: int | None = None,
    now_ms: int,
) -> list[tuple[str, bytes]]:
    """The headers appended to a dead-letter record (values UTF-8; reason PII-masked)."""
    cls = type(err)
    pairs: list[tuple[str, str]] = [
        ("__connect.errors.topic", msg.topic() or ""),
        ("__connect.errors.partition", str(msg.partition())),
        ("__connect.errors.offset", str(msg.offset())),
        *_source_timestamp(msg),
        ("__connect.errors.connector.name", CONNECTOR_NAME),
        ("__connect.errors.stage", err.stage),
        ("__connect.errors.class.name", _STAGE_CLASS.get(err.stage, "consumer.pipeline")),
        ("__connect.errors.exception.class.name", f"{cls.__module__}.{cls.__qualname__}"),
        ("__connect.errors.exception.message", mask_text(str(err))),
        ("signals.error.code", err.code),
    ]
    if err.field:
        pairs.append(("signals.error.field", err.field))
    api = _api_error(err)
    if api:
        pairs.append(("signals.api.error", mask_text(clip(api, 2 * API_ERROR_MAX))[:API_ERROR_MAX]))
    if isinstance(err, ApiRejectedSignal):
        if err.api_code:
            pairs.append(("signals.api.code", err.api_code[:API_CODE_MAX]))
        if err.category:
            pairs.append(("signals.api.category", err.category[:API_CODE_MAX]))
    pairs.append(("signals.attempt", str(attempt)))
    if err.schema_id is not None:
        pairs.append(("signals.schema.id", str(err.schema_id)))
    pairs.append(("signals.failure.first.ms", str(first_failure_ms or now_ms)))
    pairs.append(("signals.failure.last.ms", str(now_ms)))
    return [(name, value.encode("utf-8")) for name, value in pairs]


@dataclass(slots=True)
class DeadLetter:
    """One record to dead-letter and the bookkeeping to finish its source offset."""

    err: PermanentError
    msg: KafkaMessage
    first_failure_ms: int
    attempt: int = 1
    writes: int = 0
    #: written without value and original headers (it did not fit); see the module doc
    compact: bool = False

    @property
    def tp(self) -> tuple[str, int]:
        """Source ``(topic, partition)``."""
        return (self.msg.topic() or "", self.msg.partition() or 0)

    @property
    def offset(self) -> int:
        """Source offset."""
        return self.msg.offset() or 0


L = TypeVar("L", bound=DeadLetter)


class DeadLetterWriter(Generic[L]):
    """Produces :class:`DeadLetter` records; reports each ack or failure to ``on_result``."""

    def __init__(
        self,
        producer: KafkaProducer,
        topic: str,
        on_result: Callable[[L, str | None], None],
        *,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    ) -> None:
        self._producer = producer
        self.topic = topic
        self._on_result = on_result
        self.max_message_bytes = max_message_bytes
        self.outstanding = 0

    def _record(self, letter: L, now_ms: int) -> dict[str, Any]:
        """The record to produce: the whole source record, or its compact form."""
        msg = letter.msg
        reason = dead_letter_headers(
            letter.err,
            msg,
            attempt=letter.attempt,
            first_failure_ms=letter.first_failure_ms,
            now_ms=now_ms,
        )
        key, value = msg.key(), msg.value()
        original: Sequence[Header] = msg.headers() or []
        headers: list[tuple[str, bytes | None]] = [*original, *reason]
        if not letter.compact:
            size = record_bytes(key, value, headers) + RECORD_OVERHEAD
            letter.compact = size > self.max_message_bytes
        if letter.compact:
            get_logger("deadletter").warning(
                "dead_letter_compact",
                topic=letter.tp[0],
                partition=letter.tp[1],
                offset=letter.offset,
                value_bytes=len(value or b""),
                max_message_bytes=self.max_message_bytes,
            )
            omitted = ["value", "headers"]
            if key is not None and len(key) > COMPACT_KEY_MAX:
                key = None
                omitted.append("key")
            data = value or b""
            headers = [
                *reason,
                ("signals.original.omitted", ",".join(omitted).encode()),
                ("signals.original.value.bytes", str(len(data)).encode()),
                ("signals.original.value.sha256", hashlib.sha256(data).hexdigest().encode()),
            ]
            value = None
        return {"key": key, "value": value, "headers": headers, "timestamp": now_ms}

    def write(self, letter: L, *, now_ms: int) -> None:
        """Produce ``letter`` asynchronously; a local failure is reported as a failed delivery.

        A size refusal (MSG_SIZE_TOO_LARGE, local or from the broker) is not a failure: the
        letter is written again at once in its compact form.
        """
        record = self._record(letter, now_ms)
        letter.writes += 1

        def delivered(err: Any, _record: Any) -> None:
            self.outstanding -= 1
            if err is not None and not letter.compact and _too_large(err):
                letter.compact = True
                self.write(letter, now_ms=now_ms)
                return
            self._on_result(letter, None if err is None else str(err))

        try:
            self._producer.produce(self.topic, on_delivery=delivered, **record)
        except Exception as exc:  # BufferError (queue full) or a local produce error
            if not letter.compact and _too_large(exc):
                letter.compact = True
                self.write(letter, now_ms=now_ms)
                return
            self._on_result(letter, f"{type(exc).__name__}: {exc}")
            return
        self.outstanding += 1

    def poll(self) -> None:
        """Serve delivery callbacks (non-blocking)."""
        self._producer.poll(0)

    def flush(self, timeout_s: float) -> int:
        """Wait up to ``timeout_s`` for acknowledgements; returns records still outstanding."""
        return self._producer.flush(timeout_s)


class DeadLetterSink:
    """Writes dead letters and waits for the acknowledgements (``replay``, ``dlq redrive``)."""

    def __init__(
        self, settings: Settings, topic: str, producer: KafkaProducer | None = None
    ) -> None:
        if producer is None:
            from confluent_kafka import Producer

            from consumer.kafka_config import producer_config

            producer = Producer(producer_config(settings))
        self.topic = topic
        self._errors: list[str] = []
        self._writer: DeadLetterWriter[DeadLetter] = DeadLetterWriter(
            producer, topic, self._result, max_message_bytes=settings.dlq_max_message_bytes
        )

    def _result(self, _letter: DeadLetter, error: str | None) -> None:
        if error is not None:
            self._errors.append(error)

    def write(
        self,
        err: PermanentError,
        msg: KafkaMessage,
        *,
        attempt: int = 1,
        first_failure_ms: int | None = None,
    ) -> None:
        """Queue one dead letter: ``msg``'s key/value/headers plus the reason headers."""
        now_ms = int(time.time() * 1000)
        letter = DeadLetter(err, msg, first_failure_ms or now_ms, attempt=attempt)
        self._writer.write(letter, now_ms=now_ms)

    def flush(self, timeout_s: float = 60.0) -> None:
        """Wait for every write; :class:`DeadLetterUnavailable` when one failed or timed out."""
        left = self._writer.flush(timeout_s)
        if left or self._errors:
            errors, self._errors = self._errors, []
            detail = errors[0] if errors else f"{left} writes unacknowledged after {timeout_s}s"
            raise DeadLetterUnavailable(
                f"cannot write to the dead-letter topic {self.topic!r}: {detail}"
            )
