"""The sandbox's web page: contacts at ``/``, a contact's activity feed and sessions at
``/contacts/{id}``. Server-rendered HTML, no scripts; nothing is masked (it is the user's own
sandbox), everything is HTML-escaped.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any, Final

from connect_sandbox.schema import iso_ms
from connect_sandbox.store import ContactRow, SessionRow, SignalRow
from connect_sandbox.validation import missing_fields

__all__ = ["contact_page", "index_page", "not_found_page"]

_STYLE: Final = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1d2630}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border-bottom:1px solid #d8dee4;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f5f7}pre{margin:0;white-space:pre-wrap;font-size:.8rem}
.warning{color:#9a4a00;margin:0 0 .3rem}
.muted{color:#66727f}.session{border:1px solid #d8dee4;padding:.5rem 1rem;margin:1rem 0}
"""


def _text(value: Any) -> str:
    return "" if value is None else escape(str(value))


def _layout(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def index_page(contacts: list[ContactRow], counts: dict[str, int], stats: dict[str, Any]) -> str:
    """The list of contacts."""
    signals = stats.get("signals", {})
    summary = (
        f'<p class="muted" id="summary">{counts.get("contacts", 0)} contacts, '
        f"{counts.get('signals', 0)} stored signals, {counts.get('sessions', 0)} sessions. "
        f"Since start: {signals.get('accepted', 0)} signals accepted, "
        f"{signals.get('rejected', 0)} rejected, "
        f"{signals.get('discarded_unknown_contact', 0)} discarded (unknown contact key).</p>"
    )
    if not contacts:
        rows = '<p id="no-contacts">No contacts yet: send a createSignals mutation.</p>'
    else:
        lines = "".join(
            '<tr class="contact">'
            f'<td><a href="/contacts/{escape(c.id)}">{escape(c.id)}</a></td>'
            f"<td>{_text(c.contact_key)}</td><td>{_text(c.email)}</td>"
            f"<td>{_text(c.sms)}</td><td>{_text(c.whatsapp)}</td>"
            f"<td>{c.signal_count}</td>"
            f"<td>{'' if c.last_activity_ms is None else iso_ms(c.last_activity_ms)}</td></tr>"
            for c in contacts
        )
        rows = (
            '<table id="contacts"><thead><tr><th>Contact</th><th>Contact key</th><th>Email</th>'
            "<th>SMS</th><th>WhatsApp</th><th>Signals</th><th>Last activity</th></tr></thead>"
            f"<tbody>{lines}</tbody></table>"
        )
    body = (
        "<h1>Connect sandbox: contacts</h1>"
        f"{summary}{_doubtful(stats.get('may_be_discarded', {}))}{rows}"
        '<p class="muted">GraphQL endpoint: POST /graphql &middot; '
        '<a href="/admin/stats">counters</a></p>'
    )
    return _layout("Connect sandbox", body)


def _doubtful(reported: dict[str, Any]) -> str:
    """Accepted signals lacking a documented required field (Connect may drop them later)."""
    total = reported.get("total", 0)
    if not total:
        return ""
    lines = "".join(
        f'<tr class="doubtful"><td>{escape(r["signalId"])}</td><td>{escape(r["signalType"])}</td>'
        f"<td>{escape(', '.join(r['missing']))}</td></tr>"
        for r in reversed(reported.get("recent", []))
    )
    return (
        f'<h2 id="may-be-discarded">{total} accepted signals may be discarded by Connect</h2>'
        '<p class="muted">They lack a field the documentation calls required; Connect answers '
        "them with an id but may drop them afterwards. The latest:</p>"
        '<table id="doubtful"><thead><tr><th>Signal</th><th>Type</th><th>Missing</th></tr>'
        f"</thead><tbody>{lines}</tbody></table>"
    )


def _warning(content: dict[str, Any]) -> str:
    missing = missing_fields(content)
    if not missing:
        return ""
    return f'<p class="warning">may be discarded by Connect: no {escape(", ".join(missing))}</p>'


def _signal_rows(signals: list[SignalRow] | tuple[SignalRow, ...], css_id: str) -> str:
    if not signals:
        return '<p class="muted">No signals.</p>'
    lines = "".join(
        f'<tr class="signal" data-signal-id="{escape(s.id)}">'
        f'<td>{iso_ms(s.received_ms)}</td><td class="signal-type">{escape(s.signal_type)}</td>'
        f"<td>{_text(s.name)}</td><td>{_text(s.session_id)}</td><td>{escape(s.app_key)}</td>"
        f"<td>{escape(s.identified_by)}</td><td>{'yes' if s.test else ''}</td>"
        f"<td>{_warning(s.content)}"
        f"<pre>{escape(json.dumps(s.content, indent=1, ensure_ascii=False))}</pre></td></tr>"
        for s in signals
    )
    return (
        f'<table id="{css_id}"><thead><tr><th>Received</th><th>Type</th><th>Name</th>'
        "<th>Session</th><th>App key</th><th>Mapped by</th><th>Test</th><th>signalContent</th>"
        f"</tr></thead><tbody>{lines}</tbody></table>"
    )


def contact_page(contact: ContactRow, feed: list[SignalRow], sessions: list[SessionRow]) -> str:
    """One contact: attributes, activity feed (newest first) and sessions."""
    attributes = "".join(
        f"<tr><th>{label}</th><td>{_text(value)}</td></tr>"
        for label, value in (
            ("Contact", contact.id),
            ("Contact key", contact.contact_key),
            ("Email", contact.email),
            ("SMS", contact.sms),
            ("WhatsApp", contact.whatsapp),
            ("Created", iso_ms(contact.created_ms)),
        )
    )
    session_blocks = (
        "".join(
            f'<div class="session" data-session-id="{escape(s.session_id)}">'
            f'<h3>Session {escape(s.session_id)}</h3><p class="muted">{s.signal_count} signals, '
            f"{iso_ms(s.started_ms)} to {iso_ms(s.last_ms)}, app {escape(s.app_key)}; "
            f"the 5 most recent:</p>{_signal_rows(s.signals, 'session-' + escape(s.session_id))}"
            "</div>"
            for s in sessions
        )
        or '<p class="muted">No sessions.</p>'
    )
    body = (
        '<p><a href="/">&larr; contacts</a></p>'
        f"<h1>Contact {escape(contact.id)}</h1>"
        f'<table id="attributes">{attributes}</table>'
        f"<h2>Activity feed ({len(feed)} signals: the last 1000 or 30 days, newest first)</h2>"
        f"{_signal_rows(feed, 'feed')}"
        f"<h2>Sessions ({len(sessions)})</h2>{session_blocks}"
    )
    return _layout(f"Contact {contact.id}", body)


def not_found_page(what: str) -> str:
    """A 404 page."""
    return _layout(
        "Not found", f'<h1>Not found</h1><p>{escape(what)}</p><p><a href="/">home</a></p>'
    )
