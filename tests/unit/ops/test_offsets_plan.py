"""Planning an offsets reset: the new offset, the notes and the lag of each partition."""

from __future__ import annotations

from consumer.ops.offsets import GroupInfo, ResetTarget, plan_row
from consumer.ops.ranges import Watermarks

MARKS = Watermarks(low=5, high=100)


def test_earliest_and_latest() -> None:
    """Earliest is the log start offset, latest the end offset; lag follows."""
    earliest = plan_row("t", 0, 60, MARKS, ResetTarget("earliest"))
    latest = plan_row("t", 0, 60, MARKS, ResetTarget("latest"))
    assert (earliest.new, earliest.lag_before, earliest.lag_after) == (5, 40, 95)
    assert (latest.new, latest.lag_after) == (100, 0)


def test_offsets_are_clamped_with_a_note() -> None:
    """An offset outside [log start, end] is clamped and the row says so."""
    low = plan_row("t", 0, 60, MARKS, ResetTarget("offset", 1))
    high = plan_row("t", 0, 60, MARKS, ResetTarget("offset", 1000))
    inside = plan_row("t", 0, 60, MARKS, ResetTarget("offset", 42))
    assert (low.new, "clamped" in low.note) == (5, True)
    assert (high.new, "clamped" in high.note) == (100, True)
    assert (inside.new, inside.note) == (42, "")


def test_time_targets_use_the_broker_lookup() -> None:
    """A time uses the looked-up offset; with no record after it, the end offset."""
    found = plan_row("t", 0, None, MARKS, ResetTarget("time", 1), time_offset=30)
    none = plan_row("t", 0, None, MARKS, ResetTarget("time", 1), time_offset=-1)
    assert (found.new, found.lag_before) == (30, None)
    assert (none.new, "no record" in none.note) == (100, True)


def test_unchanged_offsets_are_marked() -> None:
    """A partition already at the target says unchanged."""
    assert plan_row("t", 0, 100, MARKS, ResetTarget("latest")).note == "unchanged"


def test_group_activity() -> None:
    """A group with members, or in a rebalance, is active; empty and dead groups are not."""
    assert GroupInfo("g", "STABLE", 1).active
    assert GroupInfo("g", "PREPARING_REBALANCING", 0).active
    assert not GroupInfo("g", "EMPTY", 0).active
    assert not GroupInfo("g", "DEAD", 0).active
