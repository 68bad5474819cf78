"""The poll loop on a fake consumer: idle stop, the commits it asks for, drain deadline.

No broker here: what Kafka does with the commits is tested in tests/integration.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from confluent_kafka import TopicPartition

from consumer.errors import ApiQueryRejected, ApiThrottled, ExitCode
from consumer.pipeline import Pipeline
from consumer.pipeline.loop import Parts

from .fakes import FakeMessage, FakeProducer, ScriptedSender, settings, translate_literal


class Msg(FakeMessage):
    def error(self) -> None:
        return None


class FakeConsumer:
    """An in-memory consumer: one member owning every partition of one topic."""

    def __init__(self, topic: str, per_partition: dict[int, list[bytes]]) -> None:
        self.topic = topic
        self.logs = per_partition
        self.positions = dict.fromkeys(per_partition, 0)
        self.paused: set[int] = set()
        self.commits: dict[int, int] = {}
        self.callbacks: dict[str, Any] = {}
        self.assigned = False
        self.closed = False

    def subscribe(self, topics: list[str], **callbacks: Any) -> None:
        self.callbacks = callbacks

    def incremental_assign(self, partitions: list[TopicPartition]) -> None:
        return None

    def incremental_unassign(self, partitions: list[TopicPartition]) -> None:
        return None

    def assign(self, partitions: list[TopicPartition]) -> None:
        return None

    def unassign(self) -> None:
        return None

    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[Msg]:
        if not self.assigned:
            self.assigned = True
            parts = [TopicPartition(self.topic, p) for p in self.logs]
            self.callbacks["on_assign"](self, parts)
        out: list[Msg] = []
        for p, values in self.logs.items():
            while p not in self.paused and self.positions[p] < len(values):
                offset = self.positions[p]
                out.append(Msg(self.topic, p, offset, values[offset]))
                self.positions[p] += 1
        if not out:
            time.sleep(min(timeout, 0.01))
        return out

    def pause(self, parts: list[TopicPartition]) -> None:
        self.paused |= {tp.partition for tp in parts}

    def resume(self, parts: list[TopicPartition]) -> None:
        self.paused -= {tp.partition for tp in parts}

    def seek(self, tp: TopicPartition) -> None:
        self.positions[tp.partition] = tp.offset

    def commit(self, offsets: list[TopicPartition], asynchronous: bool = True) -> None:
        for tp in offsets:
            self.commits[tp.partition] = tp.offset

    def get_watermark_offsets(
        self, tp: TopicPartition, timeout: float = 1, cached: bool = False
    ) -> tuple[int, int]:
        return 0, len(self.logs[tp.partition])

    def committed(self, parts: list[TopicPartition], timeout: float = 1) -> list[TopicPartition]:
        return [
            TopicPartition(tp.topic, tp.partition, self.commits.get(tp.partition, -1001))
            for tp in parts
        ]

    def close(self) -> None:
        self.closed = True


def _pipeline(consumer: FakeConsumer, producer: FakeProducer, send: Any, **over: Any) -> Pipeline:
    parts = Parts(
        consumer=consumer,
        producer=producer,
        translate=translate_literal,
        send=send,
        encode=lambda obj: str(obj["identifiableAttributes"]),
        delay=lambda attempt, retry_after: 0.05,
    )
    return Pipeline(settings(**over), parts, until_idle_s=over.pop("idle", 0.3))


def test_until_idle_stops_after_everything_is_committed() -> None:
    """Good and bad events of two partitions end delivered or dead-lettered; the loop asks the fake
    consumer to commit past all of them (the real broker: tests/integration/test_pipeline.py)."""
    consumer = FakeConsumer("t", {0: [b"v"] * 12, 1: [b"v", b"bad", b"v"]})
    producer = FakeProducer()
    sender = ScriptedSender()
    pipeline = _pipeline(consumer, producer, sender)
    code = pipeline.run(threading.Event())
    assert code == ExitCode.OK
    assert consumer.commits == {0: 12, 1: 3}
    assert len(producer.records) == 1
    assert sum(len(c) for c in sender.calls) == 14
    assert consumer.closed


def test_drain_deadline_exits_5_and_commits_only_finished() -> None:
    """When a batch cannot be delivered before the drain deadline the exit code is 5."""
    calls = {"n": 0}

    def send(literals: Sequence[str]) -> list[str]:
        calls["n"] += 1
        if calls["n"] > 1:
            raise ApiThrottled("busy", retry_after_s=0.05)
        return ["id"] * len(literals)

    consumer = FakeConsumer("t", {0: [b"v"] * 3})
    pipeline = _pipeline(consumer, FakeProducer(), send, drain_timeout_s=0.5, batch_max_signals=2)
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    code = pipeline.run(stop)
    assert code == ExitCode.DRAIN_TIMEOUT
    assert consumer.commits == {0: 2}


def test_a_shutdown_while_the_query_is_refused_leaves_without_waiting_out_the_drain() -> None:
    """Stopped for a refused query, a shutdown leaves at once with exit code 1 (nothing could
    finish, like a refused key), not at the drain deadline with 5; nothing is committed."""
    stop = threading.Event()

    def send(literals: Sequence[str]) -> list[str]:
        stop.set()
        raise ApiQueryRejected(
            "the API refused the mutation itself", api_code="GRAPHQL_PARSE_FAILED"
        )

    consumer = FakeConsumer("t", {0: [b"v"]})
    producer = FakeProducer()
    pipeline = _pipeline(consumer, producer, send, drain_timeout_s=3)
    code = pipeline.run(stop)
    assert code == ExitCode.ERROR
    assert consumer.commits == {}
    assert producer.records == []
