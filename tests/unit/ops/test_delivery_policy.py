"""replay and re-drive apply the pipeline's decisions (consumer/connect/policy.py) to Connect's
answers in the dialect of reference section 9, read by classify_response."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson
import pytest

from consumer.connect.classify import classify_response
from consumer.errors import ApiQueryRejected
from consumer.ops.delivery import Delivery, Pending
from consumer.signals.model import Signal
from tests.unit.ops.fakes import FakeMessage, Script

OK = "ok"


def pending(n: int) -> list[Pending]:
    """``n`` pending records whose literals are their contacts c-0..c-n-1."""
    return [
        Pending(
            FakeMessage("t", 0, i),
            Signal("app", "contactKey", f"c-{i}", {"signalType": "addToCart"}),
            f"c-{i}",
        )
        for i in range(n)
    ]


def connect(answer: Callable[[list[str]], tuple[int, Any]]) -> Script:
    """A send function answering like Connect: ``answer(contacts) -> (status, body or OK)``."""

    def send(literals: Sequence[str]) -> list[str]:
        status, body = answer(list(literals))
        if body == OK:
            body = {"data": {"createSignals": {"signalIds": [f"id-{x}" for x in literals]}}}
        return classify_response(status, orjson.dumps(body), len(literals))

    return Script(send)


def make(send: Script, slept: list[tuple[int, float | None]], **kwargs: Any) -> Delivery:
    def delay(attempt: int, retry_after: float | None) -> float:
        slept.append((attempt, retry_after))
        return 1.0

    return Delivery(send, max_signals=4, delay=delay, sleep=lambda _s: None, **kwargs)


def test_unindexed_rejection_fails_only_the_bad_signal_with_the_api_code() -> None:
    """``data`` null with INVALID_ATTRIBUTE_VALUE: three delivered, one failed with code and
    category."""

    def answer(contacts: list[str]) -> tuple[int, Any]:
        if "c-2" not in contacts:
            return 200, OK
        error = {
            "message": "Field Phone has invalid value: 211",
            "path": ["createSignals"],
            "extensions": {"code": "INVALID_ATTRIBUTE_VALUE", "category": "PHONE_FORMAT"},
        }
        return 200, {"data": None, "errors": [error]}

    delivered, failed = make(connect(answer), []).deliver(pending(4))
    assert [p.literal for p in delivered] == ["c-0", "c-1", "c-3"]
    (failure,) = failed
    assert failure.error.code == "rejected_by_api"
    assert getattr(failure.error, "api_code", None) == "INVALID_ATTRIBUTE_VALUE"
    assert getattr(failure.error, "category", None) == "PHONE_FORMAT"


def test_unknown_code_is_retried_a_bounded_number_of_times_then_split() -> None:
    """An unknown code is retried up to the bound, then handled as a rejection."""
    send = connect(
        lambda contacts: (
            (200, {"errors": [{"message": "?", "extensions": {"code": "NEW"}}]})
            if "c-1" in contacts
            else (200, OK)
        )
    )
    slept: list[tuple[int, float | None]] = []
    delivered, failed = make(send, slept, max_unknown_attempts=2).deliver(pending(2))
    assert [p.literal for p in delivered] == ["c-0"]
    assert [f.pending.literal for f in failed if f.pending] == ["c-1"]
    assert send.calls[:2] == [["c-0", "c-1"], ["c-0", "c-1"]]


def test_null_ids_deliver_the_others_and_fail_the_unconfirmed() -> None:
    """A null id is not an acceptance; alone and null on every attempt it fails as not
    confirmed once its untrusted answers reach the bound."""

    def answer(contacts: list[str]) -> tuple[int, Any]:
        ids = [None if c == "c-1" else c for c in contacts]
        return 200, {"data": {"createSignals": {"signalIds": ids}}}

    send = connect(answer)
    delivered, failed = make(send, []).deliver(pending(3))
    assert [p.literal for p in delivered] == ["c-0", "c-2"]
    assert [f.error.code for f in failed] == ["not_confirmed_by_api"]
    assert send.calls == [["c-0", "c-1", "c-2"], *[["c-1"]] * 3]  # alone: 3 sends (the default)


def test_query_level_refusal_stops_the_command_without_failures() -> None:
    """The API refusing the query itself stops the command: nothing is failed."""
    error = {"message": "Unknown type", "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}
    send = connect(lambda _contacts: (400, {"errors": [error]}))
    with pytest.raises(ApiQueryRejected):
        make(send, []).deliver(pending(4))


def test_the_attempt_count_starts_again_when_the_cause_changes() -> None:
    """Three throttled answers then a 504: the 504 is attempt 1 of its own backoff."""
    answers = [429, 429, 429, 504, 200]

    def answer(_contacts: list[str]) -> tuple[int, Any]:
        status = answers.pop(0)
        return status, OK if status == 200 else {"message": "Endpoint request timed out"}

    slept: list[tuple[int, float | None]] = []
    delivered, _ = make(connect(answer), slept).deliver(pending(2))
    assert len(delivered) == 2
    assert [attempt for attempt, _ in slept] == [1, 2, 3, 1]
