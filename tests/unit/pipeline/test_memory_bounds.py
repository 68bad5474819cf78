"""Memory bounded in bytes, not only events (issue 14, item 13)."""

from __future__ import annotations

from consumer.pipeline.offsets import OffsetTracker
from consumer.signals.model import Signal
from consumer.types import KafkaMessage
from tests.unit.pipeline.fakes import FakeMessage, FakeProducer, ScriptedSender, make_engine

A, B = ("t", 0), ("t", 1)


class CountingTranslate:
    """A translator that counts the records it was given."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    def __call__(self, msg: KafkaMessage) -> Signal:
        self.seen.append(msg.offset() or 0)
        return Signal("app", "contactKey", f"c-{msg.offset()}", {"signalType": "addToCart"})


def test_a_record_over_the_maximum_size_is_dead_lettered_without_being_decoded() -> None:
    """Key plus value above max_record_bytes: reason too_large, never translated, committed."""
    producer = FakeProducer()
    translate = CountingTranslate()
    engine, _calls = make_engine(
        ScriptedSender(), producer, translate=translate, max_record_bytes=2_048
    )
    engine.on_assign([A])
    engine.on_message(FakeMessage("t", 0, 0, b"v" * 2_000, b"k" * 49))
    engine.on_message(FakeMessage("t", 0, 1, b"v" * 2_048, b""))
    engine.step()
    assert translate.seen == [1]
    named = dict(producer.records[0]["headers"])
    assert named["signals.error.code"] == b"too_large"
    assert named["__connect.errors.stage"] == b"decode"
    assert b"2049 bytes" in (named["__connect.errors.exception.message"] or b"")
    assert producer.records[0]["value"] == b"v" * 2_000  # small enough for the DLQ: whole
    for _ in range(3):
        engine.step()
    assert engine.tracker.commit_positions() == {A: 2}


def test_tracker_counts_the_bytes_of_pending_records() -> None:
    """Bytes follow track, finish, rewind and forget."""
    tracker = OffsetTracker()
    epoch = tracker.track(A, 0, 100)
    tracker.track(A, 1, 50)
    tracker.track(A, 2, 25)
    tracker.track(B, 0, 7)
    assert tracker.pending_bytes() == 182
    tracker.finish(A, 0, epoch)
    assert tracker.pending_bytes() == 82
    tracker.rewind(A, 2)
    assert tracker.pending_bytes() == 57
    tracker.forget(B)
    assert tracker.pending_bytes() == 50
    tracker.finish(A, 0, epoch)  # not pending any more: nothing changes
    assert tracker.pending_bytes() == 50


def test_backpressure_pauses_on_buffered_bytes_and_resumes_below_half() -> None:
    """Above max_buffered_bytes every partition pauses, far below the event bound; it resumes
    once the pending bytes fall under half of it."""
    engine, calls = make_engine(
        ScriptedSender(),
        max_buffered_events=20_000,
        max_buffered_bytes=65_536,
        max_record_bytes=4_096,
        batch_max_signals=500,
    )
    engine.on_assign([A, B])
    for offset in range(17):
        engine.on_message(FakeMessage("t", offset % 2, offset, b"v" * 4_000))
    engine.apply_backpressure()
    assert calls == [("pause", [A, B])]
    epoch_a, epoch_b = engine.tracker.epoch(A), engine.tracker.epoch(B)
    assert epoch_a is not None
    assert epoch_b is not None
    for offset in range(8):  # 9 left pending: 36 kB, not yet under half
        engine.tracker.finish(("t", offset % 2), offset, epoch_a if offset % 2 == 0 else epoch_b)
    engine.apply_backpressure()
    assert calls == [("pause", [A, B])]
    engine.tracker.finish(A, 8, epoch_a)  # 8 left: 32 kB
    engine.apply_backpressure()
    assert calls[-1] == ("resume", [A, B])
    assert engine.metrics.totals()["dead_lettered"] == 0
