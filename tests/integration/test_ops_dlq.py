"""``signals-consumer dlq inspect`` and ``dlq redrive`` against the real stack."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from consumer.cli import app
from consumer.errors import DecodeError, NotEntitledError, SignalRejectedError
from consumer.ops.dlq_records import DlqFilter, DlqRecord
from consumer.ops.redrive import RedriveOptions, run_redrive
from tests.integration.ops_support import (
    capture,
    email_event,
    feed_count,
    ops_env,
    ops_settings,
    serialize,
    source,
    text_of,
    write_dead_letters,
)
from tests.integration.test_pipeline import read_all

pytestmark = pytest.mark.integration


def dlq_setup(
    bootstrap: str, registry_url: str, make_topic: Callable[..., str], sandbox: Any, **over: Any
) -> tuple[str, Any]:
    """A source topic name, its DLQ topic (1 partition) and settings."""
    topic = make_topic(partitions=1)
    make_topic(name=f"{topic}.dlq")
    return topic, ops_settings(bootstrap, registry_url, sandbox, topic, **over)


def test_inspect_filters_and_masks(
    kafka_bootstrap: str, schema_registry_url: str, make_topic: Callable[..., str], sandbox: Any
) -> None:
    """Filters by reason and source topic; payload decoded; emails masked unless --show-pii."""
    topic, settings = dlq_setup(kafka_bootstrap, schema_registry_url, make_topic, sandbox)
    event = email_event("jane", 1)
    avro = serialize(schema_registry_url, topic, event)
    write_dead_letters(
        settings,
        [
            (DecodeError("wrong magic byte"), source(topic, 0, b"mail jane@example.com")),
            (
                NotEntitledError("pageView is not entitled", field="signalContent.signalType"),
                source(topic, 1, avro, key=b"jane-1@example.com", headers=[("trace", b"t-1")]),
            ),
            (SignalRejectedError("rejected by the Connect API"), source("other", 7, avro)),
        ],
    )
    env = ops_env(settings)
    runner = CliRunner()
    result = runner.invoke(app, ["dlq", "inspect", "--json"], env=env)
    assert result.exit_code == 0, result.output
    items = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [i["reason"] for i in items] == ["undecodable", "not_entitled", "rejected_by_api"]
    assert "jane-1@example.com" not in result.stdout
    assert "jane@example.com" not in result.stdout
    entitled = items[1]
    assert entitled["payload"]["email"] == "j***@example.com"
    assert entitled["payload"]["productId"] == "SKU-1"
    assert entitled["record_name"] == "io.connectsignals.events.AddToCartEvent"
    assert entitled["key"] == "j***@example.com"
    assert entitled["headers"] == {"trace": "t-1"}
    assert entitled["field"] == "signalContent.signalType"
    assert items[0]["payload"] is None
    assert items[0]["raw_value"] == "mail j***@example.com"

    by_reason = runner.invoke(
        app, ["dlq", "inspect", "--json", "--reason", "not_entitled"], env=env
    )
    assert [json.loads(x)["source"]["offset"] for x in by_reason.stdout.splitlines()] == [1]
    by_topic = runner.invoke(app, ["dlq", "inspect", "--json", "--source-topic", "other"], env=env)
    assert [json.loads(x)["source"]["topic"] for x in by_topic.stdout.splitlines()] == ["other"]
    future = runner.invoke(app, ["dlq", "inspect", "--since", "2999-01-01T00:00:00Z"], env=env)
    assert "0 record(s) shown, 3 read" in future.stdout
    limited = runner.invoke(app, ["dlq", "inspect", "--limit", "1"], env=env)
    assert "reason=undecodable" in limited.stdout
    assert "1 record(s) shown, 1 read" in limited.stdout
    assert "--limit reached" in limited.stdout
    pii = runner.invoke(app, ["dlq", "inspect", "--reason", "not_entitled", "--show-pii"], env=env)
    assert "jane-1@example.com" in pii.stdout


def test_redrive_delivers_fixed_events_and_returns_failures_with_attempt_raised(
    kafka_bootstrap: str,
    schema_registry_url: str,
    make_topic: Callable[..., str],
    sandbox: Any,
    tmp_path: Path,
) -> None:
    """Selected events are delivered, a still-bad one goes back byte for byte with attempt+1."""
    topic, settings = dlq_setup(kafka_bootstrap, schema_registry_url, make_topic, sandbox)
    good = [serialize(schema_registry_url, topic, email_event(topic, n)) for n in range(3)]
    headers = [("trace", b"\x00\xff")]
    write_dead_letters(
        settings,
        [
            *((NotEntitledError("tier was pro"), source(topic, n, v)) for n, v in enumerate(good)),
            (NotEntitledError("tier was pro"), source(topic, 3, b"junk", headers=headers)),
            (DecodeError("not selected"), source(topic, 4, good[0])),
        ],
    )
    state = tmp_path / "state.json"
    options = RedriveOptions(
        select=DlqFilter(reasons=("not_entitled",)), state_file=state, execute=True
    )
    console, out = capture()
    tally = run_redrive(settings, options, console=console, progress_console=capture()[0])
    assert (tally.read, tally.skipped, tally.delivered) == (5, 1, 3)
    assert dict(tally.by_reason) == {"undecodable": 1}
    assert [feed_count(sandbox, f"{topic}-{n}@example.com") for n in range(3)] == [1, 1, 1]
    records = read_all(kafka_bootstrap, settings.dlq_topic, idle_s=1.0)
    assert len(records) == 6
    first, back = DlqRecord.from_message(records[3]), DlqRecord.from_message(records[5])
    assert back.source.value() == b"junk"
    assert list(back.source.headers() or []) == headers
    assert (back.reason, back.attempt) == ("undecodable", 2)
    assert back.first_failure_ms == first.first_failure_ms
    assert (back.source.topic(), back.source.offset()) == (topic, 3)
    assert json.loads(state.read_text())["next_offsets"] == {"0": 5}
    assert "reason=undecodable" in text_of(out)

    # the next run starts at the record put back; its new reason no longer matches the filter
    again = run_redrive(settings, options, console=capture()[0], progress_console=capture()[0])
    assert (again.read, again.skipped, again.delivered, again.dead_lettered) == (1, 1, 0, 0)
    assert json.loads(state.read_text())["next_offsets"] == {"0": 6}


def test_interrupted_redrive_resumes_where_it_stopped(
    kafka_bootstrap: str,
    schema_registry_url: str,
    make_topic: Callable[..., str],
    sandbox: Any,
    tmp_path: Path,
) -> None:
    """A re-drive stopped after its first batch resumes from the state file; none sent twice."""
    topic, settings = dlq_setup(
        kafka_bootstrap, schema_registry_url, make_topic, sandbox, batch_max_signals=4
    )
    write_dead_letters(
        settings,
        [
            (NotEntitledError("tier"), source(topic, n, serialize(schema_registry_url, topic, e)))
            for n, e in enumerate(email_event(topic, n) for n in range(10))
        ],
    )
    env = {**ops_env(settings), "SIGNALS_BATCH_MAX_SIGNALS": "4"}
    state = tmp_path / "redrive.json"
    runner = CliRunner()
    dry = runner.invoke(app, ["dlq", "redrive", "--state-file", str(state)], env=env)
    assert dry.exit_code == 0, dry.output
    assert "would send" in dry.stdout
    assert "add --execute to send" in dry.stdout
    assert not state.exists()
    assert [feed_count(sandbox, f"{topic}-{n}@example.com") for n in range(10)] == [0] * 10

    first = runner.invoke(
        app,
        ["dlq", "redrive", "--max-records", "4", "--state-file", str(state), "--execute"],
        env=env,
    )
    assert first.exit_code == 0, first.output
    assert "stopped after 4" in first.stdout
    assert json.loads(state.read_text())["next_offsets"] == {"0": 4}
    delivered = [feed_count(sandbox, f"{topic}-{n}@example.com") for n in range(10)]
    assert delivered == [1] * 4 + [0] * 6

    other = runner.invoke(
        app, ["dlq", "redrive", "--reason", "x", "--state-file", str(state), "--execute"], env=env
    )
    assert other.exit_code == 1
    assert "another selection" in other.output

    rest = runner.invoke(
        app,
        ["dlq", "redrive", "--rate-limit", "50/s", "--state-file", str(state), "--execute"],
        env=env,
    )
    assert rest.exit_code == 0, rest.output
    assert json.loads(state.read_text())["next_offsets"] == {"0": 10}
    assert [feed_count(sandbox, f"{topic}-{n}@example.com") for n in range(10)] == [1] * 10
