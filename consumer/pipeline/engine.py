"""The pipeline's state machine, free of Kafka client objects (unit-testable with fakes).

The loop (:mod:`consumer.pipeline.loop`) feeds it consumed messages and turns it; it decides
what to batch, send, retry, dead-letter, pause and commit. Everything runs on the loop thread
except the HTTP sends (worker pool) - their outcomes come back through a queue. Mixed in: the
send outcomes (:mod:`~consumer.pipeline.outcomes`), dead letters
(:mod:`~consumer.pipeline.letters`) and registry waits (:mod:`~consumer.pipeline.registry_wait`).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable

from consumer.config import Settings
from consumer.deadletter import DeadLetterWriter
from consumer.errors import PermanentError, RecordTooLargeError, RetryableError
from consumer.logs import get_logger
from consumer.pipeline.batcher import Batcher, Item
from consumer.pipeline.letters import TrackedLetter
from consumer.pipeline.metrics import Metrics
from consumer.pipeline.offsets import OffsetTracker, TopicPartitionKey
from consumer.pipeline.outcomes import OutcomeHandling
from consumer.pipeline.registry_wait import RegistryRetry, RegistryWaits, SeekFn
from consumer.pipeline.retry import PartitionsFn, PauseBook, RetrySchedule
from consumer.pipeline.sender import Job, WorkerPool
from consumer.translate import Translated, attempt
from consumer.types import (
    DelayFn,
    EncodeFn,
    FastFn,
    KafkaMessage,
    KafkaProducer,
    SendFn,
    TranslateFn,
)

__all__ = [
    "Engine",
    "RegistryRetry",
    "SeekFn",
]

Work = Job | TrackedLetter | RegistryRetry


class Engine(RegistryWaits, OutcomeHandling):
    """Offsets, batches, sends, retries, dead letters and pauses of the assigned partitions."""

    def __init__(
        self,
        settings: Settings,
        *,
        translate: TranslateFn,
        encode: EncodeFn,
        send: SendFn,
        dlq_producer: KafkaProducer,
        pause: PartitionsFn,
        resume: PartitionsFn,
        seek: SeekFn,
        delay: DelayFn,
        metrics: Metrics | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_ms: Callable[[], int] = lambda: int(time.time() * 1000),
        fast: FastFn | None = None,
    ) -> None:
        self.settings = settings
        self._translate = translate
        self._encode = encode
        self._fast = fast
        self._seek = seek
        self._delay = delay
        self.metrics = metrics or Metrics()
        self._clock = clock
        self._wall_ms = wall_ms
        self.log = get_logger("pipeline")
        self.tracker = OffsetTracker()
        self.batcher = Batcher(
            max_signals=settings.batch_max_signals,
            max_bytes=settings.batch_max_bytes,
            linger_s=settings.linger_ms / 1000,
        )
        self.pool = WorkerPool(send, settings.max_in_flight_mutations)
        self.pauses = PauseBook(pause, resume)
        self.retries: RetrySchedule[Work] = RetrySchedule()
        self.dlq: DeadLetterWriter[TrackedLetter] = DeadLetterWriter(
            dlq_producer,
            settings.dlq_topic,
            self._dlq_result,
            max_message_bytes=settings.dlq_max_message_bytes,
        )
        self.ready_jobs: deque[Job] = deque()
        self.assigned: set[TopicPartitionKey] = set()
        self.joined = False
        self.draining = False
        self.auth_failed_since: float | None = None
        #: the API refuses the query itself (classify.py row 4): stopped like a refused key
        self.query_refused_since: float | None = None
        self.backpressure = False
        self.awaiting: dict[TopicPartitionKey, int] = {}
        self._registry_attempts: dict[TopicPartitionKey, int] = {}
        #: awaiting partitions whose schema is being fetched: resumed as soon as it has ended
        self._schema_waits: dict[TopicPartitionKey, Callable[[], bool]] = {}

    # --- 2. consume ---------------------------------------------------------------------------
    def on_message(self, msg: KafkaMessage) -> bool:
        """Track, translate and route one message; False when it was ignored or handed back
        (not tracked: the partition waits for the registry and is sought back to it)."""
        topic, partition, offset = msg.topic() or "", msg.partition() or 0, msg.offset() or 0
        tp = (topic, partition)
        if self.draining or tp in self.awaiting or tp not in self.assigned:
            return False  # redelivered later (seek back / next owner); never committed past
        size = len(msg.value() or b"") + len(msg.key() or b"")
        epoch = self.tracker.track(tp, offset, size)
        limit = self.settings.max_record_bytes
        if size > limit:  # never decoded: decoding can take ~140x
            reason = f"record of {size} bytes is above SIGNALS_MAX_RECORD_BYTES ({limit})"
            done: Translated | PermanentError = RecordTooLargeError(reason, raw=msg)
        else:
            try:
                done = attempt(msg, self._translate, self._encode, self._fast)
            except RetryableError as exc:
                self._registry_down(tp, offset, exc)
                return False  # consumed again after the seek back: counted then
            if self._registry_attempts:  # the registry answered (a dead letter too)
                self._registry_attempts.pop(tp, None)
        self.metrics.events_consumed.inc(topic)
        if isinstance(done, PermanentError):
            self.dead_letter(done, msg, epoch)
            return True
        self.batcher.add(Item(tp, offset, epoch, msg, done.literal, self._clock()))
        return True

    # --- 3. batches and sends -----------------------------------------------------------------
    def dispatch(self, *, new_batches: bool = True) -> None:
        """Start continuation chunks, then new batches, while the pool has room."""
        while self.ready_jobs and self.pool.has_capacity():
            self._submit(self.ready_jobs.popleft())
        if not new_batches:
            return
        stop = self.stop_reason()
        if stop is not None:
            self._keep_probe(stop)
            return
        now = self._clock()
        while self.pool.has_capacity():
            items = self.batcher.take(now, force=self.draining)
            if not items:
                break
            self._submit(Job.of(items))

    def _keep_probe(self, reason: str) -> None:
        """While the key (or the query, ``reason`` ``api_query``) is refused, keep one batch
        probing it with backoff.

        The probes are the refused batches waiting for their retry; when their partitions were
        revoked none is left, so one is cut from the queued signals - or, with none queued, the
        pauses of every stop are lifted so that records can arrive to probe with (the probe cut
        from them pauses everything again).
        """
        if self.pool.in_flight or self.ready_jobs:
            return
        if any(isinstance(w, Job) for w in self.retries.items()):
            return
        now = self._clock()
        items = self.batcher.take(now, force=True)
        if items:
            self.pauses.add(self.assigned, reason)
            self.retries.add(now + self._delay(1, None), Job.of(items))
        else:
            self.lift_stop_pauses()

    def _submit(self, job: Job) -> None:
        self.metrics.batch_size.observe(len(job.current))
        self.pool.submit(job)

    # --- due retries, backpressure ------------------------------------------------------------
    def run_due(self) -> None:
        """Start the retries whose backoff has passed, and resume the partitions whose schema
        fetch has ended."""
        self._resume_fetched()
        for work in self.retries.pop_due(self._clock()):
            if isinstance(work, Job):
                self._continue(work)
            elif isinstance(work, TrackedLetter):
                if self.tracker.is_current(work.tp, work.epoch):
                    self.dlq.write(work, now_ms=self._wall_ms())
            elif self.awaiting.get(work.tp) == work.offset:
                self._resume_at(work.tp, work.offset)

    def apply_backpressure(self) -> None:
        """Pause everything above ``max_buffered_events`` or ``max_buffered_bytes`` (pending
        records' key + value), resume below half of both; and pause each partition queueing
        more than two batches, resume it at one or less.

        Only one batch per partition is in flight, so a partition's queue beyond two batches
        adds nothing but takes buffer room from the others: with a slow API, batches from many
        partitions in flight at once is what gives throughput (bench/RESULTS.md, (e)).
        """
        depth = 2 * self.settings.batch_max_signals
        deep = self.batcher.deeper_than(depth)
        if deep:
            self.pauses.add(deep, "deep")
        shallow = [
            tp for tp in self.pauses.holding("deep") if self.batcher.buffered(tp) <= depth // 2
        ]
        if shallow:
            self.pauses.remove(shallow, "deep")
        buffered, size = self.tracker.pending_count(), self.tracker.pending_bytes()
        limit, limit_bytes = self.settings.max_buffered_events, self.settings.max_buffered_bytes
        if not self.backpressure and (buffered > limit or size > limit_bytes):
            self.backpressure = True
            self.pauses.add(self.assigned, "backpressure")
            self.log.info("backpressure_on", buffered=buffered, buffered_bytes=size)
        elif self.backpressure and buffered < limit // 2 and size < limit_bytes // 2:
            self.backpressure = False
            self.pauses.remove_everywhere("backpressure")
            self.log.info("backpressure_off", buffered=buffered, buffered_bytes=size)

    # --- 7. assignment ------------------------------------------------------------------------
    def on_assign(self, tps: Iterable[TopicPartitionKey]) -> None:
        """Partitions were added to this member: resumed (librdkafka keeps the pause flag of a
        partition that was paused when it left), then paused for the reasons still active."""
        new = set(tps)
        self.joined = True
        self.assigned |= new
        self.pauses.reset(new)
        for reason, active in (
            ("auth", self.auth_failed_since is not None),
            ("api_query", self.query_refused_since is not None),
            ("backpressure", self.backpressure),
            ("drain", self.draining),
        ):
            if active and new:
                self.pauses.add(new, reason)

    def _drop_queued(self, tps: set[TopicPartitionKey]) -> None:
        """Drop the waiting work of ``tps``; a job left with nothing to send is finished as
        :meth:`_continue` does: its other partitions are released and lose its pause."""
        for job in [*self.retries.items(), *self.ready_jobs]:
            if isinstance(job, Job):
                job.drop(tps)
        dropped = self.retries.drop(lambda w: isinstance(w, Job) and w.done())
        emptied = [w for w in dropped if isinstance(w, Job)]
        emptied += [j for j in self.ready_jobs if j.done()]
        self.ready_jobs = deque(j for j in self.ready_jobs if not j.done())
        for job in emptied:
            self.batcher.release(job.holds)
            self.pauses.remove(job.holds, f"job:{job.id}")
        self.retries.drop(lambda w: not isinstance(w, Job) and w.tp in tps)

    def settle(self, tps: set[TopicPartitionKey], deadline: float) -> dict[TopicPartitionKey, int]:
        """Finish in-flight work of ``tps`` until ``deadline``; returns their commit offsets."""
        for tp in tps:
            self.batcher.rewind(tp, -1)
        self._drop_queued(tps)
        while self._clock() < deadline:
            self.dlq.poll()
            busy = any(job.holds & tps for job in [*self.pool.jobs(), *self.ready_jobs])
            if not busy and not any(self.tracker.pending_count(tp) for tp in tps):
                break
            if not busy and self.dlq.outstanding == 0:
                break  # nothing in flight can finish the rest
            self.handle_outcomes(timeout_s=0.05)
            self.dispatch(new_batches=False)
        self.dlq.flush(max(0.0, min(1.0, deadline - self._clock())))
        positions = self.tracker.commit_positions()  # only what moved since the last commit
        return {tp: pos for tp, pos in positions.items() if tp in tps}

    def forget(self, tps: set[TopicPartitionKey]) -> None:
        """Drop every trace of ``tps`` (after revoke and commit, or when lost)."""
        self._drop_queued(tps)
        for job in [*self.pool.jobs(), *self.ready_jobs, *self.retries.items()]:
            if isinstance(job, Job):
                job.holds -= tps  # a re-assigned partition must not be released by old work
        for tp in tps:
            self.tracker.forget(tp)
            self.batcher.forget(tp)
            self.pauses.forget(tp)
            self.awaiting.pop(tp, None)
            self._schema_waits.pop(tp, None)
            self._registry_attempts.pop(tp, None)
        self.assigned -= tps

    # --- state --------------------------------------------------------------------------------
    def start_drain(self) -> None:
        """Shutdown: consume nothing more, flush every batch, finish what is in flight."""
        self.draining = True
        self.pauses.add(self.assigned, "drain")

    def settled(self) -> bool:
        """Nothing pending, in flight or unacknowledged (a registry wait holds no pending)."""
        return (
            self.tracker.pending_count() == 0
            and self.pool.in_flight == 0
            and self.dlq.outstanding == 0
        )

    def not_ready_reason(self) -> str | None:
        """Why ``/readyz`` fails, or None when ready ("joined and able to work").

        A retry waiting for its backoff is not "not ready": Connect throttling or down for a
        while is an outage every pod shares, and a readiness that flapped with it would stall
        rollouts for nothing (``retries`` still tells whether one waits).
        """
        if self.auth_failed_since is not None:
            return "api_key_refused"
        if self.query_refused_since is not None:
            return "api_query_rejected"
        if self.draining:
            return "shutting_down"
        if not self.joined:
            return "not_joined"
        return None

    def step(self) -> None:
        """One turn after consuming: acks, outcomes, due retries, sends, backpressure."""
        self.dlq.poll()
        self.handle_outcomes()
        self.run_due()
        self.dispatch()
        self.apply_backpressure()
        self.metrics.inflight.set(self.pool.in_flight)
        self.metrics.buffered.set(self.tracker.pending_count())
