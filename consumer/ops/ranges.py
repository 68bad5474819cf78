"""Pure helpers of the operations commands: dates, rates, and offset ranges per partition.

A replay range is half-open, ``[start, end)``: ``--from-offset 10 --to-offset 20`` reads the
offsets 10 to 19, ``--to-time T`` stops before the first record stamped at or after ``T``, and
the default end is the partition's end offset (high watermark) when the command starts - so a
replay always stops, even while producers keep writing.

A start before the log start offset (the oldest record retention kept) is moved to the log
start offset, and the range says so (:attr:`PartitionRange.truncated`), so the command can tell
the operator which offsets no longer exist.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "EndAt",
    "PartitionRange",
    "StartAt",
    "Watermarks",
    "format_ms",
    "parse_iso_ms",
    "parse_rate",
    "resolve_range",
]

_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:/\s*(s|sec|second|m|min|minute))?\s*$", re.I)


def parse_iso_ms(text: str) -> int:
    """Epoch milliseconds of an ISO 8601 date or date-time; ``Z`` or an offset, naive = UTC.

    ``2025-05-01``, ``2025-05-01T10:00:00``, ``2025-05-01T10:00:00.250Z`` and
    ``2025-05-01T12:00:00+02:00`` are all accepted; anything else raises ``ValueError``.
    """
    value = text.strip()
    if not value:
        raise ValueError("an ISO 8601 date is required, e.g. 2025-05-01T10:00:00Z")
    if value[-1] in "zZ":
        value = value[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(
            f"{text!r} is not an ISO 8601 date, e.g. 2025-05-01T10:00:00Z or 2025-05-01"
        ) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return int(parsed.timestamp() * 1000)


def format_ms(epoch_ms: int | None) -> str:
    """``2025-05-01T10:00:00.250Z`` for epoch milliseconds ("-" for None or negative)."""
    if epoch_ms is None or epoch_ms < 0:
        return "-"
    moment = dt.datetime.fromtimestamp(epoch_ms / 1000, tz=dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_rate(text: str) -> float:
    """Records per second of ``N``, ``N/s`` or ``N/min``; must be positive."""
    match = _RATE.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a rate; use N/s or N/min, e.g. 50/s")
    number = float(match.group(1))
    unit = (match.group(2) or "s").lower()
    per_s = number / 60 if unit.startswith("m") else number
    if per_s <= 0:
        raise ValueError("the rate must be positive")
    return per_s


@dataclass(frozen=True, slots=True)
class Watermarks:
    """``low``: log start offset (oldest retained record); ``high``: end offset (next write)."""

    low: int
    high: int


@dataclass(frozen=True, slots=True)
class StartAt:
    """Where a range starts: an offset, a time (epoch ms) or the earliest retained record."""

    kind: Literal["offset", "time", "earliest"]
    value: int = 0


@dataclass(frozen=True, slots=True)
class EndAt:
    """Where a range ends (exclusive): an offset, a time (epoch ms) or the end offset now."""

    kind: Literal["offset", "time", "now"]
    value: int = 0


@dataclass(frozen=True, slots=True)
class PartitionRange:
    """The offsets ``[start, end)`` of one partition to read.

    ``requested`` is the start asked for (``None`` when it came from a time or ``earliest``);
    ``truncated`` is True when the range began before the retained data.
    """

    topic: str
    partition: int
    start: int
    end: int
    marks: Watermarks
    requested: int | None = None
    truncated: bool = False

    @property
    def size(self) -> int:
        """How many offsets the range spans."""
        return max(0, self.end - self.start)

    @property
    def empty(self) -> bool:
        """True when there is nothing to read."""
        return self.size == 0

    def truncation_message(self) -> str | None:
        """The operator-facing explanation of a range that starts before the retained data."""
        if not self.truncated:
            return None
        where = f"{self.topic}[{self.partition}]"
        low = self.marks.low
        if self.requested is not None:
            return (
                f"{where}: the range starts at offset {self.requested}, before the retained "
                f"data: the oldest record still kept is at offset {low} (log start offset). "
                f"Offsets {self.requested}..{low - 1} were deleted by retention and cannot be "
                f"replayed; reading from {low}."
            )
        return (
            f"{where}: the start time is before the retained data: the oldest record still "
            f"kept is at offset {low} (log start offset) and the {low} records before it were "
            f"deleted by retention, so part of the requested range may be gone; reading from "
            f"{low}."
        )


def resolve_range(
    topic: str,
    partition: int,
    start: StartAt,
    end: EndAt,
    marks: Watermarks,
    *,
    start_time_offset: int | None = None,
    end_time_offset: int | None = None,
) -> PartitionRange:
    """The concrete range of one partition.

    ``start_time_offset`` / ``end_time_offset`` are the broker's answers for a ``time`` start or
    end (``offsets_for_times``: the first offset stamped at or after the time; ``None`` or a
    negative value when there is none, which means the end offset).
    """
    low, high = marks.low, marks.high
    requested: int | None = None
    truncated = False
    if start.kind == "offset":
        requested = start.value
        truncated = requested < low
        first = min(max(requested, low), high)
    elif start.kind == "time":
        found = high if start_time_offset is None or start_time_offset < 0 else start_time_offset
        first = min(max(found, low), high)
        truncated = low > 0 and first == low
    else:
        first = low
    if end.kind == "offset":
        last = min(end.value, high)
    elif end.kind == "time":
        last = high if end_time_offset is None or end_time_offset < 0 else end_time_offset
        last = min(last, high)
    else:
        last = high
    return PartitionRange(
        topic,
        partition,
        first,
        max(first, last),
        marks,
        requested=requested,
        truncated=truncated,
    )
