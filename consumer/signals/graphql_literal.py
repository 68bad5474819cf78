"""Signals as inline GraphQL literals (reference section 8: the input type names are unpublished).

``encode_input(signal.as_input())`` gives one object literal such as
``{appKey:"app",identifiableAttributes:{email:"a@b.io"},signalContent:{signalType:"order"}}``;
``build_mutation(literals)`` wraps up to 500 of them in ``createSignals(...) { signalIds }``.

Strings are written with JSON's escapes, which GraphQL's string syntax shares (``\\"``, ``\\\\``,
``\\n``, ``\\uXXXX`` ...); characters outside the BMP (emoji) are written as UTF-16 surrogate
escapes, which every GraphQL parser reads back. Object keys must be GraphQL names
(``[_A-Za-z][_0-9A-Za-z]*``); anything that cannot be a GraphQL literal (a key that is not a
name, NaN, infinity, bytes, lone surrogates) raises ``ValueError`` / ``TypeError`` - the
pipeline dead-letters that event as a mapping failure.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import orjson

from consumer.text import clip

__all__ = ["build_mutation", "encode_input", "encode_string", "encode_value", "is_name"]

_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*\Z")
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f\u2028\u2029\ud800-\udfff\U00010000-\U0010ffff]')
_SHORT = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_known_names: set[str] = set()


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    short = _SHORT.get(char)
    if short is not None:
        return short
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        raise ValueError("string holds a lone UTF-16 surrogate")
    if code > 0xFFFF:
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def encode_string(value: str) -> str:
    """A GraphQL string literal (double-quoted, escaped) for ``value``."""
    if _NEEDS_ESCAPE.search(value) is None:
        return f'"{value}"'
    return '"' + _NEEDS_ESCAPE.sub(_escape, value) + '"'


def is_name(key: str) -> bool:
    """Whether ``key`` is a GraphQL name (``[_A-Za-z][_0-9A-Za-z]*``): it may be an object key."""
    return _NAME.match(key) is not None


def _learn(key: str) -> bool:
    """True when ``key`` is a GraphQL name (remembered, up to 10,000 of them)."""
    if _NAME.match(key) is None:
        return False
    if len(_known_names) < 10_000:
        _known_names.add(key)
    return True


def _excerpt(key: object) -> str:
    """A key for an error text: about 40 characters of it and its length (it may be huge)."""
    if not isinstance(key, str):
        return f"a {type(key).__name__} key"
    if len(key) <= 40:
        return repr(key)
    return f"{clip(key, 40)!r} ({len(key)} characters)"


def _name(key: object) -> str:
    if key in _known_names:
        return str(key)
    if not isinstance(key, str) or not _learn(key):
        raise ValueError(f"{_excerpt(key)} is not a GraphQL name, so it cannot be an object key")
    return key


def encode_value(value: Any) -> str:
    """A GraphQL value literal for a JSON-like Python value."""
    if isinstance(value, str):
        return encode_string(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} cannot be sent: GraphQL has no NaN or infinity")
        return repr(value)
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{_name(k)}:{encode_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(encode_value(v) for v in value) + "]"
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} cannot be sent: GraphQL has no NaN or infinity")
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return encode_string(value.isoformat())
    raise TypeError(f"a {type(value).__name__} cannot be written as a GraphQL literal")


def encode_input(signal_input: Mapping[str, Any]) -> str:
    """One signal's input object (``Signal.as_input()``) as a GraphQL object literal.

    Fast path (the hot path of the pipeline): orjson writes JSON, whose string escapes GraphQL
    shares; the quotes around keys are then dropped. Without escaped quotes every ``"`` delimits
    a string and no string's contents hold one, so a ``":`` is either the end of a key (whose
    opening quote is the last ``"`` before it) or the opening quote of a string that starts
    with ``:``, which comes right after ``{ [ , :`` - and then the "key" found before it ends in
    one of those characters, which no GraphQL name does. So: split at ``":``, take the text
    after the last ``"`` of each piece as its key, and when one is not a name, let the strict
    encoder do the whole input (it encodes strings starting with a colon, and raises for keys
    that are not names). Escaped quotes and ``null`` (also how orjson writes NaN) take the
    strict encoder too.
    """
    try:
        text = orjson.dumps(signal_input).decode()
    except orjson.JSONEncodeError:
        return encode_value(signal_input)  # raises with the precise reason
    if '\\"' in text or "null" in text:
        return encode_value(signal_input)
    pieces = text.split('":')
    known = _known_names
    for i in range(len(pieces) - 1):
        head, _, key = pieces[i].rpartition('"')
        if key not in known and not _learn(key):
            return encode_value(signal_input)
        pieces[i] = head + key
    return ":".join(pieces)


def build_mutation(literals: Sequence[str]) -> str:
    """The ``createSignals`` mutation for already encoded signal literals, in order."""
    return "mutation{createSignals(signals:[" + ",".join(literals) + "]){signalIds}}"
