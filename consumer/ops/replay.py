"""``signals-consumer replay``: send a range of a topic again, once, then stop.

The range (:mod:`consumer.ops.ranges`) is read with ``assign()`` and a throwaway group id that
is never committed (:func:`consumer.ops.kafka_io.ops_consumer`): the live consumer group keeps
its members, its assignment and its committed offsets, so a replay can run next to it. Each
record goes through the current translator (decode, map, validate) and the sequential sender
(:mod:`consumer.ops.delivery`); what fails goes to the dead-letter topic exactly as in the
pipeline (attempt 1). ``dry_run`` translates only and counts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console

from consumer.config import Settings
from consumer.errors import ApiAuthError
from consumer.kafka_types import KafkaMessage
from consumer.logs import get_logger
from consumer.ops.delivery import Delivery, Failure, Pending, SendFn, prepare
from consumer.ops.kafka_io import (
    DeadLetterSink,
    RangeReader,
    offsets_for_time,
    ops_consumer,
    topic_partitions,
    watermarks,
)
from consumer.ops.progress import ProgressBar, Tally, render_summary
from consumer.ops.ranges import EndAt, PartitionRange, StartAt, resolve_range
from consumer.signals.model import Signal

__all__ = ["ReplayOptions", "Wiring", "plan_ranges", "run_replay"]

log = get_logger("ops.replay")


@dataclass(frozen=True, slots=True)
class ReplayOptions:
    """What to replay: one topic (some or all partitions), a start, an end."""

    topic: str
    start: StartAt
    end: EndAt = EndAt("now")
    partitions: tuple[int, ...] = ()
    dry_run: bool = False
    dlq_topic: str | None = None


@dataclass(slots=True)
class Wiring:
    """The collaborators of a run; anything left ``None`` is built from the settings."""

    translate: Callable[[KafkaMessage], Signal] | None = None
    encode: Callable[[Mapping[str, Any]], str] | None = None
    send: SendFn | None = None
    consumer: Any = None
    producer: Any = None
    sleep: Callable[[float], None] | None = None
    closers: list[Callable[[], Any]] = field(default_factory=list)

    def build(self, settings: Settings, *, sending: bool) -> None:
        """Fill in the real translator, encoder, client and consumer where missing."""
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
            from consumer.signals.graphql_literal import build_mutation

            client = ConnectClient(settings)
            self.closers.append(client.close)

            def send(literals: Sequence[str]) -> list[str]:
                return client.create_signals_raw(build_mutation(literals), len(literals))

            self.send = send

    def close(self) -> None:
        """Close what :meth:`build` opened (reverse order)."""
        while self.closers:
            closer = self.closers.pop()
            try:
                closer()
            except Exception as exc:  # closing must not hide the run's outcome
                log.warning("close_failed", error=f"{type(exc).__name__}: {exc}")


def plan_ranges(consumer: Any, options: ReplayOptions) -> list[PartitionRange]:
    """Resolve the options to one range per selected partition (asks the broker)."""
    existing = topic_partitions(consumer, options.topic)
    selected = list(options.partitions) or existing
    unknown = sorted(set(selected) - set(existing))
    if unknown:
        from consumer.errors import OperationRefused

        raise OperationRefused(
            f"topic {options.topic!r} has partitions {existing[0]}..{existing[-1]}; "
            f"no partition {', '.join(map(str, unknown))}"
        )
    start_times: dict[int, int | None] = {}
    end_times: dict[int, int | None] = {}
    if options.start.kind == "time":
        start_times = offsets_for_time(consumer, options.topic, selected, options.start.value)
    if options.end.kind == "time":
        end_times = offsets_for_time(consumer, options.topic, selected, options.end.value)
    return [
        resolve_range(
            options.topic,
            p,
            options.start,
            options.end,
            watermarks(consumer, options.topic, p),
            start_time_offset=start_times.get(p),
            end_time_offset=end_times.get(p),
        )
        for p in selected
    ]


def run_replay(
    settings: Settings,
    options: ReplayOptions,
    *,
    console: Console,
    progress_console: Console | None = None,
    wiring: Wiring | None = None,
) -> Tally:
    """Replay the range; prints warnings, a progress bar and the summary; returns the counts.

    Raises :class:`~consumer.errors.ApiAuthError` when the API refuses the key (after printing
    the summary and where to resume).
    """
    import time

    from consumer.connect.backoff import Backoff

    wiring = wiring or Wiring()
    tally = Tally(dry_run=options.dry_run)
    dlq_topic = options.dlq_topic or settings.dlq_topic
    backoff = Backoff(settings.retry_initial_backoff_ms, settings.retry_max_backoff_ms)
    sleep = wiring.sleep or time.sleep
    consumer = wiring.consumer or ops_consumer(settings, "replay")
    try:
        ranges = plan_ranges(consumer, options)
        for rng in ranges:
            note = rng.truncation_message()
            if note:
                tally.notes.append(note)
                console.print(f"[yellow]warning:[/yellow] {note}", highlight=False)
                log.warning(
                    "range_before_retained_data",
                    topic=rng.topic,
                    partition=rng.partition,
                    requested=rng.requested,
                    log_start_offset=rng.marks.low,
                )
        wiring.build(settings, sending=not options.dry_run)
        assert wiring.translate is not None and wiring.encode is not None
        translate, encode = wiring.translate, wiring.encode
        sink: DeadLetterSink | None = None
        delivery: Delivery | None = None
        if not options.dry_run:
            from consumer.pipeline.topics import ensure_topic

            if wiring.producer is None:
                from confluent_kafka.admin import AdminClient

                from consumer.kafka_config import admin_config

                ensure_topic(
                    AdminClient(admin_config(settings)), dlq_topic, settings.dlq_partitions
                )
            sink = DeadLetterSink(settings, dlq_topic, wiring.producer)
            assert wiring.send is not None
            delivery = Delivery(
                wiring.send,
                max_signals=settings.batch_max_signals,
                delay=backoff.next_delay_s,
                max_elapsed_s=settings.retry_max_elapsed_s,
                sleep=sleep,
            )
        reader = RangeReader(consumer, ranges, batch_size=settings.batch_max_signals)
        current: list[KafkaMessage] = []
        log.info(
            "replay_started",
            topic=options.topic,
            offsets=reader.total,
            dry_run=options.dry_run,
            ranges=[f"{r.partition}:{r.start}-{r.end}" for r in ranges],
        )
        with ProgressBar(f"replay {options.topic}", reader.total, console=progress_console) as bar:
            for current in reader.batches():
                _replay_batch(
                    current, tally, translate, encode, backoff.next_delay_s, sleep, delivery, sink
                )
                bar.set_completed(reader.completed)
            bar.finish()
    except ApiAuthError:
        resume = _resume_points(reader, current)
        tally.notes.append(
            "the Connect API refused the API key (SIGNALS_CONNECT_API_KEY); nothing more was "
            "sent. To resume: "
            + "; ".join(f"--partition {p} --from-offset {o}" for p, o in sorted(resume.items()))
        )
        render_summary(tally, console, title=f"replay of {options.topic} (stopped)")
        raise
    finally:
        wiring.close()
        if wiring.consumer is None:
            consumer.close()
    render_summary(tally, console, title=f"replay of {options.topic}")
    log.info("replay_finished", **tally.as_dict())
    return tally


def _replay_batch(
    batch: list[KafkaMessage],
    tally: Tally,
    translate: Callable[[KafkaMessage], Signal],
    encode: Callable[[Mapping[str, Any]], str],
    delay: Callable[[int, float | None], float],
    sleep: Callable[[float], None],
    delivery: Delivery | None,
    sink: DeadLetterSink | None,
) -> None:
    tally.read += len(batch)
    pending: list[Pending] = []
    failures: list[Failure] = []
    for msg in batch:
        prepared = prepare(msg, translate, encode, delay=delay, sleep=sleep)
        (failures if isinstance(prepared, Failure) else pending).append(prepared)  # type: ignore[arg-type]
    if delivery is None:  # dry run
        tally.delivered += len(pending)
        tally.by_type.update(p.signal.signal_type for p in pending)
        tally.by_reason.update(f.error.code for f in failures)
        return
    delivered, rejected = delivery.deliver(pending)
    tally.delivered += len(delivered)
    tally.by_type.update(p.signal.signal_type for p in delivered)
    assert sink is not None
    for failure in [*failures, *rejected]:
        sink.write(failure.error, failure.msg)
        tally.by_reason[failure.error.code] += 1
    sink.flush()


def _resume_points(reader: RangeReader, batch: list[KafkaMessage]) -> dict[int, int]:
    """Per unfinished partition, the first offset not known to be done."""
    out = {tp[1]: pos for tp, pos in reader.positions.items() if pos < reader.ranges[tp].end}
    for msg in batch:
        p, o = msg.partition() or 0, msg.offset() or 0
        out[p] = min(out.get(p, o), o)
    return out
