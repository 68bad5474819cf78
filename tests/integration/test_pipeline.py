"""The pipeline against the real broker, schema registry and sandbox (in-process runs)."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from consumer.config import Settings
from consumer.pipeline import Pipeline
from consumer.signals.model import Signal
from consumer.types import KafkaMessage
from tests.fixtures.sandbox import free_port

pytestmark = pytest.mark.integration

SCHEMA = (Path(__file__).resolve().parents[2] / "schemas" / "add_to_cart_event.avsc").read_text()


def cart_event(n: int, **over: Any) -> dict[str, Any]:
    """A valid AddToCartEvent number ``n`` (contact by contact key)."""
    event: dict[str, Any] = {
        "eventId": f"evt-{n}",
        "eventTime": 1_750_000_000_000 + n,
        "contactKey": f"contact-{n % 5}",
        "currency": "EUR",
        "productId": f"SKU-{n}",
        "productName": "Trail Shoe",
        "itemQuantity": 1,
        "unitPrice": 89.5,
    }
    event.update(over)
    return event


def produce_events(
    bootstrap: str, registry_url: str, topic: str, events: list[dict[str, Any]]
) -> None:
    """Produce Avro events keyed by their identity."""
    with SchemaRegistryClient({"url": registry_url}) as registry:
        serialize = AvroSerializer(registry, SCHEMA)
        ctx = SerializationContext(topic, MessageField.VALUE)
        producer = Producer({"bootstrap.servers": bootstrap})
        for event in events:
            key = str(event.get("contactKey") or event.get("email")).encode()
            producer.produce(topic, key=key, value=serialize(event, ctx))
        assert producer.flush(30) == 0


def produce_raw(bootstrap: str, topic: str, **kwargs: Any) -> None:
    """Produce one raw record."""
    producer = Producer({"bootstrap.servers": bootstrap})
    producer.produce(topic, **kwargs)
    assert producer.flush(30) == 0


def pipeline_settings(
    bootstrap: str, registry_url: str, sandbox: Any, topic: str, **over: Any
) -> Settings:
    """Settings for one test: its own group and DLQ topic, the sandbox as the API."""
    base: dict[str, Any] = {
        "kafka_bootstrap_servers": bootstrap,
        "schema_registry_url": registry_url,
        "topics": [topic],
        "dlq_topic": f"{topic}.dlq",
        "kafka_group_id": f"g-{topic}",
        "connect_url": sandbox.url,
        "connect_api_key": sandbox.api_key,
        "default_app_key": sandbox.app_key,
        "metrics_port": 0,
        "linger_ms": 50,
        "retry_initial_backoff_ms": 100,
        "retry_max_backoff_ms": 1000,
        "drain_timeout_s": 15,
    }
    base.update(over)
    return Settings(**base)


@contextmanager
def running(pipeline: Pipeline) -> Iterator[tuple[threading.Event, list[int]]]:
    """Run ``pipeline`` in a thread; yields its stop event and (later) its exit code."""
    stop = threading.Event()
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(pipeline.run(stop)), daemon=True)
    thread.start()
    try:
        yield stop, result
    finally:
        stop.set()
        thread.join(60)
        assert not thread.is_alive()


def run_until_idle(settings: Settings, idle_s: float = 2.0, **kwargs: Any) -> Pipeline:
    """Run a pipeline in-process with ``--until-idle``; asserts exit code 0."""
    pipeline = Pipeline.from_settings(settings, until_idle_s=idle_s, **kwargs)
    with running(pipeline) as (_stop, result):
        deadline = time.monotonic() + 90
        while not result and time.monotonic() < deadline:
            time.sleep(0.1)
    assert result == [0]
    return pipeline


def run_with_bad_email_at(settings: Settings, offset: int) -> Pipeline:
    """:func:`run_until_idle` with the signal of ``offset`` given an e-mail address the API
    refuses (it slips past local validation, which has already run)."""
    from consumer.translate import Translator

    translator = Translator(settings)
    real = translator.translate

    def translate(msg: KafkaMessage) -> Signal:
        signal = real(msg)
        if msg.offset() == offset:
            return Signal(signal.app_key, "email", "not-an-email", signal.content)
        return signal

    try:
        return run_until_idle(settings, translate=translate)
    finally:
        translator.close()


def committed(
    bootstrap: str, group: str, topic: str, partitions: int, *, raw: bool = False
) -> dict[int, int]:
    """Committed offsets of ``group`` per partition (none: negative if ``raw``, else 0)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        parts = consumer.committed([TopicPartition(topic, p) for p in range(partitions)], 10)
        return {tp.partition: tp.offset if raw else max(tp.offset, 0) for tp in parts}
    finally:
        consumer.close()


def high_watermarks(bootstrap: str, topic: str, partitions: int) -> dict[int, int]:
    """End offsets per partition."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "hw-reader"})
    try:
        return {
            p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in range(partitions)
        }
    finally:
        consumer.close()


def read_all(bootstrap: str, topic: str, idle_s: float = 3.0) -> list[Any]:
    """Every record of ``topic`` (waits until nothing new came for ``idle_s``)."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"reader-{time.time_ns()}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    out: list[Any] = []
    until = time.monotonic() + max(idle_s, 8.0)
    while time.monotonic() < until:
        msg = consumer.poll(0.3)
        if msg is not None and msg.error() is None:
            out.append(msg)
            until = time.monotonic() + idle_s
    consumer.close()
    return out


def http_get(port: int, path: str) -> tuple[int, bytes]:
    """GET on the pipeline's operations port."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_happy_path_delivers_and_commits_every_partition(
    kafka_bootstrap: str, schema_registry_url: str, make_topic: Callable[..., str], sandbox: Any
) -> None:
    """Events across 3 partitions are all delivered and committed up to the end offsets."""
    topic = make_topic(partitions=3)
    produce_events(kafka_bootstrap, schema_registry_url, topic, [cart_event(n) for n in range(60)])
    settings = pipeline_settings(kafka_bootstrap, schema_registry_url, sandbox, topic)
    pipeline = run_until_idle(settings)
    totals = pipeline.metrics.totals()
    assert totals["delivered"] == 60
    assert totals["dead_lettered"] == 0
    assert committed(kafka_bootstrap, settings.kafka_group_id, topic, 3) == high_watermarks(
        kafka_bootstrap, topic, 3
    )


def test_dead_letter_record_keeps_original_bytes_and_is_committed(
    kafka_bootstrap: str, schema_registry_url: str, make_topic: Callable[..., str], sandbox: Any
) -> None:
    """An undecodable record lands in the DLQ byte for byte with reason headers, then commits."""
    topic = make_topic(partitions=1)
    original_headers = [("trace", b"\x00\xffabc"), ("empty", b"")]
    produce_raw(
        kafka_bootstrap,
        topic,
        key=b"\x01key",
        value=b"not avro at all",
        headers=original_headers,
        timestamp=1_700_000_000_123,
    )
    produce_events(kafka_bootstrap, schema_registry_url, topic, [cart_event(1)])
    settings = pipeline_settings(kafka_bootstrap, schema_registry_url, sandbox, topic)
    pipeline = run_until_idle(settings)
    assert pipeline.metrics.totals()["delivered"] == 1
    records = read_all(kafka_bootstrap, settings.dlq_topic)
    assert len(records) == 1
    record = records[0]
    assert record.key() == b"\x01key"
    assert record.value() == b"not avro at all"
    assert record.timestamp()[1] > 1_700_000_000_123  # written now (DLQ retention counts from it)
    assert dict(record.headers())["signals.source.timestamp.ms"] == b"1700000000123"
    headers = record.headers()
    assert headers[:2] == original_headers
    named = dict(headers[2:])
    assert named["signals.error.code"] == b"undecodable"
    assert named["__connect.errors.topic"] == topic.encode()
    assert named["__connect.errors.offset"] == b"0"
    assert committed(kafka_bootstrap, settings.kafka_group_id, topic, 1) == {0: 2}


def test_api_rejected_signal_is_isolated(
    kafka_bootstrap: str, schema_registry_url: str, make_topic: Callable[..., str], sandbox: Any
) -> None:
    """One signal the API rejects is dead-lettered alone; the rest of its batch is delivered."""
    topic = make_topic(partitions=1)
    produce_events(kafka_bootstrap, schema_registry_url, topic, [cart_event(n) for n in range(20)])
    settings = pipeline_settings(kafka_bootstrap, schema_registry_url, sandbox, topic)
    pipeline = run_with_bad_email_at(settings, 7)
    totals = pipeline.metrics.totals()
    assert totals["delivered"] == 19
    assert totals["dead_lettered_by_reason"] == {"rejected_by_api": 1}
    records = read_all(kafka_bootstrap, settings.dlq_topic)
    assert [dict(r.headers())["__connect.errors.offset"] for r in records] == [b"7"]
    assert dict(records[0].headers()).get("signals.api.error")
    assert committed(kafka_bootstrap, settings.kafka_group_id, topic, 1) == {0: 20}


def test_refused_api_key_commits_nothing_and_is_not_ready(
    kafka_bootstrap: str, schema_registry_url: str, make_topic: Callable[..., str], sandbox: Any
) -> None:
    """With a wrong key nothing is committed or dead-lettered and /readyz answers 503."""
    topic = make_topic(partitions=2)
    produce_events(kafka_bootstrap, schema_registry_url, topic, [cart_event(n) for n in range(10)])
    settings = pipeline_settings(
        kafka_bootstrap,
        schema_registry_url,
        sandbox,
        topic,
        connect_api_key="wrong-key",
        metrics_port=free_port(),
    )
    pipeline = Pipeline.from_settings(settings)
    with running(pipeline) as (stop, result):
        deadline = time.monotonic() + 60
        status, body = 0, b""
        while time.monotonic() < deadline:
            if pipeline.health_port:
                status, body = http_get(pipeline.health_port, "/readyz")
                if json.loads(body or b"{}").get("reason") == "api_key_refused":
                    break
            time.sleep(0.2)
        assert status == 503
        assert json.loads(body)["reason"] == "api_key_refused"
        stop.set()
    assert result == [4]
    assert all(
        o < 0
        for o in committed(kafka_bootstrap, settings.kafka_group_id, topic, 2, raw=True).values()
    )
    assert pipeline.metrics.totals()["dead_lettered"] == 0
    assert read_all(kafka_bootstrap, settings.dlq_topic, idle_s=1.0) == []
