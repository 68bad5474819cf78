"""The sandbox's SQLite tables and the rows read from them (used by :mod:`.store`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from connect_sandbox.jsontext import loads

__all__ = [
    "CONTACT_COLUMNS",
    "SCHEMA",
    "SIGNAL_COLUMNS",
    "ContactRow",
    "Incoming",
    "SessionRow",
    "SignalRow",
    "signal_row",
]

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS contacts (
    id TEXT PRIMARY KEY,
    contact_key TEXT UNIQUE,
    email TEXT,
    sms TEXT,
    whatsapp TEXT,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS contacts_email ON contacts (email);
CREATE INDEX IF NOT EXISTS contacts_sms ON contacts (sms);
CREATE INDEX IF NOT EXISTS contacts_whatsapp ON contacts (whatsapp);
CREATE TABLE IF NOT EXISTS signals (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    contact_id TEXT NOT NULL REFERENCES contacts (id),
    app_key TEXT NOT NULL,
    signal_type TEXT NOT NULL,
    name TEXT,
    session_id TEXT,
    test INTEGER NOT NULL,
    identified_by TEXT NOT NULL,
    received_ms INTEGER NOT NULL,
    signal_timestamp TEXT,
    content TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS signals_feed ON signals (contact_id, received_ms);
CREATE INDEX IF NOT EXISTS signals_session ON signals (contact_id, session_id, received_ms);
CREATE TABLE IF NOT EXISTS sessions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    contact_id TEXT NOT NULL REFERENCES contacts (id),
    session_id TEXT NOT NULL,
    submitted_id TEXT NOT NULL,
    app_key TEXT NOT NULL,
    started_ms INTEGER NOT NULL,
    last_ms INTEGER NOT NULL,
    signal_count INTEGER NOT NULL,
    UNIQUE (contact_id, session_id)
);
CREATE INDEX IF NOT EXISTS sessions_submitted ON sessions (contact_id, submitted_id, started_ms);
CREATE INDEX IF NOT EXISTS sessions_recent ON sessions (contact_id, last_ms);
"""


@dataclass(frozen=True, slots=True)
class Incoming:
    """One accepted signal to store (already validated)."""

    signal_id: str
    app_key: str
    identity_kind: str
    identity_value: str
    content: dict[str, Any]
    session_id: str | None = None
    test: bool = False


@dataclass(frozen=True, slots=True)
class ContactRow:
    """A contact and a summary of its signals."""

    id: str
    contact_key: str | None
    email: str | None
    sms: str | None
    whatsapp: str | None
    created_ms: int
    updated_ms: int
    signal_count: int = 0
    last_activity_ms: int | None = None


@dataclass(frozen=True, slots=True)
class SignalRow:
    """One stored signal."""

    id: str
    contact_id: str
    app_key: str
    signal_type: str
    name: str | None
    session_id: str | None
    test: bool
    identified_by: str
    received_ms: int
    signal_timestamp: str | None
    content: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SessionRow:
    """One session of a contact with its most recent signals (newest first)."""

    session_id: str
    submitted_id: str
    contact_id: str
    app_key: str
    started_ms: int
    last_ms: int
    signal_count: int
    signals: tuple[SignalRow, ...]


CONTACT_COLUMNS: Final = "id, contact_key, email, sms, whatsapp, created_ms, updated_ms"
SIGNAL_COLUMNS: Final = (
    "id, contact_id, app_key, signal_type, name, session_id, test, identified_by, received_ms, "
    "signal_timestamp, content"
)


def signal_row(row: Sequence[Any]) -> SignalRow:
    """A :class:`SignalRow` from the columns of :data:`SIGNAL_COLUMNS`, in their order."""
    values = list(row)
    values[6], values[10] = bool(values[6]), loads(values[10])
    return SignalRow(*values)
