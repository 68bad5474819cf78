"""Applying send outcomes: accepted, retried, rejected (split), refused key.

Mixed into :class:`consumer.pipeline.engine.Engine`; runs on the loop thread only.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from consumer.config import Settings
from consumer.errors import (
    ApiAuthError,
    ApiRejectedSignal,
    ApiUnavailable,
    BatchRejected,
    PermanentError,
    RetriesExhaustedError,
    RetryableError,
)
from consumer.types import KafkaMessage
from consumer.pipeline.batcher import Batcher
from consumer.pipeline.metrics import Metrics
from consumer.pipeline.offsets import OffsetTracker, TopicPartitionKey
from consumer.pipeline.retry import PauseBook, RetrySchedule
from consumer.pipeline.sender import Job, Outcome, WorkerPool, split_rejected

__all__ = ["OutcomeHandling"]


class OutcomeHandling:
    """What to do with each :class:`Outcome` (the engine provides the state)."""

    settings: Settings
    metrics: Metrics
    log: Any
    tracker: OffsetTracker
    batcher: Batcher
    pool: WorkerPool
    pauses: PauseBook
    retries: RetrySchedule[Any]
    ready_jobs: deque[Job]
    assigned: set[TopicPartitionKey]
    auth_failed_since: float | None
    last_progress: float
    _clock: Callable[[], float]
    _wall_ms: Callable[[], int]
    _delay: Callable[[int, float | None], float]

    def dead_letter(
        self, err: PermanentError, msg: KafkaMessage, epoch: int, first_ms: int | None = None
    ) -> None:
        raise NotImplementedError

    def handle_outcomes(self, timeout_s: float = 0.0) -> int:
        """Apply every finished send; returns how many there were."""
        outcomes = self.pool.outcomes(timeout_s)
        for outcome in outcomes:
            self._outcome(outcome)
        return len(outcomes)

    def _outcome(self, out: Outcome) -> None:
        job, err = out.job, out.error
        self.metrics.mutation_duration.observe(out.duration_s)
        if err is None and (out.ids is None or len(out.ids) != out.count):
            got = "none" if out.ids is None else len(out.ids)
            err = ApiUnavailable(f"expected {out.count} signalIds, got {got}")
        if err is None:
            self._accepted(job)
        elif isinstance(err, ApiAuthError):
            self._auth_refused(job, err)
        elif isinstance(err, RetryableError):
            self._retry_later(job, err)
        elif isinstance(err, PermanentError):
            self._rejected(job, err)
        else:
            self.log.error("send_crashed", error=f"{type(err).__name__}: {err}")
            self._retry_later(job, ApiUnavailable(f"{type(err).__name__}: {err}"))

    def _accepted(self, job: Job) -> None:
        chunk = job.advance()
        self.metrics.mutations.labels("ok").inc()
        now_ms = self._wall_ms()
        finished = 0
        by_topic: dict[str, int] = {}
        latencies: list[float] = []
        finish, latency = self.tracker.finish, latencies.append
        for item in chunk:
            if finish(item.tp, item.offset, item.epoch):
                finished += 1
                topic = item.tp[0]
                by_topic[topic] = by_topic.get(topic, 0) + 1
                ts_type, ts = item.msg.timestamp()
                if ts_type and ts > 0:
                    latency(max(0, now_ms - ts) / 1000)
        self.metrics.event_to_accepted.observe_many(latencies)
        for topic, count in by_topic.items():  # once per topic, not per signal
            self.metrics.delivered.inc(topic, count)
        if finished:
            self.last_progress = self._clock()
        self.pauses.remove(job.holds, f"job:{job.id}")
        if self.auth_failed_since is not None:
            self.auth_failed_since = None
            self.pauses.remove_everywhere("auth")
            self.log.info("api_key_accepted_again")
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
        if job.first_failure is None:
            job.first_failure, job.first_failure_ms = now, self._wall_ms()
        job.attempt += 1
        self.metrics.retries.labels(err.cause).inc()
        self.metrics.mutations.labels("retry").inc()
        limit = self.settings.retry_max_elapsed_s
        if limit is not None and now - job.first_failure >= limit:
            first_ms, attempts = job.first_failure_ms, job.attempt
            chunk = job.advance()
            self.log.error(
                "retries_exhausted", signals=len(chunk), attempts=attempts, error=str(err)
            )
            for item in chunk:
                exc = RetriesExhaustedError(
                    f"gave up after {attempts} attempts: {err}",
                    raw=item.msg,
                    schema_id=item.schema_id,
                )
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

    def _rejected(self, job: Job, err: PermanentError) -> None:
        self.metrics.mutations.labels("rejected").inc()
        violations: Mapping[int, str] = err.violations if isinstance(err, BatchRejected) else {}
        chunk = job.chunks.popleft()
        bad, again = split_rejected(chunk, violations, default=str(err))
        for item, message in bad:
            exc = ApiRejectedSignal(message, raw=item.msg, schema_id=item.schema_id)
            self.dead_letter(exc, item.msg, item.epoch)
        job.chunks.extendleft(reversed(again))
        self.log.warning(
            "batch_rejected",
            signals=len(chunk),
            isolated=len(bad),
            resend=sum(len(c) for c in again),
            named=len(violations),
        )
        self._continue(job)

    def _auth_refused(self, job: Job, err: ApiAuthError) -> None:
        self.metrics.mutations.labels("auth").inc()
        if self.auth_failed_since is None:
            self.auth_failed_since = self._clock()
            self.pauses.add(self.assigned, "auth")
            self.log.error(
                "api_key_refused",
                error=str(err),
                setting="SIGNALS_CONNECT_API_KEY",
                action="sending stopped, nothing committed or dead-lettered, probing with backoff",
            )
        job.attempt += 1
        self.retries.add(self._clock() + self._delay(job.attempt, None), job)
