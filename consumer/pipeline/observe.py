"""What the pipeline watches off the hot path: lag, per-partition progress, wedges, readiness
and when ``--until-idle`` may stop.

Mixed into :class:`consumer.pipeline.loop.Pipeline`; runs on the loop thread only, and makes no
network call there (the loop must never wait: a broker stop or a rebalance would hold a
``committed()`` for its whole timeout). The lag of an assigned partition is::

    high watermark - max(position, low watermark)

============  ================================================================================
value         where it comes from (all local, read without waiting)
============  ================================================================================
position      the offset tracker's commit position; for a partition not consumed since its
              assignment, its committed offset as the broker thread last read it (since the
              assignment changed), else the low watermark
high, low     the consumer's cached watermarks (refreshed by every fetch), or the broker
              thread's uncached read when that is higher: a paused partition is not fetched,
              so its cached high watermark stands still
============  ================================================================================

After each look the loop :meth:`asks <consumer.pipeline.broker_offsets.BrokerOffsets.ask>` the
broker thread for what it lacked: committed offsets of partitions without a position, fresh
watermarks of paused partitions and of those without a cached one - of every assigned partition
with ``--until-idle``, which stops only on a lag of 0 against watermarks read since the last
message and the last assignment change (so it never trusts a cached value, as before).
"""

from __future__ import annotations

from consumer.pipeline.broker_offsets import BrokerOffsets
from consumer.pipeline.health import HealthState
from consumer.pipeline.kafka_edge import KafkaEdge
from consumer.pipeline.offsets import TopicPartitionKey
from consumer.pipeline.progress import PartitionProgress, label, unattended
from consumer.pipeline.rebalance import RebalanceHandler

__all__ = ["Observation"]


class Observation(KafkaEdge):
    """Lag, progress, health and idleness of the pipeline (the pipeline provides the state;
    the Kafka edge's commits and topic errors are part of what it watches)."""

    rebalance: RebalanceHandler
    health: HealthState
    progress: PartitionProgress
    broker: BrokerOffsets
    until_idle_s: float | None
    _lags: dict[TopicPartitionKey, int]
    #: assigned partitions without a cached high watermark at the last look
    _uncached: set[TopicPartitionKey]
    _last_observe: float
    _last_message: float
    _next_idle_check: float

    def _idle(self, now: float) -> bool:
        engine = self.engine
        if now < self._next_idle_check:
            return False
        self._next_idle_check = now + 1.0
        self._ask_broker()  # before the checks: a read is under way when they first hold
        if not engine.joined and not engine.assigned and self.topic_unavailable is not None:
            return self._idle_unassigned(now)
        if (
            now - self._last_message < (self.until_idle_s or 0)
            or not engine.joined
            or now - self.rebalance.last_change < (self.until_idle_s or 0)
            or not engine.settled()
            or not engine.tracker.all_committed()
        ):
            return False
        since = max(self._last_message, self.rebalance.last_change)
        lags = self._partition_lags(fresh_since=since)
        return lags is not None and sum(lags.values()) == 0

    def _idle_unassigned(self, now: float) -> bool:
        """No subscribed topic exists, so the group is never joined: idle once that has lasted
        the idle time since the subscription (and the last assignment change)."""
        idle_s = self.until_idle_s or 0
        if now - self._last_message < idle_s or now - self.rebalance.last_change < idle_s:
            return False
        self.log.warning("idle_stop_nothing_assigned", error=self.topic_unavailable)
        return True

    def _ask_broker(self) -> None:
        """Ask the broker thread for what the lag lacks (see the module docstring)."""
        engine = self.engine
        assigned = set(engine.assigned)
        known = engine.tracker.commit_positions(changed_only=False).keys()
        if self.until_idle_s is not None:
            watermarks = assigned
        else:
            watermarks = (engine.pauses.paused() | self._uncached) & assigned
        self.broker.ask(committed=assigned - known, watermarks=watermarks)

    def _partition_lags(
        self, fresh_since: float | None = None
    ) -> dict[TopicPartitionKey, int] | None:
        """Lag per assigned partition, from local state only (the last known lag when no high
        watermark is known). With ``fresh_since``: from watermarks the broker thread read since
        then, None when one is missing."""
        from confluent_kafka import KafkaException, TopicPartition

        engine = self.engine
        positions = engine.tracker.commit_positions(changed_only=False)
        committed = self.broker.committed(since=self.rebalance.last_change)
        fresh = self.broker.watermarks(
            since=fresh_since if fresh_since is not None else float("-inf")
        )
        lags: dict[TopicPartitionKey, int] = {}
        uncached: set[TopicPartitionKey] = set()
        for tp in engine.assigned:
            low = high = -1
            if fresh_since is None:
                try:  # local: the values the last fetch response carried
                    low, high = self.consumer.get_watermark_offsets(
                        TopicPartition(*tp), cached=True
                    )
                except KafkaException:
                    low = high = -1
                if high < 0:
                    uncached.add(tp)
            read = fresh.get(tp)
            if read is not None and read.high >= high:
                low, high = read.low, read.high
            if high < 0:
                if fresh_since is not None:
                    return None
                lags[tp] = self._lags.get(tp, 0)
                continue
            pos = positions.get(tp)
            if pos is None:
                pos = committed.get(tp, low)
            lags[tp] = max(0, high - max(pos, low))
        if fresh_since is None:
            self._lags, self._uncached = lags, uncached
        return lags

    def _observe(self, now: float) -> None:
        """Lag, per-partition progress and wedges (about every two seconds, off the hot path)."""
        self._last_observe = now
        self.metrics.last_commit_age.set(now - self._last_commit)
        lags = self._partition_lags()
        self._ask_broker()
        if lags is None:
            return
        metrics, health, progress = self.metrics, self.health, self.progress
        positions = self.engine.tracker.commit_positions(changed_only=False)
        gone = progress.observe(
            now, lags=lags, positions=positions, unattended=unattended(self.engine)
        )
        metrics.forget_partitions(gone)
        for (topic, partition), seconds in progress.stalled_seconds(now).items():
            metrics.partition_lag.labels(topic, str(partition)).set(lags[(topic, partition)])
            metrics.partition_stalled.labels(topic, str(partition)).set(seconds)
        wedged = progress.wedged(now, health.wedge_s)
        if wedged and not health.wedged:
            self.log.error("partitions_wedged", partitions=[label(tp) for tp in wedged])
        metrics.wedged.set(len(wedged))
        metrics.assigned.set(len(lags))
        health.lag = sum(lags.values())
        health.stalled = tuple(label(tp) for tp in progress.stalled(now, health.progress_timeout_s))
        health.wedged = tuple(label(tp) for tp in wedged)

    def _beat(self, now: float) -> None:
        self.health.heartbeat = now
        reason = self.engine.not_ready_reason()
        self.health.not_ready_reason = reason
        self.metrics.ready.set(0 if reason else 1)
