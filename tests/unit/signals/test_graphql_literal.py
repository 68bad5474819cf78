"""The inline GraphQL literal encoder round-trips through graphql-core's parser."""

from __future__ import annotations

import math
from typing import Any

import pytest
from graphql import parse, value_from_ast_untyped
from graphql.language import ArgumentNode, FieldNode, ListValueNode, OperationDefinitionNode
from hypothesis import given, settings
from hypothesis import strategies as st

from consumer.signals.graphql_literal import (
    build_mutation,
    encode_input,
    encode_string,
    encode_value,
)

NAMES = st.from_regex(r"[_A-Za-z][_0-9A-Za-z]{0,20}", fullmatch=True)
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=200)
SCALARS = (
    TEXT
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.booleans()
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(NAMES, inner, max_size=5),
    max_leaves=20,
)


def _parsed_signals(mutation: str) -> list[Any]:
    """The ``signals`` argument of a createSignals mutation, as Python values."""
    op = parse(mutation).definitions[0]
    assert isinstance(op, OperationDefinitionNode)
    field = op.selection_set.selections[0]
    assert isinstance(field, FieldNode)
    assert field.name.value == "createSignals"
    assert field.arguments
    arg: ArgumentNode = field.arguments[0]
    assert isinstance(arg.value, ListValueNode)
    return [value_from_ast_untyped(node) for node in arg.value.values]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float | int):
        return (a == b and math.copysign(1, a) == math.copysign(1, float(b))) or a == b
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_same, a, b))
    return bool(a == b)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(NAMES, VALUES, max_size=8))
def test_any_json_like_input_round_trips(content: dict[str, Any]) -> None:
    """Whatever JSON-like content a signal holds comes back unchanged from a GraphQL parser."""
    signal = {"appKey": "app", "identifiableAttributes": {"email": "a@b.io"}}
    signal["signalContent"] = content
    assert _same(signal, _parsed_signals(build_mutation([encode_input(signal)]))[0])


def test_strings_starting_with_a_colon_round_trip() -> None:
    """Strings that start with ':' (keys or values, in objects and lists) keep their meaning."""
    content = {"a": ":", "b": [":x", ":"], "c": {"d": ":", "e": "::"}, "f": "x:"}
    signal = {"appKey": ":app", "identifiableAttributes": {"email": "a@b.io"}}
    signal["signalContent"] = content
    literal = encode_input(signal)
    assert _same(signal, _parsed_signals(build_mutation([literal]))[0])
    with pytest.raises(ValueError, match="not a GraphQL name"):
        encode_input({"signalContent": {":x": 1}})


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_any_string_round_trips(text: str) -> None:
    """Quotes, backslashes, control characters and emoji survive the string encoding."""
    [value] = _parsed_signals(build_mutation([encode_input({"s": text, "n": text})]))
    assert value == {"s": text, "n": text}


@pytest.mark.parametrize(
    "text",
    [
        '"quoted" and \\ back\\slash \\"',
        "\x00\x01\x1f\x7f\n\r\t\b\f",
        "😀 emoji 👍🏽 and \u2028\u2029 separators, accents é ß 中文",
        '","k":"injected',
        "x" * 100_000,
        "null",
    ],
)
def test_awkward_strings_round_trip(text: str) -> None:
    """Each awkward string, including a 100 kB one and an injection attempt, parses back intact."""
    [value] = _parsed_signals(build_mutation([encode_input({"v": text, "w": [text]})]))
    assert value == {"v": text, "w": [text]}


def test_mutation_keeps_signal_order() -> None:
    """The mutation lists the signals in the order given, with ``{ signalIds }`` selected."""
    literals = [encode_input({"i": i}) for i in range(3)]
    mutation = build_mutation(literals)
    assert [s["i"] for s in _parsed_signals(mutation)] == [0, 1, 2]
    assert mutation.endswith("{signalIds}}")


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ({"bad key": 1}, ValueError),
        ({"k": float("nan")}, ValueError),
        ({"k": float("inf")}, ValueError),
        ({"k": b"bytes"}, TypeError),
        ({"k": "lone \ud800 surrogate"}, ValueError),
        ({1: "non-string key"}, ValueError),
    ],
)
def test_values_that_cannot_be_literals_raise(
    value: dict[Any, Any], error: type[Exception]
) -> None:
    """A value GraphQL cannot express raises, so the pipeline dead-letters the event."""
    with pytest.raises(error):
        encode_input(value)


def test_strict_encoder_writes_emoji_as_surrogate_escapes() -> None:
    """The strict path escapes non-BMP characters so even old parsers read them."""
    assert encode_string("😀") == '"\\ud83d\\ude00"'
    assert encode_value({"a": None, "b": [True, False]}) == "{a:null,b:[true,false]}"
