"""The pipeline's calls into Kafka: pause, resume, seek, commit, and the clients' errors.

Mixed into :class:`consumer.pipeline.loop.Pipeline`; runs on the loop thread only. A Kafka
error here is logged and answered (False, or committed again next interval), never raised into
the loop; only the positions the broker accepted are recorded as committed.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from consumer.errors import ExitCode
from consumer.pipeline.engine import Engine
from consumer.pipeline.metrics import Metrics
from consumer.pipeline.offsets import TopicPartitionKey
from consumer.types import KafkaConsumer, TopicPartition

if TYPE_CHECKING:
    from confluent_kafka import KafkaError
    from confluent_kafka import TopicPartition as KafkaTopicPartition

__all__ = ["KafkaEdge"]


class KafkaEdge:
    """Partition calls and commits of the pipeline (the pipeline provides the state)."""

    consumer: KafkaConsumer
    engine: Engine
    metrics: Metrics
    log: Any
    #: a fatal error of the dead-letter producer (its ``error_cb``): stop, commit nothing
    producer_fatal: str | None
    uncommitted_at_exit: set[TopicPartitionKey]
    _last_commit: float
    #: librdkafka's last "Subscribed topic not available" (UNKNOWN_TOPIC_OR_PART): while no
    #: subscribed topic exists the group is never joined (``--until-idle`` counts that as idle)
    topic_unavailable: str | None = None

    def _partitions(self, action: str, tps: list[TopicPartitionKey]) -> None:
        from confluent_kafka import KafkaException, TopicPartition

        try:
            getattr(self.consumer, action)([TopicPartition(t, p) for t, p in tps])
        except KafkaException as exc:
            self.log.warning(f"{action}_failed", partitions=len(tps), error=str(exc))
        self.metrics.paused.set(len(self.engine.pauses.paused()))

    def _seek(self, tp: TopicPartitionKey, offset: int) -> bool:
        from confluent_kafka import KafkaException, TopicPartition

        try:
            self.consumer.seek(TopicPartition(tp[0], tp[1], offset))
        except KafkaException as exc:
            self.log.warning(
                "seek_failed", topic=tp[0], partition=tp[1], offset=offset, error=str(exc)
            )
            return False
        return True

    def _offsets(self, positions: Mapping[TopicPartitionKey, int]) -> list[KafkaTopicPartition]:
        from confluent_kafka import TopicPartition

        return [TopicPartition(t, p, o) for (t, p), o in positions.items()]

    def _commit_sync(self, positions: dict[TopicPartitionKey, int]) -> bool:
        """Commit ``positions`` now; True when the broker took every one of them.

        The answer is checked partition by partition: only the positions the broker accepted
        are recorded as committed, a refused one stays to be committed (or, when revoked, is
        left to the next owner, who starts from the last committed offset).
        """
        from confluent_kafka import KafkaException

        if not positions:
            return True
        if self.producer_fatal is not None:
            return False  # not even on revoke or at close: the acks can no longer be trusted
        try:
            answer = self.consumer.commit(offsets=self._offsets(positions), asynchronous=False)
        except KafkaException as exc:
            self.log.warning("commit_failed", error=str(exc), partitions=len(positions))
            return False
        refused = [p for p in answer or () if p.error is not None]
        for part in refused:
            self.log.warning(
                "commit_refused",
                topic=part.topic,
                partition=part.partition,
                offset=part.offset,
                error=str(part.error),
            )
        gone = {(p.topic, p.partition) for p in refused}
        accepted = {tp: pos for tp, pos in positions.items() if tp not in gone}
        self.engine.tracker.mark_committed(accepted)
        self.uncommitted_at_exit -= accepted.keys()
        if accepted:
            self._last_commit = time.monotonic()
            self.log.debug(
                "offsets_committed", positions={f"{t}[{p}]": o for (t, p), o in accepted.items()}
            )
        return not refused

    def _commit_async(self) -> None:
        positions = self.engine.tracker.commit_positions()
        if not positions or self.producer_fatal is not None:
            return
        from confluent_kafka import KafkaException

        try:
            self.consumer.commit(offsets=self._offsets(positions), asynchronous=True)
        except KafkaException as exc:
            self.log.warning("commit_failed", error=str(exc))
            return
        self.engine.tracker.mark_committed(positions)

    def _on_commit(self, err: KafkaError | None, partitions: Sequence[TopicPartition]) -> None:
        """The answer to an asynchronous commit: the partitions it refused (all of them on an
        overall error, else those with their own error) are committed again next interval."""
        refused = list(partitions) if err is not None else [p for p in partitions if p.error]
        if not refused:
            self._last_commit = time.monotonic()
            return
        error = err if err is not None else refused[0].error
        self.log.info("commit_failed_will_retry", error=str(error), partitions=len(refused))
        self.engine.tracker.mark_committed({(p.topic, p.partition): -1 for p in refused})

    def producer_error(self, err: KafkaError) -> None:
        """The dead-letter producer's ``error_cb`` (served by its poll, on the loop thread).

        A fatal error (the idempotent producer fenced or out of sequence) fails every dead
        letter from then on: the loop stops with exit code 1 and commits nothing more.
        """
        if err.fatal():
            self.producer_fatal = str(err)
            self.log.error("dlq_producer_fatal_error", error=str(err))
        else:  # librdkafka logs these itself (kafka_logger); retried by the producer
            self.log.debug("dlq_producer_error", error=str(err), code=err.name())

    def _kafka_error(self, err: KafkaError) -> ExitCode | None:
        from confluent_kafka import KafkaError

        if err.code() == KafkaError._PARTITION_EOF:
            return None
        if err.fatal():
            self.log.error("kafka_fatal_error", error=str(err))
            return ExitCode.ERROR
        if err.code() == KafkaError.UNKNOWN_TOPIC_OR_PART:
            self.topic_unavailable = err.str()
        self.log.warning("kafka_error", error=str(err), code=err.name())
        return None
