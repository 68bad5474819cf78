"""Prometheus metrics of the pipeline (names and labels as in docs/architecture.md).

Each :class:`Metrics` owns its own registry, so several pipelines (tests) can coexist.
"""

from __future__ import annotations

import contextlib
import threading
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from consumer.signals.notices import ENUM_VALUE_UNKNOWN, MISSING_EXPECTED_FIELD, NoticeCounts

__all__ = ["BulkHistogram", "Metrics", "NoticeCounter", "TopicCounter"]

_SIZE_BUCKETS = (1, 5, 10, 25, 50, 100, 200, 300, 400, 500)
_TIME_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


class TopicCounter(Collector):
    """A counter by ``topic`` for once-per-event counts: one dict update, no lock.

    Only the poll thread counts; a scrape reads a copy. prometheus_client's ``Counter`` takes a
    lock per ``inc()`` (bench/RESULTS.md, second round, row 6).
    """

    def __init__(self, name: str, documentation: str, registry: CollectorRegistry) -> None:
        self.name, self.documentation = name, documentation
        self.counts: dict[str, float] = {}
        registry.register(self)

    def inc(self, topic: str, amount: float = 1) -> None:
        """Add ``amount`` to ``topic``'s count."""
        self.counts[topic] = self.counts.get(topic, 0) + amount

    def collect(self) -> Iterator[CounterMetricFamily]:
        """The ``<name>_total`` samples, one per topic."""
        family = CounterMetricFamily(self.name, self.documentation, labels=["topic"])
        for topic, value in list(self.counts.items()):
            family.add_metric([topic], value)
        yield family


class BulkHistogram(Collector):
    """A histogram fed a chunk at a time (one lock per chunk, not per observation)."""

    def __init__(
        self,
        name: str,
        documentation: str,
        buckets: Iterable[float],
        registry: CollectorRegistry,
    ) -> None:
        self.name, self.documentation = name, documentation
        self._bounds = tuple(sorted(buckets))
        self._counts = [0] * (len(self._bounds) + 1)  # the last one is +Inf
        self._sum = 0.0
        self._lock = threading.Lock()
        registry.register(self)

    def observe_many(self, values: Iterable[float]) -> None:
        """Count every value (``le`` buckets: a value equal to a bound falls in it)."""
        bounds, counts = self._bounds, self._counts
        with self._lock:
            total = 0.0
            for value in values:
                counts[bisect_left(bounds, value)] += 1
                total += value
            self._sum += total

    def collect(self) -> Iterator[HistogramMetricFamily]:
        """Cumulative ``_bucket`` samples, ``_count`` and ``_sum``."""
        with self._lock:
            counts, total = list(self._counts), self._sum
        cumulative, buckets = 0, []
        for bound, count in zip([*map(floatToGoString, self._bounds), "+Inf"], counts, strict=True):
            cumulative += count
            buckets.append((bound, cumulative))
        yield HistogramMetricFamily(self.name, self.documentation, buckets=buckets, sum_value=total)


class NoticeCounter(Collector):
    """``signals_missing_expected_field_total`` and ``signals_enum_value_unknown_total``.

    Labels ``signal_type`` and ``field``; read from ``counts``, which the translator feeds
    (:mod:`consumer.signals.notices`: signals sent although Connect may discard them).
    """

    _FAMILIES = (
        (MISSING_EXPECTED_FIELD, "signals_missing_expected_field", "Signals sent without a "
         "field Connect requires (reference section 9): Connect may discard them"),
        (ENUM_VALUE_UNKNOWN, "signals_enum_value_unknown", "Signals sent with a value off the "
         "known list of an open enumeration (interactionType, identifierName)"),
    )  # fmt: skip

    def __init__(self, counts: NoticeCounts, registry: CollectorRegistry) -> None:
        self.counts = counts
        registry.register(self)

    def collect(self) -> Iterator[CounterMetricFamily]:
        """One family per notice kind, a sample per (signal type, field)."""
        snapshot = list(self.counts.counts.items())
        for kind, name, documentation in self._FAMILIES:
            family = CounterMetricFamily(name, documentation, labels=["signal_type", "field"])
            for notice, value in snapshot:
                if notice.kind == kind:
                    family.add_metric([notice.signal_type, notice.field], value)
            yield family


class Metrics:
    """Every ``signals_*`` metric, registered in a private registry."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        # the standard process_* and python_* series (stateless readers of this process)
        for standard in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            r.register(standard)
        self.events_consumed = TopicCounter(
            "signals_events_consumed", "Events read from Kafka", registry=r
        )
        self.delivered = TopicCounter(
            "signals_delivered", "Signals accepted by the Connect API", registry=r
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
        self.event_to_accepted = BulkHistogram(
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
        self.partition_stalled = Gauge(
            "signals_partition_stalled_seconds",
            "Seconds since a partition with lag last moved its commit position (0 without lag)",
            ["topic", "partition"],
            registry=r,
        )
        self.wedged = Gauge(
            "signals_wedged_partitions",
            "Partitions holding work that nothing is working on (fails /healthz)",
            registry=r,
        )
        self.assigned = Gauge(
            "signals_assigned_partitions",
            "Partitions this member owns in the consumer group",
            registry=r,
        )
        self.paused = Gauge("signals_paused_partitions", "Paused partitions", registry=r)
        self.last_commit_age = Gauge(
            "signals_last_commit_age_seconds", "Seconds since the last offset commit", registry=r
        )
        self.ready = Gauge("signals_ready", "1 when ready, 0 when not", registry=r)
        self.poll_gap_max = Gauge(
            "signals_poll_gap_max_seconds",
            "Longest time between two polls of Kafka since start (rebalance callbacks included)",
            registry=r,
        )
        #: Signals sent although Connect may discard them (the translator counts them here).
        self.notices = NoticeCounts()
        NoticeCounter(self.notices, registry=r)

    def forget_partitions(self, tps: Iterable[tuple[str, int]]) -> None:
        """Drop the per-partition series of partitions this member no longer owns."""
        for topic, partition in tps:
            for gauge in (self.partition_lag, self.partition_stalled):
                with contextlib.suppress(KeyError):  # never set: nothing to remove
                    gauge.remove(topic, str(partition))

    def totals(self) -> dict[str, Any]:
        """Counter totals (summed over labels; dead letters by reason) for run summaries."""

        def samples(counter: Counter | TopicCounter) -> list[tuple[dict[str, str], float]]:
            return [
                (sample.labels, sample.value)
                for metric in counter.collect()
                for sample in metric.samples
                if sample.name.endswith("_total")
            ]

        def total(counter: Counter | TopicCounter) -> float:
            return sum(value for _labels, value in samples(counter))

        return {
            "consumed": total(self.events_consumed),
            "delivered": total(self.delivered),
            "dead_lettered": total(self.dead_lettered),
            "dead_lettered_by_reason": {
                labels["reason"]: value for labels, value in samples(self.dead_lettered)
            },
            "mutations": total(self.mutations),
            "mutations_ok": sum(
                value for labels, value in samples(self.mutations) if labels["outcome"] == "ok"
            ),
            "retries": total(self.retries),
        }

    def render(self) -> bytes:
        """The Prometheus text exposition."""
        out: bytes = generate_latest(self.registry)
        return out
