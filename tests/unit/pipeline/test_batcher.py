"""Batcher: flush on count, bytes, linger; one batch in flight per partition."""

from __future__ import annotations

from consumer.pipeline.batcher import Batcher

from .fakes import item

A, B = ("t", 0), ("t", 1)


def test_flush_on_count() -> None:
    """A batch is cut as soon as max_signals are available, no more."""
    batcher = Batcher(max_signals=3, max_bytes=10_000, linger_s=60)
    for offset in range(2):
        batcher.add(item(A, offset))
    assert batcher.take(0.0) is None
    batcher.add(item(A, 2))
    batcher.add(item(A, 3))
    batch = batcher.take(0.0)
    assert batch is not None
    assert [i.offset for i in batch] == [0, 1, 2]


def test_flush_on_bytes() -> None:
    """The byte limit cuts a batch and no batch exceeds it."""
    batcher = Batcher(max_signals=500, max_bytes=25, linger_s=60)
    for offset in range(4):
        batcher.add(item(A, offset, literal="x" * 9))  # 10 bytes each
    batch = batcher.take(0.0)
    assert batch is not None
    assert len(batch) == 2


def test_flush_on_linger() -> None:
    """A partial batch waits for linger, then goes."""
    batcher = Batcher(max_signals=10, max_bytes=10_000, linger_s=0.2)
    batcher.add(item(A, 0, t=1.0))
    assert batcher.take(1.1) is None
    batch = batcher.take(1.25)
    assert batch is not None
    assert len(batch) == 1


def test_one_batch_in_flight_per_partition() -> None:
    """A busy partition is not batched again until released; others are."""
    batcher = Batcher(max_signals=2, max_bytes=10_000, linger_s=0)
    batcher.add(item(A, 0))
    first = batcher.take(0.0)
    assert first is not None
    batcher.add(item(A, 1))
    batcher.add(item(B, 0))
    second = batcher.take(0.0)
    assert second is not None
    assert [(i.tp, i.offset) for i in second] == [(B, 0)]
    assert batcher.take(0.0) is None
    batcher.release({A})
    third = batcher.take(0.0)
    assert third is not None
    assert [(i.tp, i.offset) for i in third] == [(A, 1)]


def test_rewind_drops_queued_items() -> None:
    """Queued items at or after the rewind offset are dropped."""
    batcher = Batcher(max_signals=10, max_bytes=10_000, linger_s=60)
    for offset in range(5):
        batcher.add(item(A, offset))
    batcher.rewind(A, 2)
    assert len(batcher) == 2
    batch = batcher.take(0.0, force=True)
    assert batch is not None
    assert [i.offset for i in batch] == [0, 1]
