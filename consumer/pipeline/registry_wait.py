"""Registry waits: a partition whose writer schema could not be had is paused and rewound,
then sought back to that record after a backoff (or as soon as its background fetch ended).

Mixed into :class:`consumer.pipeline.engine.Engine`; runs on the loop thread only. While a
partition waits (``awaiting``) the records the broker still delivers are ignored, never tracked:
they are fetched again after the seek back, so nothing past the waiting offset is committed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from consumer.errors import RetryableError, SchemaPending
from consumer.pipeline.batcher import Batcher
from consumer.pipeline.letters import DeadLetters, TrackedLetter
from consumer.pipeline.offsets import TopicPartitionKey

__all__ = ["RegistryRetry", "RegistryWaits", "SeekFn"]

#: ``(tp, offset) -> succeeded``: move the consumer's fetch position of ``tp`` to ``offset``.
SeekFn = Callable[[TopicPartitionKey, int], bool]


@dataclass(frozen=True, slots=True)
class RegistryRetry:
    """Resume ``tp`` at ``offset`` after the schema registry was unreachable."""

    tp: TopicPartitionKey
    offset: int


class RegistryWaits(DeadLetters):
    """Pausing, rewinding and seeking back partitions that wait for the schema registry (the
    engine provides the state; a wait drops the partition's dead letters due for a retry)."""

    batcher: Batcher
    awaiting: dict[TopicPartitionKey, int]
    _registry_attempts: dict[TopicPartitionKey, int]
    _schema_waits: dict[TopicPartitionKey, Callable[[], bool]]
    _seek: SeekFn

    def _registry_down(self, tp: TopicPartitionKey, offset: int, exc: RetryableError) -> None:
        """The record at ``offset`` could not be translated for want of its schema: forget
        ``tp`` from there (its failed dead letters too), pause it and schedule the seek back."""
        self.tracker.rewind(tp, offset)
        self.batcher.rewind(tp, offset)
        for letter in self.retries.drop(
            lambda w: isinstance(w, TrackedLetter) and w.tp == tp and w.offset >= offset
        ):
            self.pauses.remove([tp], f"dlq:{letter.offset}")
        self.pauses.add([tp], "registry")
        self.awaiting[tp] = offset
        if isinstance(exc, SchemaPending):  # fetched off the loop: resume once it has ended
            self._schema_waits[tp] = exc.ready
        else:
            self._schema_waits.pop(tp, None)
        attempt = self._registry_attempts[tp] = self._registry_attempts.get(tp, 0) + 1
        wait = self._delay(attempt, exc.retry_after_s)
        self.retries.add(self._clock() + wait, RegistryRetry(tp, offset))
        self.metrics.retries.labels(exc.cause).inc()
        self.log.warning(
            "translate_retry_scheduled",
            cause=exc.cause,
            topic=tp[0],
            partition=tp[1],
            offset=offset,
            attempt=attempt,
            retry_in_s=round(wait, 3),
            error=str(exc),
        )

    def _resume_fetched(self) -> None:
        """Resume the waiting partitions whose background schema fetch has ended."""
        for tp, ready in list(self._schema_waits.items()):
            if ready():
                del self._schema_waits[tp]
                if tp in self.awaiting:
                    self._resume_at(tp, self.awaiting[tp])

    def _resume_at(self, tp: TopicPartitionKey, offset: int) -> None:
        """Seek ``tp`` back to ``offset`` and resume it. When the seek fails the partition stays
        paused and waiting (fetching on would pass the records ignored meanwhile) and the seek
        is tried again after a backoff."""
        if not self._seek(tp, offset):
            attempt = self._registry_attempts[tp] = self._registry_attempts.get(tp, 0) + 1
            self.retries.add(self._clock() + self._delay(attempt, None), RegistryRetry(tp, offset))
            return
        self.pauses.remove([tp], "registry")
        del self.awaiting[tp]
        self.retries.drop(lambda w: isinstance(w, RegistryRetry) and w.tp == tp)
