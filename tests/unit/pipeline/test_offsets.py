"""Offset tracker: commit positions never pass an unfinished offset."""

from __future__ import annotations

from consumer.pipeline.offsets import OffsetTracker

TP = ("t", 0)


def test_commit_position_is_lowest_pending() -> None:
    """With a gap, the commit position stops at the lowest unfinished offset."""
    tracker = OffsetTracker()
    epoch = 0
    for offset in range(10, 15):
        epoch = tracker.track(TP, offset)
    for offset in (10, 12, 13):
        assert tracker.finish(TP, offset, epoch)
    assert tracker.commit_positions() == {TP: 11}


def test_commit_position_after_all_finished_is_last_plus_one() -> None:
    """When nothing is pending the position is the highest tracked offset + 1."""
    tracker = OffsetTracker()
    epoch = tracker.track(TP, 5)
    tracker.track(TP, 7)  # a gap in offsets (compaction / transactions)
    tracker.finish(TP, 7, epoch)
    tracker.finish(TP, 5, epoch)
    assert tracker.commit_positions() == {TP: 8}


def test_changed_only_skips_committed_positions() -> None:
    """A position already committed is not reported again."""
    tracker = OffsetTracker()
    epoch = tracker.track(TP, 0)
    tracker.finish(TP, 0, epoch)
    tracker.mark_committed(tracker.commit_positions())
    assert tracker.commit_positions() == {}
    assert tracker.commit_positions(changed_only=False) == {TP: 1}
    assert tracker.all_committed()


def test_finish_with_old_epoch_is_ignored() -> None:
    """Work from before a revoke cannot finish offsets of the re-assigned partition."""
    tracker = OffsetTracker()
    old = tracker.track(TP, 0)
    tracker.forget(TP)
    new = tracker.track(TP, 0)
    assert new != old
    assert not tracker.finish(TP, 0, old)
    assert tracker.pending_count(TP) == 1


def test_rewind_drops_later_pending_and_caps_position() -> None:
    """After a seek back to 3, pending offsets >= 3 are gone and the position is at most 3."""
    tracker = OffsetTracker()
    epoch = 0
    for offset in range(6):
        epoch = tracker.track(TP, offset)
    for offset in range(3):
        tracker.finish(TP, offset, epoch)
    tracker.rewind(TP, 3)
    assert tracker.pending_count(TP) == 0
    assert tracker.commit_positions() == {TP: 3}


def test_nothing_finished_commits_nothing() -> None:
    """Before anything finished no position is reported (the group's offset stays as it is)."""
    tracker = OffsetTracker()
    tracker.track(TP, 40)
    tracker.track(TP, 41)
    assert tracker.commit_positions() == {}
    assert tracker.commit_positions(changed_only=False) == {}
