"""The sequential sender of replay and re-drive: batching, splitting, retries, pacing."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from consumer.errors import (
    ApiAuthError,
    ApiRejectedSignal,
    ApiThrottled,
    BatchRejected,
    RegistryUnavailable,
)
from consumer.ops.delivery import Delivery, Failure, Pending, prepare
from consumer.signals.model import Signal
from consumer.types import KafkaMessage
from tests.unit.ops.fakes import FakeMessage, Script, encode, translate


def pending(n: int) -> list[Pending]:
    """``n`` pending records with literals c-0..c-n-1."""
    out = []
    for i in range(n):
        msg = FakeMessage("t", 0, i)
        signal = Signal("app", "contactKey", f"c-{i}", {"signalType": "addToCart"})
        out.append(Pending(msg, signal, f"c-{i}"))
    return out


class Sleeps:
    """Records sleeps and advances a fake clock."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def make(send: Script, sleeps: Sleeps | None = None, **kwargs: object) -> Delivery:
    """A Delivery with a fixed 1 s backoff on a fake clock."""
    s = sleeps or Sleeps()
    return Delivery(
        send,
        max_signals=int(kwargs.pop("max_signals", 3)),  # type: ignore[call-overload]
        delay=lambda attempt, retry_after: retry_after if retry_after is not None else 1.0,
        sleep=s.sleep,
        clock=s.clock,
        **kwargs,  # type: ignore[arg-type]
    )


def test_batches_respect_max_signals_and_order() -> None:
    """Seven records go out as mutations of 3, 3 and 1, in order."""
    send = Script()
    delivered, failed = make(send).deliver(pending(7))
    assert [len(c) for c in send.calls] == [3, 3, 1]
    assert [p.literal for p in delivered] == [f"c-{i}" for i in range(7)]
    assert failed == []


def test_named_violations_fail_alone_and_the_rest_is_resent() -> None:
    """A rejected batch naming index 1 fails that signal and resends the other two."""

    def answer(lits: Sequence[str]) -> list[str]:
        if "c-1" in lits:
            raise BatchRejected("bad", {lits.index("c-1"): "email: not an email"})
        return ["id"] * len(lits)

    send = Script(answer)
    delivered, failed = make(send).deliver(pending(3))
    assert [p.literal for p in delivered] == ["c-0", "c-2"]
    assert [(f.msg.offset(), f.error.code) for f in failed] == [(1, "rejected_by_api")]
    error = failed[0].error
    assert isinstance(error, ApiRejectedSignal)
    assert error.api_error == "email: not an email"
    assert send.calls == [["c-0", "c-1", "c-2"], ["c-0", "c-2"]]


def test_unnamed_rejection_is_bisected_down_to_the_bad_signal() -> None:
    """A rejection naming no index is bisected until the single bad signal is isolated."""

    def answer(lits: Sequence[str]) -> list[str]:
        if "c-2" in lits:
            raise BatchRejected("BAD_USER_INPUT somewhere")
        return ["id"] * len(lits)

    delivered, failed = make(Script(answer), max_signals=4).deliver(pending(4))
    assert sorted(p.literal for p in delivered) == ["c-0", "c-1", "c-3"]
    assert [f.msg.offset() for f in failed] == [2]
    assert "BAD_USER_INPUT" in str(failed[0].error)


def test_throttling_waits_for_retry_after_then_succeeds() -> None:
    """A 429 with Retry-After sleeps that long and sends the same batch again."""
    answers: list[Exception | None] = [ApiThrottled("429", retry_after_s=7.0), None]

    def answer(lits: Sequence[str]) -> list[str]:
        error = answers.pop(0)
        if error:
            raise error
        return ["id"] * len(lits)

    sleeps = Sleeps()
    send = Script(answer)
    delivered, failed = make(send, sleeps).deliver(pending(2))
    assert len(delivered) == 2
    assert failed == []
    assert sleeps.slept == [7.0]
    assert send.calls[0] == send.calls[1]


def test_wrong_signal_id_count_is_split() -> None:
    """A response with fewer signalIds than signals is not counted as delivered: it is split."""
    answers = [["only-one"], ["a"], ["b"]]
    send = Script(lambda lits: answers.pop(0))
    delivered, _failed = make(send).deliver(pending(2))
    assert send.calls == [["c-0", "c-1"], ["c-0"], ["c-1"]]
    assert len(delivered) == 2


def test_retries_give_up_after_max_elapsed() -> None:
    """With max_elapsed_s the batch fails as retries_exhausted once the time is up."""

    def answer(lits: Sequence[str]) -> list[str]:
        raise ApiThrottled("429")

    delivered, failed = make(Script(answer), max_elapsed_s=2.5).deliver(pending(2))
    assert delivered == []
    assert [f.error.code for f in failed] == ["retries_exhausted", "retries_exhausted"]


def test_refused_key_stops_everything() -> None:
    """ApiAuthError propagates so the command stops (nothing is counted as failed)."""

    def answer(lits: Sequence[str]) -> list[str]:
        raise ApiAuthError("401 UNAUTHORIZED")

    with pytest.raises(ApiAuthError):
        make(Script(answer)).deliver(pending(2))


def test_rate_limit_paces_and_shrinks_batches() -> None:
    """At 2 records/s batches hold at most 2 signals and start one second apart."""
    sleeps = Sleeps()
    send = Script()
    delivery = make(send, sleeps, max_signals=10, rate_per_s=2.0)
    delivery.deliver(pending(6))
    assert [len(c) for c in send.calls] == [2, 2, 2]
    assert sleeps.slept == [pytest.approx(1.0), pytest.approx(1.0)]


def test_prepare_translates_or_explains() -> None:
    """prepare returns a Pending for a good record and a Failure with the error for a bad one."""
    good = prepare(FakeMessage("t", 0, 1), translate, encode, delay=lambda a, r: 0.0)
    bad = prepare(FakeMessage("t", 0, 2, _value=b"bad"), translate, encode, delay=lambda a, r: 0)
    assert isinstance(good, Pending)
    assert good.literal == "c-1"
    assert isinstance(bad, Failure)
    assert bad.error.raw is bad.msg
    assert bad.pending is None


def test_prepare_waits_out_a_registry_outage() -> None:
    """A RetryableError from the translator sleeps with backoff and tries the record again."""
    calls: list[int] = []

    def flaky(msg: KafkaMessage) -> Signal:
        calls.append(1)
        if len(calls) < 3:
            raise RegistryUnavailable("registry down")
        return translate(msg)

    sleeps = Sleeps()
    result = prepare(
        FakeMessage("t", 0, 5), flaky, encode, delay=lambda a, r: float(a), sleep=sleeps.sleep
    )
    assert isinstance(result, Pending)
    assert sleeps.slept == [1.0, 2.0]


def test_unencodable_signal_is_a_mapping_failure() -> None:
    """A signal the GraphQL encoder refuses becomes a mapping_failed failure."""

    def refuse(_obj: object) -> str:
        raise ValueError("'a b' is not a GraphQL name")

    result = prepare(FakeMessage("t", 0, 1), translate, refuse, delay=lambda a, r: 0.0)
    assert isinstance(result, Failure)
    assert result.error.code == "mapping_failed"


def test_a_crashing_translator_is_an_internal_error() -> None:
    """An unexpected exception in the translator becomes an internal_error failure."""

    def crash(_msg: KafkaMessage) -> Signal:
        raise KeyError("boom")

    result = prepare(FakeMessage("t", 0, 1), crash, encode, delay=lambda a, r: 0.0)
    assert isinstance(result, Failure)
    assert result.error.code == "internal_error"
