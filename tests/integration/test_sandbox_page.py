"""The sandbox page in a real browser: headless Chromium shows the imported signals."""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from consumer.signals.graphql_literal import build_mutation, encode_input
from tests.fixtures.sandbox import SandboxHandle

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")


def dump_dom(url: str, profile: Path) -> str:
    """The DOM of ``url`` after load, as headless Chromium serialises it."""
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing (Debian package chromium; make browser)")
    result = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _signal(email: str, signal_type: str, **content: object) -> dict[str, object]:
    return {
        "appKey": "test-app",
        "identifiableAttributes": {"email": email},
        "sessionId": "browser-session-1",
        "signalContent": {"signalType": signal_type, "category": "Behavior", **content},
    }


def test_page_shows_contact_and_its_signals(fresh_sandbox: SandboxHandle, tmp_path: Path) -> None:
    """After a createSignals mutation the page lists the contact; its page lists the signals."""
    email = f"browser-{uuid.uuid4().hex[:8]}@example.com"
    inputs = [
        _signal(
            email,
            "addToCart",
            name="Cart add",
            currency="EUR",
            productId="SKU-1001",
            productName="Trail Shoe",
            itemQuantity=1,
            unitPrice=89.5,
        ),
        _signal(email, "pageView", name="Help page", url="https://shop.example/help"),
    ]
    body = fresh_sandbox.graphql(build_mutation([encode_input(i) for i in inputs]))
    ids = body["data"]["createSignals"]["signalIds"]
    assert len(ids) == 2
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)

    index = dump_dom(fresh_sandbox.base_url + "/", tmp_path / "profile")
    assert email in index
    match = re.search(r'href="/contacts/([0-9a-f-]{36})"', index)
    assert match is not None, index[:2000]

    detail = dump_dom(f"{fresh_sandbox.base_url}/contacts/{match.group(1)}", tmp_path / "profile")
    assert email in detail
    for signal_id in ids:
        assert f'data-signal-id="{signal_id}"' in detail
    feed = detail.split('id="feed"', 1)[1].split("</table>", 1)[0]
    assert feed.index("pageView") < feed.index("addToCart")  # newest first
    assert "Trail Shoe" in detail
    assert re.search(r"browser-session-1\.\d{13}", detail)
