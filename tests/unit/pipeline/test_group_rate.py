"""The group share on rebalances: the subscribed total from metadata, applied off the loop."""

from __future__ import annotations

import pytest

from consumer.connect.ratelimit import RequestRate
from consumer.pipeline.group_rate import GroupShare, subscribed_partitions

COUNTS = [("orders", 6), ("orders-eu", 3), ("__consumer_offsets", 50), ("other", 4)]


def test_subscribed_partitions_counts_named_topics() -> None:
    """Only the named topics count."""
    assert subscribed_partitions(COUNTS, ["orders", "other"], None) == 10


def test_subscribed_partitions_matches_a_pattern_like_librdkafka() -> None:
    """A pattern is anchored at the start and never matches internal topics."""
    assert subscribed_partitions(COUNTS, [], "^orders.*") == 9
    assert subscribed_partitions(COUNTS, [], "rders") == 0
    assert subscribed_partitions(COUNTS, [], ".*") == 13


def test_group_share_sets_the_share_of_the_assignment() -> None:
    """Two of eight partitions take a quarter of the group rate; the latest assignment wins."""
    rate = RequestRate(None, 40.0)
    share = GroupShare(rate, lambda: 8)
    share.update(2)
    share.flush()
    assert rate.ceiling_per_s == pytest.approx(10.0)
    share.update(4)
    share.flush()
    assert rate.ceiling_per_s == pytest.approx(20.0)
    share.close()


def test_group_share_retries_a_failed_lookup() -> None:
    """A metadata lookup that fails is retried; until then the previous (floor) rate stays."""
    rate = RequestRate(None, 40.0)
    answers: list[int | Exception] = [TimeoutError("no broker"), 4]

    def count_total() -> int:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    share = GroupShare(rate, count_total, retry_s=0.0)
    share.update(1)
    share.flush()
    assert rate.ceiling_per_s == pytest.approx(10.0)
    assert answers == []
    share.close()


def test_a_change_applies_at_once_with_the_last_known_total() -> None:
    """Once a total is known, an assignment change sets the share before any new lookup runs."""
    rate = RequestRate(None, 30.0)
    lookups: list[int] = []

    def count_total() -> int:
        lookups.append(1)
        return 6

    share = GroupShare(rate, count_total)
    share.update(0)
    share.flush()
    share.close()  # no lookup runs any more: what follows is the cached total's doing
    share.update(2)
    assert rate.ceiling_per_s == pytest.approx(10.0)
    assert lookups == [1]
