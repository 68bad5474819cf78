"""``signals-consumer offsets reset`` against the real broker."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from confluent_kafka import Consumer, TopicPartition
from typer.testing import CliRunner

from consumer.cli import app
from consumer.errors import OperationRefused
from consumer.ops.offsets import ResetOptions, ResetTarget, run_reset
from tests.integration.ops_support import (
    capture,
    committed_offsets,
    email_event,
    ops_env,
    ops_settings,
    produce_avro,
    text_of,
)

pytestmark = pytest.mark.integration

BASE_MS = 1_770_000_000_000


def prepared_group(bootstrap: str, registry_url: str, topic: str, sandbox: Any) -> Any:
    """Two partitions of 6 records (1 minute apart) and a group committed at 4 and 5."""
    for partition in (0, 1):
        produce_avro(
            bootstrap,
            registry_url,
            topic,
            [email_event(f"{topic}-{partition}", n) for n in range(6)],
            partition=partition,
            timestamps=[BASE_MS + n * 60_000 for n in range(6)],
        )
    settings = ops_settings(bootstrap, registry_url, sandbox, topic)
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": settings.kafka_group_id})
    consumer.commit(
        offsets=[TopicPartition(topic, 0, 4), TopicPartition(topic, 1, 5)], asynchronous=False
    )
    consumer.close()
    return settings


def test_dry_run_prints_before_and_after_and_changes_nothing(
    kafka_bootstrap: str, schema_registry_url: str, make_topic: Callable[..., str], sandbox: Any
) -> None:
    """Without --execute the table shows current, new and lag; the offsets stay as they were."""
    topic = make_topic(partitions=2)
    settings = prepared_group(kafka_bootstrap, schema_registry_url, topic, sandbox)
    console, out = capture()
    rows = run_reset(
        settings,
        ResetOptions(settings.kafka_group_id, ResetTarget("earliest")),
        console=console,
    )
    assert [(r.partition, r.current, r.new, r.lag_before, r.lag_after) for r in rows] == [
        (0, 4, 0, 2, 6),
        (1, 5, 0, 1, 6),
    ]
    text = text_of(out)
    assert "lag before" in text
    assert "dry run" in text
    assert "--execute" in text
    assert committed_offsets(kafka_bootstrap, settings.kafka_group_id, topic, 2) == {0: 4, 1: 5}


def test_execute_applies_a_time_reset_to_one_partition(
    kafka_bootstrap: str, schema_registry_url: str, make_topic: Callable[..., str], sandbox: Any
) -> None:
    """--execute --to-time moves only the named partition to the first record at that time."""
    topic = make_topic(partitions=2)
    settings = prepared_group(kafka_bootstrap, schema_registry_url, topic, sandbox)
    args = [
        "offsets", "reset", "--group", settings.kafka_group_id, "--topic", topic,
        "--partition", "1", "--to-time", "2026-02-02T02:42:00Z", "--execute",
    ]  # fmt: skip
    assert BASE_MS + 2 * 60_000 == 1_770_000_120_000  # 2026-02-02T02:42:00Z
    result = CliRunner().invoke(app, args, env=ops_env(settings))
    assert result.exit_code == 0, result.output
    assert "applied" in result.stdout
    assert committed_offsets(kafka_bootstrap, settings.kafka_group_id, topic, 2) == {0: 4, 1: 2}


def test_execute_is_refused_while_the_group_has_an_active_member(
    kafka_bootstrap: str, schema_registry_url: str, make_topic: Callable[..., str], sandbox: Any
) -> None:
    """A group with a live member is not reset: exit 1 with a clear message, offsets kept."""
    topic = make_topic(partitions=2)
    settings = prepared_group(kafka_bootstrap, schema_registry_url, topic, sandbox)
    member = Consumer(
        {
            "bootstrap.servers": kafka_bootstrap,
            "group.id": settings.kafka_group_id,
            "enable.auto.commit": False,
        }
    )
    member.subscribe([topic])
    try:
        deadline = time.monotonic() + 30
        while not member.assignment():
            assert time.monotonic() < deadline, "the member never got its partitions"
            member.poll(0.2)
        with pytest.raises(OperationRefused, match="active member"):
            run_reset(
                settings,
                ResetOptions(settings.kafka_group_id, ResetTarget("latest"), execute=True),
                console=capture()[0],
            )
        result = CliRunner().invoke(
            app,
            ["offsets", "reset", "--group", settings.kafka_group_id, "--to-latest", "--execute"],
            env=ops_env(settings),
        )
        assert result.exit_code == 1
        assert "refusing to reset group" in result.output
        assert "active member" in result.output
    finally:
        member.close()
    assert committed_offsets(kafka_bootstrap, settings.kafka_group_id, topic, 2) == {0: 4, 1: 5}
