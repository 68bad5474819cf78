"""A sequential sender for the one-shot commands (``replay``, ``dlq redrive``).

The live pipeline overlaps many mutations; a one-shot command does not need to, so this sender
sends one mutation at a time and simply sleeps when it has to wait:

* batches of at most ``max_signals`` (``SIGNALS_BATCH_MAX_SIGNALS``), in the given order;
* a rejected batch (``BatchRejected``, a :class:`~consumer.errors.PermanentError` with
  ``violations``) is split the pipeline's way: the signals the API named fail with its message
  and the rest is sent again; when it named none the batch is bisected until single bad signals
  are isolated;
* :class:`~consumer.errors.RetryableError` (throttled, unavailable, a wrong ``signalIds``
  count) sleeps with exponential backoff and jitter, honouring ``retry_after_s``, and tries the
  same batch again - until ``max_elapsed_s`` (``SIGNALS_RETRY_MAX_ELAPSED_S``) when set, after
  which the batch fails as ``retries_exhausted``;
* :class:`~consumer.errors.ApiAuthError` propagates: the command stops (exit 4).

An optional ``rate_per_s`` paces the signals sent per second (``dlq redrive --rate-limit``).
:func:`prepare` is the step before: translate and encode one record, or say why it cannot be.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from consumer.avro.framing import schema_id_of
from consumer.errors import (
    ApiRejectedSignal,
    ApiUnavailable,
    BatchRejected,
    PermanentError,
    RetriesExhaustedError,
    RetryableError,
)
from consumer.logs import get_logger
from consumer.pipeline.sender import split_rejected
from consumer.signals.model import Signal
from consumer.translate import attempt
from consumer.types import DelayFn, KafkaMessage, SendFn

__all__ = ["Delivery", "Failure", "Pending", "prepare"]


def _log() -> Any:
    """The module's logger, bound at use (logging is configured after import)."""
    return get_logger("ops.delivery")


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
    translate: Callable[[KafkaMessage], Signal],
    encode: Callable[[Mapping[str, Any]], str],
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
            _log().warning(
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
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._send = send
        self.max_signals = max(1, max_signals)
        if rate_per_s is not None:
            self.max_signals = max(1, min(self.max_signals, int(rate_per_s)))
        self._delay = delay
        self._max_elapsed_s = max_elapsed_s
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
        while chunks:
            chunk = chunks.popleft()
            try:
                self._send_with_retry(chunk)
            except RetriesExhaustedError as exc:
                failed.extend(
                    Failure(
                        p, p.msg, RetriesExhaustedError(str(exc), raw=p.msg, schema_id=p.schema_id)
                    )
                    for p in chunk
                )
            except PermanentError as exc:  # ApiAuthError is not one: it propagates
                violations: Mapping[int, str] = (
                    exc.violations if isinstance(exc, BatchRejected) else {}
                )
                bad, again = split_rejected(chunk, violations, default=str(exc))
                failed.extend(
                    Failure(p, p.msg, ApiRejectedSignal(message, raw=p.msg, schema_id=p.schema_id))
                    for p, message in bad
                )
                chunks.extendleft(reversed(again))
                _log().warning(
                    "batch_rejected", signals=len(chunk), isolated=len(bad), named=len(violations)
                )
            else:
                delivered.extend(chunk)
        order = {id(p): i for i, p in enumerate(items)}
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

    def _send_with_retry(self, chunk: list[Pending]) -> None:
        attempt = 0
        first_failure: float | None = None
        literals = [p.literal for p in chunk]
        while True:
            self._pace(len(chunk))
            try:
                ids = self._send(literals)
                if len(ids) != len(literals):
                    raise ApiUnavailable(f"expected {len(literals)} signalIds, got {len(ids)}")
            except RetryableError as exc:
                now = self._clock()
                first_failure = now if first_failure is None else first_failure
                attempt += 1
                limit = self._max_elapsed_s
                if limit is not None and now - first_failure >= limit:
                    raise RetriesExhaustedError(f"gave up after {attempt} attempts: {exc}") from exc
                wait = self._delay(attempt, exc.retry_after_s)
                _log().warning(
                    "mutation_retry",
                    cause=exc.cause,
                    attempt=attempt,
                    retry_in_s=round(wait, 3),
                    signals=len(chunk),
                    error=str(exc),
                )
                self._sleep(wait)
            else:
                return
