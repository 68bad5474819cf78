"""Progress bars (rich) and the end-of-run summary of ``replay`` and ``dlq redrive``.

The bar goes to stderr (records done / total, rate in records per second, elapsed, ETA); the
summary table goes to the command's console (stdout), so ``> summary.txt`` keeps only the result.
When stderr is not a terminal the bar is not animated (rich prints nothing until the end).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

__all__ = ["DRY_RUN_NOTE", "ProgressBar", "RateColumn", "Tally", "render_summary"]

#: The last note of a dry run (``replay`` and ``dlq redrive`` without ``--execute``).
DRY_RUN_NOTE = "dry run: nothing was sent or written; add --execute to send"


@dataclass(slots=True)
class Tally:
    """Counters of one run (mutable accumulator, not a value).

    ``by_type`` counts signals delivered per ``signalType`` (in a dry run: the signals that
    would be sent); ``by_reason`` counts records dead-lettered per ``signals.error.code`` (in a
    dry run: the records that would be).
    """

    dry_run: bool = False
    read: int = 0
    delivered: int = 0
    skipped: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    by_reason: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    @property
    def dead_lettered(self) -> int:
        """Records dead-lettered (or that would be, in a dry run)."""
        return sum(self.by_reason.values())

    def as_dict(self) -> dict[str, Any]:
        """The counters as plain JSON-able data."""
        return {
            "dry_run": self.dry_run,
            "read": self.read,
            "delivered": self.delivered,
            "skipped": self.skipped,
            "dead_lettered": self.dead_lettered,
            "by_type": dict(sorted(self.by_type.items())),
            "by_reason": dict(sorted(self.by_reason.items())),
        }


class RateColumn(ProgressColumn):
    """``123.4 rec/s`` from rich's speed estimate."""

    def render(self, task: Task) -> Text:
        """The current rate of ``task``."""
        speed = task.finished_speed or task.speed
        if speed is None and task.elapsed:
            speed = task.completed / task.elapsed
        if speed is None:
            return Text("- rec/s", style="progress.data.speed")
        return Text(f"{speed:,.1f} rec/s", style="progress.data.speed")


class ProgressBar:
    """One rich progress task: ``set_completed(n)``, ``finish()``; a context manager."""

    def __init__(self, description: str, total: int, *, console: Console | None = None) -> None:
        self._progress = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
            transient=False,
        )
        self._total = max(total, 0)
        self._task = self._progress.add_task(description, total=self._total)
        self.completed = 0

    def __enter__(self) -> ProgressBar:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def set_completed(self, completed: int) -> None:
        """Set how many records are done (never moves back)."""
        if completed > self.completed:
            self.completed = completed
            self._progress.update(self._task, completed=completed)

    def finish(self) -> None:
        """Mark the task complete (the range may hold fewer records than offsets)."""
        self.set_completed(self._total)


def render_summary(tally: Tally, console: Console, *, title: str) -> None:
    """Print the summary table of ``tally`` and its notes (a dry run's last) to ``console``."""
    sent_label = "would send" if tally.dry_run else "delivered"
    dlq_label = "would dead-letter" if tally.dry_run else "dead-lettered"
    table = Table(title=title + (" (dry run)" if tally.dry_run else ""), title_justify="left")
    table.add_column("outcome", style="bold")
    table.add_column("by", justify="left")
    table.add_column("records", justify="right")
    table.add_row("read", "", f"{tally.read:,}")
    if tally.skipped:
        table.add_row("skipped", "not selected", f"{tally.skipped:,}")
    table.add_row(sent_label, "", f"{tally.delivered:,}")
    for signal_type, count in sorted(tally.by_type.items()):
        table.add_row("", f"signalType={signal_type}", f"{count:,}")
    table.add_row(dlq_label, "", f"{tally.dead_lettered:,}")
    for reason, count in sorted(tally.by_reason.items()):
        table.add_row("", f"reason={reason}", f"{count:,}")
    console.print(table)
    for note in [*tally.notes, DRY_RUN_NOTE] if tally.dry_run else tally.notes:
        console.print(f"note: {note}", highlight=False, soft_wrap=True)
