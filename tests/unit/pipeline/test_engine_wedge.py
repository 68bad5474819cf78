"""The engine never leaves a partition paused or busy for ever: rebalances during pauses,
revokes of part of a job, a refused key with its probe revoked, a failed seek.

No broker here: the same scenarios against Kafka are in tests/integration/test_pipeline_wedge.py.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from consumer.errors import (
    ApiAuthError,
    ApiQueryRejected,
    ApiThrottled,
    BatchRejected,
    RegistryUnavailable,
)
from consumer.pipeline.engine import Engine
from consumer.signals.model import Signal
from consumer.types import KafkaMessage

from .fakes import Clock, FakeMessage, FakeProducer, ScriptedSender, feed, make_engine, pump
from .fakes import translate_literal as plain

A, B = ("t", 0), ("t", 1)


def revoke(engine: Engine, tps: set[tuple[str, int]], now: float) -> None:
    """What RebalanceHandler.on_revoke does to the engine (deadline already passed)."""
    engine.settle(tps, deadline=now)
    engine.forget(tps)


@pytest.mark.parametrize("lost", [False, True])
def test_a_partition_paused_when_revoked_is_resumed_when_assigned_again(lost: bool) -> None:
    """librdkafka keeps a partition's pause flag across unassign and assign: a partition that
    was paused when it left is resumed when it comes back (revoked or lost alike)."""
    clock = Clock()
    engine, calls = make_engine(ScriptedSender(), clock=clock, batch_max_signals=10)
    engine.on_assign([A])
    feed(engine, A, range(21), assign=False)
    engine.apply_backpressure()
    assert calls == [("pause", [A])]  # deep: more than two batches queued
    if lost:
        engine.forget({A})
    else:
        revoke(engine, {A}, clock.now)
    before = len(calls)
    engine.on_assign([A])
    assert ("resume", [A]) in calls[before:]
    assert engine.pauses.paused() == set()


def test_a_partition_assigned_again_keeps_the_reasons_still_active() -> None:
    """A partition coming back while backpressure is on is resumed, then paused again for it."""
    clock = Clock()
    engine, calls = make_engine(
        ScriptedSender(), clock=clock, max_buffered_events=500, batch_max_signals=500
    )
    engine.on_assign([A, B])
    feed(engine, B, range(501), assign=False)
    engine.apply_backpressure()
    assert engine.backpressure
    engine.forget({A})  # lost while everything was paused
    before = len(calls)
    engine.on_assign([A])
    assert calls[before:] == [("resume", [A]), ("pause", [A])]
    assert set(engine.pauses.holding("backpressure")) == {A, B}


def _reject_b(literals: Sequence[str]) -> list[str]:
    """The API names every signal of partition B (offsets >= 100: contact keys c-10x) as bad."""
    bad = {i: "bad" for i, lit in enumerate(literals) if "'c-10" in lit}
    if bad:
        raise BatchRejected("bad input", bad)
    return ["id"] * len(literals)


@pytest.mark.parametrize("where", ["ready_jobs", "retries"])
def test_revoking_one_partition_of_a_queued_job_frees_the_others(where: str) -> None:
    """A job holding A and B waits (ready to resend, or for its retry) with only A's signals
    left; A is revoked: B is neither left paused nor busy, and its next events are delivered."""
    answers = ["reject"] + (["throttle"] if where == "retries" else [])

    def script(literals: Sequence[str]) -> list[str]:
        answer = answers.pop(0) if answers else "ok"
        if answer == "reject":
            return _reject_b(literals)
        if answer == "throttle":
            raise ApiThrottled("slow down", retry_after_s=5.0)
        return ["id"] * len(literals)

    clock = Clock()
    engine, _calls = make_engine(ScriptedSender(script), clock=clock)
    engine.on_assign([A, B])
    feed(engine, A, range(3), assign=False)
    feed(engine, B, range(100, 103), assign=False)
    engine.dispatch()
    engine.handle_outcomes(timeout_s=2.0)  # B's three are dead-lettered, A's three wait
    if where == "retries":
        engine.dispatch()
        engine.handle_outcomes(timeout_s=2.0)  # throttled: the job waits, A and B paused
        assert engine.pauses.paused() == {A, B}
    else:
        assert len(engine.ready_jobs) == 1
    revoke(engine, {A}, clock.now)
    assert B not in engine.pauses.paused()
    engine.dlq.poll()
    feed(engine, B, range(103, 106), assign=False)
    clock.now += 10
    pump(engine)
    assert engine.tracker.commit_positions() == {B: 106}


def test_a_refused_key_with_its_probe_revoked_keeps_probing() -> None:
    """The key is refused and the probe's partition is revoked: the consumer still lets records
    in to probe with, and heals once the key works again."""
    refused = {"on": True}

    def script(literals: Sequence[str]) -> list[str]:
        if refused["on"]:
            raise ApiAuthError("401 Unauthorized")
        return ["id"] * len(literals)

    clock = Clock()
    engine, calls = make_engine(ScriptedSender(script), clock=clock)
    engine.on_assign([A, B])
    feed(engine, A, range(3), assign=False)
    pump(engine)
    assert engine.not_ready_reason() == "api_key_refused"
    assert engine.pauses.paused() == {A, B}
    revoke(engine, {A}, clock.now)
    refused["on"] = False
    clock.now += 5
    pump(engine)
    assert ("resume", [B]) in calls  # records of B may arrive to probe with
    feed(engine, B, range(3), assign=False)
    for _ in range(3):
        clock.now += 5
        pump(engine)
    assert engine.not_ready_reason() is None
    assert engine.tracker.commit_positions() == {B: 3}


def test_a_probe_is_cut_from_queued_signals_when_the_probe_was_revoked() -> None:
    """Signals of a surviving partition queued when the key was refused become the next probe."""
    refused = {"on": True}

    def script(literals: Sequence[str]) -> list[str]:
        if refused["on"]:
            raise ApiAuthError("401 Unauthorized")
        return ["id"] * len(literals)

    clock = Clock()
    engine, _calls = make_engine(ScriptedSender(script), clock=clock, max_in_flight_mutations=1)
    engine.on_assign([A, B])
    feed(engine, A, range(3), assign=False)
    pump(engine)  # A's batch is refused: the key is refused, A's job is the probe
    feed(engine, B, range(3), assign=False)  # already fetched before the pause took effect: queued
    revoke(engine, {A}, clock.now)
    refused["on"] = False
    for _ in range(3):
        clock.now += 5
        pump(engine)
    assert engine.not_ready_reason() is None
    assert engine.tracker.commit_positions() == {B: 3}


def test_a_failed_seek_keeps_the_partition_paused_and_is_retried() -> None:
    """When the seek back after a registry outage fails, the partition stays paused and waiting
    (records past the outage are not consumed) until a later seek succeeds."""
    down = {"on": True}
    seeks: list[bool] = [False, True]

    def translate(msg: KafkaMessage) -> Signal:
        if msg.offset() == 2 and down["on"]:
            raise RegistryUnavailable("registry down")
        return plain(msg)

    clock = Clock()
    engine, calls = make_engine(
        ScriptedSender(), clock=clock, translate=translate, seek_results=seeks
    )
    engine.on_assign([A])
    feed(engine, A, range(3), assign=False)
    down["on"] = False
    clock.now += 1.0
    engine.run_due()  # the seek fails
    assert calls[-1] == ("seek:2", [A])
    assert A in engine.pauses.paused()
    assert engine.on_message(FakeMessage("t", 0, 3)) is False  # still waiting: not tracked
    clock.now += 1.0
    engine.run_due()  # the seek succeeds
    assert calls[-2:] == [("seek:2", [A]), ("resume", [A])]
    feed(engine, A, range(2, 4), assign=False)
    pump(engine)
    assert engine.tracker.commit_positions() == {A: 4}


def test_a_refused_query_and_a_refused_key_in_turn_do_not_stop_the_consumer_for_ever() -> None:
    """A lone bad literal stops sending (refused query), then the key is refused for a while:
    once the key works again the pauses are lifted so that other signals probe, and the bad one
    is dead-lettered (before: every partition stayed paused for the refused key for ever)."""
    refused = {"key": False}

    def script(literals: Sequence[str]) -> list[str]:
        if refused["key"]:
            raise ApiAuthError("401 Unauthorized")
        if any("c-0'" in literal for literal in literals):
            raise ApiQueryRejected("the API refused the mutation itself", api_code="PARSE")
        return ["id"] * len(literals)

    clock, producer = Clock(), FakeProducer()
    engine, _calls = make_engine(
        ScriptedSender(script), producer, clock, batch_max_signals=1, max_in_flight_mutations=1
    )
    engine.on_assign([A, B])
    feed(engine, A, range(1), assign=False)
    pump(engine)
    assert engine.not_ready_reason() == "api_query_rejected"
    refused["key"] = True
    clock.now += 5
    pump(engine)
    assert engine.not_ready_reason() == "api_key_refused"
    refused["key"] = False
    fetched = False
    for _ in range(10):
        clock.now += 5
        pump(engine)
        if not fetched and B not in engine.pauses.paused():  # the broker's records of B
            feed(engine, B, range(10, 13), assign=False)
            fetched = True
    assert engine.not_ready_reason() is None
    assert len(producer.records) == 1
    assert engine.tracker.commit_positions() == {A: 1, B: 13}


def test_a_record_handed_back_for_the_registry_is_counted_consumed_once() -> None:
    """A record handed back while its partition waits for the registry is counted as consumed
    when it is consumed again after the seek back, not twice (consumed == finished)."""
    down = {"on": True}

    def translate(msg: KafkaMessage) -> Signal:
        if down["on"]:
            raise RegistryUnavailable("registry down")
        return plain(msg)

    clock = Clock()
    engine, _calls = make_engine(ScriptedSender(), clock=clock, translate=translate)
    engine.on_assign([A])
    assert engine.on_message(FakeMessage("t", 0, 0)) is False
    down["on"] = False
    clock.now += 5
    pump(engine)  # sought back to offset 0 and resumed
    feed(engine, A, range(1))
    pump(engine)
    totals = engine.metrics.totals()
    assert (totals["consumed"], totals["delivered"]) == (1, 1)
