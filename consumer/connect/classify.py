"""Turn a Connect HTTP response into signal ids or one error of the tree (reference 8 and 9).

One pure function, :func:`classify_response`, decides; the first matching row wins. The pipeline
(:mod:`consumer.pipeline.outcomes`) and the one-shot commands (:mod:`consumer.ops.delivery`)
apply the same row the same way (last column; :mod:`consumer.connect.policy`).

===  =========================================  ===================  ==============================
Row  What came back                             Raised               What is done with it
===  =========================================  ===================  ==============================
1    HTTP 401/403; code 401/403/                ApiAuthError         stop sending, keep polling,
     UNAUTHENTICATED/UNAUTHORIZED/FORBIDDEN                          not ready, probe with backoff
2    HTTP 429; code 429/THROTTLED/              ApiThrottled         retry after the larger of the
     TOO_MANY_REQUESTS/RATE_LIMITED/            (``retry_after_s``:  hint and the own backoff
     RATE_LIMIT_EXCEEDED; an error without a    larger of            (``Retry-After: 0`` waits
     code beside ``extensions.rateLimit``       Retry-After and      the backoff)
     (Cosmo's throttle, HTTP 200)               ``retryAfterMs``)
3    HTTP 5xx; code 5xx/INTERNAL_SERVER_ERROR/  ApiUnavailable       retry with backoff
     SERVICE_UNAVAILABLE/BAD_GATEWAY/
     GATEWAY_TIMEOUT; a body that is not JSON
     (an HTML page) or not GraphQL (the
     gateway's ``{"message": "Endpoint
     request timed out"}``)
4    code GRAPHQL_PARSE_FAILED/                 ApiQueryRejected     bisect, dead-letter nothing;
     GRAPHQL_VALIDATION_FAILED without a                             a one-signal mutation failing
     ``createSignals`` path (the document                            so before any part of its
     itself)                                                         batch was accepted: systemic,
                                                                     stop like row 1
5    ``data`` (or ``data.createSignals``) null  BatchRejected        split until the bad signal
     with an error whose ``path`` starts with   (``violations``,     stands alone (or drop the
     ``createSignals`` and any other code;      ``api_code``,        named ones), dead-letter it
     code BAD_USER_INPUT/400/422/               ``category``)        with the API's message, code
     INVALID_ATTRIBUTE_VALUE/                                        and category
     ATTRIBUTE_NOT_DEFINED; HTTP 413
6    any other error (an unknown code, no       ApiUnrecognised      retry up to
     code, a bare HTTP 400/422, ``data`` null                        SIGNALS_UNKNOWN_ERROR_MAX_
     without errors)                                                 ATTEMPTS, then as row 5
7    ``signalIds``: a count other than the      SignalIdsMismatch    bisect; a signal alone: sent
     signals sent                               (``accepted`` ())    again until SIGNALS_UNKNOWN_
                                                                     ERROR_MAX_ATTEMPTS untrusted
                                                                     answers, then dead-lettered
                                                                     ``not_confirmed_by_api``
8    ``signalIds``: the right count, some       SignalIdsMismatch    the others are accepted; the
     ``null`` (not accepted)                    (``accepted``:       null ones are sent again as
                                                their indexes)       one chunk, bisected; alone:
                                                                     dead-letter as row 7
9    ``signalIds``: one id per signal           (returns the ids)    accepted
===  =========================================  ===================  ==============================

Rows 7 to 9 apply whenever ``data.createSignals.signalIds`` is a list, even beside ``errors``
(a GraphQL partial result: the mutation ran, so the ids decide, never a resend of the whole).
The ``errors`` of rows 1 to 6 are read only when there is no such list; the HTTP statuses of
rows 1 to 3 (401/403, 429, 5xx) always win.

Codes are read from ``extensions.code`` and ``extensions.status`` of every error, upper-cased.
An error's ``path`` "starts with createSignals" when its first element is ``createSignals``.
Messages are cut to about 500 characters (:func:`consumer.text.clip`: head and tail, never
splitting an address) before they travel in an error.
"""

from __future__ import annotations

from typing import Any

import orjson

from consumer.connect.backoff import MAX_RETRY_AFTER_S, parse_retry_after
from consumer.errors import (
    ApiAuthError,
    ApiQueryRejected,
    ApiThrottled,
    ApiUnavailable,
    ApiUnrecognised,
    BatchRejected,
    SignalIdsMismatch,
)
from consumer.text import clip

__all__ = ["MUTATION", "classify_response"]

#: The mutation field; an error whose ``path`` starts with it is about the signals.
MUTATION = "createSignals"
_AUTH = frozenset({"401", "403", "UNAUTHENTICATED", "UNAUTHORIZED", "FORBIDDEN"})
_THROTTLED = frozenset(
    {"429", "THROTTLED", "TOO_MANY_REQUESTS", "RATE_LIMITED", "RATE_LIMIT_EXCEEDED"}
)
_UNAVAILABLE = frozenset(
    {"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "BAD_GATEWAY", "GATEWAY_TIMEOUT"}
)
_QUERY = frozenset({"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED"})
_INPUT = frozenset(
    {"400", "422", "BAD_USER_INPUT", "INVALID_ATTRIBUTE_VALUE", "ATTRIBUTE_NOT_DEFINED"}
)
#: Longest API message an error carries (``clip``: head and tail around a marker).
_EXCERPT = 500


def _violations(errors: list[dict[str, Any]]) -> dict[int, str]:
    """``extensions.violations`` ([{index, field, reason}]) of every error, by signal index."""
    found: dict[int, str] = {}
    for error in errors:
        ext = error.get("extensions")
        items = ext.get("violations") if isinstance(ext, dict) else None
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict) or not isinstance(item.get("index"), int):
                continue
            where = item.get("field")
            reason = clip(str(item.get("reason") or error.get("message") or "rejected"), _EXCERPT)
            text = f"{where}: {reason}" if where else reason
            index = int(item["index"])
            found[index] = f"{found[index]}; {text}" if index in found else text
    return found


def _codes(error: dict[str, Any]) -> set[str]:
    ext = error.get("extensions")
    if not isinstance(ext, dict):
        return set()
    return {str(ext[key]).upper() for key in ("code", "status") if ext.get(key) is not None}


def _is_server_code(code: str) -> bool:
    return code in _UNAVAILABLE or (code.isdigit() and code.startswith("5"))


def _on_mutation(error: dict[str, Any]) -> bool:
    path = error.get("path")
    return isinstance(path, list) and bool(path) and path[0] == MUTATION


def _retry_after_ms(doc: dict[str, Any], errors: list[dict[str, Any]]) -> float | None:
    """The largest ``extensions.rateLimit.retryAfterMs`` (top level or per error), in seconds."""
    found: list[float] = []
    for holder in (doc, *errors):
        ext = holder.get("extensions")
        limit = ext.get("rateLimit") if isinstance(ext, dict) else None
        value = limit.get("retryAfterMs") if isinstance(limit, dict) else None
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            found.append(min(float(value) / 1000, MAX_RETRY_AFTER_S))
    return max(found, default=None)


def _has_rate_limit(doc: dict[str, Any], errors: list[dict[str, Any]]) -> bool:
    for holder in (doc, *errors):
        ext = holder.get("extensions")
        if isinstance(ext, dict) and isinstance(ext.get("rateLimit"), dict):
            return True
    return False


def _larger(*hints: float | None) -> float | None:
    return max((h for h in hints if h is not None), default=None)


def _raise_for_errors(
    status: int, doc: dict[str, Any], errors: list[dict[str, Any]], retry_after: str | None
) -> None:
    codes = set().union(*(_codes(e) for e in errors))
    first = errors[0]
    message = clip(str(first.get("message") or "error"), _EXCERPT)
    if codes & _AUTH:  # row 1
        raise ApiAuthError(f"the Connect API refused the API key: {message}")
    if codes & _THROTTLED or (not codes and _has_rate_limit(doc, errors)):  # row 2
        hint = _larger(parse_retry_after(retry_after), _retry_after_ms(doc, errors))
        raise ApiThrottled(f"throttled: {message}", retry_after_s=hint)
    if any(_is_server_code(c) for c in codes):  # row 3
        raise ApiUnavailable(f"server error {sorted(codes)}: {message}")
    on_mutation = [e for e in errors if _on_mutation(e)]
    query = [e for e in errors if _codes(e) & _QUERY and not _on_mutation(e)]
    if query and not on_mutation:  # row 4
        code = sorted(_codes(query[0]) & _QUERY)[0]
        text = clip(str(query[0].get("message") or code), _EXCERPT)
        raise ApiQueryRejected(
            f"the API refused the mutation itself ({code}): {text}", api_code=code
        )
    data = doc.get("data")
    rejected_data = data is None or (isinstance(data, dict) and data.get(MUTATION) is None)
    chosen = next((e for e in errors if _codes(e) & _INPUT), None)
    if chosen is None and on_mutation and rejected_data:
        chosen = on_mutation[0]
    if chosen is not None or status == 413:  # row 5
        chosen = chosen or first
        ext = chosen.get("extensions")
        category = ext.get("category") if isinstance(ext, dict) else None
        raw_code = ext.get("code") if isinstance(ext, dict) else None
        raise BatchRejected(
            clip(str(chosen.get("message") or "rejected"), _EXCERPT),
            _violations(errors),
            api_code=None if raw_code is None else str(raw_code),
            category=None if category is None else clip(str(category), _EXCERPT),
        )
    code_text = sorted(codes)[0] if codes else None
    raise ApiUnrecognised(  # row 6
        f"unrecognised error {sorted(codes) or 'without a code'} (HTTP {status}): {message}",
        api_error=message,
        api_code=code_text,
    )


def _signal_ids(status: int, doc: dict[str, Any], count: int) -> list[str]:
    data = doc.get("data")
    result = data.get(MUTATION) if isinstance(data, dict) else None
    ids = result.get("signalIds") if isinstance(result, dict) else None
    if data is None or (isinstance(data, dict) and result is None):
        raise ApiUnrecognised(f"HTTP {status} without errors and without {MUTATION}")  # row 6
    if not isinstance(ids, list) or len(ids) != count:  # row 7
        got = len(ids) if isinstance(ids, list) else "no"
        raise SignalIdsMismatch(f"expected {count} signalIds, got {got}")
    accepted = tuple(i for i, v in enumerate(ids) if v is not None and v != "")
    if len(accepted) != count:  # row 8
        raise SignalIdsMismatch(
            f"{count - len(accepted)} of {count} signalIds are null (not accepted)",
            accepted=accepted,
        )
    return [str(i) for i in ids]  # row 9


def classify_response(
    status: int, body: bytes, count: int, retry_after: str | None = None
) -> list[str]:
    """The ``signalIds`` of an accepted mutation of ``count`` signals, or raise per the table."""
    if status in (401, 403):  # row 1
        raise ApiAuthError(f"the Connect API refused the API key (HTTP {status})")
    if status == 429:  # row 2 (the body may add retryAfterMs)
        doc = _json(body)
        errors = _error_list(doc) if isinstance(doc, dict) else []
        hint = _retry_after_ms(doc, errors) if isinstance(doc, dict) else None
        raise ApiThrottled(
            "throttled (HTTP 429)", retry_after_s=_larger(parse_retry_after(retry_after), hint)
        )
    if status >= 500:  # row 3
        raise ApiUnavailable(
            f"server error (HTTP {status}): {clip(body.decode(errors='replace'), _EXCERPT)}",
            retry_after_s=parse_retry_after(retry_after),
        )
    doc = _json(body)
    if not isinstance(doc, dict) or not ("data" in doc or "errors" in doc):
        text = clip(body.decode(errors="replace"), _EXCERPT)
        if status == 413:  # row 5
            raise BatchRejected(f"HTTP 413: {text}")
        if status in (400, 422):  # row 6
            raise ApiUnrecognised(f"HTTP {status}: {text}", api_error=text, api_code=str(status))
        kind = "not JSON" if doc is None else "not a GraphQL answer"  # row 3
        raise ApiUnavailable(f"HTTP {status} with a body that is {kind}: {text}")
    errors = _error_list(doc)
    if errors and not _has_signal_ids(doc):  # with signalIds: a partial result, rows 7-9
        _raise_for_errors(status, doc, errors, retry_after)
    if status != 200:  # a GraphQL answer without errors on another status: row 6
        raise ApiUnrecognised(f"unexpected HTTP {status}; is SIGNALS_CONNECT_URL right?")
    return _signal_ids(status, doc, count)


def _json(body: bytes) -> Any:
    """The parsed body, or None when it is not JSON."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


def _has_signal_ids(doc: dict[str, Any]) -> bool:
    """The mutation ran: ``data.createSignals.signalIds`` is a list (errors are then partial)."""
    data = doc.get("data")
    result = data.get(MUTATION) if isinstance(data, dict) else None
    return isinstance(result, dict) and isinstance(result.get("signalIds"), list)


def _error_list(doc: dict[str, Any]) -> list[dict[str, Any]]:
    errors = doc.get("errors")
    if not errors:
        return []
    items = errors if isinstance(errors, list) else [errors]
    return [e if isinstance(e, dict) else {"message": str(e)} for e in items]
