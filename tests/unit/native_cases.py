"""The event cases both fast-path test modules give to the native and the Python path.

Importing this skips the importing module when the extension is not installed (a failure on CI,
which builds it). Every schema here is registered on one registry stub; :func:`translator` gives
one translator per configuration on it.
"""

from __future__ import annotations

import copy
import importlib
import json
import os
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pytest
from graphql.language import parse_value
from graphql.utilities import value_from_ast_untyped

from consumer.errors import PermanentError
from consumer.mapping.custom import CustomMappings
from consumer.signals.graphql_literal import encode_input
from consumer.signals.notices import Notice
from consumer.translate import Translator
from tests.unit.avro.fakes import Message, RegistryStub, our_schemas, settings

if os.environ.get("CI"):  # CI builds the extension: its absence is a failure there, not a skip
    try:
        importlib.import_module("signals_native")
    except ImportError as exc:
        pytest.fail(f"CI is set but signals_native is not importable ({exc})", pytrace=False)
pytest.importorskip(
    "signals_native",
    reason="the native fast path is not installed (make venv builds it when cargo is on the "
    "PATH); the Python path, the reference, is tested without it",
)

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = our_schemas()
IDS = {name: index for index, name in enumerate(sorted(SCHEMAS), start=1)}
EXTRA_ID, OLDER_ID, SHOP_ID, NODE_ID, BYTES_ID, DATE_ID = 30, 40, 50, 61, 70, 71
DASH_ID = 80


def _with_fields(record: str, name: str, *fields: dict[str, Any]) -> dict[str, Any]:
    schema = copy.deepcopy(SCHEMAS[record])
    schema["name"] = name
    schema["fields"] += list(fields)
    return schema


#: AddToCartEvent plus pass-through fields of every shape the native side reads.
EXTRA = _with_fields(
    "AddToCartEvent",
    "AddToCartEvent",
    {
        "name": "extraInfo",
        "type": [
            "null",
            {
                "type": "record",
                "name": "Extra",
                "fields": [
                    {"name": "note", "type": ["null", "string"]},
                    {"name": "tags", "type": {"type": "array", "items": "string"}},
                    {
                        "name": "level",
                        "type": {"type": "enum", "name": "Level", "symbols": ["LO", "HI"]},
                    },
                ],
            },
        ],
    },
    {"name": "counts", "type": {"type": "map", "values": ["null", "long"]}},
    {"name": "ratio", "type": "float"},
    {"name": "flags", "type": {"type": "array", "items": ["null", "boolean"]}},
)


#: PageViewEvent with a pass-through field whose name is not a GraphQL name (Avro accepts it).
DASHED = _with_fields(
    "PageViewEvent", "PageViewEvent", {"name": "utm-source", "type": ["null", "string"]}
)


def _older_cart() -> dict[str, Any]:
    schema = copy.deepcopy(SCHEMAS["AddToCartEvent"])
    schema["fields"] = [f for f in schema["fields"] if f["name"] != "discount"]
    return schema


def _schemas() -> dict[int, Any]:
    schemas: dict[int, Any] = {IDS[name]: schema for name, schema in SCHEMAS.items()}
    schemas[EXTRA_ID] = EXTRA
    schemas[OLDER_ID] = _older_cart()
    schemas[SHOP_ID] = json.loads((ROOT / "examples/mappings/ecommerce_event.avsc").read_text())
    schemas[NODE_ID] = {
        "type": "record",
        "name": "Node",
        "fields": [{"name": "next", "type": ["null", "Node"]}],
    }
    schemas[BYTES_ID] = _with_fields(
        "PageViewEvent", "PageViewEvent", {"name": "blob", "type": ["null", "bytes"]}
    )
    schemas[DASH_ID] = DASHED
    schemas[DATE_ID] = _with_fields(
        "PageViewEvent",
        "PageViewEvent",
        {"name": "day", "type": ["null", {"type": "int", "logicalType": "date"}]},
    )
    return schemas


@cache
def translator(**over: Any) -> Translator:
    """One translator per configuration, on a registry stub with every schema above."""
    config = settings(fast_path="native", **over)
    custom = None if config.mapping_files else CustomMappings()
    return Translator(config, registry=RegistryStub(_schemas()).registry(), custom=custom)


def python_literal(tr: Translator, msg: Any) -> str | None:
    """The Python path's literal, or None when it refuses the event (as the engine would)."""
    try:
        return encode_input(tr.translate(msg).as_input())
    except (PermanentError, ValueError, TypeError):
        return None


def fast_literal(tr: Translator, msg: Any) -> str | None:
    """The native literal, after the Python path has planned the schema (as in the engine)."""
    assert tr.fast_path is not None
    python_literal(tr, msg)
    return tr.fast_path.literal(msg)


def counted(tr: Translator, call: Callable[[], str | None]) -> tuple[str | None, dict[Notice, int]]:
    """What ``call`` returns, and the notices it counted in the translator's counts."""
    before = dict(tr.notices.counts)
    out = call()
    after = tr.notices.counts
    return out, {n: c - before.get(n, 0) for n, c in after.items() if c != before.get(n, 0)}


def values(literal: str) -> bytes:
    """A literal's values as JSON: types kept apart (5 is not 5.0), key order kept."""
    return orjson.dumps(value_from_ast_untyped(parse_value(literal)))


def assert_agree(tr: Translator, value: bytes) -> str | None:
    """Both paths agree on ``value`` and on the notices they count; returns the native literal."""
    msg = Message(value, _topic="behavior")
    assert tr.fast_path is not None
    python_literal(tr, msg)  # the Python path plans the schema first, as in the engine
    fast, fast_notices = counted(tr, lambda: tr.fast_path.literal(msg) if tr.fast_path else None)
    reference, notices = counted(tr, lambda: python_literal(tr, msg))
    if fast is not None:
        assert reference is not None, f"native accepted what Python refuses: {fast}"
        assert values(fast) == values(reference), (fast, reference)
        assert fast_notices == notices, (fast, fast_notices, notices)
    else:
        assert not fast_notices, fast_notices
    return fast
