"""The sandbox's createSignals API: the reference example, auth, limits, tier, sessions, storage."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from connect_sandbox.service import MAX_SIGNALS
from tests.sandbox.helpers import (
    API_KEY,
    Client,
    golden_input,
    mutation,
    sandbox_client,
)

# The two-signal example of the reference (import guide facts), "..." filled in.
REFERENCE_EXAMPLE = """mutation { createSignals(signals: [ { appKey: "app-default" identifiableAttributes: { contactKey: "AAUN-132417508" } sessionId: "OOII97671461Jgfa9999" signalContent: { signalType: "addToCart" category: "Behavior" name: "Add to cart" effect: "positive" currency: "USD" productId: "SKU-2291" productName: "Running Shoe" itemQuantity: 2 unitPrice: 39.99 discount: 7 productUrls: ["https://shop.example/p/2291", "https://shop.example/p/2291?color=blue"] } } { appKey: "app-default" identifiableAttributes: { email: "jane.doe@example.com" } signalContent: { signalType: "pageView" name: "Shoes category page" category: "Behavior" effect: "positive" url: "https://shop.example/c/shoes" pageCategory: "Shoes" } } ]) { signalIds } }"""  # noqa: E501

UNAUTHORIZED = {
    "errors": [{"message": "Unauthorized", "extensions": {"code": "401", "status": "UNAUTHORIZED"}}]
}


def _is_uuid4(value: str) -> bool:
    parsed = uuid.UUID(value)
    return parsed.version == 4 and str(parsed) == value


def _add_contact(client: Client, **attributes: str) -> dict[str, Any]:
    response = client.http.post("/admin/contacts", json=attributes)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_reference_example_is_accepted_verbatim(client: Client) -> None:
    """The reference's two-signal mutation gets one uuid4 per signal, in order."""
    _add_contact(client, contactKey="AAUN-132417508")
    status, body = client.post(REFERENCE_EXAMPLE)
    assert status == 200
    assert set(body) == {"data"}
    ids = body["data"]["createSignals"]["signalIds"]
    assert len(ids) == 2
    assert all(_is_uuid4(i) for i in ids)
    by_key = client.feed(contactKey="AAUN-132417508")
    by_email = client.feed(email="jane.doe@example.com")
    assert [s["signalId"] for s in by_key] == [ids[0]]
    assert [s["signalId"] for s in by_email] == [ids[1]]
    assert by_key[0]["signalContent"]["productUrls"][1] == "https://shop.example/p/2291?color=blue"
    assert by_key[0]["signalContent"]["unitPrice"] == 39.99
    assert by_email[0]["signalContent"]["pageCategory"] == "Shoes"


def test_reference_example_on_root_path_too(client: Client) -> None:
    """POST / answers GraphQL like POST /graphql (the real API's path is the host root)."""
    status, body = client.post(REFERENCE_EXAMPLE, path="/")
    assert status == 200
    assert len(body["data"]["createSignals"]["signalIds"]) == 2


def test_contact_key_of_unknown_contact_is_discarded_but_answered(client: Client) -> None:
    """A contactKey alone for an unknown contact gets an id, is not stored and is counted."""
    status, body = client.post(REFERENCE_EXAMPLE)
    assert status == 200
    assert len(body["data"]["createSignals"]["signalIds"]) == 2
    assert client.feed(contactKey="AAUN-132417508") == []
    signals = client.stats()["signals"]
    assert signals["accepted"] == 2
    assert signals["discarded_unknown_contact"] == 1
    assert signals["stored"] == 1


@pytest.mark.parametrize("api_key", [None, "", "wrong-key"])
def test_missing_or_wrong_api_key_is_unauthorized(client: Client, api_key: str | None) -> None:
    """A missing or wrong x-api-key gets HTTP 200 and the real API's 401 error body."""
    status, body = client.post(REFERENCE_EXAMPLE, api_key=api_key)
    assert (status, body) == (200, UNAUTHORIZED)
    assert client.stats()["requests"] == {"unauthorized": 1}
    assert client.sandbox.store.counts()["signals"] == 0


def test_api_key_header_name_is_case_insensitive(client: Client) -> None:
    """X-API-Key works like x-api-key (HTTP header names are case-insensitive)."""
    response = client.http.post(
        "/graphql", json={"query": REFERENCE_EXAMPLE}, headers={"X-API-Key": API_KEY}
    )
    assert "data" in response.json()


def test_ids_are_unique_and_in_submission_order(client: Client) -> None:
    """Every accepted signal gets its own uuid4; the feed shows them newest first."""
    inputs = [golden_input("pageView", name=f"page {n}") for n in range(20)]
    ids = client.ids(inputs)
    assert len(set(ids)) == 20
    feed = client.feed(email="jane@example.com")
    assert [s["signalId"] for s in feed] == ids[::-1]
    assert [s["signalContent"]["name"] for s in feed] == [f"page {n}" for n in range(19, -1, -1)]


def test_500_signals_accepted_501_rejected(client: Client) -> None:
    """At most 500 signals per mutation: 500 pass, 501 are rejected whole, data null."""
    signal = golden_input("pageView")
    assert len(client.ids([signal] * MAX_SIGNALS)) == MAX_SIGNALS
    status, body = client.post(mutation([signal] * (MAX_SIGNALS + 1)))
    assert status == 200
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "INVALID_ATTRIBUTE_VALUE", "category": "LIMIT"}
    assert "at most 500 signals" in error["message"]
    signals = client.stats()["signals"]
    assert signals["rejected_by_reason"] == {"too_many_signals": 501}
    assert signals["accepted"] == MAX_SIGNALS


def test_501_signals_in_the_indexed_dialect(indexed: Client) -> None:
    """The indexed dialect answers too many signals with BAD_USER_INPUT and the counts."""
    status, body = indexed.post(mutation([golden_input("pageView")] * (MAX_SIGNALS + 1)))
    assert status == 200
    assert body["data"] == {"createSignals": None}
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["signalCount"] == 501


def test_one_invalid_signal_rejects_the_whole_mutation(indexed: Client) -> None:
    """Any invalid signal rejects all; the indexed dialect lists index, field and reason."""
    inputs = [
        golden_input("addToCart"),
        golden_input("addToCart", unitPrice="39.99"),
        golden_input("order"),
        golden_input("order", currency="EURO", orderId=None),
    ]
    status, body = indexed.post(mutation(inputs))
    assert status == 200
    assert body["data"] == {"createSignals": None}
    error = body["errors"][0]
    assert error["path"] == ["createSignals"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["violations"] == [
        {"index": 1, "field": "signalContent.unitPrice", "reason": "a number is expected"},
        {"index": 3, "field": "signalContent.currency", "reason": "an ISO 4217 code is expected"},
    ]
    assert error["message"].startswith("signals[1].signalContent.unitPrice: a number is expected")
    assert indexed.sandbox.store.counts()["signals"] == 0
    assert indexed.stats()["signals"]["rejected_by_reason"] == {
        "invalid:signalContent.unitPrice": 1,
        "invalid:signalContent.currency": 1,
        "batch_rejected": 2,
    }


def test_unknown_app_key_is_rejected(indexed: Client) -> None:
    """An appKey the sandbox does not know is a violation of field appKey."""
    inputs = [{**golden_input("order"), "appKey": "no-such-app"}]
    _status, body = indexed.post(mutation(inputs))
    assert body["errors"][0]["extensions"]["violations"] == [
        {"index": 0, "field": "appKey", "reason": "not an application of this account"}
    ]
    assert indexed.stats()["signals"]["rejected_by_reason"] == {"unknown_app_key": 1}


@pytest.mark.parametrize(
    ("attributes", "field"),
    [
        ({"email": "not-an-email"}, "identifiableAttributes.email"),
        ({"sms": "0151 123456"}, "identifiableAttributes.sms"),
        ({"whatsapp": "+0151123456"}, "identifiableAttributes.whatsapp"),
        ({"email": "a@b.io", "sms": "+4915112345678"}, "identifiableAttributes"),
        ({}, "identifiableAttributes"),
    ],
)
def test_identifiable_attributes_are_checked(
    indexed: Client, attributes: dict[str, str], field: str
) -> None:
    """Exactly one attribute, a valid e-mail address or E.164 phone number."""
    inputs = [{**golden_input("order"), "identifiableAttributes": attributes}]
    _status, body = indexed.post(mutation(inputs))
    assert [v["field"] for v in body["errors"][0]["extensions"]["violations"]] == [field]


def test_pro_tier_refuses_page_view(tmp_path: Path) -> None:
    """The pro tier imports addToCart, identification, order only: pageView is not entitled."""
    with sandbox_client(tmp_path / "pro.db", tier="pro") as pro:
        assert len(pro.ids([golden_input(t) for t in ("addToCart", "identification", "order")]))
        _status, body = pro.post(mutation([golden_input("pageView")]))
        (error,) = body["errors"]
        assert error["extensions"] == {
            "code": "INVALID_ATTRIBUTE_VALUE",
            "category": "NOT_ENTITLED",
        }
        assert "pro subscription does not import pageView" in error["message"]
        assert pro.stats()["signals"]["rejected_by_reason"] == {"not_entitled": 1}


def test_session_id_is_stored_with_epoch_ms_suffix(tmp_path: Path) -> None:
    """sessionId X is stored as X.<epoch ms>; later signals of the same session join it."""
    now = [1_751_479_037.630]
    with sandbox_client(tmp_path / "s.db", clock=lambda: now[0]) as client:
        first = golden_input("pageView")
        first["sessionId"] = "OOII97671461Jgfa9999"
        client.ids([first])
        now[0] += 5
        client.ids([first, golden_input("addToCart")])
        feed = client.feed(email="jane@example.com")
        assert [s["sessionId"] for s in feed] == [
            "sess-42.1751479042630",
            "OOII97671461Jgfa9999.1751479037630",
            "OOII97671461Jgfa9999.1751479037630",
        ]
        _status, body = client.post(
            '{ sessions(email: "jane@example.com") { sessionId submittedId signalCount '
            "signals { signalType } } }"
        )
        sessions = body["data"]["sessions"]
        assert {s["sessionId"]: s["signalCount"] for s in sessions} == {
            "OOII97671461Jgfa9999.1751479037630": 2,
            "sess-42.1751479042630": 1,
        }


def test_session_shows_its_five_most_recent_signals(client: Client) -> None:
    """A session lists only its 5 most recent signals, newest first."""
    inputs = [golden_input("pageView", name=f"p{n}") for n in range(8)]
    client.ids(inputs)
    _status, body = client.post(
        '{ contact(email: "jane@example.com") { sessions { signalCount signals { name } } } }'
    )
    (session,) = body["data"]["contact"]["sessions"]
    assert session["signalCount"] == 8
    assert [s["name"] for s in session["signals"]] == ["p7", "p6", "p5", "p4", "p3"]


def test_contact_activity_feed_lists_its_newest_signals(client: Client) -> None:
    """Contact.activityFeed resolves from the contact itself: its newest signals up to limit."""
    client.ids([golden_input("pageView", name=name) for name in ("a", "b", "c")])
    _status, body = client.post(
        '{ contact(email: "jane@example.com") { activityFeed(limit: 2) { name } } }'
    )
    assert body["data"]["contact"]["activityFeed"] == [{"name": "c"}, {"name": "b"}]


def test_feed_holds_30_days_and_at_most_1000_signals(tmp_path: Path) -> None:
    """The activity feed leaves out signals older than 30 days and keeps the newest 1000."""
    now = [1_700_000_000.0]
    with sandbox_client(tmp_path / "f.db", clock=lambda: now[0]) as client:
        client.ids([golden_input("pageView", name="old")])
        now[0] += 31 * 86_400
        for _ in range(3):
            client.ids([golden_input("pageView", name="new")] * 400)
        feed = client.feed(email="jane@example.com")
        assert len(feed) == 1000
        assert {s["signalContent"]["name"] for s in feed} == {"new"}


def test_persistence_across_restart(tmp_path: Path) -> None:
    """Contacts, signals and sessions survive a restart on the same SQLite file."""
    db = tmp_path / "persist.db"
    with sandbox_client(db) as first:
        ids = first.ids([golden_input("order"), golden_input("addToCart")])
    with sandbox_client(db) as second:
        feed = second.feed(email="jane@example.com")
        assert [s["signalId"] for s in feed] == ids[::-1]
        assert feed[0]["sessionId"].startswith("sess-42.")
        assert second.sandbox.store.counts() == {"contacts": 1, "signals": 2, "sessions": 1}


def test_contacts_created_and_found_by_each_attribute(client: Client) -> None:
    """email, sms and whatsapp create a contact once and map later signals to it."""
    for attributes in ({"email": "a@b.io"}, {"sms": "+4915112345678"}, {"whatsapp": "+1415555"}):
        signal = {**golden_input("order"), "identifiableAttributes": attributes}
        client.ids([signal, signal])
    _status, body = client.post("{ sandboxContacts { email sms whatsapp signalCount } }")
    counts = {
        (c["email"], c["sms"], c["whatsapp"]): c["signalCount"]
        for c in body["data"]["sandboxContacts"]
    }
    assert counts == {
        ("a@b.io", None, None): 2,
        (None, "+4915112345678", None): 2,
        (None, None, "+1415555"): 2,
    }


def test_identification_signal_gives_the_contact_its_key(client: Client) -> None:
    """An identification by contactKey adds the key, so contactKey-only signals map to it."""
    client.ids(
        [golden_input("identification", identifierName="contactKey", identifierValue="CK-9")]
    )
    signal = {**golden_input("order"), "identifiableAttributes": {"contactKey": "CK-9"}}
    client.ids([signal])
    assert [s["signalType"] for s in client.feed(contactKey="CK-9")] == ["order", "identification"]
    assert client.stats()["signals"]["discarded_unknown_contact"] == 0


def test_variables_are_accepted(client: Client) -> None:
    """The standard body shape with typed variables works too."""
    query = (
        "mutation Import($signals: [SignalInput!]!) { createSignals(signals: $signals) "
        "{ signalIds } }"
    )
    status, body = client.post(query, {"signals": [golden_input("order")]})
    assert status == 200
    assert len(body["data"]["createSignals"]["signalIds"]) == 1


def test_graphql_type_errors_name_the_signal(client: Client, indexed: Client) -> None:
    """A literal the schema rejects: GRAPHQL_VALIDATION_FAILED, the index only when indexed."""
    good = mutation([golden_input("order")])[
        len("mutation{createSignals(signals:[") : -len("]){signalIds}}")
    ]
    query = f"mutation {{ createSignals(signals: [{good} {{appKey: 5}}]) {{ signalIds }} }}"
    status, body = indexed.post(query)
    assert status == 400
    codes = {e["extensions"]["code"] for e in body["errors"]}
    assert codes == {"GRAPHQL_VALIDATION_FAILED"}
    assert {e["extensions"]["index"] for e in body["errors"]} == {1}
    assert indexed.stats()["requests"] == {"invalid": 1}
    status, body = client.post(query)
    assert status == 400
    assert all(e["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"} for e in body["errors"])


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"not json", "BAD_REQUEST"),
        (b'{"variables": {}}', "BAD_REQUEST"),
        (b'{"query": "mutation {"}', "GRAPHQL_PARSE_FAILED"),
        (b'{"query": "{ nope }"}', "GRAPHQL_VALIDATION_FAILED"),
    ],
)
def test_malformed_requests_get_400(client: Client, body: bytes, code: str) -> None:
    """Bodies that are not GraphQL requests and invalid documents are answered 400."""
    response = client.http.post("/graphql", content=body, headers={"x-api-key": API_KEY})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == code


def test_benchmark_mode_validates_but_stores_nothing(tmp_path: Path) -> None:
    """--benchmark still rejects invalid signals, accepts valid ones and stores only counters."""
    with sandbox_client(tmp_path / "b.db", benchmark=True) as client:
        assert len(client.ids([golden_input("order")] * 3)) == 3
        _status, body = client.post(mutation([golden_input("order", currency="EURO")]))
        assert body["errors"][0]["extensions"]["code"] == "INVALID_ATTRIBUTE_VALUE"
        assert client.sandbox.store.counts()["signals"] == 0
        assert client.stats()["signals"]["accepted"] == 3
        assert client.stats()["signals"]["rejected"] == 1


def test_unknown_fields_pass_through_even_huge_integers(client: Client) -> None:
    """Fields a type does not list are stored as sent, integers beyond 64 bits included."""
    signal = golden_input("pageView", loyaltyTier="gold", bigNumber=12345678901234567890123)
    (signal_id,) = client.ids([signal])
    (shown,) = client.feed(email="jane@example.com")
    assert shown["signalId"] == signal_id
    assert shown["signalContent"]["loyaltyTier"] == "gold"
    assert shown["signalContent"]["bigNumber"] == 12345678901234567890123


def test_contact_list_is_sandbox_contacts_not_connects_contacts(client: Client) -> None:
    """Connect's real contacts query has another shape: the sandbox's list has its own name."""
    client.ids([golden_input("pageView")])
    status, body = client.post("{ contacts { id } }")
    assert status == 400
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    _status, body = client.post("{ sandboxContacts { email signalCount } }")
    assert body["data"]["sandboxContacts"] == [{"email": "jane@example.com", "signalCount": 1}]
