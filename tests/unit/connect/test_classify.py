"""One test per row of the decision table in consumer/connect/classify.py (over MockTransport).

The answers are written in the dialect of reference section 9: ``data`` null, domain codes with
a category and no item index, Cosmo's throttle in an HTTP 200, the gateway's timeout body.
"""

from __future__ import annotations

from typing import Any, TypeVar

import httpx
import pytest

from consumer.config import Settings
from consumer.connect import ConnectClient
from consumer.errors import (
    ApiAuthError,
    ApiQueryRejected,
    ApiThrottled,
    ApiUnavailable,
    ApiUnrecognised,
    BatchRejected,
    SignalIdsMismatch,
)
from consumer.signals.graphql_literal import encode_input
from consumer.signals.model import Signal

SIGNAL = Signal("app", "email", "a@b.io", {"signalType": "pageView", "name": "home"})
LITERAL = encode_input(SIGNAL.as_input())
LOC = [{"line": 1, "column": 10}]
E = TypeVar("E", bound=BaseException)


def _send(response: httpx.Response, count: int = 2) -> list[str]:
    settings = Settings.model_validate(
        {"connect_url": "http://connect.test/graphql", "connect_api_key": "k-1"}
    )
    client = ConnectClient(settings, transport=httpx.MockTransport(lambda _r: response))
    return client.send([LITERAL] * count)


def _raises(response: httpx.Response, error: type[E], count: int = 2) -> E:
    with pytest.raises(error) as info:
        _send(response, count)
    return info.value


def _errors(*errors: dict[str, Any], data: Any = None, **top: Any) -> httpx.Response:
    return httpx.Response(200, json={"data": data, "errors": list(errors), **top})


def _error(code: str | None, message: str = "m", path: list[Any] | None = None, **ext: Any) -> Any:
    extensions = {"code": code, **ext} if code else ext
    found: dict[str, Any] = {"message": message, "locations": LOC, "extensions": extensions}
    if path is not None:
        found["path"] = path
    return found


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(401),
        httpx.Response(403, text="<html>Forbidden</html>"),
        _errors(_error("UNAUTHENTICATED", "API key is invalid")),
        _errors(_error("FORBIDDEN", path=["createSignals"])),
    ],
)
def test_row_auth(response: httpx.Response) -> None:
    """A refused key, by HTTP status or code, is ApiAuthError even with a createSignals path."""
    _raises(response, ApiAuthError)


def test_row_throttled_http_429_retry_after() -> None:
    """HTTP 429 is throttling and carries its Retry-After."""
    err = _raises(httpx.Response(429, headers={"Retry-After": "7"}), ApiThrottled)
    assert err.retry_after_s == 7.0


def test_row_throttled_cosmo_200_with_retry_after_ms() -> None:
    """Cosmo's HTTP 200 RATE_LIMIT_EXCEEDED is throttling and carries retryAfterMs."""
    response = _errors(
        _error("RATE_LIMIT_EXCEEDED", "Rate limit exceeded for Subgraph 'signals'"),
        extensions={"rateLimit": {"retryAfterMs": 2000, "resetAfterMs": 2000}},
    )
    assert _raises(response, ApiThrottled).retry_after_s == 2.0


def test_row_throttled_cosmo_body_without_a_code() -> None:
    """An error with no code beside a top-level ``extensions.rateLimit`` hint is throttling."""
    response = httpx.Response(
        200,
        json={
            "errors": [{"message": "Rate limit exceeded for Subgraph 'signals'"}],
            "extensions": {"rateLimit": {"retryAfterMs": 1500, "resetAfterMs": 1500}},
        },
    )
    assert _raises(response, ApiThrottled).retry_after_s == 1.5


def test_row_throttled_takes_the_larger_hint() -> None:
    """With both Retry-After and retryAfterMs the larger one is the hint."""
    response = httpx.Response(
        200,
        headers={"Retry-After": "1"},
        json={
            "data": None,
            "errors": [_error("RATE_LIMIT_EXCEEDED", "slow down")],
            "extensions": {"rateLimit": {"retryAfterMs": 4000}},
        },
    )
    assert _raises(response, ApiThrottled).retry_after_s == 4.0


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(500),
        httpx.Response(502, text="<html><body>Bad Gateway</body></html>"),
        httpx.Response(504, json={"message": "Endpoint request timed out"}),
        httpx.Response(200, json={"message": "Endpoint request timed out"}),
        httpx.Response(200, text="<!DOCTYPE html><html>maintenance</html>"),
        httpx.Response(200, json=["not", "graphql"]),
        _errors(_error("INTERNAL_SERVER_ERROR", path=["createSignals"])),
        _errors(_error("503")),
    ],
)
def test_row_outage(response: httpx.Response) -> None:
    """5xx, HTML pages and non-GraphQL bodies (the gateway's timeout) are outages."""
    _raises(response, ApiUnavailable)


@pytest.mark.parametrize("code", ["GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED"])
def test_row_query_rejected(code: str) -> None:
    """A parse or validation failure of the whole document (no createSignals path) is
    query-level."""
    response = httpx.Response(400, json={"errors": [_error(code, "Cannot query field 'x'")]})
    err = _raises(response, ApiQueryRejected)
    assert err.api_code == code
    assert "Cannot query field" in str(err)


def test_row_rejection_domain_code_with_category() -> None:
    """``data`` null with INVALID_ATTRIBUTE_VALUE on createSignals rejects the whole mutation."""
    message = "Field unitPrice has invalid value: -3. Category: NUMBER_FORMAT."
    response = _errors(
        _error("INVALID_ATTRIBUTE_VALUE", message, ["createSignals"], category="NUMBER_FORMAT")
    )
    err = _raises(response, BatchRejected)
    assert err.violations == {}
    assert err.api_code == "INVALID_ATTRIBUTE_VALUE"
    assert err.category == "NUMBER_FORMAT"
    assert err.api_error == message


@pytest.mark.parametrize(
    "error",
    [
        _error("ATTRIBUTE_NOT_DEFINED", "Attribute productUrl is not defined", ["createSignals"]),
        _error("SOMETHING_NEW", "x", ["createSignals", 0]),
        _error("BAD_USER_INPUT", "bad signal"),
        _error("GRAPHQL_VALIDATION_FAILED", "bad argument", ["createSignals"]),
    ],
)
def test_row_rejection_by_shape_or_known_code(error: dict[str, Any]) -> None:
    """A createSignals path with a non-auth/throttle/5xx code, or a known input code, rejects."""
    assert _raises(_errors(error), BatchRejected).api_code == error["extensions"]["code"]


def test_row_rejection_when_create_signals_is_null() -> None:
    """``data.createSignals`` null with a createSignals error is a rejection too."""
    response = _errors(
        _error("SOMETHING_NEW", "no", ["createSignals"]), data={"createSignals": None}
    )
    _raises(response, BatchRejected)


def test_row_rejection_indexed_violations_still_name_signals() -> None:
    """The indexed BAD_USER_INPUT dialect still names the bad signals by index."""
    violations = [{"index": 1, "field": "signalContent.currency", "reason": "not ISO 4217"}]
    response = _errors(_error("BAD_USER_INPUT", "bad", violations=violations))
    assert _raises(response, BatchRejected).violations == {
        1: "signalContent.currency: not ISO 4217"
    }


def test_row_rejection_payload_too_large() -> None:
    """HTTP 413 (any body) is a rejection: smaller mutations may pass."""
    _raises(httpx.Response(413, text="<html>Request Entity Too Large</html>"), BatchRejected)


@pytest.mark.parametrize(
    "response",
    [
        _errors(_error("SOMETHING_NEW", "who knows")),
        _errors({"message": "boom"}),
        httpx.Response(400, text="bad request"),
        httpx.Response(200, json={"data": None}),
    ],
)
def test_row_unrecognised(response: httpx.Response) -> None:
    """An unknown code without the rejection shape is unrecognised (bounded retries)."""
    _raises(response, ApiUnrecognised)


def test_row_signal_ids_count_differs() -> None:
    """A signalIds count different from the signals sent accepts nothing."""
    response = httpx.Response(200, json={"data": {"createSignals": {"signalIds": ["a"]}}})
    err = _raises(response, SignalIdsMismatch, count=3)
    assert err.accepted == ()


def test_row_signal_ids_with_nulls() -> None:
    """A null id means that signal was not accepted; the others were."""
    ids = ["a", None, "c"]
    response = httpx.Response(200, json={"data": {"createSignals": {"signalIds": ids}}})
    err = _raises(response, SignalIdsMismatch, count=3)
    assert err.accepted == (0, 2)


def test_row_accepted() -> None:
    """One id per signal is success, in order."""
    response = httpx.Response(200, json={"data": {"createSignals": {"signalIds": ["a", "b"]}}})
    assert _send(response) == ["a", "b"]


def test_api_message_is_bounded() -> None:
    """A huge API message is cut before it travels in an error."""
    response = _errors(_error("INVALID_ATTRIBUTE_VALUE", "x" * 100_000, ["createSignals"]))
    assert len(str(_raises(response, BatchRejected))) < 2_000


def test_row_partial_result_trusts_the_signal_ids_over_the_errors() -> None:
    """``signalIds`` beside errors is a partial result: the mutation ran, the ids decide."""
    error = _error("INTERNAL", "could not store signal", ["createSignals", "signalIds", 1])
    response = httpx.Response(
        200,
        json={"data": {"createSignals": {"signalIds": ["a", None, "c"]}}, "errors": [error]},
    )
    assert _raises(response, SignalIdsMismatch, count=3).accepted == (0, 2)
