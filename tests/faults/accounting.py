"""Account for every produced event after a fault run: accepted, dead-lettered, or missing."""

from __future__ import annotations

import json
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from confluent_kafka import Consumer, KafkaException, TopicPartition

__all__ = [
    "Ledger",
    "accepted_event_ids",
    "committed_vs_end",
    "duplicates_between",
    "read_dead_letters",
    "wait_committed_to_end",
]


@dataclass
class Ledger:
    """What arrived where."""

    accepted: Counter[str] = field(default_factory=Counter)  # event id -> times accepted
    dead: dict[tuple[int, int], str] = field(default_factory=dict)  # source (p, o) -> code
    dead_records: int = 0


def accepted_event_ids(db_path: Path) -> Counter[str]:
    """Event ids (custom attribute ``eventId``) of every signal the sandbox stored."""
    counts: Counter[str] = Counter()
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        for (content,) in db.execute("SELECT content FROM signals"):
            for attr in json.loads(content).get("signalCustomAttributes") or []:
                if attr.get("name") == "eventId":
                    counts[attr["value"]] += 1
    finally:
        db.close()
    return counts


def _event_id(content: str) -> str | None:
    for attr in json.loads(content).get("signalCustomAttributes") or []:
        if attr.get("name") == "eventId":
            return str(attr["value"])
    return None


def duplicates_between(db_path: Path, since_ms: int, until_ms: int) -> int:
    """Signals stored in ``[since_ms, until_ms]`` whose event had been stored before (copies)."""
    seen: set[str] = set()
    copies = 0
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        rows = db.execute("SELECT content, received_ms FROM signals ORDER BY rowid")
        for content, received_ms in rows:
            eid = _event_id(content)
            if eid is None:
                continue
            if eid in seen and since_ms <= received_ms <= until_ms:
                copies += 1
            seen.add(eid)
    finally:
        db.close()
    return copies


def read_dead_letters(
    bootstrap: str,
    topic: str,
    idle_s: float = 4.0,
    letters: dict[tuple[int, int], tuple[int, bool]] | None = None,
) -> tuple[dict[tuple[int, int], str], int]:
    """Source (partition, offset) -> ``signals.error.code`` of every dead-letter record.

    ``letters``, when given, gets source -> (value bytes, compact: the value was omitted).
    """
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"dlq-audit-{time.time_ns()}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "log_level": 0,
        }
    )
    consumer.subscribe([topic])
    found: dict[tuple[int, int], str] = {}
    records = 0
    until = time.monotonic() + max(idle_s, 10.0)
    while time.monotonic() < until:
        for msg in consumer.consume(500, 0.5):
            if msg.error() is not None:
                continue
            records += 1
            raw = cast("list[tuple[str, bytes | None]]", msg.headers() or [])
            headers = {k: (v or b"").decode() for k, v in raw}
            source = (
                int(headers["__connect.errors.partition"]),
                int(headers["__connect.errors.offset"]),
            )
            found[source] = headers["signals.error.code"]
            if letters is not None:
                compact = "signals.original.omitted" in headers
                letters[source] = (len(msg.value() or b""), compact)
            until = time.monotonic() + idle_s
    consumer.close()
    return found, records


def committed_vs_end(
    bootstrap: str, group: str, topic: str, partitions: int
) -> dict[int, tuple[int, int]]:
    """partition -> (committed offset, end offset)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "log_level": 0})
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        deadline = time.monotonic() + 60
        while True:
            try:
                committed = {tp.partition: tp.offset for tp in consumer.committed(tps, 30)}
                break
            except KafkaException:  # a restarted broker may still be loading the coordinator
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        return {
            p: (committed[p], consumer.get_watermark_offsets(TopicPartition(topic, p), 30)[1])
            for p in range(partitions)
        }
    finally:
        consumer.close()


def wait_committed_to_end(
    bootstrap: str, group: str, topic: str, partitions: int, since: float, timeout_s: float
) -> dict[int, float | None]:
    """Partition -> seconds from ``since`` (monotonic) until its committed offset reached its
    end offset (None: not within ``timeout_s``). Call once nothing is produced any more."""
    reached: dict[int, float | None] = dict.fromkeys(range(partitions))
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ends = committed_vs_end(bootstrap, group, topic, partitions)
        now = time.monotonic()
        for p, (committed, end) in ends.items():
            if reached[p] is None and committed >= end:
                reached[p] = now - since
        if all(v is not None for v in reached.values()):
            break
        time.sleep(1.0)
    return reached
