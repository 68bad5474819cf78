"""The local Kafka's storage id: one that Kafka's format tool accepts, on every start."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator

from dev.stack_kafka import new_cluster_id

__all__: list[str] = []

#: base64url of a UUID whose first six bits are 111110 starts with '-', which kafka-storage's
#: argument parser reads as an option ("argument --cluster-id/-t: expected one argument").
DASH_FIRST = uuid.UUID(bytes=b"\xf8" + bytes(15))


def _decodes_to_a_uuid(cluster_id: str) -> bool:
    return len(base64.urlsafe_b64decode(cluster_id + "==")) == 16


def test_many_fresh_ids_never_start_with_a_dash() -> None:
    """5,000 draws (each had a 1 in 64 chance of a leading '-') give ids Kafka accepts."""
    ids = [new_cluster_id() for _ in range(5000)]
    assert [i for i in ids if i.startswith("-")] == []
    assert all(len(i) == 22 and _decodes_to_a_uuid(i) for i in ids)
    assert len(set(ids)) == len(ids)


def test_a_draw_with_a_leading_dash_is_drawn_again() -> None:
    """Like Kafka's ``Uuid.randomUuid``, an id starting with '-' is replaced by the next draw."""
    second = uuid.UUID(bytes=bytes(range(1, 17)))
    draws: Iterator[uuid.UUID] = iter([DASH_FIRST, second])
    cluster_id = new_cluster_id(lambda: next(draws))
    assert cluster_id == base64.urlsafe_b64encode(second.bytes).decode("ascii").rstrip("=")


def test_kafkas_reserved_ids_are_drawn_again() -> None:
    """The all-zero UUID and Kafka's metadata topic id (0, 1) are never used as a cluster id."""
    reserved = [uuid.UUID(int=0), uuid.UUID(int=1)]
    fresh = uuid.UUID(bytes=bytes(range(16, 32)))
    draws = iter([*reserved, fresh])
    assert new_cluster_id(lambda: next(draws)) == new_cluster_id(lambda: fresh)
