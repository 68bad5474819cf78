"""The dead-letter topic: header building (pure, reused by ``dlq redrive``) and the writer.

A dead-letter record copies the source key, value and headers byte for byte and appends the
headers of docs/architecture.md. Its timestamp is the source record's. The writer produces
asynchronously; the source offset counts as finished only when the broker acknowledges the
record (delivery callback, served by ``poll`` on the loop thread).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from consumer.errors import ApiRejectedSignal, PermanentError
from consumer.kafka_types import Header, KafkaMessage
from consumer.logs import mask_text

__all__ = [
    "CONNECTOR_NAME",
    "DeadLetter",
    "DeadLetterWriter",
    "Producer",
    "dead_letter_headers",
]

CONNECTOR_NAME = "connect-signals-consumer"
API_ERROR_MAX = 1000

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
        pairs.append(("signals.api.error", mask_text(api)[:API_ERROR_MAX]))
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
    epoch: int
    first_failure_ms: int
    attempt: int = 1
    writes: int = 0

    @property
    def tp(self) -> tuple[str, int]:
        """Source ``(topic, partition)``."""
        return (self.msg.topic() or "", self.msg.partition() or 0)

    @property
    def offset(self) -> int:
        """Source offset."""
        return self.msg.offset() or 0


class Producer(Protocol):
    """The slice of ``confluent_kafka.Producer`` the writer uses."""

    def produce(self, topic: str, *args: Any, **kwargs: Any) -> None: ...
    def poll(self, timeout: float = ...) -> int: ...
    def flush(self, timeout: float = ...) -> int: ...


DeliveredFn = Callable[[DeadLetter, str | None], None]


class DeadLetterWriter:
    """Produces :class:`DeadLetter` records; reports each ack or failure to ``on_result``."""

    def __init__(self, producer: Producer, topic: str, on_result: DeliveredFn) -> None:
        self._producer = producer
        self.topic = topic
        self._on_result = on_result
        self.outstanding = 0

    def write(self, letter: DeadLetter, *, now_ms: int) -> None:
        """Produce ``letter`` asynchronously; a local failure is reported as a failed delivery."""
        msg = letter.msg
        original: Sequence[Header] = msg.headers() or []
        headers: list[tuple[str, bytes | None]] = list(original)
        headers.extend(
            dead_letter_headers(
                letter.err,
                msg,
                attempt=letter.attempt,
                first_failure_ms=letter.first_failure_ms,
                now_ms=now_ms,
            )
        )
        ts_type, ts = msg.timestamp()
        kwargs: dict[str, Any] = {"key": msg.key(), "value": msg.value(), "headers": headers}
        if ts_type != _NO_TIMESTAMP and ts >= 0:
            kwargs["timestamp"] = ts
        letter.writes += 1

        def delivered(err: Any, _record: Any) -> None:
            self.outstanding -= 1
            self._on_result(letter, None if err is None else str(err))

        try:
            self._producer.produce(self.topic, on_delivery=delivered, **kwargs)
        except (BufferError, Exception) as exc:  # queue full or a local produce error
            self._on_result(letter, f"{type(exc).__name__}: {exc}")
            return
        self.outstanding += 1

    def poll(self) -> None:
        """Serve delivery callbacks (non-blocking)."""
        self._producer.poll(0)

    def flush(self, timeout_s: float) -> int:
        """Wait up to ``timeout_s`` for acknowledgements; returns records still outstanding."""
        return self._producer.flush(timeout_s)
