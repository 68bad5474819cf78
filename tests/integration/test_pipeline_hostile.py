"""Hostile events on the real broker: nothing wedges, nothing is committed without a dead letter
(issue 14)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from typing import Any

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient
from confluent_kafka.admin._config import ConfigResource  # not re-exported explicitly (mypy)
from confluent_kafka.admin._resource import ResourceType

from tests.integration.test_pipeline import (
    cart_event,
    committed,
    high_watermarks,
    pipeline_settings,
    produce_events,
    read_all,
    run_until_idle,
)

pytestmark = pytest.mark.integration

#: The broker's default message.max.bytes (what a topic accepts unless configured).
BROKER_DEFAULT = 1_048_588


def produce_large(bootstrap: str, topic: str, value: bytes) -> None:
    """Produce one large undecodable record (the producer allows up to the broker default)."""
    producer = Producer({"bootstrap.servers": bootstrap, "message.max.bytes": BROKER_DEFAULT})
    producer.produce(topic, key=b"big", value=value, timestamp=1_700_000_000_000)
    assert producer.flush(30) == 0


def topic_config(bootstrap: str, topic: str, name: str) -> str:
    """One configuration value of ``topic`` as the broker reports it."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    resource = ConfigResource(ResourceType.TOPIC, topic)
    entries = admin.describe_configs([resource])[resource].result(timeout=30)
    return str(entries[name].value)


def _run(
    kafka_bootstrap: str, schema_registry_url: str, sandbox: Any, topic: str, value: bytes
) -> tuple[Any, list[Any]]:
    produce_large(kafka_bootstrap, topic, value)
    produce_events(kafka_bootstrap, schema_registry_url, topic, [cart_event(1)])
    settings = pipeline_settings(kafka_bootstrap, schema_registry_url, sandbox, topic)
    pipeline = run_until_idle(settings)
    assert pipeline.metrics.totals()["delivered"] == 1
    assert committed(kafka_bootstrap, settings.kafka_group_id, topic, 1) == high_watermarks(
        kafka_bootstrap, topic, 1
    )
    return settings, read_all(kafka_bootstrap, settings.dlq_topic)


def test_an_event_near_the_broker_limit_is_dead_lettered_whole(
    kafka_bootstrap: str, schema_registry_url: str, make_topic: Callable[..., str], sandbox: Any
) -> None:
    """A 1,000,097-byte event (its dead letter ~600 bytes more) is dead-lettered whole as
    too_large, never decoded, and committed; the DLQ topic is created with the producer's size
    limit."""
    topic = make_topic(partitions=1)
    value = b"x" * 1_000_097
    settings, records = _run(kafka_bootstrap, schema_registry_url, sandbox, topic, value)
    assert len(records) == 1
    assert records[0].value() == value
    named = dict(records[0].headers())
    assert named["signals.error.code"] == b"too_large"  # above SIGNALS_MAX_RECORD_BYTES
    assert named["signals.source.timestamp.ms"] == b"1700000000000"
    assert records[0].timestamp()[1] > 1_700_000_000_000  # written now, not at the source time
    assert "signals.original.omitted" not in named
    assert topic_config(kafka_bootstrap, settings.dlq_topic, "max.message.bytes") == str(
        settings.dlq_max_message_bytes
    )


def test_a_dead_letter_over_the_limit_is_written_compact(
    kafka_bootstrap: str, schema_registry_url: str, make_topic: Callable[..., str], sandbox: Any
) -> None:
    """An event the broker accepts but whose dead letter would exceed message.max.bytes is
    dead-lettered without its value (size and SHA-256 instead) and committed."""
    topic = make_topic(partitions=1)
    value = b"y" * 1_048_000
    _settings, records = _run(kafka_bootstrap, schema_registry_url, sandbox, topic, value)
    assert len(records) == 1
    assert records[0].value() is None
    named = dict(records[0].headers())
    assert named["signals.original.omitted"] == b"value,headers"
    assert named["signals.original.value.bytes"] == b"1048000"
    assert named["signals.original.value.sha256"] == hashlib.sha256(value).hexdigest().encode()
    assert named["__connect.errors.offset"] == b"0"
    assert named["signals.error.code"] == b"too_large"


def test_a_dead_letter_the_broker_refuses_for_size_is_written_compact(
    kafka_bootstrap: str, schema_registry_url: str, make_topic: Callable[..., str], sandbox: Any
) -> None:
    """A DLQ topic with a smaller max.message.bytes refuses the whole dead letter
    (MSG_SIZE_TOO_LARGE on delivery): the compact form is written instead, nothing wedges."""
    topic = make_topic(partitions=1)
    make_topic(partitions=1, name=f"{topic}.dlq", config={"max.message.bytes": "300000"})
    value = b"\x7f" + os.urandom(599_999)  # incompressible: the broker checks the lz4 batch
    _settings, records = _run(kafka_bootstrap, schema_registry_url, sandbox, topic, value)
    assert len(records) == 1
    assert records[0].value() is None
    assert dict(records[0].headers())["signals.original.value.bytes"] == b"600000"
