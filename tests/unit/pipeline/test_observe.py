"""What the loop observes (lag, idleness) comes from local state: the committed offsets and fresh
high watermarks that need the network are read by the broker thread, never on the loop thread.

No broker here; the real client's reads are exercised by tests/integration/test_pipeline.py.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from confluent_kafka import TopicPartition

from consumer.errors import ExitCode
from consumer.pipeline import Pipeline

from .fakes import FakeProducer, ScriptedSender
from .test_loop import FakeConsumer, Msg, _pipeline


class Recording(FakeConsumer):
    """Records the thread of every network read; the cached high watermark can lag behind."""

    def __init__(self, per_partition: dict[int, list[bytes]], cached_high: int | None = None):
        super().__init__("t", per_partition)
        self.network_threads: list[threading.Thread] = []
        self.poll_thread: threading.Thread | None = None
        self.cached_high = cached_high

    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[Msg]:
        self.poll_thread = threading.current_thread()
        return super().consume(num_messages, timeout)

    def committed(self, parts: list[TopicPartition], timeout: float = 1) -> list[TopicPartition]:
        self.network_threads.append(threading.current_thread())
        return super().committed(parts, timeout)

    def get_watermark_offsets(
        self, tp: TopicPartition, timeout: float = 1, cached: bool = False
    ) -> tuple[int, int]:
        if not cached:
            self.network_threads.append(threading.current_thread())
        elif self.cached_high is not None:
            return 0, self.cached_high
        return super().get_watermark_offsets(tp, timeout, cached)


def _assigned(consumer: Recording, **over: Any) -> Pipeline:
    pipeline = _pipeline(consumer, FakeProducer(), ScriptedSender(), **over)
    parts = [TopicPartition("t", p) for p in consumer.logs]
    pipeline.rebalance.on_assign(consumer, parts)
    consumer.assigned = True
    return pipeline


def test_observing_lag_and_idleness_makes_no_network_call_on_the_calling_thread() -> None:
    """Freshly assigned partitions (committed offset unknown) are observed and checked for
    idleness without a committed() or uncached watermark read on the loop's thread."""
    consumer = Recording({0: [b"v"] * 3, 1: []})
    pipeline = _assigned(consumer)
    later = time.monotonic() + 60
    pipeline._observe(later)
    pipeline._idle(later)
    assert threading.current_thread() not in consumer.network_threads
    assert pipeline.health.lag == 3


def test_until_idle_stops_with_every_network_read_off_the_loop_thread() -> None:
    """A whole ``--until-idle`` run stops after everything is committed, and its committed and
    fresh watermark reads all ran on another thread than the one that polls."""
    consumer = Recording({0: [b"v"] * 5, 1: [b"v"] * 2})
    pipeline = _pipeline(consumer, FakeProducer(), ScriptedSender())
    assert pipeline.run(threading.Event()) == ExitCode.OK
    assert consumer.commits == {0: 5, 1: 2}
    assert consumer.network_threads
    assert consumer.poll_thread not in consumer.network_threads


def test_a_paused_partition_is_measured_against_the_fresh_high_watermark() -> None:
    """The cached high watermark of a paused partition is not refreshed (it is not fetched): its
    lag comes from the high watermark the broker thread read."""
    consumer = Recording({0: [b"v"] * 7}, cached_high=2)
    pipeline = _assigned(consumer)
    pipeline.engine.pauses.add([("t", 0)], "backpressure")
    pipeline._observe(100.0)
    assert pipeline.health.lag == 2
    pipeline.broker.refresh()  # one round of the broker thread
    pipeline._observe(102.0)
    assert pipeline.health.lag == 7


def test_idle_needs_high_watermarks_read_since_the_last_message() -> None:
    """``--until-idle`` stops only on a lag of 0 against high watermarks read after the last
    message; a message since the last read waits for the next one."""
    consumer = Recording({0: []})
    pipeline = _assigned(consumer, idle=0.3)
    later = time.monotonic() + 60
    assert not pipeline._idle(later)
    pipeline.broker.refresh()
    assert pipeline._idle(later + 1)
    pipeline._last_message = time.monotonic()
    assert not pipeline._idle(later + 2)
    pipeline.broker.refresh()
    assert pipeline._idle(later + 3)
