"""A fatal error of the dead-letter producer stops the consumer without a commit (issue 14.15)."""

from __future__ import annotations

import threading
from typing import Any

from confluent_kafka import KafkaError

from consumer.errors import ExitCode
from consumer.pipeline import Pipeline

from .fakes import FakeProducer, ScriptedSender
from .test_loop import FakeConsumer, _pipeline


class FencedProducer(FakeProducer):
    """The idempotent producer after a fatal error: reports it, then fails every delivery."""

    def __init__(self) -> None:
        super().__init__()
        self.pipeline: Pipeline | None = None
        self.fatal = KafkaError(KafkaError._FATAL, "producer fenced", fatal=True)

    def poll(self, timeout: float = 0) -> int:
        if self.pipeline is not None and self._callbacks:
            self.pipeline.producer_error(self.fatal)  # librdkafka's error_cb, served by poll
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(self.fatal, None)
        return len(callbacks)


def test_a_fatal_dlq_producer_error_exits_non_zero_and_commits_nothing() -> None:
    """The loop stops with ExitCode.ERROR at once; not even delivered events are committed."""
    consumer = FakeConsumer("t", {0: [b"v", b"v", b"bad", b"v"]})
    producer = FencedProducer()
    pipeline = _pipeline(consumer, producer, ScriptedSender(), drain_timeout_s=1, idle=30)
    producer.pipeline = pipeline
    stop = threading.Event()
    timer = threading.Timer(3.0, stop.set)  # without the fix: the drain deadline ends it (5)
    timer.start()
    try:
        code = pipeline.run(stop)
    finally:
        timer.cancel()
    assert code == ExitCode.ERROR
    assert consumer.commits == {}
    assert not stop.is_set()  # it stopped by itself


def test_a_non_fatal_producer_error_is_only_logged(capsys: Any) -> None:
    """A transient producer error (broker down for a moment) changes nothing."""
    consumer = FakeConsumer("t", {0: [b"v"]})
    pipeline = _pipeline(consumer, FakeProducer(), ScriptedSender())
    pipeline.producer_error(KafkaError(KafkaError._TRANSPORT, "broker down"))
    assert pipeline.run(threading.Event()) == ExitCode.OK
    assert consumer.commits == {0: 1}
    assert "dlq_producer_fatal_error" not in capsys.readouterr().out
