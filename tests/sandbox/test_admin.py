"""Admin endpoints (stats, reset, contacts) and the server-rendered page."""

from __future__ import annotations

from connect_sandbox.stats import PER_SECOND_WINDOW, Stats
from tests.sandbox.helpers import Client, golden_input, mutation


def test_stats_account_for_every_signal(client: Client) -> None:
    """received == accepted + rejected, by outcome and by reason, across mixed requests."""
    client.ids([golden_input("order"), golden_input("pageView")])
    client.post(mutation([golden_input("order"), golden_input("order", currency="x")]))
    client.post(mutation([golden_input("order")]), api_key="nope")
    client.post("{ sandboxContacts { id } }")
    stats = client.stats()
    assert stats["requests"] == {"ok": 1, "rejected": 1, "unauthorized": 1, "query": 1}
    assert stats["requests_total"] == 4
    assert stats["mutations"] == {"accepted": 1, "rejected": 1}
    signals = stats["signals"]
    assert signals["received"] == 4
    assert signals["accepted"] + signals["rejected"] == signals["received"]
    assert signals["rejected_by_reason"] == {
        "invalid:signalContent.currency": 1,
        "batch_rejected": 1,
    }
    assert signals["stored"] == 2
    assert stats["stored"] == {"contacts": 1, "signals": 2, "sessions": 1}
    assert stats["tier"] == "premium"
    assert stats["faults_active"]["throttle_rate"] == 0.0


def test_reset_clears_counters_and_data_when_asked(client: Client) -> None:
    """POST /admin/reset zeroes the counters; with data=true it also empties the database."""
    client.ids([golden_input("order")])
    assert client.http.post("/admin/reset").json() == {"reset": True, "data": False}
    assert client.stats()["signals"]["accepted"] == 0
    assert client.sandbox.store.counts()["signals"] == 1
    assert client.http.post("/admin/reset", json={"data": True}).status_code == 200
    assert client.sandbox.store.counts() == {"contacts": 0, "signals": 0, "sessions": 0}
    assert client.http.post("/admin/reset", json={"data": "yes"}).status_code == 400


def test_admin_contacts_creates_once(client: Client) -> None:
    """POST /admin/contacts creates a contact, or returns the one that holds a value."""
    first = client.http.post("/admin/contacts", json={"contactKey": "CK-1", "email": "a@b.io"})
    again = client.http.post("/admin/contacts", json={"email": "a@b.io"})
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["contactKey"] == "CK-1"
    assert client.http.post("/admin/contacts", json={"phone": "1"}).status_code == 400
    assert client.http.post("/admin/contacts", json={}).status_code == 400


def test_page_lists_contacts_and_shows_a_contact(client: Client) -> None:
    """GET / lists contacts unmasked; GET /contacts/{id} shows the feed and sessions."""
    empty = client.http.get("/")
    assert empty.status_code == 200
    assert "No contacts yet" in empty.text
    client.ids([golden_input("addToCart"), golden_input("order")])
    page = client.http.get("/").text
    assert "jane@example.com" in page
    _status, body = client.post("{ sandboxContacts { id } }")
    contact_id = body["data"]["sandboxContacts"][0]["id"]
    assert f'href="/contacts/{contact_id}"' in page
    detail = client.http.get(f"/contacts/{contact_id}")
    assert detail.status_code == 200
    assert detail.text.count('class="signal"') == 4  # feed (2) + the session's signals (2)
    assert "addToCart" in detail.text
    assert "ORD-7788" in detail.text
    assert "sess-42." in detail.text


def test_page_escapes_html(client: Client) -> None:
    """Values are HTML-escaped on the page."""
    client.ids([golden_input("pageView", name="<script>alert(1)</script>")])
    _status, body = client.post("{ sandboxContacts { id } }")
    detail = client.http.get(f"/contacts/{body['data']['sandboxContacts'][0]['id']}").text
    assert "<script>alert(1)</script>" not in detail
    assert "&lt;script&gt;" in detail


def test_unknown_contact_page_is_404(client: Client) -> None:
    """GET /contacts/<unknown> is a 404 page."""
    assert client.http.get("/contacts/nope").status_code == 404


def test_requests_per_second_counts_every_request_by_clock_second() -> None:
    """Requests of any outcome count under their wall-clock second; old seconds fall out."""
    now = [1000.2]
    stats = Stats(clock=lambda: now[0])
    stats.request("ok")
    stats.request("throttled")
    now[0] = 1001.9
    stats.request("ok")
    assert stats.snapshot()["requests_per_second"] == {"1000": 2, "1001": 1}
    for second in range(PER_SECOND_WINDOW):
        now[0] = 2000.0 + second
        stats.request("ok")
    per_second = stats.snapshot()["requests_per_second"]
    assert len(per_second) == PER_SECOND_WINDOW
    assert "1000" not in per_second
    stats.reset()
    assert stats.snapshot()["requests_per_second"] == {}
