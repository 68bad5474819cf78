"""Helpers of the operations-command integration tests (not a test module)."""

from __future__ import annotations

import io
from typing import Any

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from rich.console import Console

from consumer.config import Settings
from consumer.deadletter import DeadLetterSink
from consumer.errors import PermanentError
from consumer.ops.dlq_records import SourceMessage
from tests.integration.test_pipeline import SCHEMA, cart_event, pipeline_settings

__all__ = [
    "capture",
    "committed_offsets",
    "email_event",
    "feed_count",
    "ops_env",
    "ops_settings",
    "produce_avro",
    "produce_raw_records",
    "serialize",
    "source",
    "text_of",
    "write_dead_letters",
]


def email_event(tag: str, n: int) -> dict[str, Any]:
    """A valid AddToCartEvent identified by the unique email ``<tag>-<n>@example.com``."""
    return cart_event(n, contactKey=None, email=f"{tag}-{n}@example.com")


def serialize(registry_url: str, topic: str, event: dict[str, Any]) -> bytes:
    """The Confluent-framed Avro bytes of ``event`` (schema registered under ``topic``)."""
    with SchemaRegistryClient({"url": registry_url}) as client:
        value = AvroSerializer(client, SCHEMA)(
            event, SerializationContext(topic, MessageField.VALUE)
        )
    assert value is not None
    return bytes(value)


def produce_avro(
    bootstrap: str,
    registry_url: str,
    topic: str,
    events: list[dict[str, Any]],
    *,
    partition: int = 0,
    timestamps: list[int] | None = None,
) -> None:
    """Produce ``events`` to one partition, keyed by email (optionally with timestamps)."""
    ctx = SerializationContext(topic, MessageField.VALUE)
    producer = Producer({"bootstrap.servers": bootstrap})
    with SchemaRegistryClient({"url": registry_url}) as client:
        serializer = AvroSerializer(client, SCHEMA)
        for i, event in enumerate(events):
            kwargs: dict[str, Any] = {}
            if timestamps is not None:
                kwargs["timestamp"] = timestamps[i]
            producer.produce(
                topic,
                key=str(event.get("email")).encode(),
                value=serializer(event, ctx),
                partition=partition,
                **kwargs,
            )
    assert producer.flush(30) == 0


def produce_raw_records(
    bootstrap: str, topic: str, values: list[bytes], partition: int = 0
) -> None:
    """Produce raw (not Avro) values to one partition."""
    producer = Producer({"bootstrap.servers": bootstrap})
    for value in values:
        producer.produce(topic, value=value, partition=partition)
    assert producer.flush(30) == 0


def ops_settings(
    bootstrap: str, registry_url: str, sandbox: Any, topic: str, **over: Any
) -> Settings:
    """Settings of one test: its own live group and DLQ topic, the sandbox as the API."""
    return pipeline_settings(
        bootstrap, registry_url, sandbox, topic, **{"log_level": "warning", **over}
    )


def ops_env(settings: Settings) -> dict[str, str]:
    """The SIGNALS_* environment of ``settings`` for CLI runs."""
    env: dict[str, str] = {}
    for name, value in settings.redacted().items():
        if value is None or value in ([], {}):
            continue
        if isinstance(value, list):
            env[name] = ",".join(value)
        elif isinstance(value, dict):
            env[name] = ",".join(f"{k}={v}" for k, v in value.items())
        else:
            env[name] = str(value)
    assert settings.connect_api_key is not None
    env["SIGNALS_CONNECT_API_KEY"] = settings.connect_api_key.get_secret_value()
    return env


def capture() -> tuple[Console, io.StringIO]:
    """A wide console writing to a buffer."""
    buffer = io.StringIO()
    return Console(file=buffer, width=200, color_system=None), buffer


def text_of(buffer: io.StringIO) -> str:
    """What was printed."""
    return buffer.getvalue()


def feed_count(sandbox: Any, email: str) -> int:
    """Signals in the sandbox activity feed of ``email`` (0 when there is no such contact)."""
    try:
        return len(sandbox.feed(email=email))
    except RuntimeError:
        return 0


def committed_offsets(bootstrap: str, group: str, topic: str, partitions: int) -> dict[int, int]:
    """Committed offsets of ``group`` (negative: none)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        parts = consumer.committed([TopicPartition(topic, p) for p in range(partitions)], 10)
        return {tp.partition: tp.offset for tp in parts}
    finally:
        consumer.close()


def write_dead_letters(
    settings: Settings, letters: list[tuple[PermanentError, SourceMessage]]
) -> None:
    """Write dead letters the way the pipeline does (to ``settings.dlq_topic``)."""
    sink = DeadLetterSink(settings, settings.dlq_topic)
    for err, msg in letters:
        sink.write(err, msg)
    sink.flush(30)


def source(
    topic: str, offset: int, value: bytes, *, key: bytes | None = None, headers: Any = ()
) -> SourceMessage:
    """An original event as it was read from ``topic``."""
    return SourceMessage(topic, 0, offset, key, value, tuple(headers), (1, 1_750_000_000_000))
