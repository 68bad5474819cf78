"""Reader schemas (loading, default directory) and the static facts about parsed schemas."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import fastavro
import pytest

from consumer.avro import schemas as schemas_module
from consumer.avro.schemas import (
    ReaderSchemas,
    analyse,
    default_schemas_dir,
    same_shape,
    widen,
)
from consumer.errors import ConfigurationError

from .fakes import SCHEMAS_DIR, our_schemas

CART = our_schemas()["AddToCartEvent"]


def record(name: str, *fields: tuple[str, Any]) -> dict[str, Any]:
    """A record schema with ``fields`` as (name, type) pairs."""
    return {"type": "record", "name": name, "fields": [{"name": n, "type": t} for n, t in fields]}


def test_default_dir_is_the_repository_schemas_in_a_checkout() -> None:
    """In a source checkout (no packaged copy) the default is the repository's schemas/."""
    assert default_schemas_dir() == SCHEMAS_DIR


def test_default_dir_prefers_the_packaged_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the wheel's consumer/schemas/ holds .avsc files, that directory is the default."""
    package = tmp_path / "site-packages" / "consumer"
    (package / "schemas").mkdir(parents=True)
    (package / "schemas" / "x.avsc").write_text(json.dumps(CART))
    monkeypatch.setattr(schemas_module, "_PACKAGE", package)
    assert default_schemas_dir() == package / "schemas"


def test_setup_py_ships_the_schemas_in_the_wheel() -> None:
    """The build hook copies schemas/*.avsc to consumer/schemas/, where the default looks."""
    text = (SCHEMAS_DIR.parent / "setup.py").read_text()
    assert '"consumer" / "schemas"' in text
    assert 'glob("*.avsc")' in text
    assert "include schemas/*.avsc" in (SCHEMAS_DIR.parent / "MANIFEST.in").read_text()


def test_every_schema_is_loaded_by_full_name() -> None:
    """All eleven event schemas load, each under its full record name."""
    readers = ReaderSchemas.load(SCHEMAS_DIR)
    assert len(readers) == 11
    found = readers.find("io.connectsignals.events.OrderEvent")
    assert found is not None
    assert found.path.name == "order_event.avsc"
    assert readers.find("OrderEvent") is None


def test_aliases_find_the_reader(tmp_path: Path) -> None:
    """A reader's aliases (relative to its namespace) find it too."""
    schema = {**copy.deepcopy(CART), "aliases": ["OldCart", "com.legacy.Cart"]}
    (tmp_path / "cart.avsc").write_text(json.dumps(schema))
    readers = ReaderSchemas.load(tmp_path)
    assert readers.find("io.connectsignals.events.OldCart") is not None
    assert readers.find("com.legacy.Cart") is not None
    assert len(readers) == 1


@pytest.mark.parametrize(
    ("files", "match"),
    [
        ({}, "no reader schemas"),
        ({"bad.avsc": "{nope"}, "bad.avsc: not a valid Avro schema"),
        ({"s.avsc": '"string"'}, "top level must be a record"),
        (
            {"a.avsc": json.dumps(record("A")), "b.avsc": json.dumps(record("A"))},
            "already defined by a.avsc",
        ),
    ],
    ids=["empty", "invalid", "not-record", "duplicate"],
)
def test_bad_schema_directory_is_a_configuration_error(
    tmp_path: Path, files: dict[str, str], match: str
) -> None:
    """Problems with the reader schemas stop start-up naming SIGNALS_SCHEMAS_DIR."""
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(ConfigurationError, match=match) as raised:
        ReaderSchemas.load(tmp_path)
    assert raised.value.setting == "SIGNALS_SCHEMAS_DIR"


def test_our_schemas_are_safe_for_the_compiled_reader() -> None:
    """Our event schemas are not recursive, shallow, and have no zero-width arrays."""
    for schema in our_schemas().values():
        facts = analyse(fastavro.parse_schema(schema))
        assert not facts.recursive
        assert facts.depth <= 4
        assert facts.zero_width_array is None


def test_recursion_is_detected_through_named_references() -> None:
    """A record reachable from itself (directly or through another record) is recursive."""
    direct = record("Node", ("next", ["null", "Node"]))
    indirect = record("A", ("b", ["null", record("B", ("a", ["null", "A"]))]))
    shared = record("P", ("x", record("C", ("v", "int"))), ("y", "C"))
    assert analyse(fastavro.parse_schema(direct)).recursive
    assert analyse(fastavro.parse_schema(indirect)).recursive
    assert not analyse(fastavro.parse_schema(shared)).recursive


@pytest.mark.parametrize(
    ("items", "zero"),
    [
        ("null", True),
        (record("Empty"), True),
        (record("Nulls", ("a", "null")), True),
        ({"type": "fixed", "name": "F0", "size": 0}, True),
        ("boolean", False),
        (["null", "string"], False),
        ({"type": "enum", "name": "E", "symbols": ["A"]}, False),
        (record("R", ("a", "null"), ("b", "int")), False),
    ],
    ids=["null", "empty-record", "null-record", "fixed0", "boolean", "union", "enum", "record"],
)
def test_zero_width_array_items_are_detected(items: Any, zero: bool) -> None:
    """Arrays whose items may take zero bytes are flagged with their path."""
    schema = record("Holder", ("list", {"type": "array", "items": items}))
    facts = analyse(fastavro.parse_schema(schema))
    assert (facts.zero_width_array == ".list") is zero


def test_depth_counts_nesting() -> None:
    """The depth grows with nested records, arrays and unions."""
    inner = record("Inner", ("v", "int"))
    schema = record("Outer", ("xs", {"type": "array", "items": ["null", inner]}))
    assert analyse(fastavro.parse_schema(schema)).depth == 4


def test_same_shape_ignores_docs_defaults_and_aliases() -> None:
    """Docs, defaults and aliases do not change how bytes are read."""
    other = copy.deepcopy(CART)
    other["doc"] = "changed"
    other["aliases"] = ["Old"]
    for field in other["fields"]:
        field["doc"] = "other doc"
    assert same_shape(fastavro.parse_schema(CART), fastavro.parse_schema(other))


@pytest.mark.parametrize(
    "change",
    ["reorder", "retype", "logical", "extra"],
)
def test_same_shape_sees_what_changes_the_reading(change: str) -> None:
    """Order, types, logical types and fields all make the shapes differ."""
    other = copy.deepcopy(CART)
    fields = other["fields"]
    if change == "reorder":
        fields[0], fields[1] = fields[1], fields[0]
    elif change == "retype":
        fields[-1]["type"] = ["null", "bytes"]
    elif change == "logical":
        fields[1]["type"] = "long"
    else:
        fields.append({"name": "x", "type": "int"})
    assert not same_shape(fastavro.parse_schema(CART), fastavro.parse_schema(other))


def test_widen_appends_the_writer_only_fields() -> None:
    """The widened reader is the reader plus the writer's unknown fields, in writer order."""
    reader = fastavro.parse_schema(record("R", ("a", "int"), ("b", ["null", "string"])))
    assert isinstance(reader, dict)
    sub = record("Sub", ("v", "int"))
    writer = fastavro.parse_schema(
        record("R", ("z", sub), ("a", "int"), ("zz", "Sub"), ("b", ["null", "string"]))
    )
    wide = widen(reader, writer)
    assert [f["name"] for f in wide["fields"]] == ["a", "b", "z", "zz"]
    assert widen(reader, fastavro.parse_schema(record("R", ("a", "int")))) is reader
