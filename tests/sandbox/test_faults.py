"""Fault injection: the settings, the seeded decisions, and each mode over HTTP."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from connect_sandbox.faults import FaultInjector, FaultKind, Faults
from tests.sandbox.helpers import API_KEY, Client, golden_input, mutation, sandbox_client

QUERY = mutation([golden_input("order")])
KEY = {"x-api-key": API_KEY}


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _kinds(injector: FaultInjector, count: int) -> Counter[str]:
    return Counter(str(injector.decide().kind) for _ in range(count))


def test_defaults_inject_nothing() -> None:
    """Without settings every request is answered normally, with no delay."""
    injector = FaultInjector()
    decisions = {injector.decide() for _ in range(100)}
    assert len(decisions) == 1
    (decision,) = decisions
    assert (decision.kind, decision.status, decision.latency_s, decision.hold_s) == (
        None,
        200,
        0.0,
        0.0,
    )


def test_rates_are_repeatable_with_the_same_seed() -> None:
    """The same seed and settings give the same sequence; replacing the settings re-seeds."""
    faults = Faults(throttle_rate=0.2, error_rate=0.1, unavailable_rate=0.1, timeout_rate=0.1)
    one, two = FaultInjector(faults, seed=3), FaultInjector(faults, seed=3)
    first = [one.decide() for _ in range(200)]
    assert first == [two.decide() for _ in range(200)]
    assert len(set(first)) > 1  # the sequence varies, so equal sequences mean something
    one.replace(faults)
    assert [one.decide() for _ in range(200)] == first


def test_rates_are_roughly_honoured() -> None:
    """Each rate is the share of requests that get that fault."""
    faults = Faults(throttle_rate=0.2, error_rate=0.1, unavailable_rate=0.1, timeout_rate=0.1)
    kinds = _kinds(FaultInjector(faults, seed=1), 5000)
    assert 900 <= kinds["throttle"] <= 1100
    for kind in ("error", "unavailable", "timeout"):
        assert 400 <= kinds[kind] <= 600
    assert 2250 <= kinds["None"] <= 2750


def test_throttle_next_throttles_exactly_n_requests() -> None:
    """throttle_next=3: the next three requests get 429 with Retry-After, then none."""
    injector = FaultInjector(Faults(throttle_next=3, retry_after_s=1.5))
    decisions = [injector.decide() for _ in range(5)]
    assert [d.status for d in decisions] == [429, 429, 429, 200, 200]
    assert decisions[0].retry_after_s == 2  # whole seconds, rounded up
    assert injector.state()["throttle_next_left"] == 0


def test_outage_window_ends() -> None:
    """outage_s: 503 for that many seconds from when it was set, then normal answers."""
    clock = FakeClock()
    injector = FaultInjector(Faults(outage_s=10), clock=clock)
    assert injector.decide().kind is FaultKind.OUTAGE
    clock.now += 9.9
    assert injector.decide().status == 503
    assert injector.state()["outage_left_s"] == pytest.approx(0.1)
    clock.now += 0.2
    assert injector.decide().kind is None


@pytest.mark.parametrize(
    "bad",
    [
        {"throttle_rate": 1.5},
        {"error_rate": -0.1},
        {"throttle_rate": 0.6, "error_rate": 0.6},
        {"latency_ms": -1},
        {"outage_mode": "sometimes"},
        {"throttle_next": 1.5},
        {"throttle_next": True},
        {"unknown_fault": 1},
    ],
)
def test_invalid_settings_are_refused(bad: dict[str, Any]) -> None:
    """Out-of-range rates, negative delays, unknown modes and unknown names raise ValueError."""
    with pytest.raises(ValueError):
        Faults.from_mapping(bad)


@pytest.mark.parametrize(
    ("faults", "status", "code", "outcome"),
    [
        (Faults(throttle_rate=1.0, retry_after_s=2), 429, "429", "throttled"),
        (Faults(throttle_next=1), 429, "429", "throttled"),
        (Faults(error_rate=1.0), 500, "500", "error"),
        (Faults(unavailable_rate=1.0), 503, "503", "unavailable"),
        (Faults(outage_s=60), 503, "503", "outage"),
    ],
)
def test_fault_answers(
    tmp_path: Path, faults: Faults, status: int, code: str, outcome: str
) -> None:
    """Each fault answers its status with a GraphQL error body and stores nothing."""
    with sandbox_client(tmp_path / "f.db", faults=faults) as client:
        response = client.http.post("/graphql", json={"query": QUERY}, headers=KEY)
        assert response.status_code == status
        assert response.json()["errors"][0]["extensions"]["code"] == code
        if status == 429:
            assert int(response.headers["Retry-After"]) >= 1
        stats = client.stats()
        assert stats["requests"] == {outcome: 1}
        assert sum(stats["faults"].values()) == 1
        assert client.sandbox.store.counts()["signals"] == 0
        assert stats["signals"]["received"] == 0


def test_timeout_processes_then_answers_late(tmp_path: Path) -> None:
    """timeout_rate: the work is done, the answer comes only after timeout_delay_s."""
    faults = Faults(timeout_rate=1.0, timeout_delay_s=0.3)
    with sandbox_client(tmp_path / "t.db", faults=faults) as client:
        started = time.monotonic()
        status, body = client.post(QUERY)
        assert time.monotonic() - started >= 0.3
        assert status == 200
        assert len(body["data"]["createSignals"]["signalIds"]) == 1
        assert client.stats()["faults"] == {"timeout": 1}
        assert client.sandbox.store.counts()["signals"] == 1


def test_latency_is_added_to_every_request(tmp_path: Path) -> None:
    """latency_ms delays each GraphQL answer and is counted."""
    with sandbox_client(tmp_path / "l.db", faults=Faults(latency_ms=150)) as client:
        started = time.monotonic()
        for _ in range(2):
            assert client.post(QUERY)[0] == 200
        assert time.monotonic() - started >= 0.3
        assert client.stats()["faults"] == {"latency": 2}


def test_faults_apply_to_graphql_only(tmp_path: Path) -> None:
    """The page and the admin endpoints are never throttled."""
    with sandbox_client(tmp_path / "a.db", faults=Faults(throttle_rate=1.0)) as client:
        assert client.http.get("/").status_code == 200
        assert client.http.get("/admin/stats").status_code == 200


def test_faults_endpoint_replaces_settings(client: Client) -> None:
    """POST /admin/faults replaces the settings (unset fields: no fault); {} clears them."""
    response = client.http.post("/admin/faults", json={"throttle_next": 2, "retry_after_s": 1})
    assert response.status_code == 200
    assert response.json()["throttle_next_left"] == 2
    assert [client.post(QUERY)[0] for _ in range(3)] == [429, 429, 200]
    client.http.post("/admin/faults", json={"error_rate": 1.0})
    assert client.post(QUERY)[0] == 500
    client.http.post("/admin/faults", json={})
    assert client.post(QUERY)[0] == 200
    assert client.http.get("/admin/faults").json()["error_rate"] == 0.0
    assert client.stats()["faults"] == {"throttle": 2, "error": 1}


@pytest.mark.parametrize(
    "body",
    [{"throttle_rate": 2}, {"outage_s": 5, "outage_mode": "refuse"}, [1], "x"],
)
def test_faults_endpoint_refuses_bad_settings(client: Client, body: Any) -> None:
    """Invalid settings and in-process 'refuse' outages get 400 and change nothing."""
    response = client.http.post("/admin/faults", json=body)
    assert response.status_code == 400
    assert "error" in response.json()
    assert client.post(QUERY)[0] == 200


PAIR = [golden_input("order"), golden_input("order", orderId="O-2")]


@pytest.mark.parametrize(
    ("faults", "expected"),
    [
        (Faults(wrong_count_next=1), lambda ids: len(ids) == 1 and None not in ids),
        (Faults(null_id_next=1), lambda ids: len(ids) == 2 and ids[0] is None and ids[1]),
    ],
)
def test_answer_faults_spoil_the_ids_of_stored_signals(
    tmp_path: Path, faults: Faults, expected: Any
) -> None:
    """wrong_count_next / null_id_next: both signals stored, the ids wrong once, then right."""
    with sandbox_client(tmp_path / "ids.db", faults=faults) as client:
        body = client.create(PAIR)
        assert "errors" not in body, body
        assert expected(body["data"]["createSignals"]["signalIds"])
        assert client.sandbox.store.counts()["signals"] == 2
        assert len(client.ids(PAIR)) == 2
        assert None not in client.ids(PAIR)
        assert sum(client.stats()["faults"].values()) == 1


def test_answer_faults_wait_for_an_accepted_mutation(tmp_path: Path) -> None:
    """A refused mutation does not use up wrong_count_next: the next accepted one gets it."""
    with sandbox_client(tmp_path / "wait.db", faults=Faults(wrong_count_next=1)) as client:
        refused = client.create([golden_input("order", currency="EURO")])
        assert refused["data"] is None
        assert client.http.get("/admin/faults").json()["wrong_count_next_left"] == 1
        assert len(client.ids(PAIR)) == 1


def test_retry_after_zero_is_sent_as_zero(tmp_path: Path) -> None:
    """retry_after_s=0 with throttle_next: 429 with ``Retry-After: 0`` (a client must floor it)."""
    faults = Faults(throttle_next=1, retry_after_s=0)
    with sandbox_client(tmp_path / "zero.db", faults=faults) as client:
        response = client.http.post("/graphql", json={"query": QUERY}, headers=KEY)
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "0"
