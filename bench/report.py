"""Figures with their goals: the console table and the generated section of bench/RESULTS.md.

``bench/RESULTS.md`` has three parts: the section between ``<!-- bench:start -->`` and
``<!-- bench:end -->`` (rewritten by every ``make bench``), the hand-kept ``## Optimisations``
section, and the sandbox section between ``<!-- sandbox:start/end -->`` (bench/bench_sandbox.py).
:func:`write_section` replaces only its own markers' contents, and only when ``make bench`` asks
for it (``PUBLISH_FIGURES=1``), so no test run rewrites a tracked file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "PUBLISH_ENV",
    "Figure",
    "console_table",
    "markdown_table",
    "put_section",
    "verdict",
    "write_section",
]

#: Set to 1 by ``make bench`` only: :func:`write_section` writes nothing without it.
PUBLISH_ENV = "PUBLISH_FIGURES"


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured figure: ``value`` in ``unit``, the goal as text, whether it is met."""

    key: str
    label: str
    value: float | None
    unit: str
    goal: str = ""
    met: bool | None = None
    digits: int = 1

    def shown(self) -> str:
        """The value with its unit (``n/a`` when it could not be measured)."""
        if self.value is None:
            return "n/a"
        return f"{self.value:,.{self.digits}f} {self.unit}".rstrip()


def verdict(met: bool | None) -> str:
    """``met`` / ``NOT MET`` / ``-`` (no goal)."""
    return "-" if met is None else ("met" if met else "NOT MET")


def console_table(figures: list[Figure]) -> str:
    """A plain-text table: figure, value, goal, verdict."""
    rows = [("figure", "value", "goal", "")]
    rows += [(f.label, f.shown(), f.goal or "-", verdict(f.met)) for f in figures]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(figures: list[Figure]) -> str:
    """The same as a Markdown table."""
    lines = ["| figure | value | goal | |", "|---|---:|---|---|"]
    lines += [f"| {f.label} | {f.shown()} | {f.goal or '-'} | {verdict(f.met)} |" for f in figures]
    return "\n".join(lines)


def write_section(
    path: Path, start: str, end: str, body: str, *, before: str | None = None
) -> bool:
    """:func:`put_section` only with ``PUBLISH_FIGURES=1`` (``make bench``); whether it wrote."""
    if os.environ.get(PUBLISH_ENV) != "1":
        return False
    put_section(path, start, end, body, before=before)
    return True


def put_section(path: Path, start: str, end: str, body: str, *, before: str | None = None) -> None:
    """Put ``body`` between the markers, in place; new sections go before ``before`` or last."""
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + block + rest.split(end, 1)[1]
    elif before is not None and before in text:
        head, rest = text.split(before, 1)
        text = head + block + "\n\n" + before + rest
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)
