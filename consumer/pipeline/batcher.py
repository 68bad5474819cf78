"""Batching of translated signals into mutations, at most one batch in flight per partition.

Signals wait in a queue per partition. A batch is cut from the partitions that have no batch
in flight (oldest first) when the available signals reach ``max_signals``, their pre-encoded
literal sizes reach ``max_bytes``, the oldest has waited ``linger_s``, or a flush is forced.
A partition taken into a batch is *busy* until :meth:`Batcher.release`, so the signals of a
partition are sent, and accepted, in offset order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Set
from typing import NamedTuple

from consumer.avro.framing import schema_id_of
from consumer.pipeline.offsets import TopicPartitionKey
from consumer.types import KafkaMessage

__all__ = ["Batcher", "Item"]


class Item(NamedTuple):
    """One translated event waiting to be sent: its literal and where it came from.

    A NamedTuple rather than a frozen dataclass: one is made per event, and a frozen dataclass
    sets each field through ``object.__setattr__`` (bench/RESULTS.md, second round).
    """

    tp: TopicPartitionKey
    offset: int
    epoch: int
    msg: KafkaMessage
    literal: str
    consumed_at: float

    @property
    def schema_id(self) -> int | None:
        """The Confluent schema id of the source value (only needed when it is dead-lettered)."""
        return schema_id_of(self.msg.value())

    @property
    def size(self) -> int:
        """Bytes this signal adds to the mutation."""
        return len(self.literal) + 1


class Batcher:
    """Per-partition queues of :class:`Item`; cuts batches, tracks busy partitions."""

    def __init__(self, *, max_signals: int, max_bytes: int, linger_s: float) -> None:
        self.max_signals = max_signals
        self.max_bytes = max_bytes
        self.linger_s = linger_s
        self._queues: dict[TopicPartitionKey, deque[Item]] = {}
        self._busy: set[TopicPartitionKey] = set()
        self._count = 0

    def add(self, item: Item) -> None:
        """Queue ``item`` behind the earlier signals of its partition."""
        self._queues.setdefault(item.tp, deque()).append(item)
        self._count += 1

    def __len__(self) -> int:
        return self._count

    def _available(self, held: Set[TopicPartitionKey] = frozenset()) -> list[deque[Item]]:
        busy = self._busy - held
        queues = [q for tp, q in self._queues.items() if q and tp not in busy]
        queues.sort(key=lambda q: q[0].consumed_at)
        return queues

    def take(
        self, now: float, *, force: bool = False, held: Set[TopicPartitionKey] = frozenset()
    ) -> list[Item] | None:
        """Cut the next batch when one is due (or ``force``); marks its partitions busy.

        ``held``: busy partitions whose signals may be taken all the same (the caller's job
        holds them: a probe of a refused query, :mod:`consumer.pipeline.outcomes`).
        """
        queues = self._available(held)
        if not queues:
            return None
        count = sum(len(q) for q in queues)
        size = sum(i.size for q in queues for i in q) if count < self.max_signals else 0
        due = (
            force
            or count >= self.max_signals
            or size >= self.max_bytes
            or now - queues[0][0].consumed_at >= self.linger_s
        )
        if not due:
            return None
        batch: list[Item] = []
        total = 0
        for queue in queues:
            while queue and len(batch) < self.max_signals:
                item = queue[0]
                if batch and total + item.size > self.max_bytes:
                    break
                batch.append(queue.popleft())
                total += item.size
                self._busy.add(item.tp)
            if len(batch) >= self.max_signals or queue:  # full, or the byte limit reached
                break
        self._count -= len(batch)
        return batch

    def release(self, tps: set[TopicPartitionKey]) -> None:
        """The batch holding ``tps`` is finished: its partitions may be batched again."""
        self._busy -= tps

    def rewind(self, tp: TopicPartitionKey, offset: int) -> None:
        """Drop queued signals of ``tp`` at or after ``offset`` (the partition was sought back)."""
        queue = self._queues.get(tp)
        if not queue:
            return
        kept = deque(i for i in queue if i.offset < offset)
        self._count -= len(queue) - len(kept)
        self._queues[tp] = kept

    def forget(self, tp: TopicPartitionKey) -> None:
        """Drop everything of ``tp`` (revoked or lost); its in-flight batch is left alone."""
        queue = self._queues.pop(tp, None)
        if queue:
            self._count -= len(queue)
        self._busy.discard(tp)

    def deeper_than(self, depth: int) -> list[TopicPartitionKey]:
        """The partitions with more than ``depth`` queued signals."""
        return [tp for tp, queue in self._queues.items() if len(queue) > depth]

    def buffered(self, tp: TopicPartitionKey) -> int:
        """Queued (not yet batched) signals of ``tp``."""
        queue = self._queues.get(tp)
        return len(queue) if queue else 0
