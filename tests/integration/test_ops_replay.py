"""``signals-consumer replay`` against the real broker, registry and sandbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from confluent_kafka import TopicPartition
from confluent_kafka.admin import AdminClient
from typer.testing import CliRunner

from consumer.cli import app
from consumer.ops.offsets import describe_group
from consumer.ops.ranges import EndAt, StartAt
from consumer.ops.replay import ReplayOptions, run_replay
from tests.integration.ops_support import (
    capture,
    committed_offsets,
    email_event,
    feed_count,
    ops_env,
    ops_settings,
    produce_avro,
    produce_raw_records,
    text_of,
)
from tests.integration.test_pipeline import high_watermarks, read_all

pytestmark = pytest.mark.integration


def test_replay_delivers_exactly_the_range_and_commits_nothing(
    kafka_bootstrap: str,
    schema_registry_url: str,
    make_topic: Callable[..., str],
    kafka_admin: AdminClient,
    sandbox: Any,
) -> None:
    """Offsets 3..7 of partition 0 are delivered (a bad one dead-lettered); no group commits."""
    topic = make_topic(partitions=2)
    make_topic(name=f"{topic}.dlq")
    tag = topic
    produce_avro(
        kafka_bootstrap, schema_registry_url, topic, [email_event(tag, n) for n in range(5)]
    )
    produce_raw_records(kafka_bootstrap, topic, [b"not avro"])  # offset 5
    produce_avro(
        kafka_bootstrap, schema_registry_url, topic, [email_event(tag, n) for n in range(6, 10)]
    )
    produce_avro(
        kafka_bootstrap,
        schema_registry_url,
        topic,
        [email_event(f"{tag}-p1", n) for n in range(10)],
        partition=1,
    )
    settings = ops_settings(kafka_bootstrap, schema_registry_url, sandbox, topic)
    console, out = capture()
    options = ReplayOptions(
        topic, StartAt("offset", 3), EndAt("offset", 8), partitions=(0,), execute=True
    )
    tally = run_replay(settings, options, console=console, progress_console=capture()[0])
    assert (tally.read, tally.delivered, dict(tally.by_reason)) == (5, 4, {"undecodable": 1})
    assert [feed_count(sandbox, f"{tag}-{n}@example.com") for n in range(10)] == [
        0,
        0,
        0,
        1,
        1,
        0,
        1,
        1,
        0,
        0,
    ]
    assert feed_count(sandbox, f"{tag}-p1-3@example.com") == 0
    dead = read_all(kafka_bootstrap, settings.dlq_topic, idle_s=1.0)
    assert [(r.value(), dict(r.headers())["signals.attempt"]) for r in dead] == [
        (b"not avro", b"1")
    ]
    assert all(
        o < 0
        for o in committed_offsets(kafka_bootstrap, settings.kafka_group_id, topic, 2).values()
    )
    assert describe_group(kafka_admin, settings.kafka_group_id).members == 0
    summary = text_of(out)
    assert "signalType=addToCart" in summary
    assert "reason=undecodable" in summary


def test_replay_by_time_reads_only_the_window(
    kafka_bootstrap: str, schema_registry_url: str, make_topic: Callable[..., str], sandbox: Any
) -> None:
    """--from-time/--to-time select the records stamped in [from, to)."""
    topic = make_topic(partitions=1)
    make_topic(name=f"{topic}.dlq")
    base = 1_760_000_000_000
    produce_avro(
        kafka_bootstrap,
        schema_registry_url,
        topic,
        [email_event(topic, n) for n in range(8)],
        timestamps=[base + n * 60_000 for n in range(8)],
    )
    settings = ops_settings(kafka_bootstrap, schema_registry_url, sandbox, topic)
    options = ReplayOptions(
        topic, StartAt("time", base + 2 * 60_000), EndAt("time", base + 5 * 60_000), execute=True
    )
    tally = run_replay(settings, options, console=capture()[0], progress_console=capture()[0])
    assert tally.delivered == 3
    assert [feed_count(sandbox, f"{topic}-{n}@example.com") for n in range(8)] == [
        0,
        0,
        1,
        1,
        1,
        0,
        0,
        0,
    ]


def test_without_execute_counts_by_type_and_error_and_sends_nothing(
    kafka_bootstrap: str, schema_registry_url: str, make_topic: Callable[..., str], sandbox: Any
) -> None:
    """Without --execute the replay is a dry run: counts by type and error, nothing sent."""
    topic = make_topic(partitions=1)
    produce_avro(
        kafka_bootstrap, schema_registry_url, topic, [email_event(topic, n) for n in range(6)]
    )
    produce_raw_records(kafka_bootstrap, topic, [b"garbage", b"\x00\x00\x00\x7f\x7fjunk"])
    settings = ops_settings(kafka_bootstrap, schema_registry_url, sandbox, topic)
    result = CliRunner().invoke(
        app, ["replay", "--topic", topic, "--from-earliest"], env=ops_env(settings)
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "(dry run)" in out
    assert "add --execute to send" in out
    assert "would send" in out
    assert "signalType=addToCart" in out
    assert "reason=undecodable" in out
    assert "reason=unknown_schema" in out
    assert feed_count(sandbox, f"{topic}-0@example.com") == 0
    metadata = AdminClient({"bootstrap.servers": kafka_bootstrap}).list_topics(timeout=10)
    assert settings.dlq_topic not in metadata.topics


def test_range_before_retained_data_is_explained(
    kafka_bootstrap: str,
    schema_registry_url: str,
    make_topic: Callable[..., str],
    kafka_admin: AdminClient,
    sandbox: Any,
) -> None:
    """A start before the log start offset warns which offsets are gone and replays the rest."""
    topic = make_topic(partitions=1)
    make_topic(name=f"{topic}.dlq")
    produce_avro(
        kafka_bootstrap, schema_registry_url, topic, [email_event(topic, n) for n in range(8)]
    )
    futures = kafka_admin.delete_records([TopicPartition(topic, 0, 5)])
    for future in futures.values():
        future.result(timeout=30)
    settings = ops_settings(kafka_bootstrap, schema_registry_url, sandbox, topic)
    result = CliRunner().invoke(
        app, ["replay", "--topic", topic, "--from-offset", "0", "--execute"], env=ops_env(settings)
    )
    assert result.exit_code == 0, result.output
    assert "before the retained data" in result.stdout
    assert "log start offset" in result.stdout
    assert "0..4" in result.stdout
    assert [feed_count(sandbox, f"{topic}-{n}@example.com") for n in (4, 5, 7)] == [0, 1, 1]


def test_usage_errors_exit_2(kafka_bootstrap: str) -> None:
    """Two starts, or a date that is not ISO 8601, are usage errors (exit 2)."""
    runner = CliRunner()
    both = runner.invoke(app, ["replay", "--topic", "t", "--from-earliest", "--from-offset", "1"])
    bad_date = runner.invoke(app, ["replay", "--topic", "t", "--from-time", "yesterday"])
    assert (both.exit_code, bad_date.exit_code) == (2, 2)
    assert "ISO 8601" in bad_date.output


def test_refused_api_key_stops_with_exit_4_and_a_resume_hint(
    kafka_bootstrap: str, schema_registry_url: str, make_topic: Callable[..., str], sandbox: Any
) -> None:
    """A refused key stops the replay (exit 4), dead-letters nothing and says where to resume."""
    topic = make_topic(partitions=1)
    make_topic(name=f"{topic}.dlq")
    produce_avro(
        kafka_bootstrap, schema_registry_url, topic, [email_event(topic, n) for n in range(3)]
    )
    settings = ops_settings(kafka_bootstrap, schema_registry_url, sandbox, topic)
    env = {**ops_env(settings), "SIGNALS_CONNECT_API_KEY": "wrong-key"}
    result = CliRunner().invoke(
        app, ["replay", "--topic", topic, "--from-earliest", "--execute"], env=env
    )
    assert result.exit_code == 4, result.output
    assert "refused the API key" in result.output
    assert "--partition 0 --from-offset 0" in result.stdout
    assert high_watermarks(kafka_bootstrap, settings.dlq_topic, 1) == {0: 0}
