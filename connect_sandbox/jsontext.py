"""JSON encoding for the sandbox: orjson, with the standard library for what orjson refuses.

GraphQL integers have no size limit (graphql-core reads ``12345678901234567890123`` as a Python
int); orjson writes only 64-bit integers and reads longer ones as floats, so such values take
the :mod:`json` module.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

import orjson

__all__ = ["dumps", "json_object", "loads"]

_LONG_DIGITS: Final = re.compile(r"[0-9]{19}")


def dumps(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def loads(text: str | bytes) -> Any:
    """Decode JSON; integers of 19 or more digits stay integers."""
    if _LONG_DIGITS.search(text if isinstance(text, str) else text.decode()) is None:
        return orjson.loads(text)
    return json.loads(text)


def json_object(body: bytes, expected: str) -> dict[str, Any] | str:
    """A request body as a JSON object, or why it is not one (``expected`` names the shape)."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return f"the body is not JSON: {exc}"
    return data if type(data) is dict else f"the body must be {expected}"
