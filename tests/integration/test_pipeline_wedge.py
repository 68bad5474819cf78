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
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import urlparse

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


class SilentRegistry:
    """A TCP front of the schema registry: while ``hang`` is set it accepts connections and never
    answers; otherwise it forwards them to the real registry."""

    def __init__(self, registry_url: str) -> None:
        target = urlparse(registry_url)
        self._target = (target.hostname or "localhost", target.port or 80)
        self.hang = threading.Event()
        self.hang.set()
        self.held = 0
        self._server = socket.create_server(("127.0.0.1", 0), backlog=64)
        self._open: list[socket.socket] = []
        self._stop = threading.Event()
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            self._open.append(conn)
            if self.hang.is_set():
                self.held += 1  # read, never answered
                continue
            upstream = socket.create_connection(self._target)
            self._open.append(upstream)
            for a, b in ((conn, upstream), (upstream, conn)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        with suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self._stop.set()
        self._server.close()
        for conn in self._open:
            with suppress(OSError):
                conn.close()


@contextmanager
def silent_registry(registry_url: str) -> Iterator[SilentRegistry]:
    """A :class:`SilentRegistry` for the duration of the block."""
    front = SilentRegistry(registry_url)
    try:
        yield front
    finally:
        front.close()


def test_a_registry_that_never_answers_does_not_hold_the_poll_loop(
    kafka_bootstrap: str, schema_registry_url: str, make_topic: Callable[..., str], sandbox: Any
) -> None:
    """14.6: records of 12 partitions whose schema is not cached while the registry accepts
    connections and never answers: the poll loop keeps turning (worst gap between loop turns
    under 1 s, where each blocking fetch took the 2 s registry timeout), the partitions wait
    paused, and once the registry answers they are delivered and committed to their ends."""
    topic = make_topic(partitions=12)
    produce_to_partitions(kafka_bootstrap, schema_registry_url, topic, 12, 2, 0)
    every = {(topic, p) for p in range(12)}
    with silent_registry(schema_registry_url) as front:
        settings = pipeline_settings(
            kafka_bootstrap,
            front.url,
            sandbox,
            topic,
            schema_registry_timeout_s=2.0,
            metrics_port=0,
        )
        pipeline = Pipeline.from_settings(settings, send=SwitchableApi())
        worst = 0.0
        with running(pipeline) as (stop, result):
            wait_for(lambda: assigned(pipeline) == every, 60, "all 12 partitions assigned")
            until = time.monotonic() + 8.0
            waiting: set[tuple[str, int]] = set()
            while time.monotonic() < until:
                beat = pipeline.health.heartbeat
                if beat is not None:
                    worst = max(worst, time.monotonic() - beat)
                waiting |= set(pipeline.engine.awaiting)
                time.sleep(0.02)
            assert pipeline.metrics.totals()["delivered"] == 0
            assert front.held >= 1
            front.hang.clear()
            ends = high_watermarks(kafka_bootstrap, topic, 12)
            wait_for(
                lambda: committed(kafka_bootstrap, settings.kafka_group_id, topic, 12) == ends,
                90,
                "every partition committed to its end once the registry answers",
            )
            stopped_at = time.monotonic()
            stop.set()
            wait_for(lambda: bool(result), 30, "the pipeline stopped")
            shutdown_s = time.monotonic() - stopped_at
    print(f"worst gap between loop turns: {worst:.3f} s; shutdown {shutdown_s:.1f} s")
    assert worst < 1.0
    assert waiting == every
    assert result == [0]
    assert pipeline.metrics.totals()["dead_lettered"] == 0


def test_shutdown_with_a_mutation_that_never_returns_keeps_its_deadline(
    kafka_bootstrap: str, schema_registry_url: str, make_topic: Callable[..., str], sandbox: Any
) -> None:
    """14.14: stopped while a mutation hangs, the pipeline gives up at the drain deadline and
    the revoke that closing the consumer causes does not start a fresh drain_timeout_s: the whole
    shutdown ends within the deadline plus the consumer's close (exit 5)."""
    topic = make_topic(partitions=2)
    produce_to_partitions(kafka_bootstrap, schema_registry_url, topic, 2, 5, 0)
    settings = pipeline_settings(
        kafka_bootstrap, schema_registry_url, sandbox, topic, drain_timeout_s=4
    )
    release = threading.Event()
    started = threading.Event()

    def hanging_send(literals: Sequence[str]) -> list[str]:
        started.set()
        release.wait(60)
        return [f"id-{i}" for i in range(len(literals))]

    pipeline = Pipeline.from_settings(settings, send=hanging_send)
    try:
        with running(pipeline) as (stop, result):
            wait_for(started.is_set, 60, "a mutation in flight")
            stopped_at = time.monotonic()
            stop.set()
            wait_for(lambda: bool(result), 60, "the pipeline stopped")
            shutdown_s = time.monotonic() - stopped_at
    finally:
        release.set()
    print(f"shutdown took {shutdown_s:.1f} s with drain_timeout_s=4")
    assert result == [5]
    assert shutdown_s < settings.drain_timeout_s + 2.0


def test_the_offsets_thread_does_not_hold_the_poll_loops_consumer(
    kafka_bootstrap: str, schema_registry_url: str, make_topic: Callable[..., str], sandbox: Any
) -> None:
    """While the offsets thread reads committed offsets and watermarks without pause, the poll
    loop's own consumer calls wait for none of its round trips (confluent-kafka 2.16 lets one
    thread at a time into a Consumer: on a shared client each loop call waited one out)."""
    topic = make_topic(partitions=12)
    settings = pipeline_settings(kafka_bootstrap, schema_registry_url, sandbox, topic)
    pipeline = Pipeline.from_settings(settings, send=SwitchableApi())
    every = [(topic, p) for p in range(12)]
    pipeline.broker.start()
    calls, waited = 0, 0.0
    until = time.monotonic() + 3.0
    while time.monotonic() < until:
        pipeline.broker.ask(committed=every, watermarks=every)  # keep the thread reading
        began = time.monotonic()
        pipeline.consumer.consume(num_messages=1, timeout=0)
        waited += time.monotonic() - began
        calls += 1
        time.sleep(0.005)
    read = set(pipeline.broker.watermarks())
    stop = threading.Event()
    stop.set()
    assert pipeline.run(stop) == 0
    print(f"{calls} consume(timeout=0) calls waited {waited:.3f} s in all over 3 s")
    assert read == set(every)
    assert waited < 0.3
