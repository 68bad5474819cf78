"""The error dialects and the Connect-style faults, answer by answer (reference section 9)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connect_sandbox.dialect import MAX_ENTRIES
from connect_sandbox.faults import FaultInjector, FaultKind, Faults
from tests.sandbox.helpers import API_KEY, Client, golden_input, mutation, sandbox_client

KEY = {"x-api-key": API_KEY}


def _location(query: str) -> list[dict[str, int]]:
    return [{"line": 1, "column": query.index("createSignals") + 1}]


def test_realistic_rejection_is_data_null_with_a_domain_code_and_no_index(client: Client) -> None:
    """One bad signal among good ones: 200, data null, one error naming field and value only."""
    inputs = [golden_input("addToCart")] * 3 + [golden_input("addToCart", unitPrice="39.99")]
    query = mutation(inputs)
    status, body = client.post(query)
    assert status == 200
    assert body == {
        "data": None,
        "errors": [
            {
                "message": 'Field unitPrice has invalid value: "39.99". Category: TYPE. '
                "Message: a number is expected",
                "locations": _location(query),
                "path": ["createSignals"],
                "extensions": {"code": "INVALID_ATTRIBUTE_VALUE", "category": "TYPE"},
            }
        ],
    }
    assert client.sandbox.store.counts()["signals"] == 0
    assert client.stats()["requests"] == {"rejected": 1}


def test_realistic_phone_rejection_reads_like_connects(client: Client) -> None:
    """The reference's own example: a phone number with dashes is PHONE_FORMAT, value quoted."""
    bad = {**golden_input("order"), "identifiableAttributes": {"sms": "211-411-5555"}}
    _status, body = client.post(mutation([bad]))
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "INVALID_ATTRIBUTE_VALUE", "category": "PHONE_FORMAT"}
    assert error["message"].startswith(
        'Field identifiableAttributes.sms has invalid value: "211-411-5555". '
        "Category: PHONE_FORMAT. Message: "
    )


def test_unknown_signal_type_is_attribute_not_defined(client: Client) -> None:
    """A signalType Connect does not define: ATTRIBUTE_NOT_DEFINED (no category), value named."""
    _status, body = client.post(mutation([golden_input("pageView", signalType="purchase")]))
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "ATTRIBUTE_NOT_DEFINED"}
    assert '"purchase"' in error["message"]
    assert "signalType" in error["message"]


def test_one_entry_per_refused_signal_at_most_max_entries(client: Client) -> None:
    """Each refused signal gets its own errors[] entry, none with an index, capped."""
    bad = golden_input("addToCart", currency="EURO")
    _status, body = client.post(mutation([bad] * (MAX_ENTRIES + 5)))
    assert body["data"] is None
    assert len(body["errors"]) == MAX_ENTRIES
    text = json.dumps(body["errors"])
    assert "index" not in text
    assert "signals[" not in text
    assert client.stats()["signals"]["rejected"] == MAX_ENTRIES + 5


def test_slow_path_rejection_has_the_same_shape(client: Client) -> None:
    """A mutation with variables (graphql-core executes it) is refused in the same words."""
    query = "mutation Send($s: [SignalInput!]!) { createSignals(signals: $s) { signalIds } }"
    status, body = client.post(query, {"s": [golden_input("addToCart", unitPrice="39.99")]})
    assert status == 200
    assert body["data"] is None
    (error,) = body["errors"]
    assert set(error) == {"message", "locations", "path", "extensions"}
    assert error["path"] == ["createSignals"]
    assert error["extensions"] == {"code": "INVALID_ATTRIBUTE_VALUE", "category": "TYPE"}


def test_dialect_switches_at_runtime(client: Client) -> None:
    """POST /admin/settings picks the indexed dialect; unknown values or keys are refused."""
    assert client.http.get("/admin/settings").json() == {"error_dialect": "realistic"}
    switched = client.http.post("/admin/settings", json={"error_dialect": "indexed"})
    assert switched.json() == {"error_dialect": "indexed"}
    _status, body = client.post(mutation([golden_input("addToCart", unitPrice="x")]))
    assert body["data"] == {"createSignals": None}
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["violations"][0]["index"] == 0
    assert client.stats()["error_dialect"] == "indexed"
    for bad in ({"error_dialect": "friendly"}, {"dialect": "indexed"}):
        assert client.http.post("/admin/settings", json=bad).status_code == 400
    assert client.http.get("/admin/settings").json() == {"error_dialect": "indexed"}


def test_rate_limit_is_cosmos_answer_in_a_200(tmp_path: Path) -> None:
    """RATE_LIMIT_EXCEEDED in a 200 with rateLimit hints in ms, no header, nothing processed."""
    faults = Faults(rate_limit_next=2, retry_after_s=2.0)
    with sandbox_client(tmp_path / "r.db", faults=faults) as client:
        response = client.http.post(
            "/graphql", json={"query": mutation([golden_input("order")])}, headers=KEY
        )
        assert response.status_code == 200
        assert response.json() == {
            "errors": [
                {
                    "message": "Rate limit exceeded for Subgraph 'signals'",
                    "extensions": {"code": "RATE_LIMIT_EXCEEDED"},
                }
            ],
            "extensions": {"rateLimit": {"retryAfterMs": 2000, "resetAfterMs": 2000}},
        }
        assert "retry-after" not in response.headers
        assert client.sandbox.faults.state()["rate_limit_next_left"] == 1
        client.post(mutation([golden_input("order")]))
        assert len(client.ids([golden_input("order")])) == 1  # the third is answered
        stats = client.stats()
        assert stats["faults"] == {"rate_limit": 2}
        assert stats["requests"] == {"rate_limited": 2, "ok": 1}
        assert stats["signals"]["received"] == 1


def test_gateway_timeout_processes_then_answers_the_gateway_body(tmp_path: Path) -> None:
    """A gateway timeout: the mutation is processed, the answer is API Gateway's 504 body."""
    faults = Faults(gateway_timeout_next=1, gateway_timeout_s=0.0)
    with sandbox_client(tmp_path / "g.db", faults=faults) as client:
        response = client.http.post(
            "/graphql", json={"query": mutation([golden_input("order")])}, headers=KEY
        )
        assert response.status_code == 504
        assert response.json() == {"message": "Endpoint request timed out"}
        assert client.sandbox.store.counts()["signals"] == 1
        assert client.stats()["faults"] == {"gateway_timeout": 1}


def test_gateway_timeout_holds_for_the_configured_time() -> None:
    """The hold before the 504 is gateway_timeout_s (29 s by default, API Gateway's limit)."""
    assert Faults().gateway_timeout_s == 29.0
    decision = FaultInjector(Faults(gateway_timeout_next=1, gateway_timeout_s=7.5)).decide()
    assert (decision.kind, decision.status, decision.hold_s) == (
        FaultKind.GATEWAY_TIMEOUT,
        504,
        7.5,
    )


def test_new_fault_rates_share_the_draw() -> None:
    """rate_limit_rate and gateway_timeout_rate are shares of requests like the other rates."""
    injector = FaultInjector(Faults(rate_limit_rate=0.3, gateway_timeout_rate=0.2), seed=5)
    kinds = [injector.decide().kind for _ in range(2000)]
    assert 500 <= kinds.count(FaultKind.RATE_LIMIT) <= 700
    assert 300 <= kinds.count(FaultKind.GATEWAY_TIMEOUT) <= 500


@pytest.mark.parametrize(
    "bad",
    [
        {"rate_limit_rate": 0.7, "throttle_rate": 0.7},
        {"gateway_timeout_s": -1},
        {"rate_limit_next": 1.5},
    ],
)
def test_new_fault_settings_are_checked(client: Client, bad: dict[str, Any]) -> None:
    """POST /admin/faults refuses impossible rate-limit and gateway-timeout settings."""
    assert client.http.post("/admin/faults", json=bad).status_code == 400
