"""The hot-path collectors write what prometheus_client's own types would."""

from __future__ import annotations

import random

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from consumer.pipeline.metrics import BulkHistogram, Metrics, TopicCounter

BUCKETS = (0.005, 0.01, 0.1, 1, 10)


def _samples(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in registry.collect()
        for s in family.samples
        if not s.name.endswith("_created")
    }


def test_bulk_histogram_matches_prometheus_histogram() -> None:
    """Chunks fed to BulkHistogram give the buckets, count and sum of one observe() per value."""
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    bulk = BulkHistogram("lat_seconds", "doc", BUCKETS, ours)
    reference = Histogram("lat_seconds", "doc", buckets=BUCKETS, registry=theirs)
    rng = random.Random(7)
    values = [rng.choice([*BUCKETS, 0.0, 50.0]) for _ in range(200)]
    values += [rng.uniform(0, 20) for _ in range(800)]
    for start in range(0, len(values), 97):
        bulk.observe_many(values[start : start + 97])
    for value in values:
        reference.observe(value)
    got, want = _samples(ours), _samples(theirs)
    assert got.keys() == want.keys()
    for key, value in want.items():
        assert abs(got[key] - value) < 1e-6, key


def test_topic_counter_matches_prometheus_counter() -> None:
    """TopicCounter exposes the same ``_total`` samples by topic as a labelled Counter."""
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    counter = TopicCounter("events", "doc", ours)
    reference = Counter("events", "doc", ["topic"], registry=theirs)
    for topic, amount in [("a", 1), ("b", 3), ("a", 2)]:
        counter.inc(topic, amount)
        reference.labels(topic).inc(amount)
    assert _samples(ours) == _samples(theirs)


def test_metrics_totals_read_the_topic_counter() -> None:
    """Run summaries count consumed events from the per-topic counter."""
    metrics = Metrics()
    metrics.events_consumed.inc("a")
    metrics.events_consumed.inc("b", 2)
    assert metrics.totals()["consumed"] == 3
    assert b'signals_events_consumed_total{topic="b"} 2.0' in generate_latest(metrics.registry)
