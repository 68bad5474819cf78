"""The poll loop on a fake consumer: commit results checked per partition, and a shutdown that
keeps its deadline through the revoke that closing the consumer causes.

No broker here: tests/integration/test_pipeline_wedge.py runs the same against Kafka.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaError, TopicPartition

from consumer.errors import ApiThrottled, ExitCode
from consumer.pipeline.offsets import TopicPartitionKey

from .fakes import FakeProducer, ScriptedSender
from .test_loop import FakeConsumer, _pipeline

A, B = ("t", 0), ("t", 1)


@dataclass
class Result:
    """One partition of a commit's answer (confluent-kafka's TopicPartition cannot be built with
    an error)."""

    topic: str
    partition: int
    offset: int
    error: KafkaError | None = None


class RefusingConsumer(FakeConsumer):
    """Refuses the commits of the partitions in ``refuse`` (per partition, like the broker);
    asynchronous answers reach ``on_commit`` during the next consume, as in librdkafka."""

    def __init__(self, topic: str, per_partition: dict[int, list[bytes]]) -> None:
        super().__init__(topic, per_partition)
        self.refuse: set[int] = set()
        self.on_commit: Callable[[KafkaError | None, list[Result]], None] | None = None
        self._answers: list[list[Result]] = []

    def commit(self, offsets: list[TopicPartition], asynchronous: bool = True) -> Any:
        out: list[Result] = []
        for tp in offsets:
            if tp.partition in self.refuse:
                error = KafkaError(KafkaError.REBALANCE_IN_PROGRESS)
                out.append(Result(tp.topic, tp.partition, tp.offset, error))
            else:
                self.commits[tp.partition] = tp.offset
                out.append(Result(tp.topic, tp.partition, tp.offset))
        if asynchronous:
            self._answers.append(out)
            return None
        return out

    def consume(self, num_messages: int = 1, timeout: float = -1) -> Any:
        answers, self._answers = self._answers, []
        for answer in answers:
            if self.on_commit is not None:
                self.on_commit(None, answer)
        return super().consume(num_messages, timeout)


def finished(pipeline: Any, tp: TopicPartitionKey, count: int) -> None:
    """Track and finish ``count`` offsets of ``tp`` in the pipeline's tracker."""
    tracker = pipeline.engine.tracker
    for offset in range(count):
        epoch = tracker.track(tp, offset)
    for offset in range(count):
        tracker.finish(tp, offset, epoch)


def test_a_partition_refused_by_a_sync_commit_stays_to_commit() -> None:
    """The synchronous commit's per-partition errors are checked: a refused position is not
    recorded as committed, the accepted one is."""
    consumer = RefusingConsumer("t", {0: [], 1: []})
    consumer.refuse = {1}
    pipeline = _pipeline(consumer, FakeProducer(), ScriptedSender())
    finished(pipeline, A, 5)
    finished(pipeline, B, 3)
    pipeline._commit_sync({A: 5, B: 3})
    assert consumer.commits == {0: 5}
    assert pipeline.engine.tracker.commit_positions() == {B: 3}


def test_a_partition_refused_in_an_async_commit_result_is_committed_again() -> None:
    """An asynchronous commit answered with a per-partition error (and no overall error) puts that
    partition's position back to be committed at the next interval."""
    consumer = RefusingConsumer("t", {0: [], 1: []})
    pipeline = _pipeline(consumer, FakeProducer(), ScriptedSender())
    finished(pipeline, A, 5)
    finished(pipeline, B, 3)
    pipeline._commit_async()
    assert pipeline.engine.tracker.commit_positions() == {}
    error = KafkaError(KafkaError.REBALANCE_IN_PROGRESS)
    pipeline._on_commit(None, [Result("t", 0, 5), Result("t", 1, 3, error)])
    assert pipeline.engine.tracker.commit_positions() == {B: 3}


def test_a_final_commit_refused_is_not_a_clean_exit() -> None:
    """When the broker refuses the final commit of finished work, the exit code is not 0 (which
    promises that everything finished was committed)."""
    consumer = RefusingConsumer("t", {0: [b"v"] * 3, 1: [b"v"] * 2})
    consumer.refuse = {1}
    pipeline = _pipeline(consumer, FakeProducer(), ScriptedSender())
    consumer.on_commit = pipeline._on_commit
    code = pipeline.run(threading.Event())
    assert code != ExitCode.OK
    assert consumer.commits == {0: 3}


class ClosingConsumer(FakeConsumer):
    """close() revokes every partition first, as librdkafka does when it leaves the group."""

    def __init__(self, topic: str, per_partition: dict[int, list[bytes]]) -> None:
        super().__init__(topic, per_partition)
        self.closed_at: float | None = None

    def close(self) -> None:
        self.closed_at = time.monotonic()
        parts = [TopicPartition(self.topic, p) for p in self.logs]
        self.callbacks["on_revoke"](self, parts)
        super().close()

    def incremental_unassign(self, partitions: list[TopicPartition]) -> None:
        return None


class RefusingUntilClose(RefusingConsumer):
    """Refuses every commit while the group rebalances (REBALANCE_IN_PROGRESS), then takes the
    commit of the revoke that closing the consumer causes, as the broker does once it settles."""

    def close(self) -> None:
        self.refuse = set()
        self.callbacks["on_revoke"](self, [TopicPartition(self.topic, p) for p in self.logs])
        super().close()

    def incremental_unassign(self, partitions: list[TopicPartition]) -> None:
        return None


def test_a_final_commit_taken_by_the_close_time_revoke_is_a_clean_exit() -> None:
    """A final commit refused during a rebalance but taken by the revoke that closing the
    consumer causes leaves nothing uncommitted: the exit code is 0 (it was 1 before)."""
    consumer = RefusingUntilClose("t", {0: [b"v"] * 3})
    consumer.refuse = {0}
    pipeline = _pipeline(consumer, FakeProducer(), ScriptedSender(), idle=None)
    consumer.on_commit = pipeline._on_commit
    stop = threading.Event()
    threading.Timer(1.0, stop.set).start()
    code = pipeline.run(stop)
    assert consumer.commits == {0: 3}
    assert code == ExitCode.OK


def test_the_revoke_while_closing_keeps_the_drain_deadline() -> None:
    """After the drain deadline passed, the revoke that closing the consumer causes settles until
    that deadline (already passed), not for a fresh drain_timeout_s."""

    def send(literals: Sequence[str]) -> list[str]:
        raise ApiThrottled("busy", retry_after_s=0.05)

    consumer = ClosingConsumer("t", {0: [b"v"] * 3})
    pipeline = _pipeline(consumer, FakeProducer(), send, drain_timeout_s=0.3)
    deadlines: list[float] = []
    settle = pipeline.engine.settle

    def spy(tps: set[TopicPartitionKey], deadline: float) -> dict[TopicPartitionKey, int]:
        deadlines.append(deadline)
        return settle(tps, deadline)

    pipeline.engine.settle = spy  # type: ignore[method-assign]
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    code = pipeline.run(stop)
    assert code == ExitCode.DRAIN_TIMEOUT
    assert consumer.closed_at is not None
    assert deadlines
    assert all(d <= consumer.closed_at for d in deadlines)
