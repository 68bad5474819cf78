"""Per-partition offset tracking: what may be committed.

Every consumed offset is *pending* until it is finished (delivered, or dead-lettered and
acknowledged by the broker). The commit position of a partition is the lowest pending offset,
or the highest tracked offset + 1 when nothing is pending - never past an unfinished event.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

__all__ = ["OffsetTracker", "PartitionOffsets", "TopicPartitionKey"]

#: ``(topic, partition)``: how the pipeline names a partition internally.
TopicPartitionKey = tuple[str, int]


@dataclass(slots=True)
class PartitionOffsets:
    """The pending offsets of one partition (a set plus a lazily cleaned min-heap)."""

    epoch: int
    pending: set[int] = field(default_factory=set)
    heap: list[int] = field(default_factory=list)
    #: highest tracked offset + 1 (the position when nothing is pending); None before any
    next_offset: int | None = None
    committed: int | None = None
    #: the first offset tracked: committing it again would say nothing new
    start: int | None = None
    #: bytes (key + value) of pending offsets that have a size
    sizes: dict[int, int] = field(default_factory=dict)

    def lowest_pending(self) -> int | None:
        """The smallest pending offset, or None."""
        while self.heap and self.heap[0] not in self.pending:
            heapq.heappop(self.heap)
        return self.heap[0] if self.heap else None

    def commit_position(self) -> int | None:
        """Lowest pending offset, else ``next_offset`` (None when nothing was ever tracked)."""
        low = self.lowest_pending()
        return low if low is not None else self.next_offset


class OffsetTracker:
    """Pending/finished offsets of every assigned partition.

    Each partition state carries an *epoch*: work started under an older epoch (before the
    partition was revoked or lost and assigned again) cannot finish offsets of the new one.
    """

    def __init__(self) -> None:
        self._parts: dict[TopicPartitionKey, PartitionOffsets] = {}
        self._epochs = 0
        self._bytes = 0

    def _state(self, tp: TopicPartitionKey) -> PartitionOffsets:
        state = self._parts.get(tp)
        if state is None:
            self._epochs += 1
            state = self._parts[tp] = PartitionOffsets(epoch=self._epochs)
        return state

    def track(self, tp: TopicPartitionKey, offset: int, size: int = 0) -> int:
        """Mark ``offset`` pending (``size`` bytes of record, counted until it finishes);
        returns the partition's epoch to hand back on finish."""
        state = self._state(tp)
        if state.start is None:
            state.start = offset
        if offset not in state.pending:
            state.pending.add(offset)
            heapq.heappush(state.heap, offset)
            if size:
                state.sizes[offset] = size
                self._bytes += size
        if state.next_offset is None or offset + 1 > state.next_offset:
            state.next_offset = offset + 1
        return state.epoch

    def finish(self, tp: TopicPartitionKey, offset: int, epoch: int) -> bool:
        """Mark ``offset`` finished; False when it was not pending under that epoch."""
        state = self._parts.get(tp)
        if state is None or state.epoch != epoch or offset not in state.pending:
            return False
        state.pending.discard(offset)
        if state.sizes:
            self._bytes -= state.sizes.pop(offset, 0)
        return True

    def rewind(self, tp: TopicPartitionKey, offset: int) -> None:
        """The partition was sought back to ``offset``: forget pending work at or after it."""
        state = self._parts.get(tp)
        if state is None:
            return
        state.pending = {o for o in state.pending if o < offset}
        state.heap = sorted(state.pending)
        self._bytes -= sum(size for o, size in state.sizes.items() if o >= offset)
        state.sizes = {o: size for o, size in state.sizes.items() if o < offset}
        if state.next_offset is None or state.next_offset > offset:
            state.next_offset = offset

    def forget(self, tp: TopicPartitionKey) -> None:
        """Drop the partition (revoked or lost); late results of its work are ignored."""
        state = self._parts.pop(tp, None)
        if state is not None:
            self._bytes -= sum(state.sizes.values())

    def epoch(self, tp: TopicPartitionKey) -> int | None:
        """The current epoch of ``tp`` (None when untracked)."""
        state = self._parts.get(tp)
        return state.epoch if state else None

    def is_current(self, tp: TopicPartitionKey, epoch: int) -> bool:
        """True when ``epoch`` is still the partition's epoch."""
        state = self._parts.get(tp)
        return state is not None and state.epoch == epoch

    def commit_positions(self, *, changed_only: bool = True) -> dict[TopicPartitionKey, int]:
        """Commit offset per partition (only those that moved since the last commit)."""
        out: dict[TopicPartitionKey, int] = {}
        for tp, state in self._parts.items():
            pos = state.commit_position()
            if pos is None or pos == (state.committed if changed_only else None):
                continue
            if state.committed is None and pos == state.start:
                continue  # nothing finished yet: leave the group's committed offset alone
            out[tp] = pos
        return out

    def mark_committed(self, positions: dict[TopicPartitionKey, int]) -> None:
        """Record that ``positions`` were committed."""
        for tp, pos in positions.items():
            state = self._parts.get(tp)
            if state is not None:
                state.committed = pos

    def pending_count(self, tp: TopicPartitionKey | None = None) -> int:
        """Pending offsets of ``tp``, or of all partitions."""
        if tp is not None:
            state = self._parts.get(tp)
            return len(state.pending) if state else 0
        return sum(len(s.pending) for s in self._parts.values())

    def pending_bytes(self) -> int:
        """Bytes (key + value) of the pending records of every partition."""
        return self._bytes

    def all_committed(self) -> bool:
        """True when nothing is pending and every partition's position is committed."""
        return all(
            not s.pending and s.commit_position() in (None, s.committed)
            for s in self._parts.values()
        )

    def partitions(self) -> list[TopicPartitionKey]:
        """The tracked partitions."""
        return list(self._parts)
