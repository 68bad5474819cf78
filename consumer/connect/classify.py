"""Turn a Connect HTTP response into signal ids or one error of the tree (reference section 8).

=====================================================  ==========================================
What came back                                         Raised
=====================================================  ==========================================
HTTP 401/403, or code 401/403/UNAUTHENTICATED/          :class:`~consumer.errors.ApiAuthError`
UNAUTHORIZED/FORBIDDEN (the real API answers HTTP 200)
HTTP 429, or code 429/THROTTLED/TOO_MANY_REQUESTS       :class:`~consumer.errors.ApiThrottled`
                                                        (``Retry-After`` in seconds or HTTP date)
HTTP 5xx, code 5xx/INTERNAL_SERVER_ERROR/...,           :class:`~consumer.errors.ApiUnavailable`
a body that is not JSON, an error code we do not know,
a ``signalIds`` count different from the signals sent
HTTP 400/413/422, or code BAD_USER_INPUT/               :class:`~consumer.errors.BatchRejected`:
GRAPHQL_VALIDATION_FAILED/GRAPHQL_PARSE_FAILED/400      the whole mutation was refused;
                                                        ``violations`` maps signal index -> the
                                                        API's message when it says
=====================================================  ==========================================

An unknown error code is retried rather than dead-lettered: a systemic fault we cannot name
must not empty a topic into the dead-letter topic. It shows in the retry metrics and logs.
"""

from __future__ import annotations

from typing import Any

import orjson

from consumer.connect.backoff import parse_retry_after
from consumer.errors import ApiAuthError, ApiThrottled, ApiUnavailable, BatchRejected

__all__ = ["classify_response"]

_AUTH = {"401", "403", "UNAUTHENTICATED", "UNAUTHORIZED", "FORBIDDEN"}
_THROTTLED = {"429", "THROTTLED", "TOO_MANY_REQUESTS", "RATE_LIMITED"}
_INPUT = {"400", "422", "BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED"}
_UNAVAILABLE = {"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "BAD_GATEWAY", "GATEWAY_TIMEOUT"}
_EXCERPT = 500


def _excerpt(text: str) -> str:
    return text if len(text) <= _EXCERPT else text[:_EXCERPT] + "..."


def _violations(errors: list[Any]) -> dict[int, str]:
    """``extensions.violations`` ([{index, field, reason}]) of every error, by signal index."""
    found: dict[int, str] = {}
    for error in errors:
        ext = error.get("extensions") if isinstance(error, dict) else None
        items = ext.get("violations") if isinstance(ext, dict) else None
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict) or not isinstance(item.get("index"), int):
                continue
            where = item.get("field")
            reason = str(item.get("reason") or error.get("message") or "rejected")
            text = f"{where}: {reason}" if where else reason
            index = int(item["index"])
            found[index] = f"{found[index]}; {text}" if index in found else text
    return found


def _codes(error: Any) -> set[str]:
    if not isinstance(error, dict):
        return set()
    ext = error.get("extensions")
    if not isinstance(ext, dict):
        return set()
    return {str(ext[key]).upper() for key in ("code", "status") if ext.get(key) is not None}


def _raise_for_errors(errors: list[Any], retry_after: str | None) -> None:
    codes = set().union(*(_codes(e) for e in errors))
    first = errors[0] if errors else {}
    message = str(first.get("message", "error")) if isinstance(first, dict) else str(first)
    if codes & _AUTH:
        raise ApiAuthError(f"the Connect API refused the API key: {_excerpt(message)}")
    if codes & _THROTTLED:
        raise ApiThrottled(
            f"throttled: {_excerpt(message)}", retry_after_s=parse_retry_after(retry_after)
        )
    if codes & _INPUT:
        raise BatchRejected(_excerpt(message), _violations(errors))
    if codes & _UNAVAILABLE or any(c.isdigit() and c.startswith("5") for c in codes):
        raise ApiUnavailable(f"server error: {_excerpt(message)}")
    raise ApiUnavailable(f"unrecognised error {sorted(codes) or 'without a code'}: {message}")


def classify_response(
    status: int, body: bytes, count: int, retry_after: str | None = None
) -> list[str]:
    """The ``signalIds`` of an accepted mutation of ``count`` signals, or raise per the table."""
    if status in (401, 403):
        raise ApiAuthError(f"the Connect API refused the API key (HTTP {status})")
    if status == 429:
        raise ApiThrottled("throttled (HTTP 429)", retry_after_s=parse_retry_after(retry_after))
    if status >= 500:
        raise ApiUnavailable(
            f"server error (HTTP {status})", retry_after_s=parse_retry_after(retry_after)
        )
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if status in (400, 413, 422):
            raise BatchRejected(
                f"HTTP {status}: {_excerpt(body.decode(errors='replace'))}"
            ) from exc
        raise ApiUnavailable(f"HTTP {status} with a body that is not JSON") from exc
    if not isinstance(doc, dict):
        raise ApiUnavailable(f"HTTP {status} with an unexpected body")
    errors = doc.get("errors")
    if errors:
        _raise_for_errors(errors if isinstance(errors, list) else [errors], retry_after)
    if status in (400, 413, 422):
        raise BatchRejected(f"HTTP {status}: {_excerpt(body.decode(errors='replace'))}")
    if status != 200:
        raise ApiUnavailable(f"unexpected HTTP {status}; is SIGNALS_CONNECT_URL right?")
    data = doc.get("data")
    result = data.get("createSignals") if isinstance(data, dict) else None
    ids = result.get("signalIds") if isinstance(result, dict) else None
    if not isinstance(ids, list) or len(ids) != count:
        got = len(ids) if isinstance(ids, list) else "no"
        raise ApiUnavailable(f"expected {count} signalIds, got {got}")
    return [str(i) for i in ids]
