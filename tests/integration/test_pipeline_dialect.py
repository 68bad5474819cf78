"""The pipeline on the real broker against Connect's dialect (reference 9): the sandbox's
whole-mutation rejection without an index and Cosmo's throttle in an HTTP 200, and a small
stand-in that refuses the mutation document itself (no sandbox option does)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from consumer.pipeline import Pipeline
from tests.fixtures.sandbox import free_port
from tests.integration.test_pipeline import (
    cart_event,
    committed,
    high_watermarks,
    http_get,
    pipeline_settings,
    produce_events,
    read_all,
    run_until_idle,
    run_with_bad_email_at,
    running,
)

pytestmark = pytest.mark.integration

BAD_OFFSET = 321


def test_one_bad_signal_among_499_good_is_dead_lettered_alone_with_the_api_words(
    kafka_bootstrap: str,
    schema_registry_url: str,
    make_topic: Callable[..., str],
    fresh_sandbox: Any,
) -> None:
    """A 500-signal batch refused whole (data null, INVALID_ATTRIBUTE_VALUE, no index): the 499
    good ones are delivered, the bad one is dead-lettered with the API's message, code and
    category, and the partition is committed to its end."""
    assert fresh_sandbox.error_dialect == "realistic"
    topic = make_topic(partitions=1)
    produce_events(kafka_bootstrap, schema_registry_url, topic, [cart_event(n) for n in range(500)])
    settings = pipeline_settings(
        kafka_bootstrap, schema_registry_url, fresh_sandbox, topic, linger_ms=2000
    )
    pipeline = run_with_bad_email_at(settings, BAD_OFFSET)
    totals = pipeline.metrics.totals()
    assert totals["delivered"] == 499
    assert totals["dead_lettered_by_reason"] == {"rejected_by_api": 1}
    (record,) = read_all(kafka_bootstrap, settings.dlq_topic)
    headers = dict(record.headers())
    assert headers["__connect.errors.offset"] == str(BAD_OFFSET).encode()
    assert headers["signals.api.code"] == b"INVALID_ATTRIBUTE_VALUE"
    assert headers["signals.api.category"] == b"EMAIL_FORMAT"
    assert b"not-an-email" in headers["signals.api.error"]
    assert committed(kafka_bootstrap, settings.kafka_group_id, topic, 1) == {0: 500}


def test_a_storm_of_200_rate_limit_exceeded_delivers_everything_without_dead_letters(
    kafka_bootstrap: str,
    schema_registry_url: str,
    make_topic: Callable[..., str],
    fresh_sandbox: Any,
) -> None:
    """Thirty HTTP 200 RATE_LIMIT_EXCEEDED answers in a row (retryAfterMs 1000, no header):
    retried as throttling, everything after them delivered and committed, nothing
    dead-lettered."""
    topic = make_topic(partitions=3)
    produce_events(kafka_bootstrap, schema_registry_url, topic, [cart_event(n) for n in range(300)])
    fresh_sandbox.set_faults(rate_limit_next=30, retry_after_s=1)
    settings = pipeline_settings(
        kafka_bootstrap, schema_registry_url, fresh_sandbox, topic, batch_max_signals=50
    )
    pipeline = run_until_idle(settings, idle_s=3.0)
    totals = pipeline.metrics.totals()
    assert totals["delivered"] == 300
    assert totals["dead_lettered"] == 0
    assert totals["retries"] >= 30
    assert read_all(kafka_bootstrap, settings.dlq_topic, idle_s=1.0) == []
    assert committed(kafka_bootstrap, settings.kafka_group_id, topic, 3) == high_watermarks(
        kafka_bootstrap, topic, 3
    )


class QueryRefusingConnect:
    """A stand-in Connect endpoint that refuses every mutation document
    (``GRAPHQL_VALIDATION_FAILED``, no path) while ``refusing`` is set, else accepts it."""

    def __init__(self) -> None:
        self.refusing = threading.Event()
        self.refusing.set()
        self.requests = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                query = json.loads(body)["query"]
                owner.requests += 1
                answer: dict[str, Any]
                if owner.refusing.is_set():
                    error: dict[str, Any] = {
                        "message": 'Cannot query field "signalIds" on type "CreateSignalsResult".',
                        "locations": [{"line": 1, "column": 30}],
                        "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
                    }
                    status, answer = 400, {"errors": [error]}
                else:
                    count = query.count("{appKey:")
                    ids = [f"id-{owner.requests}-{i}" for i in range(count)]
                    status, answer = 200, {"data": {"createSignals": {"signalIds": ids}}}
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/graphql"
        self.api_key = "k"
        self.app_key = "test-app"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_refused_query_stops_sending_commits_and_dead_letters_nothing_then_resumes(
    kafka_bootstrap: str, schema_registry_url: str, make_topic: Callable[..., str]
) -> None:
    """Every mutation refused as a document (a stand-in Connect whose schema changed): not
    ready with ``api_query_rejected``, nothing committed or dead-lettered; once the API takes
    the query again, everything is delivered and committed without a restart."""
    topic = make_topic(partitions=2)
    produce_events(kafka_bootstrap, schema_registry_url, topic, [cart_event(n) for n in range(40)])
    connect = QueryRefusingConnect()
    settings = pipeline_settings(
        kafka_bootstrap, schema_registry_url, connect, topic, metrics_port=free_port()
    )
    pipeline = Pipeline.from_settings(settings)
    try:
        with running(pipeline) as (stop, result):
            deadline = time.monotonic() + 60
            reason = None
            while time.monotonic() < deadline and reason != "api_query_rejected":
                if pipeline.health_port:
                    _status, body = http_get(pipeline.health_port, "/readyz")
                    reason = json.loads(body or b"{}").get("reason")
                time.sleep(0.2)
            assert reason == "api_query_rejected"
            time.sleep(3)  # probes keep failing meanwhile
            assert all(
                offset < 0
                for offset in committed(
                    kafka_bootstrap, settings.kafka_group_id, topic, 2, raw=True
                ).values()
            )
            assert pipeline.metrics.totals()["dead_lettered"] == 0
            connect.refusing.clear()
            ends = high_watermarks(kafka_bootstrap, topic, 2)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if committed(kafka_bootstrap, settings.kafka_group_id, topic, 2) == ends:
                    break
                time.sleep(0.5)
            assert committed(kafka_bootstrap, settings.kafka_group_id, topic, 2) == ends
            assert pipeline.health_port is not None
            status, _body = http_get(pipeline.health_port, "/readyz")
            assert status == 200
            stop.set()
        assert result == [0]
    finally:
        connect.close()
    assert pipeline.metrics.totals()["delivered"] == 40
    assert read_all(kafka_bootstrap, settings.dlq_topic, idle_s=1.0) == []
