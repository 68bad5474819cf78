"""The loop measures its worst gap between two polls (the fault suite publishes it)."""

from __future__ import annotations

import threading
import time

from consumer.errors import ExitCode

from .fakes import FakeProducer, ScriptedSender
from .test_loop import FakeConsumer, Msg, _pipeline


class SlowCallback(FakeConsumer):
    """A consumer whose third ``consume()`` holds the loop, like a long rebalance callback."""

    def __init__(self, hold_s: float) -> None:
        super().__init__("t", {0: [b"v"] * 3})
        self.hold_s = hold_s
        self.calls = 0

    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[Msg]:
        self.calls += 1
        if self.calls == 3:
            time.sleep(self.hold_s)
        return super().consume(num_messages, timeout)


def test_the_worst_gap_between_polls_is_kept_and_exposed() -> None:
    """A poll that held the loop for 0.3 s shows as a gap of at least 0.3 s, in the gauge too."""
    consumer = SlowCallback(hold_s=0.3)
    pipeline = _pipeline(consumer, FakeProducer(), ScriptedSender())
    assert pipeline.run(threading.Event()) == ExitCode.OK
    assert pipeline.poll_gap_max_s >= 0.3
    gauge = pipeline.metrics.registry.get_sample_value("signals_poll_gap_max_seconds")
    assert gauge == pipeline.poll_gap_max_s
