"""No wedge on the real broker: partitions paused across a rebalance, a registry that never
answers, commits the broker refuses, a shutdown with work that cannot finish.

Each test names the issue-14 finding it guards; the engine-level cases are in
tests/unit/pipeline/test_engine_wedge.py.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest
from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from consumer.errors import ApiThrottled
from consumer.pipeline import Pipeline
from tests.integration.test_pipeline import (
    SCHEMA,
    cart_event,
    committed,
    high_watermarks,
    pipeline_settings,
    running,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def wait_for(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll ``predicate`` until true (fails the test naming ``what`` on timeout)."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"not reached within {timeout_s} s: {what}"
        time.sleep(0.1)


def produce_to_partitions(
    bootstrap: str, registry_url: str, topic: str, partitions: int, per_partition: int, start: int
) -> None:
    """``per_partition`` valid events into every partition (explicit partitions, not keys)."""
    with SchemaRegistryClient({"url": registry_url}) as registry:
        serialize = AvroSerializer(registry, SCHEMA)
        ctx = SerializationContext(topic, MessageField.VALUE)
        producer = Producer({"bootstrap.servers": bootstrap})
        n = start
        for p in range(partitions):
            for _ in range(per_partition):
                producer.produce(topic, partition=p, value=serialize(cart_event(n), ctx))
                n += 1
        assert producer.flush(30) == 0


def assigned(pipeline: Pipeline) -> set[tuple[str, int]]:
    """The partitions the pipeline's engine holds (empty before it is built)."""
    engine = getattr(pipeline, "engine", None)
    return set(engine.assigned) if engine is not None else set()


def paused(pipeline: Pipeline) -> set[tuple[str, int]]:
    """The partitions the pipeline's engine holds paused (empty before it is built)."""
    engine = getattr(pipeline, "engine", None)
    return engine.pauses.paused() if engine is not None else set()


class SwitchableApi:
    """A send function standing in for the Connect API: 429 while ``throttle`` is set."""

    def __init__(self) -> None:
        self.throttle = threading.Event()
        self.accepted = 0
        self._lock = threading.Lock()

    def __call__(self, literals: Sequence[str]) -> list[str]:
        if self.throttle.is_set():
            raise ApiThrottled("HTTP 429", retry_after_s=0.5)
        with self._lock:
            self.accepted += len(literals)
        return [f"id-{i}" for i in range(len(literals))]


def test_partitions_revoked_while_paused_are_consumed_when_they_come_back(
    kafka_bootstrap: str, schema_registry_url: str, make_topic: Callable[..., str], sandbox: Any
) -> None:
    """14.1: member A pauses its partitions for a throttled batch; B joins (taking some of them)
    and leaves; the partitions that came back to A are fetched again and committed to the end."""
    topic = make_topic(partitions=4)
    produce_to_partitions(kafka_bootstrap, schema_registry_url, topic, 4, 10, 0)
    settings = pipeline_settings(kafka_bootstrap, schema_registry_url, sandbox, topic)
    all_four = {(topic, p) for p in range(4)}
    api_a = SwitchableApi()
    api_a.throttle.set()
    first = Pipeline.from_settings(settings, send=api_a)
    second = Pipeline.from_settings(settings, send=SwitchableApi())
    with running(first) as (_stop_a, result_a):
        wait_for(lambda: paused(first) == all_four, 60, "A paused for its retry")
        with running(second) as (_stop_b, result_b):
            wait_for(lambda: len(assigned(first)) == 2, 60, "B took two partitions")
            moved = all_four - assigned(first)
            wait_for(
                lambda: all(
                    committed(kafka_bootstrap, settings.kafka_group_id, topic, 4)[p] == 10
                    for _t, p in moved
                ),
                60,
                "B committed what it took",
            )
        assert result_b == [0]
        wait_for(lambda: assigned(first) == all_four, 60, "the moved partitions came back")
        api_a.throttle.clear()
        produce_to_partitions(kafka_bootstrap, schema_registry_url, topic, 4, 10, 1000)
        ends = high_watermarks(kafka_bootstrap, topic, 4)
        wait_for(
            lambda: committed(kafka_bootstrap, settings.kafka_group_id, topic, 4) == ends,
            60,
            "every partition committed to its end",
        )
    assert result_a == [0]
    assert api_a.accepted >= 20 + 40  # A's own first 20 (after the throttle) and all 40 new ones
