"""The event schemas in schemas/: parseable, documented, in step with the mapping tables."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import fastavro
import pytest

from consumer.mapping.tables import ENVELOPE_FIELDS, EVENT_NAMESPACE, EVENT_TABLES

ROOT = Path(__file__).resolve().parents[3]
FILES = [
    *sorted((ROOT / "schemas").glob("*.avsc")),
    ROOT / "examples" / "mappings" / "ecommerce_event.avsc",
]


def _records(schema: Any) -> list[dict[str, Any]]:
    """Every record definition inside ``schema``."""
    if isinstance(schema, list):
        return [r for branch in schema for r in _records(branch)]
    if not isinstance(schema, dict):
        return []
    found = [schema] if schema.get("type") == "record" else []
    for key in ("fields",):
        for field in schema.get(key, []):
            found += _records(field["type"])
    for key in ("items", "values"):
        if key in schema:
            found += _records(schema[key])
    return found


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_schema_parses_and_documents_every_field(path: Path) -> None:
    """Each .avsc parses with fastavro and every record and field has a doc."""
    schema = json.loads(path.read_text())
    fastavro.parse_schema(schema)
    for record in _records(schema):
        assert record.get("doc"), record["name"]
        for field in record["fields"]:
            assert field.get("doc"), f"{record['name']}.{field['name']}"


def test_one_schema_per_table_with_envelope_and_table_fields() -> None:
    """Every event table has a schema holding the envelope and exactly the table's fields."""
    by_name = {json.loads(p.read_text())["name"]: json.loads(p.read_text()) for p in FILES}
    for table in EVENT_TABLES:
        schema = by_name[table.record]
        assert schema["namespace"] == EVENT_NAMESPACE
        names = [f["name"] for f in schema["fields"]]
        assert set(names) >= ENVELOPE_FIELDS
        assert set(names) - ENVELOPE_FIELDS == {f.source for f in table.fields}
        for field in schema["fields"]:
            nullable = isinstance(field["type"], list) and "null" in field["type"]
            if nullable:
                assert field["default"] is None, field["name"]


def test_schema_files_are_what_the_generator_writes() -> None:
    """The .avsc files are up to date with schemas/generate.py."""
    spec = importlib.util.spec_from_file_location("gen", ROOT / "schemas" / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    for record in gen.SCHEMAS:
        assert (ROOT / "schemas" / gen.file_name(record)).read_text() == gen.render(record)
