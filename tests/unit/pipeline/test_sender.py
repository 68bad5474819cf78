"""Splitting rejected chunks: named indexes are isolated, otherwise bisection."""

from __future__ import annotations

from consumer.pipeline.sender import split_rejected

from .fakes import item

A = ("t", 0)


def test_named_violations_are_isolated_and_rest_resent() -> None:
    """Indexes named by the API are dead-lettered with its message; the rest is one chunk."""
    chunk = [item(A, o) for o in range(4)]
    bad, again = split_rejected(chunk, {2: "bad email"})
    assert [(i.offset, m) for i, m in bad] == [(2, "bad email")]
    assert [[i.offset for i in c] for c in again] == [[0, 1, 3]]


def test_no_indexes_bisects() -> None:
    """Without indexes the chunk is split in halves, order kept."""
    chunk = [item(A, o) for o in range(5)]
    bad, again = split_rejected(chunk, {})
    assert bad == []
    assert [[i.offset for i in c] for c in again] == [[0, 1], [2, 3, 4]]


def test_single_signal_is_the_bad_one() -> None:
    """A rejected chunk of one is dead-lettered with the default message."""
    chunk = [item(A, 7)]
    bad, again = split_rejected(chunk, {}, default="nope")
    assert [(i.offset, m) for i, m in bad] == [(7, "nope")]
    assert again == []


def test_out_of_range_indexes_fall_back_to_bisect() -> None:
    """Indexes outside the chunk are ignored (bisect instead)."""
    chunk = [item(A, o) for o in range(2)]
    bad, again = split_rejected(chunk, {9: "?"})
    assert bad == []
    assert len(again) == 2
