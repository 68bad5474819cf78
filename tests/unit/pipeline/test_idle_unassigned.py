"""--until-idle with a subscribed topic that does not exist stops instead of waiting for ever.

librdkafka joins no group while no subscribed topic exists: nothing is ever assigned, and the
idle check used to wait for a join that never comes (a review of issue 16). The hang guard is
generous (a correctness check, not a speed goal). That a slow join is still waited for (no
missing-topic error) is shown by every ``run_until_idle`` of tests/integration/test_pipeline.py.
"""

from __future__ import annotations

import threading
from typing import Any

from confluent_kafka import KafkaError

from consumer.errors import ExitCode
from tests.unit.pipeline.fakes import FakeMessage, FakeProducer, ScriptedSender
from tests.unit.pipeline.test_loop import FakeConsumer, _pipeline

GUARD_S = 30.0
UNAVAILABLE = "Subscribed topic not available: nope: Broker: Unknown topic or partition"


class _Unavailable(FakeMessage):
    """The error event librdkafka delivers for a subscribed topic that does not exist."""

    def error(self) -> KafkaError:
        return KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART, UNAVAILABLE)


class NeverAssigned(FakeConsumer):
    """A consumer subscribed to a missing topic: never assigned, one error event at first."""

    def __init__(self) -> None:
        super().__init__("nope", {})
        self.reported = False

    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[Any]:
        if not self.reported:
            self.reported = True
            return [_Unavailable("nope", 0, 0, b"")]
        stop_waiting = threading.Event()
        stop_waiting.wait(min(timeout, 0.01))
        return []


def _run(consumer: FakeConsumer) -> tuple[threading.Thread, list[ExitCode]]:
    pipeline = _pipeline(consumer, FakeProducer(), ScriptedSender())
    stop, result = threading.Event(), []
    thread = threading.Thread(target=lambda: result.append(pipeline.run(stop)), daemon=True)
    thread.start()
    thread.join(GUARD_S)
    stop.set()
    return thread, result


def test_until_idle_stops_when_the_subscribed_topic_does_not_exist() -> None:
    """Nothing assigned and the topic unavailable for the idle time: a clean stop (exit 0)."""
    thread, result = _run(NeverAssigned())
    assert result == [ExitCode.OK]
    thread.join(GUARD_S)
