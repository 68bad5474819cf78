"""The pipeline on the real broker against the sandbox speaking Connect's dialect (reference 9):
a whole-mutation rejection without an index, and Cosmo's throttle in an HTTP 200."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from consumer.signals.model import Signal
from consumer.translate import Translator
from consumer.types import KafkaMessage
from tests.integration.test_pipeline import (
    cart_event,
    committed,
    high_watermarks,
    pipeline_settings,
    produce_events,
    read_all,
    run_until_idle,
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
    translator = Translator(settings)
    real = translator.translate

    def translate(msg: KafkaMessage) -> Signal:
        signal = real(msg)
        if msg.offset() == BAD_OFFSET:  # passes local rules; the API's refuse it
            return Signal(signal.app_key, "email", "not-an-email", signal.content)
        return signal

    try:
        pipeline = run_until_idle(settings, translate=translate)
    finally:
        translator.close()
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
