"""The local stack: Avro through Kafka with the schema registry, commits, restarts."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

from tests.fixtures.stack import StackControl

__all__: list[str] = []

pytestmark = pytest.mark.integration

SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "StackProbe",
        "namespace": "test.stack",
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "n", "type": "long"},
            {"name": "note", "type": ["null", "string"], "default": None},
        ],
    }
)


def _produce(bootstrap: str, registry_url: str, topic: str, start: int, count: int) -> None:
    """Produce ``count`` Avro records (n = start..start+count-1), keyed by their id."""
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    ctx = SerializationContext(topic, MessageField.VALUE)
    with SchemaRegistryClient({"url": registry_url}) as registry:
        serializer = AvroSerializer(registry, SCHEMA)
        for n in range(start, start + count):
            record = {"id": f"id-{n}", "n": n, "note": None if n % 2 else f"note {n}"}
            producer.produce(topic, key=f"id-{n}".encode(), value=serializer(record, ctx))
    assert producer.flush(30) == 0


def _consumer(bootstrap: str, group: str, topic: str) -> Consumer:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    return consumer


def _consume(
    consumer: Consumer, registry_url: str, expected: int, *, settle_s: float = 0.0
) -> list[tuple[int, dict[str, Any]]]:
    """Poll until ``expected`` records (then ``settle_s`` more for extras): (partition, value)."""
    with SchemaRegistryClient({"url": registry_url}) as registry:
        return _poll(consumer, AvroDeserializer(registry), expected, settle_s)


def _poll(
    consumer: Consumer, deserializer: AvroDeserializer, expected: int, settle_s: float
) -> list[tuple[int, dict[str, Any]]]:
    out: list[tuple[int, dict[str, Any]]] = []
    deadline = time.monotonic() + 60
    settle_until: float | None = None
    while time.monotonic() < deadline:
        if len(out) >= expected:
            settle_until = settle_until or time.monotonic() + settle_s
            if time.monotonic() >= settle_until:
                break
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        assert msg.error() is None, msg.error()
        ctx = SerializationContext(msg.topic() or "", MessageField.VALUE)
        value = deserializer(msg.value(), ctx)
        assert isinstance(value, dict)
        out.append((msg.partition() or 0, value))
    return out


_COORDINATOR_MOVING = {
    KafkaError.NOT_COORDINATOR,
    KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
    KafkaError.COORDINATOR_NOT_AVAILABLE,
    KafkaError._TIMED_OUT,
}


def _committed_total(consumer: Consumer, topic: str, partitions: int) -> int:
    """Sum of committed offsets; retried while a restarted broker is still loading the group
    coordinator (NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS are retriable)."""
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    deadline = time.monotonic() + 60
    while True:
        try:
            return sum(max(tp.offset, 0) for tp in consumer.committed(tps, timeout=30))
        except KafkaException as exc:
            err = exc.args[0]
            transient = err.retriable() or err.code() in _COORDINATOR_MOVING
            if not transient or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_avro_round_trip_through_twelve_partitions(
    kafka_bootstrap: str, schema_registry_url: str, make_topic: Callable[..., str]
) -> None:
    """Records serialized with AvroSerializer come back equal through a 12-partition topic."""
    topic = make_topic(partitions=12)
    _produce(kafka_bootstrap, schema_registry_url, topic, 0, 240)
    consumer = _consumer(kafka_bootstrap, f"g-{uuid.uuid4().hex}", topic)
    try:
        got = _consume(consumer, schema_registry_url, 240, settle_s=1.0)
    finally:
        consumer.close()
    assert sorted(v["n"] for _, v in got) == list(range(240))
    assert {p for p, _ in got} == set(range(12))
    by_n = {v["n"]: v for _, v in got}
    assert by_n[4] == {"id": "id-4", "n": 4, "note": "note 4"}
    assert by_n[5]["note"] is None


def test_consumer_group_resumes_from_its_commit(
    kafka_bootstrap: str, schema_registry_url: str, make_topic: Callable[..., str]
) -> None:
    """A new consumer of the same group receives only records after the committed offsets."""
    topic = make_topic(partitions=3)
    group = f"g-{uuid.uuid4().hex}"
    _produce(kafka_bootstrap, schema_registry_url, topic, 0, 30)
    first = _consumer(kafka_bootstrap, group, topic)
    try:
        assert len(_consume(first, schema_registry_url, 30)) == 30
        first.commit(asynchronous=False)
        assert _committed_total(first, topic, 3) == 30
    finally:
        first.close()
    _produce(kafka_bootstrap, schema_registry_url, topic, 30, 10)
    second = _consumer(kafka_bootstrap, group, topic)
    try:
        got = _consume(second, schema_registry_url, 10, settle_s=2.0)
    finally:
        second.close()
    assert sorted(v["n"] for _, v in got) == list(range(30, 40))


def test_broker_restart_keeps_data_and_commits(
    kafka_bootstrap: str,
    schema_registry_url: str,
    make_topic: Callable[..., str],
    stack_control: StackControl,
) -> None:
    """After the broker is stopped and started, committed offsets and records are still there."""
    topic = make_topic(partitions=2)
    group = f"g-{uuid.uuid4().hex}"
    _produce(kafka_bootstrap, schema_registry_url, topic, 0, 20)
    consumer = _consumer(kafka_bootstrap, group, topic)
    try:
        assert len(_consume(consumer, schema_registry_url, 20)) == 20
        consumer.commit(asynchronous=False)
    finally:
        consumer.close()

    stack_control.stop_kafka()
    stack_control.start_kafka()

    _produce(kafka_bootstrap, schema_registry_url, topic, 20, 5)
    resumed = _consumer(kafka_bootstrap, group, topic)
    try:
        assert _committed_total(resumed, topic, 2) == 20
        after = _consume(resumed, schema_registry_url, 5, settle_s=2.0)
    finally:
        resumed.close()
    assert sorted(v["n"] for _, v in after) == list(range(20, 25))
    reader = _consumer(kafka_bootstrap, f"g-{uuid.uuid4().hex}", topic)
    try:
        again = _consume(reader, schema_registry_url, 25)
    finally:
        reader.close()
    assert sorted(v["n"] for _, v in again) == list(range(25))


def _evolve(extra: dict[str, Any]) -> str:
    schema = json.loads(SCHEMA)
    schema["fields"].append(extra)
    return json.dumps(schema)


def test_registry_refuses_an_incompatible_change(schema_registry_url: str) -> None:
    """Through SchemaRegistryClient: a new required field is refused (409), a defaulted one not."""
    with SchemaRegistryClient({"url": schema_registry_url}) as client:
        _check_refusal(client)


def _check_refusal(client: SchemaRegistryClient) -> None:
    subject = f"probe-{uuid.uuid4().hex}-value"
    first = client.register_schema(subject, Schema(SCHEMA, "AVRO"))
    incompatible = Schema(_evolve({"name": "qty", "type": "int"}), "AVRO")
    assert client.test_compatibility(subject, incompatible) is False
    with pytest.raises(SchemaRegistryError) as refused:
        client.register_schema(subject, incompatible)
    assert refused.value.http_status_code == 409
    assert refused.value.error_code == 409
    compatible = Schema(_evolve({"name": "qty", "type": "int", "default": 1}), "AVRO")
    second = client.register_schema(subject, compatible)
    assert second != first
    latest = client.get_latest_version(subject)
    assert (latest.version, latest.schema_id) == (2, second)
    assert client.lookup_schema(subject, Schema(SCHEMA, "AVRO")).version == 1
    with pytest.raises(SchemaRegistryError) as missing:
        client.get_version(subject, 9)
    assert missing.value.error_code == 40402


def test_registry_ids_are_stable_across_a_restart(
    schema_registry_url: str, stack_control: StackControl
) -> None:
    """A schema keeps its id after the registry restarts, and re-registering returns it."""
    subject = f"probe-{uuid.uuid4().hex}-value"
    schema = _evolve({"name": f"f_{uuid.uuid4().hex}", "type": "string", "default": ""})
    with SchemaRegistryClient({"url": schema_registry_url}) as before:
        schema_id = before.register_schema(subject, Schema(schema, "AVRO"))
    stack_control.stop_registry()
    stack_control.start_registry()
    with SchemaRegistryClient({"url": schema_registry_url}) as client:
        assert json.loads(client.get_schema(schema_id).schema_str or "") == json.loads(schema)
        assert client.register_schema(subject, Schema(schema, "AVRO")) == schema_id
        assert client.get_latest_version(subject).schema_id == schema_id
