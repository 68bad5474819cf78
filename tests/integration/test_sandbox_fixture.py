"""The sandbox subprocess behind the ``sandbox`` fixture: faults, stats, reset, feed, outage."""

from __future__ import annotations

import copy
import time
from typing import Any

import httpx
import pytest

from consumer.signals.graphql_literal import build_mutation, encode_input
from tests.fixtures.sandbox import SandboxHandle

pytestmark = pytest.mark.integration

SIGNAL = {
    "appKey": "test-app",
    "identifiableAttributes": {"email": "fixture@example.com"},
    "signalContent": {
        "signalType": "order",
        "category": "Behavior",
        "name": "Order",
        "effect": "positive",
        "orderId": "ORD-1",
        "currency": "USD",
    },
}
MUTATION = build_mutation([encode_input(SIGNAL)])


def _post(sandbox: SandboxHandle) -> httpx.Response:
    return httpx.post(
        sandbox.url, json={"query": MUTATION}, headers={"x-api-key": sandbox.api_key}, timeout=10
    )


def test_throttle_next_and_stats(fresh_sandbox: SandboxHandle) -> None:
    """set_faults(throttle_next=3) answers three 429s with Retry-After, then accepts."""
    fresh_sandbox.set_faults(throttle_next=3, retry_after_s=1)
    answers = [_post(fresh_sandbox) for _ in range(4)]
    assert [a.status_code for a in answers] == [429, 429, 429, 200]
    assert answers[0].headers["Retry-After"] == "1"
    stats = fresh_sandbox.stats()
    assert stats["faults"] == {"throttle": 3}
    assert stats["signals"]["accepted"] == 1
    assert len(fresh_sandbox.feed(email="fixture@example.com")) == 1
    fresh_sandbox.reset()
    assert fresh_sandbox.stats()["signals"]["accepted"] == 0
    assert len(fresh_sandbox.feed(email="fixture@example.com")) == 1  # data kept


def test_refused_outage_restarts_on_the_same_port_and_db(fresh_sandbox: SandboxHandle) -> None:
    """outage(s) refuses connections for s seconds; afterwards the data is still there."""
    assert _post(fresh_sandbox).status_code == 200
    restarted = fresh_sandbox.outage(1.0)
    with pytest.raises(httpx.ConnectError):
        _post(fresh_sandbox)
    restarted.join(60)
    assert fresh_sandbox.running
    assert _post(fresh_sandbox).status_code == 200
    assert len(fresh_sandbox.feed(email="fixture@example.com")) == 2


def test_503_outage_window(fresh_sandbox: SandboxHandle) -> None:
    """set_faults(outage_s=...) answers 503 during the window, then normally."""
    fresh_sandbox.set_faults(outage_s=1.0)
    assert _post(fresh_sandbox).status_code == 503
    time.sleep(1.1)
    assert _post(fresh_sandbox).status_code == 200
    assert fresh_sandbox.stats()["faults"] == {"outage": 1}


BAD_SIGNAL: dict[str, Any] = copy.deepcopy(SIGNAL)
BAD_SIGNAL["signalContent"]["currency"] = "EURO"
BAD_MUTATION = build_mutation([encode_input(BAD_SIGNAL)])


def test_fresh_sandbox_speaks_the_realistic_dialect(fresh_sandbox: SandboxHandle) -> None:
    """By default a refused mutation is data null with a domain code and no index."""
    body = fresh_sandbox.graphql(BAD_MUTATION)
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {
        "code": "INVALID_ATTRIBUTE_VALUE",
        "category": "CURRENCY_FORMAT",
    }


@pytest.mark.parametrize("fresh_sandbox", ["indexed"], indirect=True)
def test_fresh_sandbox_takes_the_indexed_dialect(fresh_sandbox: SandboxHandle) -> None:
    """Indirect parametrization picks the indexed dialect (BAD_USER_INPUT with indexes)."""
    body = fresh_sandbox.graphql(BAD_MUTATION)
    assert body["data"] == {"createSignals": None}
    (violation,) = body["errors"][0]["extensions"]["violations"]
    assert violation["index"] == 0
    assert fresh_sandbox.error_dialect == "indexed"
