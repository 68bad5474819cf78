"""The dev registry's Avro compatibility checker agrees with fastavro's schema resolution."""

from __future__ import annotations

import io
from typing import Any

import fastavro
import pytest
from fastavro.read import SchemaResolutionError

from dev.registry.compat import can_read, check_compatibility

__all__: list[str] = []


def _record(*fields: dict[str, Any], name: str = "Event") -> dict[str, Any]:
    return {"type": "record", "name": name, "namespace": "test", "fields": list(fields)}


def _fastavro_reads(reader: Any, writer: Any, records: list[Any]) -> bool:
    """Write ``records`` with ``writer`` and read them back with ``reader`` in fastavro."""
    parsed_writer = fastavro.parse_schema(writer)
    parsed_reader = fastavro.parse_schema(reader)
    for record in records:
        buf = io.BytesIO()
        fastavro.schemaless_writer(buf, parsed_writer, record)
        buf.seek(0)
        try:
            fastavro.schemaless_reader(buf, parsed_writer, parsed_reader)
        except (SchemaResolutionError, ValueError, KeyError, TypeError):
            return False
    return True


ID = {"name": "id", "type": "string"}
COLORS = {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN", "BLUE"]}

CASES: list[tuple[str, Any, Any, list[Any], bool]] = [
    (
        "added field with default",
        _record(ID),
        _record(ID, {"name": "n", "type": "int", "default": 0}),
        [{"id": "a"}],
        True,
    ),
    (
        "added field without default",
        _record(ID),
        _record(ID, {"name": "n", "type": "int"}),
        [{"id": "a"}],
        False,
    ),
    (
        "removed field",
        _record(ID, {"name": "n", "type": "int"}),
        _record(ID),
        [{"id": "a", "n": 1}],
        True,
    ),
    (
        "int promoted to long",
        _record({"name": "n", "type": "int"}),
        _record({"name": "n", "type": "long"}),
        [{"n": 5}],
        True,
    ),
    (
        "long narrowed to int",
        _record({"name": "n", "type": "long"}),
        _record({"name": "n", "type": "int"}),
        [{"n": 5}],
        False,
    ),
    (
        "string read as bytes",
        _record({"name": "s", "type": "string"}),
        _record({"name": "s", "type": "bytes"}),
        [{"s": "x"}],
        True,
    ),
    (
        "string changed to int",
        _record({"name": "s", "type": "string"}),
        _record({"name": "s", "type": "int"}),
        [{"s": "x"}],
        False,
    ),
    (
        "enum symbol removed",
        _record({"name": "c", "type": COLORS}),
        _record({"name": "c", "type": COLORS | {"symbols": ["RED", "GREEN"]}}),
        [{"c": "BLUE"}],
        False,
    ),
    (
        "enum symbol removed but reader has a default",
        _record({"name": "c", "type": COLORS}),
        _record({"name": "c", "type": COLORS | {"symbols": ["RED", "GREEN"], "default": "RED"}}),
        [{"c": "BLUE"}],
        True,
    ),
    (
        "nullable narrowed to non-null",
        _record({"name": "s", "type": ["null", "string"]}),
        _record({"name": "s", "type": "string"}),
        [{"s": None}],
        False,
    ),
    (
        "union widened",
        _record({"name": "s", "type": ["null", "string"]}),
        _record({"name": "s", "type": ["null", "string", "int"]}),
        [{"s": None}, {"s": "x"}],
        True,
    ),
    (
        "plain type read through a union",
        _record({"name": "n", "type": "int"}),
        _record({"name": "n", "type": ["null", "long"]}),
        [{"n": 3}],
        True,
    ),
    (
        "array items promoted",
        _record({"name": "a", "type": {"type": "array", "items": "int"}}),
        _record({"name": "a", "type": {"type": "array", "items": "double"}}),
        [{"a": [1, 2]}],
        True,
    ),
    (
        "map values changed",
        _record({"name": "m", "type": {"type": "map", "values": "string"}}),
        _record({"name": "m", "type": {"type": "map", "values": "int"}}),
        [{"m": {"k": "v"}}],
        False,
    ),
    (
        "fixed size changed",
        _record({"name": "f", "type": {"type": "fixed", "name": "F", "size": 4}}),
        _record({"name": "f", "type": {"type": "fixed", "name": "F", "size": 8}}),
        [{"f": b"abcd"}],
        False,
    ),
    (
        "record renamed",
        _record(ID, name="Event"),
        _record(ID, name="Other"),
        [{"id": "a"}],
        False,
    ),
    (
        "recursive record with an added defaulted field",
        _record({"name": "next", "type": ["null", "test.Event"]}),
        _record(
            {"name": "next", "type": ["null", "test.Event"]},
            {"name": "tag", "type": "string", "default": ""},
        ),
        [{"next": {"next": None}}],
        True,
    ),
]


@pytest.mark.parametrize(
    ("writer", "reader", "records", "compatible"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_checker_matches_fastavro_resolution(
    writer: Any, reader: Any, records: list[Any], compatible: bool
) -> None:
    """can_read says compatible exactly when fastavro reads old-schema data with the new one."""
    assert _fastavro_reads(reader, writer, records) is compatible
    assert (can_read(reader, writer) == []) is compatible


def test_backward_checks_only_the_latest_version() -> None:
    """BACKWARD compares with the latest version only; BACKWARD_TRANSITIVE with all of them."""
    v1 = _record(ID)
    v2 = _record({"name": "id", "type": "string", "default": ""})
    v3 = _record({"name": "n", "type": "int", "default": 0})
    # v3 can read v2's data (id ignored), and v1's data too: all compatible.
    assert check_compatibility("BACKWARD", v3, [v1, v2]) == []
    v4 = _record({"name": "x", "type": "int"})  # no default: cannot read anything older
    assert check_compatibility("BACKWARD", v4, [v1, v2])
    assert check_compatibility("NONE", v4, [v1, v2]) == []


def test_forward_and_full_check_the_other_direction() -> None:
    """FORWARD requires the old schema to read new data; FULL requires both directions."""
    old = _record(ID)
    new = _record(ID, {"name": "n", "type": "int"})  # added without default
    assert check_compatibility("BACKWARD", new, [old])
    assert check_compatibility("FORWARD", new, [old]) == []
    assert check_compatibility("FULL", new, [old])


def test_transitive_checks_every_version() -> None:
    """BACKWARD_TRANSITIVE fails when only an older version cannot be read."""
    v1 = _record({"name": "a", "type": "string"})
    v2 = _record({"name": "a", "type": "string"}, {"name": "b", "type": "int", "default": 0})
    v3 = _record({"name": "b", "type": "int"})  # reads v2 (has b) but not v1 (no b, no default)
    assert check_compatibility("BACKWARD", v3, [v1, v2]) == []
    assert check_compatibility("BACKWARD_TRANSITIVE", v3, [v1, v2])


def test_a_type_wrapped_in_type_is_unwrapped() -> None:
    """A field type written as {"type": <union or array>} is checked like the bare type."""
    nullable_string = _record({"name": "c", "type": {"type": ["null", "string"]}})
    nullable_int = _record({"name": "c", "type": {"type": ["null", "int"]}})
    assert can_read(nullable_string, nullable_string) == []
    assert can_read(nullable_int, nullable_string) == [
        "$.c[writer branch 1]: writer type string matches no branch of the reader union"
    ]
