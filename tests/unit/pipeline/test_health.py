"""Metric names (the health rules are in test_health_semantics.py)."""

from __future__ import annotations

from consumer.pipeline.metrics import Metrics


def test_metric_names_match_the_architecture_contract() -> None:
    """Every metric of docs/architecture.md is exposed under its documented name."""
    metrics = Metrics()
    metrics.events_consumed.inc("t")
    metrics.delivered.inc("t")
    metrics.dead_lettered.labels("undecodable").inc()
    metrics.retries.labels("throttled").inc()
    metrics.mutations.labels("ok").inc()
    metrics.partition_lag.labels("t", "0").set(3)
    metrics.partition_stalled.labels("t", "0").set(0)
    text = metrics.render().decode()
    for name in (
        "signals_events_consumed_total",
        "signals_delivered_total",
        "signals_dead_lettered_total",
        "signals_retries_total",
        "signals_mutations_total",
        "signals_batch_size_bucket",
        "signals_mutation_duration_seconds_bucket",
        "signals_event_to_accepted_seconds_bucket",
        "signals_inflight_mutations",
        "signals_buffered_events",
        "signals_partition_lag",
        "signals_partition_stalled_seconds",
        "signals_wedged_partitions",
        "signals_assigned_partitions",
        "signals_paused_partitions",
        "signals_last_commit_age_seconds",
        "signals_ready",
    ):
        assert f"\n{name}" in text, name
    assert metrics.totals()["dead_lettered_by_reason"] == {"undecodable": 1.0}
