"""The engine applies the classification table: Connect's answers in the dialect of reference
section 9 (through :func:`classify_response`) on fakes at the Kafka and HTTP boundaries."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson
import pytest

from consumer.connect.classify import classify_response
from consumer.pipeline.engine import Engine

from .fakes import (
    Clock,
    FakeProducer,
    ScriptedSender,
    contacts,
    feed,
    make_engine,
    pump,
)

A, B = ("t", 0), ("t", 1)
OK = "ok"


def wait_out(engine: Engine, clock: Clock, seconds: float, step: float = 1.0) -> None:
    """Let ``seconds`` of fake time pass, turning the engine at each step."""
    passed = 0.0
    while passed < seconds:
        clock.now += step
        passed += step
        pump(engine)


def refuse_documents_with(*bad: str) -> Callable[[list[str]], tuple[int, Any]]:
    """Connect's answer when a mutation holds a contact in ``bad``: the document refused
    (GRAPHQL_PARSE_FAILED, HTTP 400); any other mutation is accepted."""

    def answer(contacts: list[str]) -> tuple[int, Any]:
        if any(c in contacts for c in bad):
            error = {"message": "Syntax Error", "extensions": {"code": "GRAPHQL_PARSE_FAILED"}}
            return 400, {"errors": [error]}
        return 200, OK

    return answer


def connect(answer: Callable[[list[str]], tuple[int, Any]]) -> ScriptedSender:
    """A sender answering like Connect: ``answer(contacts) -> (status, body or OK)``."""

    def send(literals: Sequence[str]) -> list[str]:
        status, body = answer(contacts(literals))
        if body == OK:
            body = {"data": {"createSignals": {"signalIds": [f"id-{i}" for i in literals]}}}
        return classify_response(status, orjson.dumps(body), len(literals))

    return ScriptedSender(send)


def invalid_value(contact: str) -> dict[str, Any]:
    """Connect's rejection of a whole mutation: data null, a domain code, no index."""
    message = f"Field Mobile Number has invalid value: {contact}. Category: PHONE_FORMAT."
    error = {
        "message": message,
        "locations": [{"line": 1, "column": 10}],
        "path": ["createSignals"],
        "extensions": {"code": "INVALID_ATTRIBUTE_VALUE", "category": "PHONE_FORMAT"},
    }
    return {"data": None, "errors": [error]}


def headers(record: dict[str, Any]) -> dict[str, bytes]:
    return dict(record["headers"])


def test_unindexed_rejection_delivers_the_rest_and_dead_letters_the_one_with_the_api_words() -> (
    None
):
    """One bad signal among ten, rejected the realistic way: nine delivered, one dead letter
    with the API's message, code and category."""
    delivered: list[str] = []

    def answer(contacts: list[str]) -> tuple[int, Any]:
        if "c-6" in contacts:
            return 200, invalid_value("c-6")
        delivered.extend(contacts)
        return 200, OK

    producer = FakeProducer()
    engine, _ = make_engine(connect(answer), producer, batch_max_signals=10)
    feed(engine, A, range(10))
    pump(engine)
    assert sorted(delivered) == sorted(f"c-{i}" for i in range(10) if i != 6)
    (record,) = producer.records
    found = headers(record)
    assert found["signals.error.code"] == b"rejected_by_api"
    assert b"invalid value: c-6" in found["signals.api.error"]
    assert found["signals.api.code"] == b"INVALID_ATTRIBUTE_VALUE"
    assert found["signals.api.category"] == b"PHONE_FORMAT"
    assert engine.tracker.commit_positions() == {A: 10}


def test_unknown_code_is_retried_a_bounded_number_of_times_then_split() -> None:
    """An unknown code on one signal's batches is retried three times, then split: the rest
    is delivered and that signal dead-lettered, never retried for ever."""

    def answer(contacts: list[str]) -> tuple[int, Any]:
        if "c-2" in contacts:
            return 200, {"errors": [{"message": "quota", "extensions": {"code": "NEW_CODE"}}]}
        return 200, OK

    producer = FakeProducer()
    clock = Clock()
    sender = connect(answer)
    engine, _ = make_engine(sender, producer, clock, unknown_error_max_attempts=3)
    feed(engine, A, range(4))
    pump(engine)
    wait_out(engine, clock, 20)
    assert [len(call) for call in sender.calls][:3] == [4, 4, 4]
    (record,) = producer.records
    assert headers(record)["signals.api.code"] == b"NEW_CODE"
    assert engine.tracker.commit_positions() == {A: 4}


def test_query_level_failure_stops_sending_without_dead_letters_and_a_probe_resumes() -> None:
    """Every mutation refused as a document: stopped, not ready, all paused, nothing
    dead-lettered or committed; when the API takes it again, everything is delivered."""
    broken = {"on": True}

    def answer(contacts: list[str]) -> tuple[int, Any]:
        if broken["on"]:
            error = {
                "message": "Cannot query field 'signalIds'",
                "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
            }
            return 400, {"errors": [error]}
        return 200, OK

    producer = FakeProducer()
    clock = Clock()
    engine, calls = make_engine(connect(answer), producer, clock)
    engine.on_assign([B])
    feed(engine, A, range(8))
    pump(engine)
    assert engine.not_ready_reason() == "api_query_rejected"
    assert ("pause", [A, B]) in calls
    wait_out(engine, clock, 10)
    assert engine.not_ready_reason() == "api_query_rejected"
    assert producer.records == []
    assert engine.tracker.commit_positions() == {}
    broken["on"] = False
    wait_out(engine, clock, 10)
    assert engine.not_ready_reason() is None
    assert engine.tracker.commit_positions() == {A: 8}
    assert producer.records == []
    assert calls[-1][0] == "resume"


def test_query_level_failure_caused_by_one_signal_dead_letters_only_it() -> None:
    """A document refused because of one signal's literal (the first of its batch): the others
    are delivered and it is dead-lettered; the consumer does not stay stopped."""

    def answer(contacts: list[str]) -> tuple[int, Any]:
        if "c-0" in contacts:
            error = {
                "message": "Syntax Error: Unexpected '-'",
                "extensions": {"code": "GRAPHQL_PARSE_FAILED"},
            }
            return 400, {"errors": [error]}
        return 200, OK

    producer = FakeProducer()
    clock = Clock()
    engine, _ = make_engine(connect(answer), producer, clock)
    feed(engine, A, range(6))
    pump(engine)
    wait_out(engine, clock, 10)
    assert engine.not_ready_reason() is None
    (record,) = producer.records
    assert record["value"] == b"v"
    assert headers(record)["__connect.errors.offset"] == b"0"
    assert headers(record)["signals.api.code"] == b"GRAPHQL_PARSE_FAILED"
    assert engine.tracker.commit_positions() == {A: 6}


def test_null_signal_ids_finish_the_others_and_dead_letter_the_unconfirmed() -> None:
    """A null id is not an acceptance: the others finish, the null one is sent again alone and,
    null every time, dead-lettered with its own reason after SIGNALS_UNKNOWN_ERROR_MAX_ATTEMPTS
    untrusted answers."""
    sent: list[list[str]] = []

    def answer(contacts: list[str]) -> tuple[int, Any]:
        sent.append(contacts)
        ids = [None if c == "c-1" else f"id-{c}" for c in contacts]
        return 200, {"data": {"createSignals": {"signalIds": ids}}}

    producer = FakeProducer()
    clock = Clock()
    engine, _ = make_engine(connect(answer), producer, clock, unknown_error_max_attempts=3)
    feed(engine, A, range(3))
    pump(engine)
    wait_out(engine, clock, 20)
    assert sent == [["c-0", "c-1", "c-2"], ["c-1"], ["c-1"], ["c-1"]]
    (record,) = producer.records
    assert headers(record)["signals.error.code"] == b"not_confirmed_by_api"
    assert engine.tracker.commit_positions() == {A: 3}


def test_a_lone_signal_answered_once_with_a_wrong_count_is_sent_again_not_dead_lettered() -> None:
    """One answer with a signalIds entry short for a one-signal mutation (the fault suite's
    wrong_count_next) sends the signal again; it is accepted, nothing is dead-lettered."""
    sent: list[list[str]] = []

    def answer(contacts: list[str]) -> tuple[int, Any]:
        sent.append(contacts)
        count = len(contacts) - (1 if len(sent) == 1 else 0)
        return 200, {"data": {"createSignals": {"signalIds": ["x"] * count}}}

    producer = FakeProducer()
    clock = Clock()
    engine, _ = make_engine(connect(answer), producer, clock)
    feed(engine, A, range(1))
    pump(engine)
    wait_out(engine, clock, 20)
    assert sent == [["c-0"], ["c-0"]]
    assert producer.records == []
    assert engine.tracker.commit_positions() == {A: 1}


def test_a_wrong_signal_ids_count_is_split_never_resent_as_is() -> None:
    """A count that differs from the batch is split to find the truth; a signal alone that
    keeps getting a wrong count is dead-lettered after its bounded attempts, not resent for
    ever."""
    sent: list[list[str]] = []

    def answer(contacts: list[str]) -> tuple[int, Any]:
        sent.append(contacts)
        count = len(contacts) + (1 if "c-3" in contacts else 0)
        return 200, {"data": {"createSignals": {"signalIds": ["x"] * count}}}

    producer = FakeProducer()
    clock = Clock()
    engine, _ = make_engine(connect(answer), producer, clock, unknown_error_max_attempts=3)
    feed(engine, A, range(4))
    pump(engine)
    wait_out(engine, clock, 20)
    assert sent == [
        ["c-0", "c-1", "c-2", "c-3"],
        ["c-0", "c-1"],
        ["c-2", "c-3"],
        ["c-2"],
        *[["c-3"]] * 3,  # alone: SIGNALS_UNKNOWN_ERROR_MAX_ATTEMPTS sends
    ]
    (record,) = producer.records
    assert headers(record)["signals.error.code"] == b"not_confirmed_by_api"
    assert engine.tracker.commit_positions() == {A: 4}


def test_cosmo_throttle_in_a_200_is_retried_with_its_hint_and_dead_letters_nothing() -> None:
    """A 200 with RATE_LIMIT_EXCEEDED waits retryAfterMs, then delivers, with no dead letter."""
    throttled = {"left": 3}
    hints: list[float | None] = []

    def answer(contacts: list[str]) -> tuple[int, Any]:
        if throttled["left"]:
            throttled["left"] -= 1
            error = {
                "message": "Rate limit exceeded for Subgraph 'signals'",
                "extensions": {"code": "RATE_LIMIT_EXCEEDED"},
            }
            return 200, {"errors": [error], "extensions": {"rateLimit": {"retryAfterMs": 2000}}}
        return 200, OK

    def delay(attempt: int, retry_after: float | None) -> float:
        hints.append(retry_after)
        return 2.0

    producer = FakeProducer()
    clock = Clock()
    engine, _ = make_engine(connect(answer), producer, clock, delay=delay)
    feed(engine, A, range(5))
    pump(engine)
    wait_out(engine, clock, 10)
    assert hints == [2.0, 2.0, 2.0]
    assert producer.records == []
    assert engine.tracker.commit_positions() == {A: 5}


def test_the_attempt_count_starts_again_when_the_cause_changes() -> None:
    """Nine throttled attempts then a 504: the 504 waits a first backoff, not a tenth."""
    answers: list[int] = [429] * 9 + [504, 200]
    attempts: list[tuple[int, float | None]] = []

    def answer(contacts: list[str]) -> tuple[int, Any]:
        status = answers.pop(0)
        return status, OK if status == 200 else {"message": "Endpoint request timed out"}

    def delay(attempt: int, retry_after: float | None) -> float:
        attempts.append((attempt, retry_after))
        return 1.0

    clock = Clock()
    engine, _ = make_engine(connect(answer), clock=clock, delay=delay)
    feed(engine, A, range(2))
    pump(engine)
    wait_out(engine, clock, 15)
    assert [a for a, _ in attempts] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 1]
    assert engine.tracker.commit_positions() == {A: 2}


def test_unknown_answers_stay_bounded_when_throttling_comes_between_them() -> None:
    """Unknown codes alternating with 429s: the third unknown answer still splits the batch
    (the count of unknown answers does not start again with the cause)."""
    turn = {"n": 0}

    def answer(contacts: list[str]) -> tuple[int, Any]:
        if "c-1" not in contacts:
            return 200, OK
        turn["n"] += 1
        if turn["n"] % 2 == 0:
            return 429, {"message": "slow down"}
        return 200, {"errors": [{"message": "?", "extensions": {"code": "NEW_CODE"}}]}

    producer = FakeProducer()
    clock = Clock()
    engine, _ = make_engine(connect(answer), producer, clock, unknown_error_max_attempts=3)
    feed(engine, A, range(2))
    pump(engine)
    wait_out(engine, clock, 30)
    (record,) = producer.records
    assert headers(record)["__connect.errors.offset"] == b"1"
    assert engine.tracker.commit_positions() == {A: 2}


def test_a_lone_signal_batch_refused_as_a_document_probes_with_other_signals_not_for_ever() -> None:
    """One-signal batches: the first one's literal breaks the document; the probe takes other
    queued signals first, they are accepted, so the lone one is dead-lettered and nothing stays
    stopped."""

    answer = refuse_documents_with("c-0")

    producer = FakeProducer()
    clock = Clock()
    engine, _ = make_engine(
        connect(answer), producer, clock, batch_max_signals=1, max_in_flight_mutations=1
    )
    feed(engine, A, range(1))
    feed(engine, B, range(10, 13))
    pump(engine)
    wait_out(engine, clock, 10)
    assert engine.not_ready_reason() is None
    (record,) = producer.records
    assert headers(record)["__connect.errors.partition"] == b"0"
    assert engine.tracker.commit_positions() == {A: 1, B: 13}


def test_a_probe_of_queued_signals_refused_as_a_document_is_bisected_not_resent_for_ever() -> None:
    """A lone bad literal stops sending; the probe cut from queued signals holds another bad
    one: the probe is bisected, its good signals accepted and both bad ones dead-lettered
    (before: probe and suspect were resent in turn for ever, the consumer stopped)."""

    answer = refuse_documents_with("c-0", "c-12")

    producer = FakeProducer()
    clock = Clock()
    engine, _ = make_engine(connect(answer), producer, clock, max_in_flight_mutations=1)
    feed(engine, A, range(1))
    pump(engine)
    assert engine.not_ready_reason() == "api_query_rejected"
    feed(engine, B, range(10, 15))
    wait_out(engine, clock, 20)
    assert engine.not_ready_reason() is None
    assert sorted(headers(r)["__connect.errors.offset"] for r in producer.records) == [b"0", b"12"]
    assert engine.tracker.commit_positions() == {A: 1, B: 15}


def test_a_lone_probe_refused_as_a_document_makes_way_for_other_queued_signals() -> None:
    """Stopped for a lone bad literal, the probe cut from queued signals is another lone bad
    literal: further queued signals probe next, are accepted, and both bad ones are
    dead-lettered (before: the two were resent in turn for ever, every partition paused)."""

    answer = refuse_documents_with("c-0", "c-10")

    producer = FakeProducer()
    clock = Clock()
    engine, _ = make_engine(connect(answer), producer, clock, max_in_flight_mutations=1)
    feed(engine, A, range(1))
    pump(engine)
    feed(engine, B, range(10, 11))
    fetched = False
    for _ in range(20):
        clock.now += 1
        pump(engine)
        if not fetched and B not in engine.pauses.paused():  # the broker's next records of B
            feed(engine, B, range(11, 14))
            fetched = True
    assert engine.not_ready_reason() is None
    assert sorted(headers(r)["__connect.errors.offset"] for r in producer.records) == [b"0", b"10"]
    assert engine.tracker.commit_positions() == {A: 1, B: 14}


def test_a_one_partition_topic_with_a_lone_bad_literal_probes_with_its_next_records() -> None:
    """One partition, a bad literal alone in its batch: the records after it probe, are
    accepted, and the bad one is dead-lettered (before: its partition was busy with the suspect,
    no probe could be cut, the consumer stayed stopped)."""

    answer = refuse_documents_with("c-0")

    producer = FakeProducer()
    clock = Clock()
    engine, _ = make_engine(connect(answer), producer, clock)
    feed(engine, A, range(1))
    pump(engine)
    fetched = False
    for _ in range(10):
        clock.now += 1
        pump(engine)
        if not fetched and A not in engine.pauses.paused():  # the broker's next records
            feed(engine, A, range(1, 4))
            fetched = True
    assert engine.not_ready_reason() is None
    assert [headers(r)["__connect.errors.offset"] for r in producer.records] == [b"0"]
    assert engine.tracker.commit_positions() == {A: 4}


def test_a_query_refusal_after_a_refused_key_clears_the_key_state() -> None:
    """A probe of a refused key refused as a document proves the key works: the stop is the
    query's (ready reason, exit code), no longer the key's."""
    key_ok = {"on": False}

    def answer(contacts: list[str]) -> tuple[int, Any]:
        if not key_ok["on"]:
            error = {"message": "Unauthorized", "extensions": {"code": "401"}}
            return 200, {"errors": [error]}
        error = {"message": "Cannot query field", "extensions": {"code": "GRAPHQL_PARSE_FAILED"}}
        return 400, {"errors": [error]}

    clock = Clock()
    engine, _ = make_engine(connect(answer), clock=clock, batch_max_signals=1)
    feed(engine, A, range(1))
    pump(engine)
    assert engine.not_ready_reason() == "api_key_refused"
    key_ok["on"] = True
    wait_out(engine, clock, 5)
    assert engine.auth_failed_since is None
    assert engine.not_ready_reason() == "api_query_rejected"
    assert engine.pauses.holding("auth") == []


@pytest.mark.parametrize(
    ("first", "then"),
    [
        (["NEW_CODE", "NEW_CODE"], "NEW_CODE"),  # its own bound of unrecognised answers
        (["503"] * 4, "503"),  # its own SIGNALS_RETRY_MAX_ELAPSED_S window
    ],
)
def test_a_probe_rotated_in_after_a_query_refusal_has_its_own_retry_limits(
    first: list[str], then: str
) -> None:
    """A lone signal fails transiently, then is refused as a document: the queued signal that
    probes next has retry limits of its own (before: it inherited the suspect's and was
    dead-lettered at its first failure)."""
    script = {"c-0": [*first, "GRAPHQL_PARSE_FAILED"], "c-1": [then]}

    def answer(contacts: list[str]) -> tuple[int, Any]:
        left = script.get(contacts[0]) if len(contacts) == 1 else None
        if not left:
            return 200, OK
        code = left.pop(0)
        if code == "503":
            return 503, {"message": "Service Unavailable"}
        status = 400 if code.startswith("GRAPHQL") else 200
        return status, {"errors": [{"message": "no", "extensions": {"code": code}}]}

    producer = FakeProducer()
    clock = Clock()
    engine, _ = make_engine(
        connect(answer),
        producer,
        clock,
        batch_max_signals=1,
        max_in_flight_mutations=1,
        unknown_error_max_attempts=3,
        retry_max_elapsed_s=5,
    )
    feed(engine, A, range(2))
    pump(engine)
    wait_out(engine, clock, 20)
    assert producer.records == []
    assert engine.not_ready_reason() is None
    assert engine.tracker.commit_positions() == {A: 2}
