"""The Connect client over httpx.MockTransport: headers, encoding and error classification."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

import httpx
import orjson
import pytest

from consumer.config import Settings
from consumer.connect import Backoff, ConnectClient
from consumer.connect.backoff import parse_retry_after
from consumer.errors import (
    ApiAuthError,
    ApiThrottled,
    ApiUnavailable,
    ApiUnrecognised,
    BatchRejected,
    SignalIdsMismatch,
)
from consumer.signals.graphql_literal import encode_input
from consumer.signals.model import Signal

SIGNAL = Signal("app", "email", "a@b.io", {"signalType": "pageView", "name": 'say "hi"'})
LITERAL = encode_input(SIGNAL.as_input())


def _client(handler: Callable[[httpx.Request], httpx.Response], **over: object) -> ConnectClient:
    settings = Settings.model_validate(
        {"connect_url": "http://connect.test/graphql", "connect_api_key": "k-1", **over}
    )
    return ConnectClient(settings, transport=httpx.MockTransport(handler))


def _ok(count: int) -> httpx.Response:
    ids = [f"id-{i}" for i in range(count)]
    return httpx.Response(200, json={"data": {"createSignals": {"signalIds": ids}}})


def test_sends_api_key_header_and_inline_mutation() -> None:
    """A send POSTs JSON with the inline mutation and the key only in ``x-api-key``."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _ok(2)

    assert _client(handler).send([LITERAL, LITERAL]) == ["id-0", "id-1"]
    request = seen[0]
    assert request.method == "POST"
    assert request.headers["x-api-key"] == "k-1"
    body = orjson.loads(request.content)
    assert body["variables"] == {}
    assert body["query"].startswith("mutation{createSignals(signals:[{appKey:")
    assert "k-1" not in body["query"]


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (httpx.Response(401), ApiAuthError),
        (httpx.Response(403), ApiAuthError),
        (
            httpx.Response(
                200,
                json={"errors": [{"message": "Unauthorized", "extensions": {"code": "401"}}]},
            ),
            ApiAuthError,
        ),
        (httpx.Response(429, headers={"Retry-After": "7"}), ApiThrottled),
        (httpx.Response(500), ApiUnavailable),
        (httpx.Response(503, text="<html>down</html>"), ApiUnavailable),
        (httpx.Response(200, text="not json"), ApiUnavailable),
        (
            httpx.Response(200, json={"data": {"createSignals": {"signalIds": ["a"]}}}),
            SignalIdsMismatch,
        ),
        (httpx.Response(200, json={"errors": [{"message": "boom"}]}), ApiUnrecognised),
        (httpx.Response(404, text="no"), ApiUnavailable),
        (
            httpx.Response(
                200,
                json={"errors": [{"message": "x", "extensions": {"code": "BAD_USER_INPUT"}}]},
            ),
            BatchRejected,
        ),
        (httpx.Response(400, text="bad request"), ApiUnrecognised),
        (httpx.Response(413, text="too large"), BatchRejected),
    ],
)
def test_responses_map_to_the_error_tree(response: httpx.Response, error: type[Exception]) -> None:
    """Each kind of answer raises the documented error class (table in classify.py)."""

    with pytest.raises(error):
        _client(lambda _r: response).send([LITERAL, LITERAL])


def test_throttle_carries_retry_after_seconds() -> None:
    """A 429 carries its Retry-After delay for the backoff to honour."""
    client = _client(lambda _r: httpx.Response(429, headers={"Retry-After": "7"}))
    with pytest.raises(ApiThrottled) as info:
        client.send([LITERAL])
    assert info.value.retry_after_s == 7.0


def test_rejection_names_bad_signals_by_index() -> None:
    """BAD_USER_INPUT violations come back as index -> field and reason."""
    violations = [
        {"index": 1, "field": "signalContent.unitPrice", "reason": "must be a number"},
        {"index": 1, "field": "signalContent.currency", "reason": "not ISO 4217"},
    ]
    body = {
        "errors": [
            {"message": "bad", "extensions": {"code": "BAD_USER_INPUT", "violations": violations}}
        ]
    }
    client = _client(lambda _r: httpx.Response(200, json=body))
    with pytest.raises(BatchRejected) as info:
        client.send([LITERAL, LITERAL])
    assert set(info.value.violations) == {1}
    assert "unitPrice: must be a number" in info.value.violations[1]
    assert "currency" in info.value.violations[1]


def test_timeouts_and_connection_errors_are_retryable() -> None:
    """A timeout or refused connection is ApiUnavailable, never a data error."""

    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    for handler in (timeout, refused):
        with pytest.raises(ApiUnavailable):
            _client(handler).send([LITERAL])


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    """Retry-After is read as delta-seconds or as an HTTP date; garbage is ignored."""
    now = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert parse_retry_after("3", now=now) == 3.0
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None


def test_backoff_is_full_jitter_capped_and_honours_retry_after() -> None:
    """Waits stay within [0, min(max, initial * 2**(n-1))], and Retry-After is a floor."""
    backoff = Backoff(100, 2_000, rng=random.Random(1))
    for attempt in range(1, 12):
        ceiling = min(2.0, 0.1 * 2 ** (attempt - 1))
        waits = [backoff.next_delay_s(attempt) for _ in range(50)]
        assert all(0 <= w <= ceiling for w in waits)
        assert max(waits) > ceiling / 4
    assert 5.0 <= backoff.next_delay_s(3, 5.0) <= 5.5


def test_throttled_answers_halve_the_paced_rate_and_accepted_ones_restore_it() -> None:
    """With a cap set, a 429 halves the client's paced rate and accepted answers step it back."""
    answers = iter([httpx.Response(429), _ok(1), _ok(1)])
    client = _client(lambda _r: next(answers), request_rate_limit_per_s=1000.0)
    assert client.rate is not None
    with pytest.raises(ApiThrottled):
        client.send([LITERAL])
    assert client.rate.rate_per_s == pytest.approx(500.0)
    client.send([LITERAL])
    assert client.rate.rate_per_s == pytest.approx(550.0)


def test_the_lower_of_pod_and_group_cap_wins() -> None:
    """Both caps set: the ceiling is the pod cap when the group share is larger."""
    client = _client(
        lambda _r: _ok(1), request_rate_limit_per_s=2.0, connect_group_rate_limit_per_s=100.0
    )
    assert client.rate is not None
    client.rate.set_share(1, 2)
    assert client.rate.ceiling_per_s == 2.0
    assert _client(lambda _r: _ok(1)).rate is None
