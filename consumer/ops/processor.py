"""The per-batch work shared by ``replay`` and ``dlq redrive``: translate, send, dead-letter.

:class:`Wiring` holds the collaborators (translator, encoder, Connect client, Kafka clients) and
builds the real ones from the settings when a test did not inject fakes. :class:`Processor`
runs one batch of records through them and counts the outcome in a
:class:`~consumer.ops.progress.Tally`; a dead letter is acknowledged by the broker before
:meth:`Processor.process` returns, so a caller may record its progress right after.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from consumer.config import Settings
from consumer.deadletter import DeadLetterSink
from consumer.errors import RecordTooLargeError
from consumer.logs import get_logger
from consumer.ops.delivery import Delivery, Failure, Pending, prepare
from consumer.ops.progress import Tally
from consumer.types import (
    DelayFn,
    EncodeFn,
    KafkaMessage,
    KafkaProducer,
    SendFn,
    TranslateFn,
)

__all__ = ["Entry", "Processor", "Wiring"]


@dataclass(frozen=True, slots=True)
class Entry:
    """A record to process; ``attempt``/``first_failure_ms`` are used if it is dead-lettered."""

    msg: KafkaMessage
    attempt: int = 1
    first_failure_ms: int | None = None


@dataclass(slots=True)
class Wiring:
    """The collaborators of a run; anything left ``None`` is built from the settings."""

    translate: TranslateFn | None = None
    encode: EncodeFn | None = None
    send: SendFn | None = None
    producer: KafkaProducer | None = None
    sleep: Callable[[float], None] = time.sleep
    closers: list[Callable[[], Any]] = field(default_factory=list)

    def build(self, settings: Settings, *, sending: bool) -> None:
        """Fill in the real translator, encoder and Connect client where missing."""
        if self.translate is None:
            from consumer.translate import Translator

            translator = Translator(settings)
            self.translate = translator.translate
            self.closers.append(translator.close)
        if self.encode is None:
            from consumer.signals.graphql_literal import encode_input

            self.encode = encode_input
        if self.send is None and sending:
            from consumer.connect.client import ConnectClient

            client = ConnectClient(settings)
            self.closers.append(client.close)
            self.send = client.send

    def dead_letter_sink(self, settings: Settings, topic: str) -> DeadLetterSink:
        """A sink writing to ``topic``; the topic is created first when it is missing."""
        if self.producer is None:
            from confluent_kafka.admin import AdminClient

            from consumer.kafka_config import admin_config, dlq_topic_config
            from consumer.pipeline.topics import ensure_topic

            admin = AdminClient(admin_config(settings))
            ensure_topic(admin, topic, settings.dlq_partitions, config=dlq_topic_config(settings))
        sink = DeadLetterSink(settings, topic, self.producer)
        self.closers.append(lambda: sink.flush(10.0))
        return sink

    def close(self) -> None:
        """Close what :meth:`build` opened (reverse order); failures are logged only."""
        while self.closers:
            closer = self.closers.pop()
            try:
                closer()
            except Exception as exc:  # closing must not hide the run's outcome
                get_logger("ops.processor").warning(
                    "close_failed", error=f"{type(exc).__name__}: {exc}"
                )


class Processor:
    """Runs batches through translate -> send -> dead-letter (or only translate, dry run)."""

    def __init__(
        self,
        settings: Settings,
        wiring: Wiring,
        tally: Tally,
        *,
        dlq_topic: str,
        rate_per_s: float | None = None,
    ) -> None:
        from consumer.connect.backoff import Backoff

        self.tally = tally
        self._max_record_bytes = settings.max_record_bytes
        self._sleep = wiring.sleep
        self._delay: DelayFn = Backoff(
            settings.retry_initial_backoff_ms, settings.retry_max_backoff_ms
        ).next_delay_s
        wiring.build(settings, sending=not tally.dry_run)
        if wiring.translate is None or wiring.encode is None:
            raise RuntimeError("wiring.build left the translator unset")
        self._translate = wiring.translate
        self._encode = wiring.encode
        self.delivery: Delivery | None = None
        self.sink: DeadLetterSink | None = None
        if not tally.dry_run:
            if wiring.send is None:
                raise RuntimeError("wiring.build left the sender unset")
            self.sink = wiring.dead_letter_sink(settings, dlq_topic)
            self.delivery = Delivery(
                wiring.send,
                max_signals=settings.batch_max_signals,
                delay=self._delay,
                max_elapsed_s=settings.retry_max_elapsed_s,
                rate_per_s=rate_per_s,
                max_unknown_attempts=settings.unknown_error_max_attempts,
                sleep=self._sleep,
            )

    def process(self, entries: Sequence[Entry]) -> None:
        """Translate, send and dead-letter ``entries``; returns once dead letters are acked.

        Raises :class:`~consumer.errors.ApiAuthError` (nothing of the batch is dead-lettered)
        and :class:`~consumer.errors.DeadLetterUnavailable`.
        """
        tally = self.tally
        tally.read += len(entries)
        pending: list[Pending] = []
        failures: list[Failure] = []
        by_msg = {id(e.msg): e for e in entries}
        for entry in entries:
            size = len(entry.msg.value() or b"") + len(entry.msg.key() or b"")
            if size > self._max_record_bytes:  # never decoded, as in the pipeline
                limit = self._max_record_bytes
                reason = f"record of {size} bytes is above SIGNALS_MAX_RECORD_BYTES ({limit})"
                failures.append(
                    Failure(None, entry.msg, RecordTooLargeError(reason, raw=entry.msg))
                )
                continue
            prepared = prepare(
                entry.msg, self._translate, self._encode, delay=self._delay, sleep=self._sleep
            )
            if isinstance(prepared, Failure):
                failures.append(prepared)
            else:
                pending.append(prepared)
        delivered, rejected = self.delivery.deliver(pending) if self.delivery else (pending, [])
        failed = [*failures, *rejected]
        tally.delivered += len(delivered)
        tally.by_type.update(p.signal.signal_type for p in delivered)
        tally.by_reason.update(f.error.code for f in failed)
        if self.sink is None:  # dry run: what would be sent and dead-lettered is counted only
            return
        for failure in failed:
            entry = by_msg[id(failure.msg)]
            self.sink.write(
                failure.error,
                failure.msg,
                attempt=entry.attempt,
                first_failure_ms=entry.first_failure_ms,
            )
        self.sink.flush()
