"""Per-partition progress: which partitions with lag stand still, and which are wedged.

Observed by the loop about every two seconds (never on the hot path). Per assigned partition:

=====  ==========================  ================================================
lag    commit position since last  result
=====  ==========================  ================================================
0      any                         moving: stalled for 0 s
> 0    moved (or first look)       moving: ``last moved = now``
> 0    did not move                stalled for ``now - last moved`` (metric, detail)
=====  ==========================  ================================================

*Stalled* is what a downstream outage looks like (Connect, the registry or the broker slow or
down: the work waits for its retry); it is reported, never a liveness failure. *Wedged* is an
internal fault: a partition with pending offsets that no component holds (no queued signal,
batch in flight, scheduled retry, registry wait or unacknowledged dead letter) for longer than
a budget - nothing will ever finish that work, so ``/healthz`` fails and the pod restarts.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from typing import TYPE_CHECKING

from consumer.pipeline.offsets import TopicPartitionKey
from consumer.pipeline.sender import Job

if TYPE_CHECKING:
    from consumer.pipeline.engine import Engine

__all__ = ["PartitionProgress", "label", "unattended"]


def label(tp: TopicPartitionKey) -> str:
    """``topic[partition]``, as health bodies and logs name a partition."""
    return f"{tp[0]}[{tp[1]}]"


class PartitionProgress:
    """When each assigned partition last moved, and since when it is unattended."""

    def __init__(self) -> None:
        self._position: dict[TopicPartitionKey, int | None] = {}
        self._lag: dict[TopicPartitionKey, int] = {}
        self._moved: dict[TopicPartitionKey, float] = {}
        self._unattended_since: dict[TopicPartitionKey, float] = {}

    def observe(
        self,
        now: float,
        *,
        lags: Mapping[TopicPartitionKey, int],
        positions: Mapping[TopicPartitionKey, int],
        unattended: Set[TopicPartitionKey],
    ) -> set[TopicPartitionKey]:
        """Record one look at every assigned partition; returns those no longer assigned."""
        gone = set(self._lag) - set(lags)
        for tp in gone:
            self._position.pop(tp, None)
            self._lag.pop(tp, None)
            self._moved.pop(tp, None)
        for tp, lag in lags.items():
            position = positions.get(tp)
            if lag <= 0 or tp not in self._moved or position != self._position.get(tp):
                self._moved[tp] = now
            self._position[tp] = position
            self._lag[tp] = lag
        self._unattended_since = {
            tp: self._unattended_since.get(tp, now) for tp in unattended if tp in lags
        }
        return gone

    def stalled_seconds(self, now: float) -> dict[TopicPartitionKey, float]:
        """Seconds since each partition with lag last moved (0 for a partition without lag)."""
        return {
            tp: (now - self._moved[tp]) if self._lag.get(tp, 0) > 0 else 0.0 for tp in self._moved
        }

    def stalled(self, now: float, budget_s: float) -> list[TopicPartitionKey]:
        """Partitions with lag that have not moved for longer than ``budget_s`` (sorted)."""
        return sorted(tp for tp, s in self.stalled_seconds(now).items() if s > budget_s)

    def wedged(self, now: float, budget_s: float) -> list[TopicPartitionKey]:
        """Partitions unattended for longer than ``budget_s`` (sorted)."""
        return sorted(tp for tp, t in self._unattended_since.items() if now - t > budget_s)


def unattended(engine: Engine) -> set[TopicPartitionKey]:
    """Assigned partitions with pending offsets that no part of the engine is working on.

    Conservative: while any dead letter is unacknowledged (the writer does not say for which
    partition), nothing counts as unattended.
    """
    tracker = engine.tracker
    pending = {tp for tp in engine.assigned if tracker.pending_count(tp)}
    if not pending or engine.dlq.outstanding:
        return set()
    held: set[TopicPartitionKey] = set(engine.awaiting)
    for work in [*engine.pool.jobs(), *engine.ready_jobs, *engine.retries.items()]:
        held |= (work.tps() | work.holds) if isinstance(work, Job) else {work.tp}
    return {tp for tp in pending - held if not engine.batcher.buffered(tp)}
