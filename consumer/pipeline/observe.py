"""What the pipeline watches off the hot path: lag, per-partition progress, wedges, readiness
and when ``--until-idle`` may stop.

Mixed into :class:`consumer.pipeline.loop.Pipeline`; runs on the loop thread only.
"""

from __future__ import annotations

from typing import Any

from consumer.pipeline.engine import Engine
from consumer.pipeline.health import HealthState
from consumer.pipeline.metrics import Metrics
from consumer.pipeline.offsets import TopicPartitionKey
from consumer.pipeline.progress import PartitionProgress, label, unattended
from consumer.pipeline.rebalance import RebalanceHandler
from consumer.types import KafkaConsumer

__all__ = ["Observation"]


class Observation:
    """Lag, progress, health and idleness of the pipeline (the pipeline provides the state)."""

    consumer: KafkaConsumer
    engine: Engine
    rebalance: RebalanceHandler
    metrics: Metrics
    health: HealthState
    progress: PartitionProgress
    log: Any
    until_idle_s: float | None
    topic_unavailable: str | None
    _lags: dict[TopicPartitionKey, int]
    _last_commit: float
    _last_observe: float
    _last_message: float
    _next_idle_check: float

    def _idle(self, now: float) -> bool:
        engine = self.engine
        if now < self._next_idle_check:
            return False
        self._next_idle_check = now + 1.0
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
        return self._lag(cached=False) == 0

    def _idle_unassigned(self, now: float) -> bool:
        """No subscribed topic exists, so the group is never joined: idle once that has lasted
        the idle time since the subscription (and the last assignment change)."""
        idle_s = self.until_idle_s or 0
        if now - self._last_message < idle_s or now - self.rebalance.last_change < idle_s:
            return False
        self.log.warning("idle_stop_nothing_assigned", error=self.topic_unavailable)
        return True

    def _lag(self, *, cached: bool = True) -> int:
        lags = self._partition_lags(cached=cached)
        return 1 if lags is None else sum(lags.values())

    def _partition_lags(self, *, cached: bool = True) -> dict[TopicPartitionKey, int] | None:
        """Lag per assigned partition (the last known one when the broker does not say);
        None when the group's committed offsets cannot be read."""
        from confluent_kafka import KafkaException, TopicPartition

        lags: dict[TopicPartitionKey, int] = {}
        tracker = self.engine.tracker
        unknown = [tp for tp in self.engine.assigned if tracker.epoch(tp) is None]
        committed: dict[TopicPartitionKey, int] = {}
        if unknown:
            try:
                asked = [TopicPartition(t, p) for t, p in unknown]
                for part in self.consumer.committed(asked, 5):
                    committed[(part.topic, part.partition)] = part.offset
            except KafkaException:
                return None
        positions = tracker.commit_positions(changed_only=False)
        for tp in self.engine.assigned:
            lags[tp] = self._lags.get(tp, 0)
            try:
                low, high = self.consumer.get_watermark_offsets(
                    TopicPartition(*tp), timeout=5, cached=cached
                )
            except KafkaException:
                continue
            if high < 0:
                continue
            state_pos = positions.get(tp)
            pos = state_pos if state_pos is not None else committed.get(tp, low)
            lags[tp] = max(0, high - max(pos, low))
        self._lags = lags
        return lags

    def _observe(self, now: float) -> None:
        """Lag, per-partition progress and wedges (about every two seconds, off the hot path)."""
        self._last_observe = now
        self.metrics.last_commit_age.set(now - self._last_commit)
        lags = self._partition_lags()
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
