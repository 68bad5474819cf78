"""A sequential sender for the one-shot commands (``replay``, ``dlq redrive``).

The live pipeline overlaps many mutations; a one-shot command does not need to, so this sender
sends one mutation at a time and simply sleeps when it has to wait:

* batches of at most ``max_signals`` (``SIGNALS_BATCH_MAX_SIGNALS``), in the given order;
* every answer is decided as the pipeline decides it (:func:`consumer.connect.policy.decide`,
  the table in :mod:`consumer.connect.classify`): a rejected batch is split until the bad
  signals stand alone, which fail with the API's message, code and category; null
  ``signalIds`` deliver the others and send the rest again; a wrong count is split; an unknown
  answer is retried ``max_unknown_attempts`` times, then split;
* a retry (throttled, unavailable) sleeps with exponential backoff and jitter, the larger of it
  and ``retry_after_s``, its attempt count starting again when the cause changes - until
  ``max_elapsed_s`` (``SIGNALS_RETRY_MAX_ELAPSED_S``) when set, after which the batch fails as
  ``retries_exhausted``;
* :class:`~consumer.errors.ApiAuthError` propagates: the command stops (exit 4); so does
  :class:`~consumer.errors.ApiQueryRejected` when a signal alone confirms that the API refuses
  the query itself (exit 1): nothing of the batch fails.

An optional ``rate_per_s`` paces the signals sent per second (``dlq redrive --rate-limit``).
:func:`prepare` is the step before: translate and encode one record, or say why it cannot be.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from consumer.avro.framing import schema_id_of
from consumer.connect.policy import (
    Action,
    RetryWindow,
    Verdict,
    dead_letter_error,
    decide,
    gave_up,
    next_attempt,
    pick,
)
from consumer.errors import (
    ApiAuthError,
    ApiQueryRejected,
    ApiUnrecognised,
    ConsumerError,
    PermanentError,
    RetriesExhaustedError,
    RetryableError,
    SignalIdsMismatch,
)
from consumer.logs import get_logger
from consumer.signals.model import Signal
from consumer.translate import attempt
from consumer.types import DelayFn, EncodeFn, KafkaMessage, SendFn, TranslateFn

__all__ = ["Delivery", "Failure", "Pending", "prepare"]


@dataclass(frozen=True, slots=True)
class Pending:
    """One translated record waiting to be sent."""

    msg: KafkaMessage
    signal: Signal
    literal: str
    schema_id: int | None = None


@dataclass(frozen=True, slots=True)
class Failure:
    """A record that could not be translated (``pending`` None) or delivered, and why."""

    pending: Pending | None
    msg: KafkaMessage
    error: PermanentError


def prepare(
    msg: KafkaMessage,
    translate: TranslateFn,
    encode: EncodeFn,
    *,
    delay: DelayFn,
    sleep: Callable[[float], None] = time.sleep,
) -> Pending | Failure:
    """Translate and encode one record: a :class:`Pending`, or the :class:`Failure` to record.

    A :class:`~consumer.errors.RetryableError` (the schema registry is unreachable) is waited
    out with backoff - a one-shot command has nothing better to do meanwhile.
    """
    tries = 0
    while True:
        try:
            done = attempt(msg, translate, encode)
        except RetryableError as exc:
            tries += 1
            wait = delay(tries, exc.retry_after_s)
            get_logger("ops.delivery").warning(
                "translate_retry", cause=exc.cause, attempt=tries, retry_in_s=round(wait, 3)
            )
            sleep(wait)
            continue
        if isinstance(done, PermanentError):
            return Failure(None, msg, done)
        assert done.signal is not None  # no fast path here: the Python path made the signal
        return Pending(msg, done.signal, done.literal, schema_id_of(msg.value()))


class Delivery:
    """Sends :class:`Pending` records one mutation at a time (see the module docstring)."""

    def __init__(
        self,
        send: SendFn,
        *,
        max_signals: int,
        delay: DelayFn,
        max_elapsed_s: float | None = None,
        rate_per_s: float | None = None,
        max_unknown_attempts: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._send = send
        self.max_signals = max(1, max_signals)
        if rate_per_s is not None:
            self.max_signals = max(1, min(self.max_signals, int(rate_per_s)))
        self._delay = delay
        self._max_elapsed_s = max_elapsed_s
        self._max_unknown_attempts = max_unknown_attempts
        self._rate = rate_per_s
        self._sleep = sleep
        self._clock = clock
        self._next_send_at = 0.0

    def deliver(self, items: Sequence[Pending]) -> tuple[list[Pending], list[Failure]]:
        """Send ``items``; returns the delivered ones and the failures (both in input order)."""
        delivered: list[Pending] = []
        failed: list[Failure] = []
        chunks: deque[list[Pending]] = deque(
            list(items[i : i + self.max_signals]) for i in range(0, len(items), self.max_signals)
        )
        query_failed = accepted_after_query_failure = False
        while chunks:
            chunk = chunks.popleft()
            try:
                verdict, err = self._send_with_retry(chunk, accepted_after_query_failure)
            except RetriesExhaustedError as exc:
                failed.extend(
                    Failure(
                        p, p.msg, RetriesExhaustedError(str(exc), raw=p.msg, schema_id=p.schema_id)
                    )
                    for p in chunk
                )
                continue
            if verdict.action in (Action.STOP_AUTH, Action.STOP_QUERY):
                assert err is not None
                raise err
            if verdict.action in (Action.ACCEPT, Action.PARTIAL):
                delivered.extend(pick(chunk, verdict.accepted))
                accepted_after_query_failure = query_failed
            for index, rejection in verdict.bad:
                p = chunk[index]
                error = dead_letter_error(rejection, raw=p.msg, schema_id=p.schema_id)
                failed.append(Failure(p, p.msg, error))
            chunks.extendleft(reversed([pick(chunk, again) for again in verdict.again]))
            if isinstance(err, ApiQueryRejected):
                query_failed = True
            if verdict.action is not Action.ACCEPT:
                get_logger("ops.delivery").warning(
                    "batch_rejected" if verdict.action is Action.SPLIT else "signals_not_accepted",
                    signals=len(chunk),
                    isolated=len(verdict.bad),
                    resend=sum(len(again) for again in verdict.again),
                    error=type(err).__name__,
                )
        order = {id(p): i for i, p in enumerate(items)}
        delivered.sort(key=lambda p: order.get(id(p), 0))
        failed.sort(key=lambda f: order.get(id(f.pending), 0))
        return delivered, failed

    def _pace(self, count: int) -> None:
        if self._rate is None:
            return
        now = self._clock()
        if self._next_send_at > now:
            self._sleep(self._next_send_at - now)
            now = self._next_send_at
        self._next_send_at = now + count / self._rate

    def _send_with_retry(
        self, chunk: list[Pending], accepted_after_query_failure: bool
    ) -> tuple[Verdict, BaseException | None]:
        """Send ``chunk`` until its verdict is not a retry; the verdict and the last error."""
        tries, cause, unknown_answers = 0, None, 0
        window = RetryWindow()
        literals = [p.literal for p in chunk]
        while True:
            self._pace(len(chunk))
            err: ConsumerError | None = None
            try:
                ids = self._send(literals)
                if len(ids) != len(literals):
                    raise SignalIdsMismatch(f"expected {len(literals)} signalIds, got {len(ids)}")
            except ApiAuthError:
                raise
            except ConsumerError as exc:
                err = exc
            if isinstance(err, RetryableError):
                tries, cause = next_attempt(cause, tries, err.cause), err.cause
            if isinstance(err, ApiUnrecognised | SignalIdsMismatch):
                unknown_answers += 1
            verdict = decide(
                err,
                size=len(chunk),
                unknown_answers=unknown_answers,
                max_unknown_attempts=self._max_unknown_attempts,
                accepted_since_query_failure=accepted_after_query_failure,
            )
            if verdict.action is not Action.RETRY:
                return verdict, err
            assert isinstance(err, RetryableError)
            if window.expired(self._clock(), self._max_elapsed_s):
                raise gave_up(tries, err) from err
            wait = self._delay(tries, err.retry_after_s)
            get_logger("ops.delivery").warning(
                "mutation_retry",
                cause=err.cause,
                attempt=tries,
                retry_in_s=round(wait, 3),
                signals=len(chunk),
                error=str(err),
            )
            self._sleep(wait)
