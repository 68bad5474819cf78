"""The fault run's report writes docs/reliability.md only when ``make faults`` asks it to."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults import report
from tests.faults.report import PUBLISH_ENV, Report

__all__: list[str] = []


def _doc(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    doc = tmp_path / "reliability.md"
    doc.write_text(f"# Reliability\n\n{report.START}\n{report.END}\n")
    monkeypatch.setattr(report, "DOC", doc)
    return doc


def test_write_leaves_the_document_alone_unless_asked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without the publish variable (any ``make test`` run), the tracked document is untouched."""
    doc = _doc(monkeypatch, tmp_path)
    before = doc.read_text()
    monkeypatch.delenv(PUBLISH_ENV, raising=False)
    Report(events=20, partitions=1, consumers=1).write("20 events")
    assert doc.read_text() == before


def test_write_replaces_its_section_when_asked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With the publish variable set (``make faults``), the run's section is written."""
    doc = _doc(monkeypatch, tmp_path)
    monkeypatch.setenv(PUBLISH_ENV, "1")
    Report(events=20, partitions=1, consumers=1).write("20 events")
    Report(events=20, partitions=2, consumers=1).write("20 events")
    text = doc.read_text()
    assert text.count("### 20 events") == 1
    assert "over 2 partitions" in text
