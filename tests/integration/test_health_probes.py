"""The probes of a running pipeline through a Connect outage longer than every health budget.

The real broker and registry, the sandbox stopped (connections refused) for longer than
``SIGNALS_HEALTH_PROGRESS_TIMEOUT_S``: liveness must stay 200 (a restart fixes nothing
downstream), readiness must stay 200 (joined and able to work) and the lag and the stalled
partitions must be reported, then clear once the API is back. docs/deploy.md, "Probes".
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from consumer.pipeline import Pipeline
from tests.fixtures.sandbox import free_port
from tests.integration.test_pipeline import (
    cart_event,
    http_get,
    pipeline_settings,
    produce_events,
    running,
)

pytestmark = pytest.mark.integration

BUDGET_S = 2.0
OUTAGE_S = 14.0
EVENTS = 20


def _stalled_seconds(metrics_text: str) -> dict[str, float]:
    pattern = r'signals_partition_stalled_seconds\{partition="(\d+)",topic="[^"]+"\} (\S+)'
    return {p: float(v) for p, v in re.findall(pattern, metrics_text)}


def test_outage_past_every_budget_keeps_liveness_and_readiness_and_reports_the_stall(
    kafka_bootstrap: str,
    schema_registry_url: str,
    make_topic: Callable[..., str],
    fresh_sandbox: Any,
) -> None:
    """Connect down 7x the progress budget: /healthz and /readyz stay 200, lag and stall show."""
    sandbox = fresh_sandbox
    topic = make_topic(partitions=2)
    produce_events(
        kafka_bootstrap, schema_registry_url, topic, [cart_event(n) for n in range(EVENTS)]
    )
    settings = pipeline_settings(
        kafka_bootstrap,
        schema_registry_url,
        sandbox,
        topic,
        metrics_port=free_port(),
        health_progress_timeout_s=BUDGET_S,
    )
    pipeline = Pipeline.from_settings(settings)
    sandbox.outage(OUTAGE_S)
    outage_ends = time.monotonic() + OUTAGE_S
    live: list[tuple[int, str]] = []
    ready: list[tuple[int, str | None]] = []
    stalled_seen: list[str] = []
    max_stall = 0.0
    with running(pipeline):
        while time.monotonic() < outage_ends - 0.5:
            port = pipeline.health_port
            if port:
                status, body = http_get(port, "/healthz")
                live.append((status, json.loads(body)["reason"]))
                status, body = http_get(port, "/readyz")
                answer = json.loads(body)
                ready.append((status, answer["reason"]))
                stalled_seen = answer["stalled_partitions"] or stalled_seen
                stalls = _stalled_seconds(http_get(port, "/metrics")[1].decode())
                max_stall = max([max_stall, *stalls.values()])
            time.sleep(0.25)
        sandbox.wait_outage_over()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done = pipeline.metrics.totals()["delivered"] >= EVENTS
            if done and pipeline.health.stalled == () and pipeline.health.lag == 0:
                break
            time.sleep(0.25)
        port = pipeline.health_port
        assert port is not None
        after = json.loads(http_get(port, "/healthz")[1])
    started = [i for i, (status, _) in enumerate(live) if status == 200]
    assert started, f"never live: {live[:5]}"
    first = started[0]
    assert all(reason == "starting" for _, reason in live[:first])
    assert live[first:] == [(200, "ok")] * (len(live) - first)  # never failed after startup
    joined = next(i for i, (status, _) in enumerate(ready) if status == 200)
    assert ready[joined:] == [(200, None)] * (len(ready) - joined)  # no flapping with retries
    assert stalled_seen
    assert set(stalled_seen) <= {f"{topic}[0]", f"{topic}[1]"}
    assert max_stall > BUDGET_S
    assert pipeline.metrics.totals()["delivered"] >= EVENTS
    assert after == {"healthy": True, "reason": "ok", "lag": 0, "stalled_partitions": []}
