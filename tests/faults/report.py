"""The fault run's figures: printed to the test output; written to docs/reliability.md on request.

Only ``make faults`` publishes (it sets ``PUBLISH_FIGURES=1``): ``make test`` runs the same test
at 20,000 events and must leave every tracked file as it found it.
"""

from __future__ import annotations

import os
import platform
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["PUBLISH_ENV", "FaultRecord", "HostileRecord", "OutageRecord", "Report"]

DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"
START, END = "<!-- figures:start -->", "<!-- figures:end -->"
#: Set to 1 by ``make faults`` only: the run then replaces its section of docs/reliability.md.
PUBLISH_ENV = "PUBLISH_FIGURES"


@dataclass
class FaultRecord:
    """One injected fault: what, when, and how long until signals flowed again."""

    name: str
    detail: str
    duration_s: float
    recover_s: float | None


@dataclass
class HostileRecord:
    """One kind of hostile event: how many, the outcome it must reach, what each reached."""

    kind: str
    count: int
    expected: str
    observed: str


@dataclass
class OutageRecord:
    """The Connect outage longer than every health budget, as the probes saw it."""

    outage_s: float = 0.0
    budgets: str = ""
    liveness_probes: int = 0
    liveness_failures: int = 0
    readiness_failures: int = 0
    restarts: int = 0
    duplicates: int = 0
    duplicate_bound: int = 0


@dataclass
class Report:
    """Every figure of one run."""

    events: int
    partitions: int
    consumers: int
    faults: list[FaultRecord] = field(default_factory=list)
    accepted_unique: int = 0
    accepted_total: int = 0
    dead_by_reason: dict[str, int] = field(default_factory=dict)
    lost: int = 0
    duplicates: int = 0
    duplicate_bound: int = 0
    wrongly_dead: int = 0
    uncommitted_partitions: int = 0
    background: str = ""
    wall_s: float = 0.0
    drain_after_last_fault_s: float = 0.0
    hostile: list[HostileRecord] = field(default_factory=list)
    outage: OutageRecord = field(default_factory=OutageRecord)
    #: seconds from the quiet point (last fault over, last record produced) until the slowest
    #: partition's committed offset reached its end; the bound it must stay under
    slowest_partition_s: float | None = None
    stall_bound_s: float = 0.0
    stalled_partitions: int = 0
    #: the longest time between two polls of Kafka in any consumer process, and its bound
    poll_gap_worst_s: float = 0.0
    poll_gap_where: str = ""
    poll_gap_bound_s: float = 0.0
    #: /healthz answers other than 200 outside a process's start (``starting``), whole run
    liveness_failures: int = 0
    liveness_probes: int = 0

    def markdown(self) -> str:
        """The figures as Markdown."""
        slowest = "-" if self.slowest_partition_s is None else f"{self.slowest_partition_s:.1f}"
        lines = [
            f"Run of {self.events:,} events over {self.partitions} partitions, "
            f"{self.consumers} consumer processes in one group; wall time {self.wall_s:.0f} s; "
            f"background faults: {self.background}. Python {platform.python_version()}, "
            f"{platform.machine()}.",
            "",
            "| outcome | count |",
            "|---|---:|",
            f"| events produced | {self.events:,} |",
            f"| accepted by the sandbox (unique events) | {self.accepted_unique:,} |",
            f"| dead-lettered | {sum(self.dead_by_reason.values()):,} |",
        ]
        lines += [
            f"| dead-lettered: `{r}` | {n:,} |" for r, n in sorted(self.dead_by_reason.items())
        ]
        lines += [
            f"| **lost** (neither accepted nor dead-lettered) | **{self.lost}** |",
            f"| good events wrongly dead-lettered | {self.wrongly_dead} |",
            f"| duplicates (accepted more than once) | {self.duplicates:,} |",
            f"| duplicate bound (in-flight work at disruptive faults) | {self.duplicate_bound:,} |",
            f"| partitions committed short of the end | {self.uncommitted_partitions} |",
            f"| drain after the last fault (s) | {self.drain_after_last_fault_s:.1f} |",
            f"| **stalled partitions** (not committed to the end within "
            f"{self.stall_bound_s:.0f} s of the quiet point) | **{self.stalled_partitions}** |",
            f"| slowest partition to reach its end after the quiet point (s) | {slowest} |",
            f"| **worst gap between two polls** (any consumer; bound "
            f"{self.poll_gap_bound_s:.0f} s) | **{self.poll_gap_worst_s:.2f} s** "
            f"({self.poll_gap_where}) |",
            f"| liveness probes failed / answered (whole run, a process's start excepted) "
            f"| {self.liveness_failures} / {self.liveness_probes:,} |",
            "",
            "| fault | detail | lasted (s) | signals flowing again after (s) |",
            "|---|---|---:|---:|",
        ]
        for f in self.faults:
            recover = "-" if f.recover_s is None else f"{f.recover_s:.1f}"
            lines.append(f"| {f.name} | {f.detail} | {f.duration_s:.1f} | {recover} |")
        o = self.outage
        lines += [
            "",
            f"Connect outage of {o.outage_s:.0f} s, longer than every health budget ({o.budgets}):",
            "",
            "| during the outage | count |",
            "|---|---:|",
            f"| liveness probes (`/healthz`, each consumer every second) | {o.liveness_probes} |",
            f"| **liveness probes failed** | **{o.liveness_failures}** |",
            f"| readiness probes failed (`/readyz`) | {o.readiness_failures} |",
            f"| consumer restarts (none is made by the test) | {o.restarts} |",
            f"| signals stored twice from the outage on | {o.duplicates:,} |",
            f"| bound: signals in flight when it began | {o.duplicate_bound:,} |",
            "",
            "| hostile event | records | must end | ended |",
            "|---|---:|---|---|",
        ]
        lines += [f"| {h.kind} | {h.count} | {h.expected} | {h.observed} |" for h in self.hostile]
        return "\n".join(lines) + "\n"

    def write(self, heading: str) -> bool:
        """Replace this run's section (by ``heading``) in docs/reliability.md, if asked to.

        Returns whether it wrote: only with ``PUBLISH_FIGURES=1`` (``make faults``).
        """
        if os.environ.get(PUBLISH_ENV) != "1":
            print(f"figures not written to {DOC.name} ({PUBLISH_ENV} is not 1)", flush=True)
            return False
        text = DOC.read_text() if DOC.exists() else f"# Reliability\n\n{START}\n{END}\n"
        body = f"### {heading}\n\n{self.markdown()}"
        inner = text.split(START, 1)[1].split(END, 1)[0] if START in text else ""
        sections = [s for s in re.split(r"(?m)^(?=### )", inner) if s.strip()]
        sections = [s for s in sections if not s.startswith(f"### {heading}")] + [body]
        new_inner = "\n" + "\n".join(s.rstrip() + "\n" for s in sections)
        if START in text:
            head, rest = text.split(START, 1)
            text = head + START + new_inner + END + rest.split(END, 1)[1]
        else:
            text += f"\n{START}{new_inner}{END}\n"
        DOC.write_text(text)
        return True
