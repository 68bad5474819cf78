"""Prometheus metrics of the pipeline (names and labels as in docs/architecture.md).

Each :class:`Metrics` owns its own registry, so several pipelines (tests) can coexist.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["Metrics"]

_SIZE_BUCKETS = (1, 5, 10, 25, 50, 100, 200, 300, 400, 500)
_TIME_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


class Metrics:
    """Every ``signals_*`` metric, registered in a private registry."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self._consumed: dict[str, Any] = {}
        self.events_consumed = Counter(
            "signals_events_consumed", "Events read from Kafka", ["topic"], registry=r
        )
        self.delivered = Counter(
            "signals_delivered", "Signals accepted by the Connect API", ["topic"], registry=r
        )
        self.dead_lettered = Counter(
            "signals_dead_lettered",
            "Events written to the dead-letter topic",
            ["reason"],
            registry=r,
        )
        self.retries = Counter(
            "signals_retries", "Retries scheduled, by cause", ["cause"], registry=r
        )
        self.mutations = Counter(
            "signals_mutations", "createSignals mutations by outcome", ["outcome"], registry=r
        )
        self.batch_size = Histogram(
            "signals_batch_size", "Signals per mutation", buckets=_SIZE_BUCKETS, registry=r
        )
        self.mutation_duration = Histogram(
            "signals_mutation_duration_seconds",
            "Mutation round trip",
            buckets=_TIME_BUCKETS,
            registry=r,
        )
        self.event_to_accepted = Histogram(
            "signals_event_to_accepted_seconds",
            "From the event's timestamp to acceptance",
            buckets=_TIME_BUCKETS,
            registry=r,
        )
        self.inflight = Gauge("signals_inflight_mutations", "Mutations in flight", registry=r)
        self.buffered = Gauge(
            "signals_buffered_events", "Consumed but unfinished events", registry=r
        )
        self.partition_lag = Gauge(
            "signals_partition_lag",
            "High watermark minus position",
            ["topic", "partition"],
            registry=r,
        )
        self.paused = Gauge("signals_paused_partitions", "Paused partitions", registry=r)
        self.last_commit_age = Gauge(
            "signals_last_commit_age_seconds", "Seconds since the last offset commit", registry=r
        )
        self.ready = Gauge("signals_ready", "1 when ready, 0 when not", registry=r)

    def consumed(self, topic: str) -> Any:
        """The ``signals_events_consumed`` child of ``topic`` (cached: ``labels()`` takes a lock
        and builds a tuple per call, too much once per event)."""
        child = self._consumed.get(topic)
        if child is None:
            child = self._consumed[topic] = self.events_consumed.labels(topic)
        return child

    def totals(self) -> dict[str, Any]:
        """Counter totals (summed over labels; dead letters by reason) for run summaries."""

        def total(counter: Counter) -> float:
            return sum(
                sample.value
                for metric in counter.collect()
                for sample in metric.samples
                if sample.name.endswith("_total")
            )

        by_reason = {
            sample.labels["reason"]: sample.value
            for metric in self.dead_lettered.collect()
            for sample in metric.samples
            if sample.name.endswith("_total")
        }
        return {
            "consumed": total(self.events_consumed),
            "delivered": total(self.delivered),
            "dead_lettered": total(self.dead_lettered),
            "dead_lettered_by_reason": by_reason,
            "mutations": total(self.mutations),
            "mutations_ok": sum(
                sample.value
                for metric in self.mutations.collect()
                for sample in metric.samples
                if sample.name.endswith("_total") and sample.labels.get("outcome") == "ok"
            ),
            "retries": total(self.retries),
        }

    def render(self) -> bytes:
        """The Prometheus text exposition."""
        out: bytes = generate_latest(self.registry)
        return out
