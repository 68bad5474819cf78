"""Health state rules and metric names."""

from __future__ import annotations

from consumer.pipeline.health import HealthState
from consumer.pipeline.metrics import Metrics


def test_healthz_fails_on_lag_without_progress() -> None:
    """Lag with no progress for longer than the timeout is unhealthy; without lag it is fine."""
    state = HealthState(progress_timeout_s=10, heartbeat=100.0, last_progress=80.0, lag=5)
    assert state.healthz(100.0) == (False, "lag without progress")
    state.lag = 0
    assert state.healthz(100.0) == (True, "ok")


def test_healthz_fails_when_loop_stalls() -> None:
    """A loop that stopped turning is unhealthy."""
    state = HealthState(progress_timeout_s=10, heartbeat=0.0, last_progress=0.0)
    assert state.healthz(100.0)[0] is False


def test_metric_names_match_the_architecture_contract() -> None:
    """Every metric of docs/architecture.md is exposed under its documented name."""
    metrics = Metrics()
    metrics.events_consumed.inc("t")
    metrics.delivered.inc("t")
    metrics.dead_lettered.labels("undecodable").inc()
    metrics.retries.labels("throttled").inc()
    metrics.mutations.labels("ok").inc()
    metrics.partition_lag.labels("t", "0").set(3)
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
        "signals_paused_partitions",
        "signals_last_commit_age_seconds",
        "signals_ready",
    ):
        assert f"\n{name}" in text, name
    assert metrics.totals()["dead_lettered_by_reason"] == {"undecodable": 1.0}
