"""Applying send outcomes: accepted, retried, rejected (split), stopped (refused key or query).

Mixed into :class:`consumer.pipeline.engine.Engine`; runs on the loop thread only.
"""

from __future__ import annotations

from collections import deque

from consumer.config import Settings
from consumer.connect.policy import (
    Action,
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
    ApiUnavailable,
    ApiUnrecognised,
    ConsumerError,
    PermanentError,
    RetryableError,
    SignalIdsMismatch,
)
from consumer.pipeline.batcher import Batcher
from consumer.pipeline.letters import DeadLetters
from consumer.pipeline.offsets import TopicPartitionKey
from consumer.pipeline.sender import Job, Outcome, WorkerPool

__all__ = ["SUSPECTS_MAX", "OutcomeHandling"]

#: Lone signals refused as a document that one job keeps while it takes queued signals to probe
#: with; beyond, it only probes its own (so many refused alone with none accepted: systemic).
SUSPECTS_MAX = 16


class OutcomeHandling(DeadLetters):
    """What to do with each :class:`Outcome` (the engine provides the state; rejected signals
    go out through :meth:`DeadLetters.dead_letter`)."""

    settings: Settings
    batcher: Batcher
    pool: WorkerPool
    ready_jobs: deque[Job]
    assigned: set[TopicPartitionKey]
    auth_failed_since: float | None
    query_refused_since: float | None

    def handle_outcomes(self, timeout_s: float = 0.0) -> int:
        """Apply every finished send; returns how many there were."""
        outcomes = self.pool.outcomes(timeout_s)
        for outcome in outcomes:
            self._outcome(outcome)
        return len(outcomes)

    def _outcome(self, out: Outcome) -> None:
        """Classify (:mod:`consumer.connect.classify`), decide (:func:`decide`), apply."""
        job, err = out.job, out.error
        self.metrics.mutation_duration.observe(out.duration_s)
        if err is None and (out.ids is None or len(out.ids) != out.count):
            got = "none" if out.ids is None else len(out.ids)
            err = SignalIdsMismatch(f"expected {out.count} signalIds, got {got}")
        elif err is not None and not isinstance(err, ConsumerError):
            self.log.error("send_crashed", error=f"{type(err).__name__}: {err}")
            err = ApiUnavailable(f"{type(err).__name__}: {err}")
        cause = _cause(err)
        if cause is not None:
            job.attempt = next_attempt(job.cause, job.attempt, cause)
            job.cause = cause
        if isinstance(err, ApiUnrecognised | SignalIdsMismatch):
            job.unknown_answers += 1
        verdict = decide(
            err,
            size=len(job.current),
            unknown_answers=job.unknown_answers,
            max_unknown_attempts=self.settings.unknown_error_max_attempts,
            accepted_since_query_failure=job.accepted_after_query_failure,
        )
        action = verdict.action
        stopped = self.query_refused_since is not None
        if isinstance(err, ApiQueryRejected) and stopped and len(job.current) == 1:
            # already stopped: a lone signal probes on, never dead-lettered; a larger probe is
            # bisected (it may hold a bad literal of its own: resent whole it would never pass)
            action = Action.STOP_QUERY
        if action is Action.ACCEPT or action is Action.PARTIAL:
            self._accepted(job, verdict)
        elif action is Action.STOP_AUTH:
            self._auth_refused(job, str(err))
        elif action is Action.STOP_QUERY:
            self._query_refused(job, str(err))
        elif action is Action.SPLIT:
            self._rejected(job, verdict, err)
        else:
            assert isinstance(err, RetryableError)
            self._retry_later(job, err)
        if self.auth_failed_since is not None and _key_was_accepted(err):
            self._key_accepted_again()  # after the action: a stop's pauses never flicker

    def _accepted(self, job: Job, verdict: Verdict) -> None:
        chunk = job.advance()
        if verdict.action is Action.PARTIAL:
            self.metrics.mutations.labels("partial").inc()
            job.chunks.extendleft(reversed([pick(chunk, again) for again in verdict.again]))
            self.log.warning(
                "signals_not_accepted",
                signals=len(chunk),
                accepted=len(verdict.accepted),
                resend=len(chunk) - len(verdict.accepted),
            )
            chunk = pick(chunk, verdict.accepted)
        else:
            self.metrics.mutations.labels("ok").inc()
        if job.query_failed:
            job.accepted_after_query_failure = True
        now_ms = self._wall_ms()
        by_topic: dict[str, int] = {}
        latencies: list[float] = []
        finish, latency = self.tracker.finish, latencies.append
        for item in chunk:
            if finish(item.tp, item.offset, item.epoch):
                topic = item.tp[0]
                by_topic[topic] = by_topic.get(topic, 0) + 1
                ts_type, ts = item.msg.timestamp()
                if ts_type and ts > 0:
                    latency(max(0, now_ms - ts) / 1000)
        self.metrics.event_to_accepted.observe_many(latencies)
        for topic, count in by_topic.items():  # once per topic, not per signal
            self.metrics.delivered.inc(topic, count)
        self.pauses.remove(job.holds, f"job:{job.id}")
        if self.query_refused_since is not None:
            self.query_refused_since = None
            self.pauses.remove_everywhere("api_query")
            self.log.info("api_query_accepted_again")
        self._continue(job)

    def _continue(self, job: Job) -> None:
        job.prune(lambda i: self.tracker.is_current(i.tp, i.epoch))
        if job.done():
            self.batcher.release(job.holds)
            self.pauses.remove(job.holds, f"job:{job.id}")
        else:
            self.ready_jobs.append(job)

    def _retry_later(self, job: Job, err: RetryableError) -> None:
        now = self._clock()
        expired = job.window.expired(now, self.settings.retry_max_elapsed_s, self._wall_ms())
        self.metrics.retries.labels(err.cause).inc()
        self.metrics.mutations.labels("retry").inc()
        if expired:
            first_ms, attempts = job.window.since_ms, job.attempt
            chunk = job.advance()
            self.log.error(
                "retries_exhausted", signals=len(chunk), attempts=attempts, error=str(err)
            )
            for item in chunk:
                exc = gave_up(attempts, err, raw=item.msg, schema_id=item.schema_id)
                self.dead_letter(exc, item.msg, item.epoch, first_ms)
            self._continue(job)
            return
        wait = self._delay(job.attempt, err.retry_after_s)
        self.pauses.add(job.holds, f"job:{job.id}")
        self.retries.add(now + wait, job)
        self.log.warning(
            "mutation_retry_scheduled",
            cause=err.cause,
            attempt=job.attempt,
            retry_in_s=round(wait, 3),
            signals=len(job.current),
            error=str(err),
        )

    def _rejected(self, job: Job, verdict: Verdict, err: BaseException | None) -> None:
        """Dead-letter the signals the verdict names; send the rest again in its chunks."""
        self.metrics.mutations.labels("rejected").inc()
        chunk = job.advance()
        for index, rejection in verdict.bad:
            item = chunk[index]
            exc = dead_letter_error(rejection, raw=item.msg, schema_id=item.schema_id)
            self.dead_letter(exc, item.msg, item.epoch)
        job.chunks.extendleft(reversed([pick(chunk, again) for again in verdict.again]))
        if isinstance(err, ApiQueryRejected):
            job.query_failed = True
        self.log.warning(
            "batch_rejected",
            signals=len(chunk),
            isolated=len(verdict.bad),
            resend=sum(len(again) for again in verdict.again),
            error=type(err).__name__,
        )
        self._continue(job)

    def _auth_refused(self, job: Job, error: str) -> None:
        self.metrics.mutations.labels("auth").inc()
        if self.auth_failed_since is None:
            self.auth_failed_since = self._clock()
            self.pauses.add(self.assigned, "auth")
            self.log.error(
                "api_key_refused",
                error=error,
                setting="SIGNALS_CONNECT_API_KEY",
                action="sending stopped, nothing committed or dead-lettered, probing with backoff",
            )
        self.retries.add(self._clock() + self._delay(job.attempt, None), job)

    def _query_refused(self, job: Job, error: str) -> None:
        """A signal alone failed as the whole query did before any other part of its batch was
        accepted: maybe not the data's fault (a schema change on the API side, a client bug).
        Stop like a refused key; the job probes with backoff, other signals first so that the
        probe is not always the suspect: its other chunks, or else, when every chunk left is a
        lone signal (up to :data:`SUSPECTS_MAX` of them), a batch of queued signals, its own
        partitions' too (with none queued, the pauses are lifted so that records arrive to probe
        with). One of them accepted, the suspect is the cause and is dead-lettered when it fails
        again."""
        self.metrics.mutations.labels("query_refused").inc()
        now = self._clock()
        if self.query_refused_since is None:
            self.query_refused_since = now
            self.log.error(
                "api_query_refused",
                error=error,
                action="sending stopped, nothing committed or dead-lettered, probing with backoff",
            )
        job.query_failed = True
        lone = len(job.chunks) <= SUSPECTS_MAX and all(len(c) == 1 for c in job.chunks)
        fresh = self.batcher.take(now, force=True, held=job.holds) if lone else None
        if fresh:
            job.chunks.appendleft(fresh)
            job.holds |= {item.tp for item in fresh}
        else:
            job.chunks.rotate(-1)
        job.fresh_limits()
        if lone and not fresh:
            self.lift_stop_pauses()
        else:
            self.pauses.add(self.assigned, "api_query")
        self.retries.add(now + self._delay(job.attempt, None), job)

    def _key_accepted_again(self) -> None:
        self.auth_failed_since = None
        self.pauses.remove_everywhere("auth")
        self.log.info("api_key_accepted_again")

    def lift_stop_pauses(self) -> None:
        """Lift the pauses of every stop (``auth`` and ``api_query``: both may be active) so
        that records arrive to probe with; the stop holds until a probe is accepted."""
        for reason in ("auth", "api_query"):
            self.pauses.remove_everywhere(reason)

    def stop_reason(self) -> str | None:
        """The pause reason of an active stop (``auth``, ``api_query``), or None."""
        if self.auth_failed_since is not None:
            return "auth"
        if self.query_refused_since is not None:
            return "api_query"
        return None


def _key_was_accepted(err: BaseException | None) -> bool:
    """True when the answer proves the API key was accepted: ids came back, or the API judged
    the mutation (refused its document, rejected its signals).

    Assumes (undocumented) that Connect checks the key before it reads the query, as GraphQL
    gateways do: reference section 1's anonymous request got ``Unauthorized``, not a query
    error. Throttling, 5xx, a transport failure or an unrecognised answer prove nothing: a
    gateway may give them before the key is looked at.
    """
    return err is None or isinstance(err, ApiQueryRejected | PermanentError | SignalIdsMismatch)


def _cause(err: BaseException | None) -> str | None:
    """What the attempt count of a chunk counts: the retry cause, or the kind of stop."""
    if isinstance(err, RetryableError):
        return err.cause
    if isinstance(err, ApiAuthError):
        return "auth"
    if isinstance(err, ApiQueryRejected):
        return "api_query"
    return None
