"""``Pipeline.from_settings(settings).run(stop)``: the poll loop binding the engine to Kafka.

Commit protocol (docs/pipeline.md has the long form):

1. Subscribe (topics or ``^pattern``), auto-commit off, cooperative-sticky assignment.
2. Poll (``consume``, timeout <= 0.1 s) - the loop never waits on HTTP or a retry. Every record
   becomes *pending* in the offset tracker, then is translated: a permanent failure goes to the
   dead-letter topic (finished on the broker's ack); a registry outage pauses the partition,
   seeks back to the record and resumes after a backoff; a signal joins the batcher.
3. Batches (count, bytes, linger) go to the worker pool, at most one batch per partition.
4. Outcomes come back through a queue: accepted -> finished; throttled/unavailable -> the same
   batch again after backoff, its partitions paused; rejected -> split, bad ones dead-lettered;
   auth refused -> everything paused, nothing finished, a probe with backoff.
5. About every second, commit (async) per partition the lowest pending offset, or the last
   finished + 1 - never past an unfinished event. Revoke and shutdown commit synchronously.
6. Shutdown: stop consuming, flush and finish in-flight work within ``drain_timeout_s``,
   commit, leave the group.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from consumer.config import Settings, require
from consumer.errors import ConfigurationError, ExitCode
from consumer.logs import get_logger
from consumer.pipeline.broker_offsets import BrokerOffsets
from consumer.pipeline.engine import Engine
from consumer.pipeline.health import LOOP_STALL_S, HealthServer, HealthState
from consumer.pipeline.metrics import Metrics
from consumer.pipeline.observe import Observation
from consumer.pipeline.offsets import TopicPartitionKey
from consumer.pipeline.progress import PartitionProgress
from consumer.pipeline.rebalance import RebalanceHandler
from consumer.pipeline.shutdown import ShutdownRequest
from consumer.pipeline.topics import ensure_topic
from consumer.types import (
    DelayFn,
    EncodeFn,
    FastFn,
    KafkaConsumer,
    KafkaProducer,
    OffsetReader,
    SendFn,
    StopFlag,
    TranslateFn,
)

if TYPE_CHECKING:
    from confluent_kafka import KafkaError

    from consumer.types import TopicPartition

__all__ = ["Parts", "Pipeline"]

COMMIT_INTERVAL_S = 1.0
OBSERVE_INTERVAL_S = 2.0
POLL_TIMEOUT_S = 0.1
BUSY_POLL_TIMEOUT_S = 0.005


def _health_state(settings: Settings) -> HealthState:
    return HealthState(
        progress_timeout_s=settings.health_progress_timeout_s,
        loop_stall_s=LOOP_STALL_S + settings.drain_timeout_s,  # a revoke may hold the loop
    )


@dataclass(frozen=True, slots=True)
class Parts:
    """What a :class:`Pipeline` runs on (``Pipeline.from_settings`` builds the real ones)."""

    consumer: KafkaConsumer
    producer: KafkaProducer
    translate: TranslateFn
    send: SendFn
    encode: EncodeFn
    delay: DelayFn
    fast: FastFn | None = None
    metrics: Metrics = field(default_factory=Metrics)
    #: the port of the started operations HTTP server, if any
    health_port: int | None = None
    #: closed after the loop in reverse order (before them: workers, DLQ queue, the offsets
    #: thread, consumer)
    closers: tuple[Callable[[], object], ...] = ()
    #: the offsets thread's own consumer (closed by its builder, after the loop); None: the
    #: loop's (test doubles only: a real Consumer admits one thread at a time, the loop waits)
    reader: OffsetReader | None = None


class Pipeline(Observation):
    """The consumer: ``run(stop)`` until ``stop`` is set (or idle), returns an exit code.

    Its Kafka calls live in :mod:`~consumer.pipeline.kafka_edge`, what it watches (lag,
    progress, health, idleness) in :mod:`~consumer.pipeline.observe`.
    """

    def __init__(
        self,
        settings: Settings,
        parts: Parts,
        *,
        until_idle_s: float | None = None,
        max_events: int | None = None,
        health: HealthState | None = None,
    ) -> None:
        self.settings = settings
        self.until_idle_s = until_idle_s
        self.max_events = max_events
        self.metrics = parts.metrics
        self.health = health or _health_state(settings)
        self.health_port = parts.health_port
        self.progress = PartitionProgress()
        self._lags: dict[TopicPartitionKey, int] = {}
        self.log = get_logger("pipeline")
        self.consumed = 0
        #: a fatal error of the dead-letter producer (its ``error_cb``): stop, commit nothing
        self.producer_fatal: str | None = None
        #: finished work whose final commit the broker refused; emptied by later commits
        self.uncommitted_at_exit: set[TopicPartitionKey] = set()
        #: the longest time between two ``consume()`` calls so far (seconds)
        self.poll_gap_max_s = 0.0
        self.consumer = parts.consumer
        self.producer = parts.producer
        #: committed offsets and fresh watermarks, read off the loop thread (observe.py)
        reader = parts.reader
        self.broker = BrokerOffsets(
            reader or parts.consumer, serve=reader.poll if reader is not None else None
        )
        self._uncached: set[TopicPartitionKey] = set()
        self.engine = Engine(
            settings,
            translate=parts.translate,
            encode=parts.encode,
            send=parts.send,
            dlq_producer=parts.producer,
            pause=lambda tps: self._partitions("pause", tps),
            resume=lambda tps: self._partitions("resume", tps),
            seek=self._seek,
            delay=parts.delay,
            metrics=self.metrics,
            fast=parts.fast,
        )
        self.rebalance = RebalanceHandler(self.engine, self._commit_sync, settings.drain_timeout_s)
        # closed in reverse order: workers, the DLQ producer's queue, the broker reads, the consumer
        producer = parts.producer
        self._closers: list[Callable[[], object]] = [
            *parts.closers,
            parts.consumer.close,
            self.broker.stop,  # before its reader (in parts.closers) closes: none under close
            lambda: producer.flush(5),
            self.engine.pool.shutdown,
        ]
        now = time.monotonic()
        self._last_commit = self._last_observe = self._last_message = now
        self._next_idle_check = 0.0
        self._next_commit = now + COMMIT_INTERVAL_S

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        until_idle_s: float | None = None,
        max_events: int | None = None,
        translate: TranslateFn | None = None,
        send: SendFn | None = None,
    ) -> Pipeline:
        """The real consumer, DLQ producer, translator and Connect client (``translate`` and
        ``send`` replace the last two). The operations HTTP server starts first: it answers
        "starting" while the rest is built."""
        from confluent_kafka import Consumer, Producer
        from confluent_kafka.admin import AdminClient

        from consumer.connect.backoff import Backoff
        from consumer.connect.client import ConnectClient
        from consumer.kafka_config import (
            admin_config,
            consumer_config,
            dlq_topic_config,
            producer_config,
            reader_config,
        )
        from consumer.pipeline.group_rate import GroupShare, metadata_counts, subscribed_partitions
        from consumer.signals.graphql_literal import encode_input
        from consumer.translate import Translator

        s = settings
        require(s, "connect_api_key")
        if not s.topics and not s.topic_pattern:
            raise ConfigurationError(
                "SIGNALS_TOPICS or SIGNALS_TOPIC_PATTERN is required", setting="SIGNALS_TOPICS"
            )
        metrics, health = Metrics(), _health_state(s)
        share: GroupShare | None = None
        closers: list[Callable[[], object]] = []
        try:
            port = None
            if s.metrics_port:
                server = HealthServer(s.metrics_host, s.metrics_port, health, metrics)
                server.start()
                closers.append(server.stop)
                port = server.port
            admin = AdminClient(admin_config(s))
            ensure_topic(admin, s.dlq_topic, s.dlq_partitions, config=dlq_topic_config(s))
            fast: FastFn | None = None
            if translate is None:
                # wait_for_registry=False: schemas are fetched off the poll thread
                translator = Translator(s, notices=metrics.notices, wait_for_registry=False)
                closers.append(translator.close)
                translate = translator.translate
                fast = translator.fast_path.literal if translator.fast_path else None
            client: ConnectClient | None = None
            if send is None:
                client = ConnectClient(s)
                closers.append(client.close)
                send = client.send
            bound: list[Pipeline] = []  # the pipeline, once built (before any commit)

            def on_commit(err: KafkaError | None, partitions: list[TopicPartition]) -> None:
                bound[0]._on_commit(err, partitions)

            def on_producer_error(err: KafkaError) -> None:
                if bound:
                    bound[0].producer_error(err)

            consumer = Consumer(consumer_config(s, extra={"on_commit": on_commit}))
            # the offsets thread reads with a consumer of its own: the loop's admits one thread
            # at a time, so its round trips would hold the loop
            reader = Consumer(reader_config(s))
            closers.append(reader.close)  # after BrokerOffsets.stop: no read runs under close
            if client is not None and client.rate is not None and s.connect_group_rate_limit_per_s:

                def count_total() -> int:
                    # an admin client per lookup (one per rebalance): none outlives it, so none
                    # is closed under it or keeps unserved log lines queued between lookups
                    lookup = AdminClient(admin_config(s))
                    try:
                        counts = metadata_counts(lookup)
                    finally:
                        lookup.poll(0)  # its log lines wait in its queue until served
                    return subscribed_partitions(counts, s.topics, s.topic_pattern)

                share = GroupShare(client.rate, count_total)
                closers.append(share.close)
            parts = Parts(
                consumer=cast("KafkaConsumer", consumer),
                producer=Producer(producer_config(s, extra={"error_cb": on_producer_error})),
                translate=translate,
                send=send,
                encode=encode_input,
                delay=Backoff(s.retry_initial_backoff_ms, s.retry_max_backoff_ms).next_delay_s,
                fast=fast,
                metrics=metrics,
                health_port=port,
                closers=tuple(closers),
                reader=cast("OffsetReader", reader),
            )
        except BaseException:
            for close in reversed(closers):
                close()
            raise
        pipeline = cls(s, parts, until_idle_s=until_idle_s, max_events=max_events, health=health)
        bound.append(pipeline)
        if share is not None:
            pipeline.rebalance.on_change = share.update
            share.update(0)  # learn the subscribed total before the first assignment
        return pipeline

    # --- the loop -----------------------------------------------------------------------------
    def run(self, stop: StopFlag) -> ExitCode:
        """Consume until ``stop`` (or idle / max events); returns the exit code."""
        try:
            code = self._loop(stop)
        finally:
            for close in reversed(self._closers):
                try:
                    close()
                except Exception as exc:
                    self.log.warning("close_failed", error=str(exc))
        if self.uncommitted_at_exit and code == ExitCode.OK:
            # neither the final commit nor the revoke of closing took them: redelivered later
            self.log.error("final_commit_failed", partitions=len(self.uncommitted_at_exit))
            return ExitCode.ERROR
        return code

    def _subscribe(self) -> None:
        s = self.settings
        topics = list(s.topics)
        if s.topic_pattern:
            pattern = s.topic_pattern
            topics.append(pattern if pattern.startswith("^") else f"^{pattern}")
        rb = self.rebalance
        self.consumer.subscribe(
            topics, on_assign=rb.on_assign, on_revoke=rb.on_revoke, on_lost=rb.on_lost
        )
        self.log.info("subscribed", topics=topics, group=s.kafka_group_id)

    def _loop(self, stop: StopFlag) -> ExitCode:
        engine, consumer = self.engine, self.consumer
        self._subscribe()
        self.broker.start()
        now = time.monotonic()
        self._last_commit = self._last_observe = self._last_message = now
        self._next_idle_check = 0.0
        self._next_commit = now + COMMIT_INTERVAL_S
        deadline = 0.0
        code = ExitCode.OK
        last_poll = now  # the worst gap between two consume() calls (rebalances included)
        while True:
            now = time.monotonic()
            if now - last_poll > self.poll_gap_max_s:
                self.poll_gap_max_s = now - last_poll
                self.metrics.poll_gap_max.set(self.poll_gap_max_s)
            last_poll = now
            if stop.is_set() and not engine.draining:
                engine.start_drain()
                deadline = now + self.settings.drain_timeout_s
                self.rebalance.deadline = deadline  # a revoke meanwhile settles within it
                signum = stop.signum if isinstance(stop, ShutdownRequest) else None
                self.log.info(
                    "drain_started",
                    pending=engine.tracker.pending_count(),
                    signal=signal.Signals(signum).name if signum is not None else None,
                )
            busy = engine.pool.in_flight or engine.ready_jobs
            timeout = BUSY_POLL_TIMEOUT_S if busy else POLL_TIMEOUT_S
            for msg in consumer.consume(num_messages=500, timeout=timeout):
                error = msg.error()
                if error is not None:
                    code = self._kafka_error(error) or code
                    continue
                if engine.on_message(msg):
                    self.consumed += 1
                    self._last_message = time.monotonic()
            if code != ExitCode.OK:
                break
            engine.step()
            if self.producer_fatal is not None:
                code = ExitCode.ERROR  # dead letters cannot be written: commit nothing more
                break
            now = time.monotonic()
            if now >= self._next_commit:
                self._next_commit = now + COMMIT_INTERVAL_S
                self._commit_async()
            if now - self._last_observe >= OBSERVE_INTERVAL_S:
                self._observe(now)
            self._beat(now)
            if engine.draining:
                if engine.settled():
                    break
                if engine.auth_failed_since is not None:
                    self.log.error(
                        "stopping_with_refused_api_key", pending=engine.tracker.pending_count()
                    )
                    code = ExitCode.AUTH
                    break
                if engine.query_refused_since is not None:  # nothing could finish either
                    self.log.error(
                        "stopping_with_refused_query", pending=engine.tracker.pending_count()
                    )
                    code = ExitCode.ERROR
                    break
                if now >= deadline:
                    self.log.error(
                        "drain_deadline_passed",
                        pending=engine.tracker.pending_count(),
                        in_flight=engine.pool.in_flight,
                    )
                    code = ExitCode.DRAIN_TIMEOUT
                    break
                continue
            limit = self.settings.auth_failure_exit_s
            if limit and engine.auth_failed_since and now - engine.auth_failed_since >= limit:
                self.log.error("exiting_on_refused_api_key", after_s=limit)
                code = ExitCode.AUTH
                break
            if self.max_events is not None and self.consumed >= self.max_events:
                stop.set()
            elif self.until_idle_s is not None and self._idle(now):
                self.log.info("idle_stop", idle_s=self.until_idle_s, consumed=self.consumed)
                stop.set()
        # nothing settles any more: the revoke that closing the consumer causes commits and goes
        self.rebalance.deadline = time.monotonic()
        # only what moved: a sync commit during a rebalance blocks until the group settles
        committed = self._commit_sync(engine.tracker.commit_positions())
        if self.producer_fatal is not None:
            pass  # nothing is committed after a fatal dead-letter producer error
        elif not committed and not self._commit_sync(engine.tracker.commit_positions()):
            # refused twice (a rebalance in progress): the revoke that closing the consumer
            # causes commits them once the group settles; run() says whether it did
            self.uncommitted_at_exit = set(engine.tracker.commit_positions())
            self.log.warning("final_commit_refused", partitions=len(self.uncommitted_at_exit))
        self.log.info(
            "pipeline_stopped",
            exit_code=int(code),
            poll_gap_max_s=round(self.poll_gap_max_s, 3),
            **self.metrics.totals(),
        )
        return code
