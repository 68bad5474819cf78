"""The group-wide request-rate cap on the real broker: three consumers, a scale-out, one cap.

Two in-process pipelines of one group start on a 6-partition backlog with
``SIGNALS_CONNECT_GROUP_RATE_LIMIT_PER_S``; a third joins a few seconds later. The sandbox
counts the requests it receives per wall-clock second. Stated tolerance: a second may hold
one request per member above the cap (each member's pacer has its own phase against the
sandbox's second boundaries, so a 1-s bucket can catch one extra slot of each), nothing more -
including the seconds around the rebalance.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import pytest

from consumer.pipeline import Pipeline
from tests.integration.test_pipeline import (
    cart_event,
    committed,
    high_watermarks,
    pipeline_settings,
    produce_events,
    running,
)

pytestmark = pytest.mark.integration

CAP_PER_S = 15.0
EVENTS = 1500
BATCH = 5  # 300 mutations: about 20 s at the cap
PARTITIONS = 6
MEMBERS = 3
SCALE_OUT_AFTER_S = 7.0


def test_group_rate_cap_holds_through_a_scale_out(
    kafka_bootstrap: str,
    schema_registry_url: str,
    make_topic: Callable[..., str],
    fresh_sandbox: Any,
) -> None:
    """The total request rate at the API stays within the group cap while a third member joins,
    and every event is delivered and committed."""
    topic = make_topic(partitions=PARTITIONS)
    produce_events(
        kafka_bootstrap,
        schema_registry_url,
        topic,
        [cart_event(n, contactKey=f"contact-{n}") for n in range(EVENTS)],
    )
    settings = pipeline_settings(
        kafka_bootstrap,
        schema_registry_url,
        fresh_sandbox,
        topic,
        connect_group_rate_limit_per_s=CAP_PER_S,
        batch_max_signals=BATCH,
        linger_ms=20,
    )
    pipelines = [Pipeline.from_settings(settings) for _ in range(MEMBERS)]
    started = time.monotonic()
    deadline = started + 55
    with ExitStack() as stack:
        for pipeline in pipelines[:2]:
            stack.enter_context(running(pipeline))
        while time.monotonic() < started + SCALE_OUT_AFTER_S:
            time.sleep(0.2)
        accepted_before_scale_out = fresh_sandbox.stats()["signals"]["accepted"]
        stack.enter_context(running(pipelines[2]))
        while fresh_sandbox.stats()["signals"]["accepted"] < EVENTS:
            assert time.monotonic() < deadline, fresh_sandbox.stats()["signals"]
            time.sleep(0.25)
        time.sleep(1.5)  # a commit interval, so that the last positions are committed
    stats = fresh_sandbox.stats()
    per_second = stats["requests_per_second"]
    assert stats["signals"]["accepted"] == EVENTS
    assert sum(p.metrics.totals()["delivered"] for p in pipelines) == EVENTS
    assert all(p.metrics.totals()["delivered"] > 0 for p in pipelines)  # the third one worked
    assert 0 < accepted_before_scale_out < EVENTS  # the scale-out happened mid-backlog
    assert max(per_second.values()) <= CAP_PER_S + MEMBERS, per_second
    assert max(per_second.values()) >= CAP_PER_S / 2, per_second  # the cap was reached
    assert committed(kafka_bootstrap, settings.kafka_group_id, topic, PARTITIONS) == (
        high_watermarks(kafka_bootstrap, topic, PARTITIONS)
    )
