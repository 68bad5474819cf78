"""SQLite persistence of the sandbox: contacts, signals and sessions (survives a restart).

One connection in WAL mode, guarded by a lock (the sandbox writes from one thread at a time).
Contact mapping follows the reference (section 2.5) for the single identifiable attribute a
signal carries:

* ``email`` / ``sms`` / ``whatsapp``: the contact holding that value, else a new contact;
* ``contactKey``: the contact holding that key, else the signal is **discarded** (not stored,
  still answered with an id; the caller counts it).

An ``identification`` signal also fills the contact's attribute named by ``identifierName``
when the contact has none yet (and, for a contact key, no other contact holds it) - the way a
contact key gets onto a contact that was created from an e-mail address.

A ``sessionId`` is stored with ``.<epoch ms>`` appended (reference 2.3). Signals of the same
contact with the same submitted id join that session while it is active (the last signal less
than :data:`SESSION_IDLE_MS` ago); after that the same id starts a new session.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from connect_sandbox.jsontext import dumps
from connect_sandbox.rows import (
    CONTACT_COLUMNS,
    SCHEMA,
    SIGNAL_COLUMNS,
    ContactRow,
    Incoming,
    SessionRow,
    SignalRow,
    signal_row,
)

__all__ = [
    "COLUMNS",
    "FEED_DAYS",
    "FEED_LIMIT",
    "SESSION_IDLE_MS",
    "SESSION_SIGNALS",
    "ContactRow",
    "Incoming",
    "SessionRow",
    "SignalRow",
    "Store",
]

FEED_LIMIT: Final = 1000
FEED_DAYS: Final = 30
SESSION_SIGNALS: Final = 5
SESSION_IDLE_MS: Final = 30 * 60 * 1000
_DAY_MS: Final = 86_400_000
_ATTRIBUTES: Final = ("contact_key", "email", "sms", "whatsapp")
#: identifiable attribute (API name) -> contacts column
COLUMNS: Final = {
    "contactKey": "contact_key",
    "email": "email",
    "sms": "sms",
    "whatsapp": "whatsapp",
}
_IDENTIFIER_COLUMN: Final = {**COLUMNS, "whatsApp": "whatsapp"}


class Store:
    """The sandbox's SQLite database (thread-safe; one writer at a time)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(SCHEMA)
        # (column, value) -> contact id; filled on look-up, cleared by clear().
        self._contacts: dict[tuple[str, str], str] = {}

    def close(self) -> None:
        """Close the connection (checkpointing the WAL)."""
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                self._contacts.clear()  # it may name contacts that were rolled back
                raise
            self._db.execute("COMMIT")

    # --- writes --------------------------------------------------------------------------------

    def add_signals(self, batch: Sequence[Incoming], now_ms: int) -> list[str]:
        """Store ``batch`` in one transaction; the ids of the signals that were discarded."""
        discarded: list[str] = []
        rows: list[tuple[Any, ...]] = []
        with self._transaction() as db:
            for signal in batch:
                column = COLUMNS[signal.identity_kind]
                contact_id = self._find(db, column, signal.identity_value)
                if contact_id is None:
                    if column == "contact_key":
                        discarded.append(signal.signal_id)
                        continue
                    contact_id = self._create(db, {column: signal.identity_value}, now_ms)
                content = signal.content
                if content.get("signalType") == "identification":
                    self._identify(db, contact_id, content, now_ms)
                session_id = None
                if signal.session_id is not None:
                    session_id = self._session(db, contact_id, signal, now_ms)
                rows.append(
                    (
                        signal.signal_id,
                        contact_id,
                        signal.app_key,
                        content.get("signalType"),
                        _text(content.get("name")),
                        session_id,
                        int(signal.test),
                        signal.identity_kind,
                        now_ms,
                        _text(content.get("signalTimestamp")),
                        dumps(content).decode(),
                    )
                )
            db.executemany(
                f"INSERT INTO signals ({SIGNAL_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",  # noqa: S608
                rows,
            )
        return discarded

    def add_contact(self, now_ms: int, **attributes: str) -> ContactRow:
        """Create a contact with ``contact_key``/``email``/``sms``/``whatsapp`` values.

        Returns the existing contact instead when one already holds one of the values.
        """
        values = {k: v for k, v in attributes.items() if v}
        unknown = set(values) - set(_ATTRIBUTES)
        if unknown or not values:
            raise ValueError(f"give one or more of {', '.join(_ATTRIBUTES)}")
        with self._transaction() as db:
            for column, value in values.items():
                found = self._find(db, column, value)
                if found is not None:
                    contact_id = found
                    break
            else:
                contact_id = self._create(db, values, now_ms)
        contact = self.contact(id=contact_id)
        assert contact is not None
        return contact

    def clear(self) -> None:
        """Delete every contact, signal and session."""
        with self._transaction() as db:
            db.execute("DELETE FROM signals")
            db.execute("DELETE FROM sessions")
            db.execute("DELETE FROM contacts")
            self._contacts.clear()

    def _find(self, db: sqlite3.Connection, column: str, value: str) -> str | None:
        key = (column, value)
        found = self._contacts.get(key)
        if found is None:
            row = db.execute(
                f"SELECT id FROM contacts WHERE {column} = ? ORDER BY created_ms LIMIT 1",  # noqa: S608
                (value,),
            ).fetchone()
            if row is None:
                return None
            found = self._contacts[key] = row[0]
        return found

    def _create(self, db: sqlite3.Connection, values: dict[str, str], now_ms: int) -> str:
        contact_id = str(uuid.uuid4())
        row = {column: values.get(column) for column in _ATTRIBUTES}
        db.execute(
            f"INSERT INTO contacts ({CONTACT_COLUMNS}) VALUES (?,?,?,?,?,?,?)",  # noqa: S608
            (contact_id, *row.values(), now_ms, now_ms),
        )
        for column, value in values.items():
            self._contacts[(column, value)] = contact_id
        return contact_id

    def _identify(
        self, db: sqlite3.Connection, contact_id: str, content: dict[str, Any], now_ms: int
    ) -> None:
        column = _IDENTIFIER_COLUMN.get(str(content.get("identifierName")))
        value = content.get("identifierValue")
        if column is None or type(value) is not str or not value:
            return
        if column == "contact_key" and self._find(db, column, value) is not None:
            return  # keys are permanent and unique
        updated = db.execute(
            f"UPDATE contacts SET {column} = ?, updated_ms = ? "  # noqa: S608
            f"WHERE id = ? AND {column} IS NULL",
            (value, now_ms, contact_id),
        ).rowcount
        if updated:
            self._contacts.setdefault((column, value), contact_id)

    def _session(
        self, db: sqlite3.Connection, contact_id: str, signal: Incoming, now_ms: int
    ) -> str:
        submitted = signal.session_id
        assert submitted is not None
        row = db.execute(
            "SELECT session_id, last_ms FROM sessions WHERE contact_id = ? AND submitted_id = ? "
            "ORDER BY started_ms DESC, seq DESC LIMIT 1",
            (contact_id, submitted),
        ).fetchone()
        if row is not None and now_ms - row[1] < SESSION_IDLE_MS:
            db.execute(
                "UPDATE sessions SET last_ms = ?, signal_count = signal_count + 1 "
                "WHERE contact_id = ? AND session_id = ?",
                (now_ms, contact_id, row[0]),
            )
            return str(row[0])
        session_id = f"{submitted}.{now_ms}"
        db.execute(
            "INSERT INTO sessions (contact_id, session_id, submitted_id, app_key, started_ms, "
            "last_ms, signal_count) VALUES (?,?,?,?,?,?,1) "
            "ON CONFLICT (contact_id, session_id) DO UPDATE SET last_ms = excluded.last_ms, "
            "signal_count = signal_count + 1",
            (contact_id, session_id, submitted, signal.app_key, now_ms, now_ms),
        )
        return session_id

    # --- reads ---------------------------------------------------------------------------------

    def contacts(self, limit: int = 100, offset: int = 0) -> list[ContactRow]:
        """Contacts, the most recently active first."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {CONTACT_COLUMNS}, "  # noqa: S608
                "(SELECT COUNT(*) FROM signals s WHERE s.contact_id = c.id), "
                "(SELECT MAX(received_ms) FROM signals s WHERE s.contact_id = c.id) AS last "
                "FROM contacts c ORDER BY COALESCE(last, c.created_ms) DESC, c.created_ms DESC "
                "LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
        return [ContactRow(*row) for row in rows]

    def contact(
        self,
        *,
        id: str | None = None,
        contact_key: str | None = None,
        email: str | None = None,
        sms: str | None = None,
        whatsapp: str | None = None,
    ) -> ContactRow | None:
        """The contact with this id or attribute value (the first given), or None."""
        pairs = (
            ("id", id),
            ("contact_key", contact_key),
            ("email", email),
            ("sms", sms),
            ("whatsapp", whatsapp),
        )
        column, value = next(((c, v) for c, v in pairs if v is not None), ("", None))
        if value is None:
            return None
        with self._lock:
            row = self._db.execute(
                f"SELECT {CONTACT_COLUMNS}, "  # noqa: S608
                "(SELECT COUNT(*) FROM signals s WHERE s.contact_id = c.id), "
                "(SELECT MAX(received_ms) FROM signals s WHERE s.contact_id = c.id) "
                f"FROM contacts c WHERE c.{column} = ? ORDER BY c.created_ms LIMIT 1",
                (value,),
            ).fetchone()
        return None if row is None else ContactRow(*row)

    def feed(self, contact_id: str, now_ms: int, limit: int = FEED_LIMIT) -> list[SignalRow]:
        """The activity feed: the last ``limit`` (<= 1000) signals of 30 days, newest first."""
        limit = max(0, min(limit, FEED_LIMIT))
        since = now_ms - FEED_DAYS * _DAY_MS
        with self._lock:
            rows = self._db.execute(
                f"SELECT {SIGNAL_COLUMNS} FROM signals "  # noqa: S608
                "WHERE contact_id = ? AND received_ms >= ? "
                "ORDER BY received_ms DESC, seq DESC LIMIT ?",
                (contact_id, since, limit),
            ).fetchall()
        return [signal_row(row) for row in rows]

    def sessions(self, contact_id: str, limit: int = 50) -> list[SessionRow]:
        """A contact's sessions, most recently active first, each with its 5 latest signals."""
        with self._lock:
            rows = self._db.execute(
                "SELECT session_id, submitted_id, contact_id, app_key, started_ms, last_ms, "
                "signal_count FROM sessions WHERE contact_id = ? "
                "ORDER BY last_ms DESC, seq DESC LIMIT ?",
                (contact_id, limit),
            ).fetchall()
            out: list[SessionRow] = []
            for row in rows:
                signals = self._db.execute(
                    f"SELECT {SIGNAL_COLUMNS} FROM signals "  # noqa: S608
                    "WHERE contact_id = ? AND session_id = ? "
                    "ORDER BY received_ms DESC, seq DESC LIMIT ?",
                    (contact_id, row[0], SESSION_SIGNALS),
                ).fetchall()
                out.append(SessionRow(*(*row, tuple(signal_row(s) for s in signals))))
        return out

    def counts(self) -> dict[str, int]:
        """How many contacts, signals and sessions are stored."""
        with self._lock:
            return {
                table: int(self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # noqa: S608
                for table in ("contacts", "signals", "sessions")
            }


def _text(value: Any) -> str | None:
    return value if type(value) is str else None
