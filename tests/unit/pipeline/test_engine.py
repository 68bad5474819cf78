"""The engine on fakes: commit positions, dead letters, retries, splitting, auth, registry outages.

No broker here: the same behaviours against Kafka are in tests/integration/test_pipeline*.py.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from consumer.errors import (
    ApiAuthError,
    ApiThrottled,
    BatchRejected,
    PermanentError,
    RegistryUnavailable,
)
from consumer.pipeline.sender import Job
from consumer.signals.model import Signal
from consumer.types import KafkaMessage

from .fakes import (
    Clock,
    FakeMessage,
    FakeProducer,
    ScriptedSender,
    contacts,
    feed,
    make_engine,
    pump,
)
from .fakes import translate_literal as plain

A, B = ("t", 0), ("t", 1)


def test_happy_path_commits_every_partition() -> None:
    """Delivered signals of two partitions give commit positions of their last offset + 1."""
    sender = ScriptedSender()
    engine, _ = make_engine(sender)
    feed(engine, A, range(0, 15))
    feed(engine, B, range(100, 103))
    pump(engine)
    assert engine.tracker.commit_positions() == {A: 15, B: 103}
    assert sum(len(c) for c in sender.calls) == 18
    assert all(len(c) <= 10 for c in sender.calls)
    assert engine.settled()


def test_fast_path_literals_are_sent_and_its_refusals_take_the_python_path() -> None:
    """A fast-path literal is batched as is; for None the event is translated and encoded."""
    translated: list[int] = []

    def translate(msg: KafkaMessage) -> Signal:
        translated.append(msg.offset() or 0)
        return plain(msg)

    def fast(msg: KafkaMessage) -> str | None:
        return None if (msg.offset() or 0) % 2 else f"{{fast:{msg.offset()}}}"

    sender = ScriptedSender()
    engine, _ = make_engine(sender, translate=translate, fast=fast)
    feed(engine, A, range(4))
    pump(engine)
    assert translated == [1, 3]
    assert [lit for call in sender.calls for lit in call] == [
        "{fast:0}",
        "{'contactKey': 'c-1'}",
        "{fast:2}",
        "{'contactKey': 'c-3'}",
    ]
    assert engine.tracker.commit_positions() == {A: 4}


def test_permanent_failure_finishes_only_on_dlq_ack() -> None:
    """A bad event is dead-lettered; no commit position passes it until its (fake) delivery ack."""
    producer = FakeProducer()
    engine, _ = make_engine(ScriptedSender(), producer)
    engine.on_assign([A])
    engine.on_message(FakeMessage("t", 0, 0))
    engine.on_message(FakeMessage("t", 0, 1, b"bad"))
    engine.on_message(FakeMessage("t", 0, 2))
    engine.dispatch()
    engine.handle_outcomes(timeout_s=2.0)
    assert engine.tracker.commit_positions() == {A: 1}
    engine.dlq.poll()
    assert engine.tracker.commit_positions() == {A: 3}
    assert producer.records[0]["value"] == b"bad"


def test_dlq_write_failure_blocks_commit_and_retries() -> None:
    """When the DLQ cannot be written the partition pauses and the offset stays pending."""
    producer = FakeProducer(fail=True)
    clock = Clock()
    engine, calls = make_engine(ScriptedSender(), producer, clock)
    engine.on_assign([A])
    engine.on_message(FakeMessage("t", 0, 0, b"bad"))
    engine.dlq.poll()
    assert engine.tracker.commit_positions() == {}  # nothing finished: nothing to commit
    assert ("pause", [A]) in calls
    producer.fail = False
    clock.now += 5
    engine.run_due()
    engine.dlq.poll()
    assert engine.tracker.commit_positions() == {A: 1}
    assert calls[-1] == ("resume", [A])
    assert len(producer.records) == 2


def test_throttled_batch_is_resent_after_retry_after() -> None:
    """A 429 pauses the batch's partitions and resends the same batch after Retry-After."""
    answers: list[Exception | None] = [ApiThrottled("slow down", retry_after_s=3.0), None]

    def script(literals: Sequence[str]) -> list[str]:
        answer = answers.pop(0)
        if answer is not None:
            raise answer
        return ["id"] * len(literals)

    sender = ScriptedSender(script)
    clock = Clock()
    engine, calls = make_engine(sender, clock=clock)
    feed(engine, A, range(3))
    pump(engine)
    assert ("pause", [A]) in calls
    assert [type(w) for w in engine.retries.items()] == [Job]  # the batch waits for its retry
    assert engine.not_ready_reason() is None  # readiness is not affected by it
    assert engine.tracker.commit_positions() == {}  # nothing finished: nothing to commit
    clock.now += 2.9
    pump(engine)
    assert len(sender.calls) == 1
    clock.now += 0.2
    pump(engine)
    assert sender.calls[0] == sender.calls[1]
    assert engine.tracker.commit_positions() == {A: 3}
    assert calls[-1] == ("resume", [A])
    assert engine.not_ready_reason() is None


def test_retries_exhausted_dead_letters_the_batch() -> None:
    """With retry_max_elapsed_s set, a batch failing past it is dead-lettered."""

    def script(literals: Sequence[str]) -> list[str]:
        raise ApiThrottled("always", retry_after_s=1.0)

    producer = FakeProducer()
    clock = Clock()
    engine, _ = make_engine(ScriptedSender(script), producer, clock, retry_max_elapsed_s=2.0)
    feed(engine, A, range(2))
    for _ in range(4):
        pump(engine)
        clock.now += 1.0
    pump(engine)
    codes = {dict(r["headers"])["signals.error.code"] for r in producer.records}
    assert codes == {b"retries_exhausted"}
    assert engine.tracker.commit_positions() == {A: 2}


def test_named_rejection_dead_letters_only_the_bad_signal() -> None:
    """The API names index 1: that event is dead-lettered with its message, the rest delivered."""
    delivered: list[str] = []

    def script(literals: Sequence[str]) -> list[str]:
        names = contacts(literals)
        if "c-1" in names:
            raise BatchRejected("bad input", {names.index("c-1"): "email is not valid"})
        delivered.extend(names)
        return ["id"] * len(literals)

    producer = FakeProducer()
    engine, _ = make_engine(ScriptedSender(script), producer)
    feed(engine, A, range(4))
    pump(engine)
    assert delivered == ["c-0", "c-2", "c-3"]
    headers = dict(producer.records[0]["headers"])
    assert headers[b"signals.api.error".decode()] == b"email is not valid"
    assert engine.tracker.commit_positions() == {A: 4}


def test_unnamed_rejection_bisects_to_the_bad_signal() -> None:
    """Without indexes the batch is bisected until the one bad signal is isolated."""
    delivered: list[str] = []

    def script(literals: Sequence[str]) -> list[str]:
        names = contacts(literals)
        if "c-5" in names:
            raise BatchRejected("bad input somewhere", {})
        delivered.extend(names)
        return ["id"] * len(literals)

    producer = FakeProducer()
    engine, _ = make_engine(ScriptedSender(script), producer)
    feed(engine, A, range(8))
    pump(engine)
    assert delivered == [f"c-{i}" for i in range(8) if i != 5]
    assert len(producer.records) == 1
    assert engine.tracker.commit_positions() == {A: 8}


def test_auth_failure_stops_everything_and_recovers() -> None:
    """A refused key: no commit position, nothing dead-lettered, all paused, not ready; a probe
    heals."""
    answers: list[bool] = [False, False]

    def script(literals: Sequence[str]) -> list[str]:
        if answers and not answers.pop(0):
            raise ApiAuthError("401 Unauthorized")
        return ["id"] * len(literals)

    producer = FakeProducer()
    clock = Clock()
    engine, calls = make_engine(ScriptedSender(script), producer, clock)
    engine.on_assign([B])
    feed(engine, A, range(3))
    pump(engine)
    assert engine.not_ready_reason() == "api_key_refused"
    assert ("pause", [A, B]) in calls
    assert engine.tracker.commit_positions() == {}  # nothing finished: nothing to commit
    clock.now += 1.5
    pump(engine)
    assert engine.not_ready_reason() == "api_key_refused"
    clock.now += 1.5
    pump(engine)
    assert engine.not_ready_reason() is None
    assert engine.tracker.commit_positions() == {A: 3}
    assert producer.records == []
    assert calls[-1] == ("resume", [A, B])


def test_registry_outage_pauses_seeks_back_and_resumes() -> None:
    """A registry outage at offset 2 rewinds the partition and seeks back after the backoff."""
    down = {"on": True}

    def translate(msg: KafkaMessage) -> Signal:
        if msg.offset() == 2 and down["on"]:
            raise RegistryUnavailable("registry down")
        return plain(msg)

    clock = Clock()
    engine, calls = make_engine(ScriptedSender(), clock=clock, translate=translate)
    engine.on_assign([A])
    for offset in range(4):
        engine.on_message(FakeMessage("t", 0, offset))
    assert engine.tracker.pending_count(A) == 2  # 0 and 1; 3 was ignored while waiting
    pump(engine)
    assert engine.tracker.commit_positions() == {A: 2}
    down["on"] = False
    clock.now += 1.0
    engine.run_due()
    assert calls[-2:] == [("seek:2", [A]), ("resume", [A])]  # sought back before fetching
    for offset in range(2, 4):
        engine.on_message(FakeMessage("t", 0, offset))
    pump(engine)
    assert engine.tracker.commit_positions() == {A: 4}


def test_a_registry_answer_that_dead_letters_starts_the_next_outage_at_the_first_backoff() -> None:
    """Two outages at offset 0, then the registry answers (the schema is unknown: dead letter);
    the next outage waits a first backoff again, not a third."""
    answers = ["down", "down", "unknown", "down"]
    attempts: list[int] = []

    def translate(msg: KafkaMessage) -> Signal:
        answer = answers.pop(0)
        if answer == "down":
            raise RegistryUnavailable("registry down")
        raise PermanentError("schema 7 not found", raw=msg)

    def delay(attempt: int, retry_after: float | None) -> float:
        attempts.append(attempt)
        return 1.0

    clock = Clock()
    engine, _ = make_engine(ScriptedSender(), clock=clock, translate=translate, delay=delay)
    engine.on_assign([A])
    for offset in (0, 0, 0, 1):  # each time the partition is sought back to it
        engine.on_message(FakeMessage("t", 0, offset))
        clock.now += 1.0
        engine.run_due()
    assert attempts == [1, 2, 1]


def test_settle_commits_finished_and_forget_drops_rest() -> None:
    """On revoke the in-flight batch is finished and its position returned; then forgotten."""
    clock = Clock()
    engine, _ = make_engine(ScriptedSender(), clock=clock)
    feed(engine, A, range(3))
    engine.dispatch()
    positions = engine.settle({A}, deadline=float("inf"))
    assert positions == {A: 3}
    engine.forget({A})
    assert engine.tracker.partitions() == []
    assert engine.on_message(FakeMessage("t", 0, 3)) is False


@pytest.mark.parametrize("over", [True, False])
def test_backpressure_pauses_above_limit(over: bool) -> None:
    """Above max_buffered_events every partition pauses; below it nothing does."""
    engine, calls = make_engine(ScriptedSender(), max_buffered_events=500, batch_max_signals=500)
    feed(engine, A, range(501 if over else 499))
    engine.apply_backpressure()
    assert (("pause", [A]) in calls) is over


def test_a_partition_queueing_more_than_two_batches_pauses_alone() -> None:
    """Above two queued batches the engine pauses that partition alone; at one, resumes it."""
    engine, calls = make_engine(ScriptedSender(), batch_max_signals=10)
    feed(engine, A, range(21))
    feed(engine, B, range(20))
    engine.apply_backpressure()
    assert calls == [("pause", [A])]
    assert engine.pauses.holding("deep") == [A]
    engine.batcher.release({A})  # as if a batch of A had been accepted
    engine.batcher.take(0.0)  # ten of A leave in a batch: eleven left, still paused
    engine.apply_backpressure()
    assert calls == [("pause", [A])]
    engine.batcher.take(0.0)
    engine.batcher.release({A, B})
    engine.batcher.take(0.0)  # one left
    engine.apply_backpressure()
    assert calls[-1] == ("resume", [A])
    assert engine.pauses.holding("deep") == []
