"""Paused partitions (by reason) and the schedule of delayed retries.

A partition can be paused for several reasons at once (``backpressure``, ``deep``, ``drain``,
a stop ``auth`` or ``api_query``, a retrying batch ``job:7``, a registry outage ``registry``, a
dead-letter write ``dlq:42``); it is paused when its first reason appears and resumed when its
last reason goes. librdkafka keeps fetching metadata and heartbeating for paused partitions, so
pausing never costs group membership. A partition that left while paused is resumed when it is
assigned again (:meth:`PauseBook.reset`): librdkafka keeps its pause flag across a rebalance,
the reasons it was paused for are gone.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from consumer.pipeline.offsets import TopicPartitionKey

__all__ = ["PauseBook", "RetrySchedule", "Scheduled"]

T = TypeVar("T")

PartitionsFn = Callable[[list[TopicPartitionKey]], None]


class PauseBook:
    """Reasons per paused partition; calls ``pause``/``resume`` on transitions only."""

    def __init__(self, pause: PartitionsFn, resume: PartitionsFn) -> None:
        self._pause = pause
        self._resume = resume
        self._reasons: dict[TopicPartitionKey, set[str]] = {}
        #: forgotten while paused: librdkafka may still hold their pause flag
        self._left_paused: set[TopicPartitionKey] = set()

    def add(self, tps: Iterable[TopicPartitionKey], reason: str) -> None:
        """Pause ``tps`` for ``reason``."""
        newly: list[TopicPartitionKey] = []
        for tp in tps:
            reasons = self._reasons.setdefault(tp, set())
            if not reasons:
                newly.append(tp)
            reasons.add(reason)
        if newly:
            self._pause(newly)

    def remove(self, tps: Iterable[TopicPartitionKey], reason: str) -> None:
        """Withdraw ``reason`` from ``tps``; resume those with no reason left."""
        freed: list[TopicPartitionKey] = []
        for tp in tps:
            reasons = self._reasons.get(tp)
            if reasons and reason in reasons:
                reasons.discard(reason)
                if not reasons:
                    del self._reasons[tp]
                    freed.append(tp)
        if freed:
            self._resume(freed)

    def remove_everywhere(self, reason: str) -> None:
        """Withdraw ``reason`` from every partition."""
        self.remove(self.holding(reason), reason)

    def holding(self, reason: str) -> list[TopicPartitionKey]:
        """The partitions paused for ``reason``."""
        return [tp for tp, r in self._reasons.items() if reason in r]

    def forget(self, tp: TopicPartitionKey) -> None:
        """Drop the partition's reasons without resuming (it was revoked or lost)."""
        if self._reasons.pop(tp, None):
            self._left_paused.add(tp)

    def reset(self, tps: Iterable[TopicPartitionKey]) -> None:
        """Partitions just assigned: resume those that left while paused, drop any reason.

        librdkafka keeps a partition's pause flag across an (incremental) unassign and assign
        (librdkafka#1849): a partition paused when it was revoked or lost would never be
        fetched again when it comes back. The caller applies the reasons still active after.
        """
        stale: list[TopicPartitionKey] = []
        for tp in tps:
            if self._reasons.pop(tp, None) or tp in self._left_paused:
                stale.append(tp)
            self._left_paused.discard(tp)
        if stale:
            self._resume(stale)

    def paused(self) -> set[TopicPartitionKey]:
        """Every paused partition."""
        return set(self._reasons)


@dataclass(order=True, slots=True)
class Scheduled(Generic[T]):
    """One delayed piece of work (ordered by due time)."""

    due: float
    seq: int
    item: T = field(compare=False)
    cancelled: bool = field(default=False, compare=False)


class RetrySchedule(Generic[T]):
    """A min-heap of work due at a monotonic time; cancellation is lazy."""

    def __init__(self) -> None:
        self._heap: list[Scheduled[T]] = []
        self._seq = itertools.count()

    def add(self, due: float, item: T) -> None:
        """Schedule ``item`` at ``due`` (:meth:`drop` cancels it)."""
        heapq.heappush(self._heap, Scheduled(due, next(self._seq), item))

    def pop_due(self, now: float) -> list[T]:
        """Remove and return everything due by ``now``."""
        out: list[T] = []
        while self._heap and self._heap[0].due <= now:
            entry = heapq.heappop(self._heap)
            if not entry.cancelled:
                out.append(entry.item)
        return out

    def drop(self, predicate: Callable[[T], bool]) -> list[T]:
        """Cancel and return the scheduled items matching ``predicate``."""
        out = []
        for entry in self._heap:
            if not entry.cancelled and predicate(entry.item):
                entry.cancelled = True
                out.append(entry.item)
        return out

    def __len__(self) -> int:
        return sum(1 for e in self._heap if not e.cancelled)

    def items(self) -> list[T]:
        """The scheduled items (not cancelled)."""
        return [e.item for e in self._heap if not e.cancelled]
