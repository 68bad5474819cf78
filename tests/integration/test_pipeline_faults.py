"""The pipeline under faults: a 429 burst, a rebalance between two members, SIGTERM drain."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from consumer.pipeline import Pipeline
from consumer.pipeline.retry import PauseBook
from tests.fixtures.sandbox import free_port
from tests.integration.test_pipeline import (
    cart_event,
    committed,
    high_watermarks,
    http_get,
    pipeline_settings,
    produce_events,
    running,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BIN = Path(sys.executable).parent / "signals-consumer"


def wait_for(predicate: Callable[[], bool], timeout_s: float = 60) -> None:
    """Poll ``predicate`` until true (fails the test on timeout)."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.1)


def test_throttling_burst_is_honoured_without_leaving_the_group(
    kafka_bootstrap: str, schema_registry_url: str, make_topic: Callable[..., str], sandbox: Any
) -> None:
    """429s with Retry-After are retried; the member keeps its partitions and all arrive."""
    topic = make_topic(partitions=2)
    produce_events(kafka_bootstrap, schema_registry_url, topic, [cart_event(n) for n in range(40)])
    settings = pipeline_settings(kafka_bootstrap, schema_registry_url, sandbox, topic)
    sandbox.set_faults(throttle_next=3, retry_after_s=1)
    pipeline = Pipeline.from_settings(settings, until_idle_s=2.0)
    with running(pipeline) as (_stop, result):
        wait_for(lambda: bool(result), 90)
    assert result == [0]
    assert pipeline.rebalance.generations == 1  # assigned once, never revoked or lost
    totals = pipeline.metrics.totals()
    assert totals["delivered"] == 40
    assert totals["retries"] >= 1
    assert committed(kafka_bootstrap, settings.kafka_group_id, topic, 2) == high_watermarks(
        kafka_bootstrap, topic, 2
    )


def test_deep_partitions_pause_alone_on_the_broker_and_lose_nothing(
    kafka_bootstrap: str,
    schema_registry_url: str,
    make_topic: Callable[..., str],
    sandbox: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With a slow API, partitions queueing over two batches are paused and resumed on the real
    consumer, and every event is still delivered once and committed to the end."""
    reasons: list[str] = []
    add = PauseBook.add

    def spy(book: PauseBook, tps: Any, reason: str) -> None:
        reasons.append(reason)
        add(book, tps, reason)

    monkeypatch.setattr(PauseBook, "add", spy)
    topic = make_topic(partitions=2)
    events = [cart_event(n) for n in range(300)]
    produce_events(kafka_bootstrap, schema_registry_url, topic, events)
    settings = pipeline_settings(
        kafka_bootstrap, schema_registry_url, sandbox, topic, batch_max_signals=10
    )
    sandbox.set_faults(latency_ms=50)
    try:
        pipeline = Pipeline.from_settings(settings, until_idle_s=2.0)
        with running(pipeline) as (_stop, result):
            wait_for(lambda: bool(result), 120)
    finally:
        sandbox.clear_faults()
    assert result == [0]
    assert "deep" in reasons
    totals = pipeline.metrics.totals()
    assert totals["delivered"] == 300
    assert totals["dead_lettered"] == 0
    assert committed(kafka_bootstrap, settings.kafka_group_id, topic, 2) == high_watermarks(
        kafka_bootstrap, topic, 2
    )


def test_rebalance_between_two_members_loses_nothing(
    kafka_bootstrap: str, schema_registry_url: str, make_topic: Callable[..., str], sandbox: Any
) -> None:
    """A second member joining mid-stream: everything committed, duplicates bounded."""
    topic = make_topic(partitions=4)
    produce_events(kafka_bootstrap, schema_registry_url, topic, [cart_event(n) for n in range(200)])
    settings = pipeline_settings(kafka_bootstrap, schema_registry_url, sandbox, topic)
    first, second = (
        Pipeline.from_settings(settings, until_idle_s=4.0),
        Pipeline.from_settings(settings, until_idle_s=4.0),
    )
    with running(first) as (_s1, r1):
        wait_for(lambda: first.metrics.totals()["delivered"] > 0)
        with running(second) as (_s2, r2):
            produce_events(
                kafka_bootstrap,
                schema_registry_url,
                topic,
                [cart_event(n) for n in range(200, 400)],
            )
            wait_for(lambda: bool(r1) and bool(r2), 120)
    assert r1 == [0]
    assert r2 == [0]
    delivered = first.metrics.totals()["delivered"] + second.metrics.totals()["delivered"]
    assert 400 <= delivered <= 400 + settings.batch_max_signals * 4
    assert second.rebalance.generations >= 1
    assert committed(kafka_bootstrap, settings.kafka_group_id, topic, 4) == high_watermarks(
        kafka_bootstrap, topic, 4
    )


def test_sigterm_drains_commits_and_exits_0(
    kafka_bootstrap: str, schema_registry_url: str, make_topic: Callable[..., str], sandbox: Any
) -> None:
    """SIGTERM mid-stream: the process finishes what it read, commits it and exits 0."""
    topic = make_topic(partitions=3)
    produce_events(kafka_bootstrap, schema_registry_url, topic, [cart_event(n) for n in range(300)])
    port = free_port()
    env = {
        **os.environ,
        "SIGNALS_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "SIGNALS_SCHEMA_REGISTRY_URL": schema_registry_url,
        "SIGNALS_TOPICS": topic,
        "SIGNALS_DLQ_TOPIC": f"{topic}.dlq",
        "SIGNALS_KAFKA_GROUP_ID": f"g-{topic}",
        "SIGNALS_CONNECT_URL": sandbox.url,
        "SIGNALS_CONNECT_API_KEY": sandbox.api_key,
        "SIGNALS_DEFAULT_APP_KEY": sandbox.app_key,
        "SIGNALS_METRICS_PORT": str(port),
        "SIGNALS_METRICS_HOST": "127.0.0.1",
        "SIGNALS_BATCH_MAX_SIGNALS": "20",
        "SIGNALS_LOG_FORMAT": "json",
    }
    proc = subprocess.Popen(
        [str(BIN), "run"], env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    try:

        def consumed_some() -> bool:
            try:
                status, body = http_get(port, "/metrics")
            except OSError:
                return False
            return status == 200 and b"signals_delivered_total{" in body

        wait_for(consumed_some, 60)
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-3000:]
    stopped = [json.loads(line) for line in err.splitlines() if '"pipeline_stopped"' in line][-1]
    offsets = committed(kafka_bootstrap, f"g-{topic}", topic, 3)
    finished = int(stopped["delivered"] + stopped["dead_lettered"])
    assert sum(max(o, 0) for o in offsets.values()) == finished
    assert finished == int(stopped["consumed"])
