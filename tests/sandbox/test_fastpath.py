"""The fast path reads createSignals literals exactly as graphql-core does, or steps aside."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLError
from graphql.language import parse_value
from graphql.utilities import value_from_ast_untyped
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connect_sandbox import endpoint
from connect_sandbox.fastpath import make_splitter, parse_literal_list
from connect_sandbox.schema import SCHEMA
from consumer.signals.graphql_literal import encode_string, encode_value
from tests.sandbox.helpers import golden_input, mutation, sandbox_client

split = make_splitter(SCHEMA)

NAMES = st.from_regex(r"[_A-Za-z][_0-9A-Za-z]{0,8}", fullmatch=True)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(NAMES, inner, max_size=4),
    max_leaves=20,
)
SEPARATORS = st.sampled_from([" ", "", ",", ", ", "\n", "\t", " ,\n ", ",,", "\r\n"])
BETWEEN = st.sampled_from([" ", ",", ", ", "\n", "\t", " ,\n ", ",,", "\r\n"])  # not empty


def _typed(value: Any) -> Any:
    """A form where 1, 1.0 and True, and 0.0 and -0.0, differ."""
    if isinstance(value, dict):
        return ("dict", [(k, _typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [_typed(v) for v in value])
    return (type(value).__name__, repr(value))


def _graphql(text: str) -> list[Any] | None:
    """graphql-core's reading of list contents ``text`` (None: a syntax error)."""
    try:
        node = parse_value("[" + text + "]", no_location=True)
    except GraphQLError:
        return None
    result: list[Any] = value_from_ast_untyped(node)
    return result


def _spaced(value: Any, draw: Callable[[st.SearchStrategy[str]], str]) -> str:
    """``value`` as a GraphQL literal with drawn separators (commas optional, as GraphQL has)."""
    if isinstance(value, dict):
        fields = [
            f"{draw(SEPARATORS)}{k}{draw(SEPARATORS)}:{draw(SEPARATORS)}{_spaced(v, draw)}"
            for k, v in value.items()
        ]
        return "{" + draw(BETWEEN).join(fields) + draw(SEPARATORS) + "}"
    if isinstance(value, list):
        items = [_spaced(v, draw) for v in value]
        return "[" + draw(BETWEEN).join(items) + draw(SEPARATORS) + "]"
    if isinstance(value, str):
        return encode_string(value)
    return encode_value(value)


def _has_long_integer(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_long_integer(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_long_integer(v) for v in value)
    return type(value) is int and abs(value) >= 10**18


def _fast_path_expected(values: list[Any], text: str) -> bool:
    """The fast path steps aside for any run of 19+ digits (orjson's integer limit), even in a
    float's fraction; everything else the encoder writes must stay on it."""
    return not _has_long_integer(values) and re.search(r"[0-9]{19}", text) is None


def _assert_same(text: str) -> None:
    fast = parse_literal_list(text)
    if fast is not None:
        slow = _graphql(text)
        assert slow is not None, text
        assert _typed(fast) == _typed(slow), text


@settings(max_examples=150, deadline=None)
@given(st.lists(VALUES, max_size=5))
def test_consumer_encoding_reads_like_graphql_core(values: list[Any]) -> None:
    """Literals written by the consumer's encoder decode to graphql-core's values."""
    text = ",".join(encode_value(v) for v in values)
    fast = parse_literal_list(text)
    slow = _graphql(text)
    assert slow is not None
    if _fast_path_expected(values, text):
        assert fast is not None, text  # the encoder's output is inside the subset
    if fast is not None:
        assert _typed(fast) == _typed(slow)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(VALUES, max_size=5), st.data())
def test_spaced_literals_read_like_graphql_core(values: list[Any], data: st.DataObject) -> None:
    """Any separators GraphQL allows give graphql-core's values, or the fast path steps aside."""
    text = " ".join(_spaced(v, data.draw) for v in values)
    assert _graphql(text) is not None
    if _fast_path_expected(values, text) and "\t" not in text:
        assert parse_literal_list(text) is not None, text
    _assert_same(text)


EDITS = st.sampled_from([*'{}[]:,"\\ \n-+.e0#$@!x', '"""', "\\u", "\\u{41}", "1e5", "true"])


@settings(max_examples=300, deadline=None)
@given(st.lists(VALUES, min_size=1, max_size=3), st.data())
def test_broken_literals_never_read_differently(values: list[Any], data: st.DataObject) -> None:
    """After random edits the fast path either agrees with graphql-core or steps aside."""
    text = ",".join(encode_value(v) for v in values)
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(text)))
        if data.draw(st.booleans()) and at < len(text):
            text = text[:at] + text[at + 1 :]
        else:
            text = text[:at] + data.draw(EDITS) + text[at:]
    _assert_same(text)


@pytest.mark.parametrize(
    "text",
    [
        '{a: """block"""}',
        '{a: "x" # a comment\n}',
        "{a: $variable}",
        "{a: ENUM_VALUE}",
        "{a: 1, a: 2}",
        '{"a": 1}',
        "{a: 12345678901234567890}",
        "{a: - 1}",
        "{a: 1 .5}",
        "{a: 1e +5}",
        '{a: "\\u{1F600}"}',
        '{a: "\\ud800"}',
        '{a: "tab\there"}',
        "{a: 01}",
        "{a: 1}}",
        '{a: "unterminated}',
        "{a: @}",
    ],
)
def test_outside_the_subset_steps_aside(text: str) -> None:
    """Block strings, comments, variables, enums, duplicate keys and odd numbers: slow path."""
    assert parse_literal_list(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{a: 1 b: [1 2 3] c: {d: null}}", [{"a": 1, "b": [1, 2, 3], "c": {"d": None}}]),
        ('{a:"x",b:true,}', [{"a": "x", "b": True}]),
        (
            '{ a : -1.5e3 , b : "\\"q\\" \\\\ \\/ \\n \\u00e9" }',
            [{"a": -1500.0, "b": '"q" \\ / \n é'}],
        ),
        ('{a: "\\ud83d\\ude00"} {b: []}', [{"a": "\U0001f600"}, {"b": []}]),
        ("{true: false null: null}", [{"true": False, "null": None}]),
        ("[1,,2,] [] {}", [[1, 2], [], {}]),
    ],
)
def test_subset_values(text: str, expected: list[Any]) -> None:
    """Examples inside the subset decode to graphql-core's values."""
    assert parse_literal_list(text) == expected
    assert _typed(parse_literal_list(text)) == _typed(_graphql(text))


def test_split_needs_a_plain_create_signals_skeleton() -> None:
    """Only a valid mutation with one createSignals(signals: [...]) takes the fast path."""
    body = '{appKey: "a" identifiableAttributes: {email: "a@b.io"} signalContent: {}}'
    plain = split(f"mutation {{ createSignals(signals: [{body}]) {{ signalIds }} }}")
    assert plain is not None
    assert plain.plain
    aliased = split(f"mutation {{ x: createSignals(signals: [{body}]) {{ signalIds }} }}")
    assert aliased is not None
    assert not aliased.plain
    for document in (
        f"query {{ createSignals(signals: [{body}]) {{ signalIds }} }}",
        f"mutation {{ createSignals(signals: [{body}]) {{ nope }} }}",
        f"mutation M($x: String) {{ createSignals(signals: [{body}]) {{ signalIds }} }}",
        f"mutation {{ createSignals(signals: [{body}]) {{ signalIds }} }} # [",
        f"mutation {{ createSignals(signals: [{{appKey: 5 {body[1:]}]) {{ signalIds }} }}",
        f"mutation {{ createSignals(signals: [{body}] @skip(if: true)) {{ signalIds }} }}",
    ):
        assert split(document) is None, document


def _documents() -> list[str]:
    order, view = golden_input("order"), golden_input("pageView")
    spaced = re.sub(r"([,{\[])", r"\1 ", mutation([order, view]))
    bad = golden_input("order", currency="EURO")
    return [
        mutation([order, view]),
        spaced,
        mutation([order, bad]),
        mutation([order] * 501),
        mutation([{**order, "appKey": "unknown"}]),
        mutation([order]).replace("{signalIds}", "{ __typename ids: signalIds }"),
        mutation([order]).replace("createSignals", "first: createSignals"),
        'mutation { createSignals(signals: [{appKey: "app-default"}]) { signalIds } }',
        "mutation { createSignals(signals: []) { signalIds } }",
    ]


def test_the_compared_documents_take_the_fast_path() -> None:
    """All but the one with an incomplete signal are split, so the comparison below compares."""
    taken = [split(document) is not None for document in _documents()]
    assert taken == [True] * 7 + [False, True]


@pytest.mark.parametrize("document", _documents())
def test_fast_and_slow_paths_answer_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, document: str
) -> None:
    """With the fast path disabled the answers (ids aside) and counters are the same."""
    answers = []
    for name, splitter in (("fast", endpoint._split), ("slow", lambda _q: None)):
        monkeypatch.setattr(endpoint, "_split", splitter)
        with sandbox_client(tmp_path / f"{name}.db") as client:
            status, body = client.post(document)
            text = re.sub(r'"[0-9a-f]{8}-[0-9a-f-]{27}"', '"<id>"', json.dumps(body))
            stats = client.stats()
            answers.append((status, text, stats["signals"], stats["requests"]))
    assert answers[0] == answers[1]


def test_empty_variables_keep_the_fast_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The consumer's body shape, with "variables": {}, is read by the fast path."""
    splits: list[Any] = []
    original = endpoint._split

    def spy(query: str) -> Any:
        splits.append(original(query))
        return splits[-1]

    monkeypatch.setattr(endpoint, "_split", spy)
    with sandbox_client(tmp_path / "v.db") as client:
        status, body = client.post(mutation([golden_input("order")]), {})
    assert status == 200
    assert len(body["data"]["createSignals"]["signalIds"]) == 1
    assert len(splits) == 1
    assert splits[0] is not None  # split, not handed to graphql-core
