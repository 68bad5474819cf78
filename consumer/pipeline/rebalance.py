"""Rebalance callbacks (cooperative-sticky: each call names only the partitions that move).

- assigned: start tracking them; one that left while paused is resumed first (librdkafka
  keeps the pause flag across unassign and assign, librdkafka#1849), then paused again when
  a stop (refused key or query), backpressure or drain is active;
- revoked: finish their in-flight work within ``drain_timeout_s`` (within the drain deadline
  at shutdown: :attr:`RebalanceHandler.deadline`), commit what is finished (synchronously),
  forget the rest - it is redelivered to the new owner;
- lost: forget them without committing (another member may already own them).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from consumer.logs import get_logger
from consumer.pipeline.engine import Engine
from consumer.pipeline.offsets import TopicPartitionKey
from consumer.types import AssigningConsumer, TopicPartition

if TYPE_CHECKING:
    from confluent_kafka import TopicPartition as KafkaTopicPartition

__all__ = ["RebalanceHandler", "keys"]

#: Commits the positions synchronously; True when the broker took every one.
CommitFn = Callable[[dict[TopicPartitionKey, int]], bool]


def keys(partitions: Iterable[TopicPartition]) -> set[TopicPartitionKey]:
    """``TopicPartition`` objects -> ``(topic, partition)`` keys."""
    return {(tp.topic, tp.partition) for tp in partitions}


def _unassign(consumer: AssigningConsumer, partitions: list[KafkaTopicPartition]) -> None:
    from confluent_kafka import KafkaException

    if not partitions:
        return
    try:
        consumer.incremental_unassign(partitions)
    except KafkaException:  # the EAGER protocol (or closing): drop the whole assignment
        try:
            consumer.unassign()
        except KafkaException as exc:
            get_logger("rebalance").debug("unassign_skipped", error=str(exc))


def _assign(consumer: AssigningConsumer, partitions: list[KafkaTopicPartition]) -> None:
    from confluent_kafka import KafkaException

    try:
        consumer.incremental_assign(partitions)
    except KafkaException:  # the EAGER protocol
        consumer.assign(partitions)


class RebalanceHandler:
    """``on_assign`` / ``on_revoke`` / ``on_lost`` for ``Consumer.subscribe``."""

    def __init__(self, engine: Engine, commit_sync: CommitFn, drain_timeout_s: float) -> None:
        self._engine = engine
        self._commit_sync = commit_sync
        self._drain_timeout_s = drain_timeout_s
        self._log = get_logger("rebalance")
        self.generations = 0
        #: no revoke settles past this monotonic time (set at shutdown: the drain deadline)
        self.deadline: float | None = None
        #: monotonic time of the last assignment change (``--until-idle`` waits for calm)
        self.last_change = time.monotonic()
        #: told the number of assigned partitions after every change (the group rate share)
        self.on_change: Callable[[int], None] | None = None

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(len(self._engine.assigned))

    def on_assign(self, consumer: AssigningConsumer, partitions: list[KafkaTopicPartition]) -> None:
        """Take the new partitions (assigning them first, so they can be paused)."""
        self.generations += 1
        self.last_change = time.monotonic()
        if partitions:
            _assign(consumer, partitions)
        self._engine.on_assign(keys(partitions))
        self._log.info(
            "partitions_assigned",
            partitions=sorted(f"{t}[{p}]" for t, p in keys(partitions)),
            total=len(self._engine.assigned),
        )
        self._changed()

    def on_revoke(self, consumer: AssigningConsumer, partitions: list[KafkaTopicPartition]) -> None:
        """Settle, commit and forget the revoked partitions."""
        self.last_change = time.monotonic()
        revoked = keys(partitions) & self._engine.assigned
        if revoked:
            deadline = time.monotonic() + self._drain_timeout_s
            if self.deadline is not None:
                deadline = min(deadline, self.deadline)
            positions = self._engine.settle(revoked, deadline)
            self._commit_sync(positions)
            self._engine.forget(revoked)
        self._log.info("partitions_revoked", partitions=sorted(f"{t}[{p}]" for t, p in revoked))
        _unassign(consumer, partitions)
        self._changed()

    def on_lost(self, consumer: AssigningConsumer, partitions: list[KafkaTopicPartition]) -> None:
        """Forget lost partitions without committing."""
        lost = keys(partitions)
        self._engine.forget(lost)
        self._log.warning("partitions_lost", partitions=sorted(f"{t}[{p}]" for t, p in lost))
        _unassign(consumer, partitions)
        self._changed()
