"""What /healthz, /readyz and the per-partition progress decide (docs/deploy.md, "Probes").

Liveness fails only when this process is broken (the loop stopped turning, or a partition holds
work that nothing is working on); a downstream outage shows as stalled partitions and lag.
"""

from __future__ import annotations

from collections.abc import Sequence

from consumer.errors import ApiAuthError, ApiUnavailable
from consumer.pipeline.health import HealthState
from consumer.pipeline.metrics import Metrics
from consumer.pipeline.progress import PartitionProgress, unattended

from .fakes import Clock, FakeMessage, ScriptedSender, feed, make_engine, pump

A, B = ("t", 0), ("t", 1)


def test_healthz_reports_starting_before_the_first_turn() -> None:
    """Before the loop's first turn /healthz says ``starting`` (the startup probe's job)."""
    state = HealthState(progress_timeout_s=10)
    assert state.healthz(1_000_000.0) == (False, "starting")
    state.heartbeat = 1_000_000.0
    assert state.healthz(1_000_001.0) == (True, "ok")


def test_healthz_stays_ok_when_partitions_stall_on_a_downstream_outage() -> None:
    """Lag without progress far past the budget keeps liveness green and names the partitions."""
    state = HealthState(progress_timeout_s=10, heartbeat=1000.0, lag=50)
    state.stalled = ("t[0]", "t[1]")
    assert state.healthz(1000.5) == (True, "ok")
    detail = state.detail()
    assert detail["stalled_partitions"] == ["t[0]", "t[1]"]
    assert detail["lag"] == 50


def test_healthz_fails_when_the_loop_stops_turning() -> None:
    """A heartbeat older than the stall budget fails liveness."""
    state = HealthState(progress_timeout_s=10, heartbeat=1000.0, loop_stall_s=30)
    assert state.healthz(1029.0)[0] is True
    ok, reason = state.healthz(1031.0)
    assert ok is False
    assert reason.startswith("poll loop stalled")


def test_healthz_fails_and_names_wedged_partitions() -> None:
    """A partition with work that nothing is working on fails liveness, by name."""
    state = HealthState(progress_timeout_s=10, heartbeat=1000.0)
    state.wedged = ("t[3]",)
    ok, reason = state.healthz(1000.0)
    assert ok is False
    assert "t[3]" in reason


def test_readiness_holds_while_a_retry_waits() -> None:
    """A batch waiting for its retry (Connect down) leaves the pod ready: joined, able to work."""
    clock = Clock()

    def down(literals: Sequence[str]) -> list[str]:
        raise ApiUnavailable("connection refused")

    engine, _ = make_engine(ScriptedSender(down), clock=clock)
    feed(engine, A, range(3))
    pump(engine)
    assert engine.retries.items()  # the batch waits for its retry
    assert engine.not_ready_reason() is None


def test_readiness_fails_on_a_refused_key() -> None:
    """A refused API key is not ready (every pod would fail the same way)."""

    def refused(literals: Sequence[str]) -> list[str]:
        raise ApiAuthError("unauthorized")

    engine, _ = make_engine(ScriptedSender(refused))
    feed(engine, A, range(3))
    pump(engine)
    assert engine.not_ready_reason() == "api_key_refused"


def test_progress_counts_seconds_since_a_lagging_partition_moved() -> None:
    """Seconds stalled grow while the position stands still with lag, and reset when it moves."""
    progress = PartitionProgress()
    progress.observe(100.0, lags={A: 5, B: 0}, positions={A: 10, B: 3}, unattended=set())
    progress.observe(130.0, lags={A: 5, B: 0}, positions={A: 10, B: 3}, unattended=set())
    assert progress.stalled_seconds(130.0) == {A: 30.0, B: 0.0}
    assert progress.stalled(130.0, budget_s=20.0) == [A]
    progress.observe(140.0, lags={A: 4, B: 0}, positions={A: 11, B: 3}, unattended=set())
    assert progress.stalled_seconds(145.0)[A] == 5.0
    assert progress.stalled(145.0, budget_s=20.0) == []


def test_progress_forgets_partitions_no_longer_assigned() -> None:
    """A partition missing from an observation (revoked) is dropped and reported as gone."""
    progress = PartitionProgress()
    progress.observe(100.0, lags={A: 5, B: 5}, positions={}, unattended=set())
    gone = progress.observe(101.0, lags={A: 5}, positions={}, unattended=set())
    assert gone == {B}
    assert set(progress.stalled_seconds(200.0)) == {A}


def test_progress_reports_wedged_only_after_the_budget() -> None:
    """A partition unattended across observations for longer than the budget is wedged."""
    progress = PartitionProgress()
    progress.observe(100.0, lags={A: 1}, positions={A: 0}, unattended={A})
    assert progress.wedged(150.0, budget_s=60.0) == []
    progress.observe(170.0, lags={A: 1}, positions={A: 0}, unattended={A})
    assert progress.wedged(170.0, budget_s=60.0) == [A]
    progress.observe(171.0, lags={A: 1}, positions={A: 0}, unattended=set())
    assert progress.wedged(300.0, budget_s=60.0) == []


def test_unattended_finds_pending_work_that_nothing_holds() -> None:
    """Pending offsets held by no batch, retry or queue are unattended; waiting retries are not."""

    def down(literals: Sequence[str]) -> list[str]:
        raise ApiUnavailable("connection refused")

    engine, _ = make_engine(ScriptedSender(down))
    feed(engine, A, range(3))
    pump(engine)
    assert unattended(engine) == set()  # the batch waits for its retry: attended
    engine.on_assign([B])
    engine.tracker.track(B, 7)  # pending, yet in no batch, job, retry or dead-letter write
    assert unattended(engine) == {B}


def test_unattended_ignores_signals_waiting_in_the_batcher() -> None:
    """Signals queued in the batcher (linger, full pool) are attended."""
    engine, _ = make_engine(ScriptedSender(), linger_ms=60_000, batch_max_signals=100)
    engine.on_assign([A])
    engine.on_message(FakeMessage("t", 0, 0))
    engine.step()
    assert engine.tracker.pending_count(A) == 1
    assert unattended(engine) == set()


def test_lag_and_stall_series_are_removed_for_revoked_partitions() -> None:
    """Forgetting a partition drops its lag and stalled series from /metrics."""
    metrics = Metrics()
    metrics.partition_lag.labels("t", "0").set(3)
    metrics.partition_stalled.labels("t", "0").set(12)
    metrics.partition_lag.labels("t", "1").set(1)
    metrics.forget_partitions({A})
    text = metrics.render().decode()
    assert 'signals_partition_lag{partition="0",topic="t"}' not in text
    assert 'signals_partition_stalled_seconds{partition="0",topic="t"}' not in text
    assert 'signals_partition_lag{partition="1",topic="t"}' in text


def test_process_and_python_collectors_are_exposed() -> None:
    """The standard process_* and python_* series are in /metrics."""
    text = Metrics().render().decode()
    assert "\nprocess_resident_memory_bytes" in text
    assert "\npython_info" in text
    assert "\npython_gc_collections_total" in text


def test_revoked_partitions_lose_their_lag_series_on_the_next_observation() -> None:
    """After a revoke the loop's next look drops the partition's lag and stall series."""
    from confluent_kafka import TopicPartition

    from consumer.pipeline import Pipeline
    from consumer.pipeline.loop import Parts

    from .fakes import FakeProducer, settings, translate_literal
    from .test_loop import FakeConsumer

    class Consumer(FakeConsumer):
        def incremental_unassign(self, partitions: list[TopicPartition]) -> None:
            return None

    consumer = Consumer("t", {0: [b"v"] * 3, 1: [b"v"] * 4})
    parts = Parts(
        consumer=consumer,
        producer=FakeProducer(),
        translate=translate_literal,
        send=ScriptedSender(),
        encode=lambda obj: str(obj["identifiableAttributes"]),
        delay=lambda attempt, retry_after: 1.0,
    )
    pipeline = Pipeline(settings(), parts)
    both = [TopicPartition("t", 0), TopicPartition("t", 1)]
    pipeline.rebalance.on_assign(consumer, both)
    pipeline._observe(100.0)
    text = pipeline.metrics.render().decode()
    assert 'signals_partition_lag{partition="1",topic="t"} 4.0' in text
    pipeline.rebalance.on_revoke(consumer, [TopicPartition("t", 1)])
    pipeline._observe(102.0)
    text = pipeline.metrics.render().decode()
    assert 'signals_partition_lag{partition="0",topic="t"} 3.0' in text
    assert 'partition="1"' not in text
    assert "signals_assigned_partitions 1.0" in text
