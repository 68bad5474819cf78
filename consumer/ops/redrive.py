"""``signals-consumer dlq redrive``: send dead-lettered events again, resumably.

Each selected dead-letter record is turned back into its original event (key, value, headers
and timestamp byte for byte; topic/partition/offset from the ``__connect.errors.*`` headers, so
the source topic still picks the app key) and goes through the *current* translator and client.
A record that fails again is written back to the dead-letter topic with its original bytes and
headers, the new reason, ``signals.attempt`` raised by one and ``signals.failure.first.ms`` kept.

Progress lives in a state file (default ``.cache/redrive/<dlq-topic>.json``): the next
dead-letter offset per partition, written atomically after every batch once its sends are
answered and its dead letters acknowledged. A re-drive reads each partition from its saved offset
up to the end offset it saw when it started, so records it puts back are left for the next run,
and an interrupted run resumes where it stopped (the batch in flight may be sent twice:
at-least-once, like the pipeline). The state file remembers the filter it was written for; a
different filter is refused (use another ``--state-file`` or ``--restart``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from consumer.config import Settings
from consumer.errors import ApiAuthError, OperationRefused
from consumer.logs import get_logger
from consumer.ops.dlq_records import DlqFilter, DlqRecord
from consumer.ops.kafka_io import RangeReader, ops_consumer, topic_partitions, watermarks
from consumer.ops.processor import Entry, Processor, Wiring
from consumer.ops.progress import ProgressBar, Tally, render_summary
from consumer.ops.ranges import PartitionRange
from consumer.types import KafkaMessage

__all__ = ["RedriveOptions", "RedriveState", "default_state_path", "run_redrive"]


STATE_VERSION = 1


def default_state_path(dlq_topic: str) -> Path:
    """``.cache/redrive/<dlq-topic>.json`` under the working directory."""
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in dlq_topic)
    return Path(".cache") / "redrive" / f"{safe}.json"


@dataclass(frozen=True, slots=True)
class RedriveOptions:
    """Which records to re-drive and how."""

    select: DlqFilter = field(default_factory=DlqFilter)
    rate_per_s: float | None = None
    #: Send, dead-letter and save progress; without it, a dry run (``--execute``).
    execute: bool = False
    state_file: Path | None = None
    #: Stop after this many selected records (the rest is left for the next run).
    max_records: int | None = None
    #: Ignore the saved progress and start at the beginning of the dead-letter topic.
    restart: bool = False


@dataclass(slots=True)
class RedriveState:
    """The saved progress of a re-drive: the next dead-letter offset per partition."""

    path: Path
    dlq_topic: str
    select: dict[str, Any]
    next_offsets: dict[int, int] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, dlq_topic: str, select: DlqFilter, *, restart: bool) -> RedriveState:
        """Read ``path`` (a fresh state when missing or ``restart``); refuse a mismatch."""
        wanted = select.as_dict()
        if restart or not path.exists():
            return cls(path, dlq_topic, wanted)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            offsets = {int(p): int(o) for p, o in data["next_offsets"].items()}
            saved_topic, saved_filter = str(data["dlq_topic"]), dict(data["filter"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise OperationRefused(
                f"cannot read the re-drive state file {path}: {exc}; fix or delete it, or use "
                "--restart"
            ) from exc
        if saved_topic != dlq_topic:
            raise OperationRefused(
                f"the state file {path} belongs to the dead-letter topic {saved_topic!r}, not "
                f"{dlq_topic!r}; use another --state-file"
            )
        if saved_filter != wanted:
            raise OperationRefused(
                f"the state file {path} holds the progress of a re-drive with another selection "
                f"({json.dumps(saved_filter, sort_keys=True)}); use another --state-file for "
                "this selection, or --restart to start over from the beginning"
            )
        return cls(path, dlq_topic, wanted, offsets)

    def save(self) -> None:
        """Write the state atomically (temporary file, fsync, rename)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = {
            "version": STATE_VERSION,
            "dlq_topic": self.dlq_topic,
            "filter": self.select,
            "next_offsets": {str(p): o for p, o in sorted(self.next_offsets.items())},
            "updated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            json.dump(body, handle, indent=2)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(self.path)


def _plan(consumer: Any, dlq_topic: str, state: RedriveState, tally: Tally) -> list[PartitionRange]:
    ranges = []
    for partition in topic_partitions(consumer, dlq_topic):
        marks = watermarks(consumer, dlq_topic, partition)
        saved = state.next_offsets.get(partition)
        start = marks.low if saved is None else min(max(saved, marks.low), marks.high)
        if saved is not None and saved < marks.low:
            tally.notes.append(
                f"{dlq_topic}[{partition}]: the saved offset {saved} is before the retained "
                f"data (log start offset {marks.low}); offsets {saved}..{marks.low - 1} were "
                "deleted by retention before they were re-driven"
            )
        ranges.append(PartitionRange(dlq_topic, partition, start, marks.high, marks))
    return ranges


def run_redrive(
    settings: Settings,
    options: RedriveOptions,
    *,
    console: Console,
    progress_console: Console | None = None,
) -> Tally:
    """Re-drive the selected dead-letter records; prints a progress bar and the summary."""
    wiring = Wiring()
    dlq_topic = settings.dlq_topic
    tally = Tally(dry_run=not options.execute)
    path = options.state_file or default_state_path(dlq_topic)
    state = RedriveState.load(path, dlq_topic, options.select, restart=options.restart)
    consumer = ops_consumer(settings, "redrive")
    stopped_early = False
    try:
        ranges = _plan(consumer, dlq_topic, state, tally)
        processor = Processor(
            settings, wiring, tally, dlq_topic=dlq_topic, rate_per_s=options.rate_per_s
        )
        batch_size = processor.delivery.max_signals if processor.delivery else 500
        reader = RangeReader(consumer, ranges, batch_size=batch_size)
        get_logger("ops.redrive").info(
            "redrive_started",
            dlq_topic=dlq_topic,
            records=reader.total,
            dry_run=tally.dry_run,
            state_file=str(path),
            **options.select.as_dict(),
        )
        with ProgressBar(f"re-drive {dlq_topic}", reader.total, console=progress_console) as bar:
            for batch in reader.batches():
                stopped_early = _one_batch(batch, reader, state, processor, options)
                bar.set_completed(reader.completed)
                if stopped_early:
                    break
            else:
                bar.finish()
    except ApiAuthError:
        tally.notes.append(
            "the Connect API refused the API key (SIGNALS_CONNECT_API_KEY); the batch in flight "
            f"was not recorded as done: a new run resumes before it ({path})"
        )
        render_summary(tally, console, title=f"re-drive of {dlq_topic} (stopped)")
        raise
    finally:
        wiring.close()
        consumer.close()
    if stopped_early and tally.dry_run:
        tally.notes.append(f"stopped after {options.max_records} selected records (dry run)")
    elif stopped_early:
        tally.notes.append(
            f"stopped after {options.max_records} selected records; run again to resume from {path}"
        )
    elif not tally.dry_run:
        tally.notes.append(f"progress saved in {path}")
    render_summary(tally, console, title=f"re-drive of {dlq_topic}")
    get_logger("ops.redrive").info("redrive_finished", dlq_topic=dlq_topic, **tally.as_dict())
    return tally


def _one_batch(
    batch: list[KafkaMessage],
    reader: RangeReader,
    state: RedriveState,
    processor: Processor,
    options: RedriveOptions,
) -> bool:
    """Process one batch and save the progress; True when ``max_records`` was reached."""
    tally = processor.tally
    entries: list[Entry] = []
    unprocessed: list[KafkaMessage] = []  # past max_records: left for the next run
    limit = options.max_records
    for msg in batch:
        if limit is not None and tally.read - tally.skipped + len(entries) >= limit:
            unprocessed.append(msg)
            continue
        record = DlqRecord.from_message(msg)
        if options.select.matches(record):
            entries.append(Entry(record.source, record.attempt + 1, record.first_failure_ms))
        else:
            tally.read += 1
            tally.skipped += 1
    processor.process(entries)
    if not tally.dry_run:
        state.next_offsets.update(reader.resume_points(unprocessed))
        state.save()
    return bool(unprocessed) or (limit is not None and tally.read - tally.skipped >= limit)
