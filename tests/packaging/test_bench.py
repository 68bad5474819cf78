"""The benchmark's own helpers: cheap unique payloads and the RESULTS.md sections."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path
from typing import Any

import fastavro
import pytest

from bench.report import Figure, console_table, write_section
from bench.workload import RECORDS, event, template_of, zigzag_varint

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def _framed(record: str, n: int) -> tuple[bytes, Any]:
    schema = fastavro.parse_schema(json.loads((SCHEMAS / RECORDS[record]).read_text()))
    buf = BytesIO()
    fastavro.schemaless_writer(buf, schema, event(record, n))
    return b"\x00\x00\x00\x00\x07" + buf.getvalue(), schema


def _read(value: bytes, schema: Any) -> dict[str, Any]:
    data: dict[str, Any] = fastavro.schemaless_reader(BytesIO(value[5:]), schema, None)  # type: ignore[assignment]
    return data


def test_zigzag_varint_is_avros_long_encoding() -> None:
    """zigzag_varint writes a long exactly as fastavro does."""
    long_schema = fastavro.parse_schema({"type": "long"})
    for value in (0, 1, -1, 63, -64, 64, 1_700_000_000_123, 2**62):
        buf = BytesIO()
        fastavro.schemaless_writer(buf, long_schema, value)
        assert zigzag_varint(value) == buf.getvalue()


def test_rendered_payloads_decode_with_a_new_id_and_time() -> None:
    """A template renders valid Avro with eventId b-<12 digits> and the given eventTime."""
    for record in RECORDS:
        value, schema = _framed(record, 3)
        template = template_of(record, value)
        original = _read(value, schema)
        data = _read(template.render(42, 1_767_225_600_007), schema)
        assert data["eventId"] == "b-000000000042"
        assert int(data["eventTime"].timestamp() * 1000) == 1_767_225_600_007
        same = {k: v for k, v in data.items() if k not in {"eventId", "eventTime"}}
        assert same == {k: v for k, v in original.items() if k not in {"eventId", "eventTime"}}
        assert _read(template.render(7), schema)["eventTime"] == original["eventTime"]


def test_write_section_writes_nothing_unless_asked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without ``PUBLISH_FIGURES=1`` (set only by ``make bench``) RESULTS.md is left alone."""
    monkeypatch.delenv("PUBLISH_FIGURES", raising=False)
    results = tmp_path / "RESULTS.md"
    results.write_text("# R\n")
    write_section(results, "<!-- b:start -->", "<!-- b:end -->", "one")
    assert results.read_text() == "# R\n"


def test_write_section_keeps_the_other_sections(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Only the text between a section's markers changes; a new one goes before the anchor."""
    monkeypatch.setenv("PUBLISH_FIGURES", "1")
    results = tmp_path / "RESULTS.md"
    results.write_text(
        "# R\n\n## Optimisations\nby hand\n\n<!-- s:start -->\nsandbox\n<!-- s:end -->\n"
    )
    write_section(results, "<!-- b:start -->", "<!-- b:end -->", "one", before="## Optimisations")
    write_section(results, "<!-- b:start -->", "<!-- b:end -->", "two", before="## Optimisations")
    text = results.read_text()
    assert text.index("<!-- b:start -->\ntwo\n<!-- b:end -->") < text.index("## Optimisations")
    assert "one" not in text
    assert "by hand" in text
    assert "<!-- s:start -->\nsandbox\n<!-- s:end -->" in text


def test_console_table_shows_goal_and_verdict() -> None:
    """Each figure is printed with its value, its goal and whether it is met."""
    table = console_table(
        [
            Figure("cpu", "CPU", 12.34, "us", "<= 15", True),
            Figure("eps", "rate", None, "events/s", ">= 50,000", None),
        ]
    )
    assert "12.3 us" in table
    assert "met" in table
    assert "n/a" in table
