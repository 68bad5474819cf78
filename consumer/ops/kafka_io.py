"""Kafka plumbing of the operations commands: a group-less reader of offset ranges and lookups.

The reader uses ``assign()`` - never ``subscribe()`` - with a throwaway, never-committed group
id (``<SIGNALS_KAFKA_GROUP_ID>.<purpose>.<random>``): it joins no group, triggers no rebalance
of the live consumers, and neither reads nor writes any group's committed offsets.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

from consumer.config import Settings
from consumer.errors import OperationRefused
from consumer.kafka_config import consumer_config
from consumer.logs import get_logger
from consumer.ops.ranges import PartitionRange, Watermarks
from consumer.types import KafkaMessage, OpsConsumer, RangeConsumer

__all__ = [
    "RangeReader",
    "offsets_for_time",
    "ops_consumer",
    "refusing",
    "topic_partitions",
    "watermarks",
]

TIMEOUT_S = 15.0
#: how long a range read waits per poll, and without records before it warns
POLL_TIMEOUT_S, STALL_WARN_S = 0.5, 30.0

TP = tuple[str, int]


def ops_consumer(settings: Settings, purpose: str) -> OpsConsumer:
    """A consumer for ``assign()`` only: own random group id, nothing ever committed."""
    from confluent_kafka import Consumer

    group = f"{settings.kafka_group_id}.{purpose}.{uuid.uuid4().hex[:8]}"
    extra = {"enable.partition.eof": True, "auto.offset.reset": "earliest"}
    return cast("OpsConsumer", Consumer(consumer_config(settings, group_id=group, extra=extra)))


@contextmanager
def refusing(failure: str) -> Iterator[None]:
    """Turn a broker failure (``KafkaException``) into :class:`OperationRefused`
    ``<failure>: <error>``."""
    from confluent_kafka import KafkaException

    try:
        yield
    except KafkaException as exc:
        raise OperationRefused(f"{failure}: {exc}") from exc


def topic_partitions(client: Any, topic: str) -> list[int]:
    """Partition numbers of ``topic``; :class:`OperationRefused` when it does not exist."""
    with refusing(f"cannot read the metadata of topic {topic!r}"):
        meta = client.list_topics(topic, timeout=TIMEOUT_S).topics.get(topic)
    if meta is None or meta.error is not None or not meta.partitions:
        raise OperationRefused(f"topic {topic!r} does not exist")
    return sorted(meta.partitions)


def watermarks(consumer: OpsConsumer, topic: str, partition: int) -> Watermarks:
    """Log start offset and end offset of one partition, from the broker."""
    from confluent_kafka import TopicPartition

    with refusing(f"cannot read the offsets of {topic}[{partition}]"):
        low, high = consumer.get_watermark_offsets(
            TopicPartition(topic, partition), timeout=TIMEOUT_S, cached=False
        )
    return Watermarks(int(low), int(high))


def offsets_for_time(
    consumer: OpsConsumer, topic: str, partitions: Sequence[int], epoch_ms: int
) -> dict[int, int | None]:
    """Per partition, the first offset stamped at or after ``epoch_ms`` (None: no such record)."""
    from confluent_kafka import TopicPartition

    with refusing(f"cannot look up offsets by time in {topic!r}"):
        found = consumer.offsets_for_times(
            [TopicPartition(topic, p, epoch_ms) for p in partitions], timeout=TIMEOUT_S
        )
    return {tp.partition: (tp.offset if tp.offset >= 0 else None) for tp in found}


class RangeReader:
    """Reads the ranges ``[start, end)`` of several partitions with ``assign()``, then stops.

    ``batches()`` yields lists of records in offset order per partition. ``positions`` holds,
    per partition, the next offset not yet handed out (``end`` once the partition is done):
    after a batch is processed it is the offset to resume from.
    """

    def __init__(
        self,
        consumer: RangeConsumer,
        ranges: Sequence[PartitionRange],
        *,
        batch_size: int,
    ) -> None:
        self._consumer = consumer
        self.ranges: dict[TP, PartitionRange] = {(r.topic, r.partition): r for r in ranges}
        self.positions: dict[TP, int] = {tp: r.start for tp, r in self.ranges.items()}
        self._done: set[TP] = {tp for tp, r in self.ranges.items() if r.empty}
        self._batch_size = max(1, batch_size)
        self.log = get_logger("ops.reader")

    @property
    def total(self) -> int:
        """Offsets spanned by every range."""
        return sum(r.size for r in self.ranges.values())

    @property
    def completed(self) -> int:
        """Offsets passed so far."""
        return sum(
            min(self.positions[tp], r.end) - r.start for tp, r in self.ranges.items() if r.size
        )

    def done(self) -> bool:
        """True when every range has been read."""
        return len(self._done) == len(self.ranges)

    def resume_points(self, unprocessed: Iterable[KafkaMessage] = ()) -> dict[int, int]:
        """Per partition, the offset to resume from: its position, or the first offset among
        the ``unprocessed`` records already handed out."""
        out = {tp[1]: pos for tp, pos in self.positions.items()}
        for msg in unprocessed:
            partition, offset = msg.partition() or 0, msg.offset() or 0
            out[partition] = min(out.get(partition, offset), offset)
        return out

    def _finish(self, tp: TP) -> None:
        from confluent_kafka import TopicPartition

        if tp in self._done:
            return
        self._done.add(tp)
        self.positions[tp] = self.ranges[tp].end
        self._consumer.pause([TopicPartition(tp[0], tp[1])])

    def batches(self) -> Iterator[list[KafkaMessage]]:
        """Yield the records of the ranges, at most ``batch_size`` at a time, then stop."""
        from confluent_kafka import KafkaError, TopicPartition

        todo = [
            TopicPartition(tp[0], tp[1], r.start)
            for tp, r in sorted(self.ranges.items())
            if tp not in self._done
        ]
        if not todo:
            return
        self._consumer.assign(todo)
        last_progress = time.monotonic()
        while not self.done():
            records = self._consumer.consume(num_messages=self._batch_size, timeout=POLL_TIMEOUT_S)
            out: list[KafkaMessage] = []
            for msg in records:
                err = msg.error()
                tp = (msg.topic(), msg.partition())
                if err is not None:
                    if err.code() == KafkaError._PARTITION_EOF:
                        if tp in self.ranges:
                            self._finish(tp)
                    elif err.fatal():
                        raise OperationRefused(f"Kafka consumer failed: {err.str()}")
                    else:
                        self.log.warning("kafka_error", error=err.str())
                    continue
                if tp not in self.ranges or tp in self._done:
                    continue
                offset, end = msg.offset() or 0, self.ranges[tp].end
                if offset >= end:
                    self._finish(tp)
                    continue
                out.append(msg)
                self.positions[tp] = offset + 1
                if offset + 1 >= end:
                    self._finish(tp)
            now = time.monotonic()
            if records:
                last_progress = now
            elif now - last_progress > STALL_WARN_S:
                last_progress = now
                waiting = sorted(set(self.ranges) - self._done)
                self.log.warning(
                    "waiting_for_records", partitions=[f"{t}[{p}]" for t, p in waiting]
                )
            if out:
                yield out
