"""Pause book (reasons) and retry schedule."""

from __future__ import annotations

from consumer.pipeline.offsets import TopicPartitionKey
from consumer.pipeline.retry import PauseBook, RetrySchedule

A, B = ("t", 0), ("t", 1)


def test_pause_until_last_reason_goes() -> None:
    """A partition resumes only when every pause reason is withdrawn."""
    calls: list[tuple[str, list[TopicPartitionKey]]] = []
    book = PauseBook(lambda t: calls.append(("pause", t)), lambda t: calls.append(("resume", t)))
    book.add([A, B], "backpressure")
    book.add([A], "job:1")
    book.remove_everywhere("backpressure")
    assert calls == [("pause", [A, B]), ("resume", [B])]
    book.remove([A], "job:1")
    assert calls[-1] == ("resume", [A])
    assert book.paused() == set()


def test_schedule_pops_due_in_order_and_drops() -> None:
    """Due items come out in due order; dropped ones never do."""
    schedule: RetrySchedule[str] = RetrySchedule()
    schedule.add(5.0, "late")
    schedule.add(1.0, "early")
    schedule.add(2.0, "dropped")
    assert schedule.drop(lambda s: s == "dropped") == ["dropped"]
    assert schedule.pop_due(0.5) == []
    assert schedule.pop_due(3.0) == ["early"]
    assert len(schedule) == 1
    assert schedule.pop_due(9.0) == ["late"]
