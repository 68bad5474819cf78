"""What to do with the answer to one chunk of signals: the last column of the table in
:mod:`consumer.connect.classify`, as one pure function shared by the pipeline
(:mod:`consumer.pipeline.outcomes`) and the one-shot commands (:mod:`consumer.ops.delivery`).

:func:`decide` looks at the error a send raised (None when it returned one id per signal), the
size of the chunk and what the caller remembers about it, and returns a :class:`Verdict`:

=====================  =========================================================================
Action                 The caller...
=====================  =========================================================================
``ACCEPT``             finishes every signal of the chunk
``PARTIAL``            finishes ``accepted``, sends ``again`` (indexes of the chunk) next
``RETRY``              sends the same chunk again after its backoff (attempts counted per cause,
                       :func:`next_attempt`)
``SPLIT``              dead-letters ``bad`` (index -> :class:`Rejection`), sends ``again`` next
``STOP_AUTH``          stops sending (refused key), keeps polling, probes with this chunk
``STOP_QUERY``         stops sending (the API refuses the query itself), keeps polling, probes
=====================  =========================================================================

A query-level failure (row 4) is bisected first, with no dead letter: when a signal alone still
fails so before any other part of its batch was accepted since, the fault is not the data's and
the consumer stops (``STOP_QUERY``); when a part was accepted, the signal is the cause and is
dead-lettered. An unrecognised answer (row 6) is retried ``max_unknown_attempts`` times, then
handled as a rejection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from consumer.errors import (
    ApiAuthError,
    ApiQueryRejected,
    ApiRejectedSignal,
    ApiUnrecognised,
    BatchRejected,
    PermanentError,
    RetriesExhaustedError,
    RetryableError,
    SignalIdsMismatch,
    SignalNotConfirmed,
)
from consumer.types import KafkaMessage

__all__ = [
    "Action",
    "Rejection",
    "RetryWindow",
    "Verdict",
    "dead_letter_error",
    "decide",
    "gave_up",
    "next_attempt",
    "pick",
]

T = TypeVar("T")


class Action(StrEnum):
    """What the caller does with a chunk (see the module docstring)."""

    ACCEPT = "accept"
    PARTIAL = "partial"
    RETRY = "retry"
    SPLIT = "split"
    STOP_AUTH = "stop_auth"
    STOP_QUERY = "stop_query"


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why one signal is dead-lettered: the API's words (``confirmed`` False: it never said)."""

    message: str
    api_code: str | None = None
    category: str | None = None
    confirmed: bool = True


@dataclass(frozen=True, slots=True)
class Verdict:
    """The decision for one chunk; indexes refer to the chunk that was sent."""

    action: Action
    accepted: tuple[int, ...] = ()
    bad: tuple[tuple[int, Rejection], ...] = ()
    again: tuple[tuple[int, ...], ...] = ()


def _halves(size: int) -> tuple[tuple[int, ...], ...]:
    half = size // 2
    return (tuple(range(half)), tuple(range(half, size)))


def _rejected(size: int, err: BatchRejected | Rejection) -> Verdict:
    """Split a rejected chunk: named (valid) indexes out, a lone signal out, else halves."""
    if isinstance(err, BatchRejected):
        base = Rejection(err.api_error, err.api_code, err.category)
        named = {i: msg for i, msg in err.violations.items() if 0 <= i < size}
        unnamed = next(iter(err.violations.values()), None)
    else:
        base, named, unnamed = err, {}, None
    if size == 1:
        only = next(iter(named.values()), None) or unnamed
        lone = Rejection(only, base.api_code, base.category, base.confirmed) if only else base
        return Verdict(Action.SPLIT, bad=((0, lone),))
    if named:
        bad = tuple(
            (i, Rejection(msg, base.api_code, base.category)) for i, msg in sorted(named.items())
        )
        rest = tuple(i for i in range(size) if i not in named)
        return Verdict(Action.SPLIT, bad=bad, again=(rest,) if rest else ())

    return Verdict(Action.SPLIT, again=_halves(size))


def decide(
    err: BaseException | None,
    *,
    size: int,
    unknown_answers: int = 1,
    max_unknown_attempts: int = 3,
    accepted_since_query_failure: bool = False,
) -> Verdict:
    """The :class:`Verdict` for a chunk of ``size`` signals whose send raised ``err``.

    ``unknown_answers`` counts this chunk's answers that cannot be trusted (unrecognised, or
    ``signalIds`` that do not confirm every signal), this one included (whatever came between
    them: alternating with throttling does not make the bound endless); a lone unconfirmed
    signal is sent again until it reaches ``max_unknown_attempts``;
    ``accepted_since_query_failure`` tells whether a part of the batch was accepted after a
    query-level failure of it (row 4).
    """
    if err is None:
        return Verdict(Action.ACCEPT, accepted=tuple(range(size)))
    if isinstance(err, ApiAuthError):
        return Verdict(Action.STOP_AUTH)
    if isinstance(err, ApiQueryRejected):
        if size > 1:
            return Verdict(Action.SPLIT, again=_halves(size))
        if not accepted_since_query_failure:
            return Verdict(Action.STOP_QUERY)
        return _rejected(size, Rejection(str(err), err.api_code))
    if isinstance(err, SignalIdsMismatch):
        if err.accepted:
            rest = tuple(i for i in range(size) if i not in set(err.accepted))
            return Verdict(Action.PARTIAL, accepted=err.accepted, again=(rest,) if rest else ())
        if size == 1 and unknown_answers < max_unknown_attempts:
            return Verdict(Action.RETRY)  # one odd answer must not dead-letter a good event
        return _rejected(size, Rejection(str(err), confirmed=False))
    if isinstance(err, ApiUnrecognised):
        if unknown_answers < max_unknown_attempts:
            return Verdict(Action.RETRY)
        return _rejected(size, Rejection(err.api_error, err.api_code))
    if isinstance(err, RetryableError):
        return Verdict(Action.RETRY)
    if isinstance(err, BatchRejected):
        return _rejected(size, err)
    if isinstance(err, PermanentError):
        return _rejected(size, Rejection(str(err)))
    return Verdict(Action.RETRY)  # a bug in the sender: retried, it shows in logs and metrics


def next_attempt(previous_cause: str | None, attempt: int, cause: str) -> int:
    """The attempt number of a failure with ``cause``: it starts again when the cause changes
    (a 504 after nine throttled attempts waits a first backoff, not a tenth)."""
    return attempt + 1 if cause == previous_cause else 1


def pick(chunk: Sequence[T], indexes: Sequence[int]) -> list[T]:
    """The items of ``chunk`` at ``indexes``, in that order."""
    return [chunk[i] for i in indexes]


def dead_letter_error(
    rejection: Rejection, *, raw: KafkaMessage, schema_id: int | None
) -> PermanentError:
    """The error a rejected signal is dead-lettered with."""
    if not rejection.confirmed:
        return SignalNotConfirmed(
            f"not confirmed by the Connect API: {rejection.message}", raw=raw, schema_id=schema_id
        )
    return ApiRejectedSignal(
        rejection.message,
        raw=raw,
        schema_id=schema_id,
        api_code=rejection.api_code,
        category=rejection.category,
    )


@dataclass(slots=True)
class RetryWindow:
    """Since when a chunk fails transiently: ``SIGNALS_RETRY_MAX_ELAPSED_S`` counts from there
    (the pipeline keeps one per job, a one-shot command one per chunk it sends)."""

    since: float | None = None
    since_ms: int | None = None

    def expired(self, now: float, limit_s: float | None, now_ms: int | None = None) -> bool:
        """Note a transient failure at ``now``; True once ``limit_s`` passed since the first."""
        if self.since is None:
            self.since, self.since_ms = now, now_ms
        return limit_s is not None and now - self.since >= limit_s


def gave_up(
    attempts: int,
    err: BaseException,
    *,
    raw: KafkaMessage | None = None,
    schema_id: int | None = None,
) -> RetriesExhaustedError:
    """The error of a signal whose chunk ran out of retry time after ``attempts``."""
    return RetriesExhaustedError(
        f"gave up after {attempts} attempts: {err}", raw=raw, schema_id=schema_id
    )
