"""Dead letters of tracked offsets: written on the loop thread, finished on the broker's ack.

Mixed into :class:`consumer.pipeline.engine.Engine`. An offset dead-lettered is finished only
when the broker acknowledged its letter; a failed write pauses the partition (``dlq:<offset>``)
and is written again after a backoff, so nothing is committed past it meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from consumer.deadletter import DeadLetter, DeadLetterWriter
from consumer.errors import PermanentError
from consumer.pipeline.metrics import Metrics
from consumer.pipeline.offsets import OffsetTracker
from consumer.pipeline.retry import PauseBook, RetrySchedule
from consumer.types import KafkaMessage

__all__ = ["DeadLetters", "TrackedLetter"]


@dataclass(slots=True)
class TrackedLetter(DeadLetter):
    """A dead letter of a tracked offset: it finishes (in ``epoch``) on the broker's ack."""

    epoch: int = field(kw_only=True)


class DeadLetters:
    """Writing dead letters and applying the broker's answers (the engine provides the state)."""

    metrics: Metrics
    log: Any
    tracker: OffsetTracker
    pauses: PauseBook
    retries: RetrySchedule[Any]
    dlq: DeadLetterWriter[TrackedLetter]
    _clock: Callable[[], float]
    _wall_ms: Callable[[], int]
    _delay: Callable[[int, float | None], float]

    def dead_letter(
        self, err: PermanentError, msg: KafkaMessage, epoch: int, first_ms: int | None = None
    ) -> None:
        """Write ``msg`` to the dead-letter topic; its offset finishes on the broker's ack."""
        now_ms = self._wall_ms()
        letter = TrackedLetter(err, msg, first_ms or now_ms, epoch=epoch)
        self.dlq.write(letter, now_ms=now_ms)

    def _dlq_result(self, letter: TrackedLetter, error: str | None) -> None:
        tp, offset = letter.tp, letter.offset
        where = {"topic": tp[0], "partition": tp[1], "offset": offset}
        if error is None:
            self.pauses.remove([tp], f"dlq:{offset}")
            if self.tracker.finish(tp, offset, letter.epoch):
                self.metrics.dead_lettered.labels(letter.err.code).inc()
                self.log.warning(
                    "event_dead_lettered",
                    **where,
                    code=letter.err.code,
                    field=letter.err.field,
                    reason=str(letter.err),
                )
            return
        if not self.tracker.is_current(tp, letter.epoch):
            return
        self.metrics.retries.labels("dlq").inc()
        self.pauses.add([tp], f"dlq:{offset}")
        wait = self._delay(letter.writes, None)
        self.retries.add(self._clock() + wait, letter)
        self.log.error(
            "dead_letter_write_failed",
            **where,
            dlq_topic=self.dlq.topic,
            error=error,
            retry_in_s=round(wait, 3),
        )
