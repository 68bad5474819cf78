"""``signals-consumer replay``: send a range of a topic again, once, then stop.

The range (:mod:`consumer.ops.ranges`) is read with ``assign()`` and a throwaway group id that
is never committed (:func:`consumer.ops.kafka_io.ops_consumer`): the live consumer group keeps
its members, its assignment and its committed offsets, so a replay can run next to it. Each
record goes through the current translator (decode, map, validate) and the sequential sender
(:mod:`consumer.ops.delivery`); what fails goes to the dead-letter topic exactly as in the
pipeline (attempt 1). Safe by default: unless ``execute``, a dry run translates only and counts
what would be sent and what would be dead-lettered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.console import Console

from consumer.config import Settings
from consumer.errors import ApiAuthError, OperationRefused
from consumer.logs import get_logger
from consumer.ops.kafka_io import (
    RangeReader,
    offsets_for_time,
    ops_consumer,
    topic_partitions,
    watermarks,
)
from consumer.ops.processor import Entry, Processor, Wiring
from consumer.ops.progress import ProgressBar, Tally, render_summary
from consumer.ops.ranges import EndAt, PartitionRange, StartAt, resolve_range
from consumer.types import KafkaMessage

__all__ = ["ReplayOptions", "plan_ranges", "run_replay"]


@dataclass(frozen=True, slots=True)
class ReplayOptions:
    """What to replay: one topic (some or all partitions), a start, an end."""

    topic: str
    start: StartAt
    end: EndAt = field(default_factory=lambda: EndAt("now"))
    partitions: tuple[int, ...] = ()
    #: Send and dead-letter; without it, a dry run (``--execute``).
    execute: bool = False
    dlq_topic: str | None = None


def plan_ranges(consumer: Any, options: ReplayOptions) -> list[PartitionRange]:
    """Resolve the options to one range per selected partition (asks the broker)."""
    existing = topic_partitions(consumer, options.topic)
    selected = list(options.partitions) or existing
    unknown = sorted(set(selected) - set(existing))
    if unknown:
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
) -> Tally:
    """Replay the range; prints warnings, a progress bar and the summary; returns the counts.

    Raises :class:`~consumer.errors.ApiAuthError` when the API refuses the key (after printing
    the summary and where to resume) and :class:`~consumer.errors.DeadLetterUnavailable`.
    """
    wiring = Wiring()
    tally = Tally(dry_run=not options.execute)
    consumer = ops_consumer(settings, "replay")
    reader: RangeReader | None = None
    current: list[KafkaMessage] = []
    try:
        ranges = plan_ranges(consumer, options)
        for rng in ranges:
            note = rng.truncation_message()
            if note:
                tally.notes.append(note)
                (progress_console or console).print(f"warning: {note}", highlight=False)
                get_logger("ops.replay").warning(
                    "range_before_retained_data",
                    topic=rng.topic,
                    partition=rng.partition,
                    requested=rng.requested,
                    log_start_offset=rng.marks.low,
                )
        processor = Processor(
            settings, wiring, tally, dlq_topic=options.dlq_topic or settings.dlq_topic
        )
        reader = RangeReader(consumer, ranges, batch_size=settings.batch_max_signals)
        get_logger("ops.replay").info(
            "replay_started",
            topic=options.topic,
            offsets=reader.total,
            dry_run=tally.dry_run,
            ranges=[f"{r.partition}:{r.start}-{r.end}" for r in ranges],
        )
        with ProgressBar(f"replay {options.topic}", reader.total, console=progress_console) as bar:
            for current in reader.batches():
                processor.process([Entry(msg) for msg in current])
                bar.set_completed(reader.completed)
            bar.finish()
    except ApiAuthError:
        if reader is not None:
            ends = {p: r.end for (_, p), r in reader.ranges.items()}
            resume = {p: o for p, o in reader.resume_points(current).items() if o < ends[p]}
            tally.notes.append(
                "the Connect API refused the API key (SIGNALS_CONNECT_API_KEY); nothing more "
                "was sent. To resume: "
                + "; ".join(f"--partition {p} --from-offset {o}" for p, o in sorted(resume.items()))
            )
        render_summary(tally, console, title=f"replay of {options.topic} (stopped)")
        raise
    finally:
        wiring.close()
        consumer.close()
    render_summary(tally, console, title=f"replay of {options.topic}")
    get_logger("ops.replay").info("replay_finished", topic=options.topic, **tally.as_dict())
    return tally
