"""The group share of ``SIGNALS_CONNECT_GROUP_RATE_LIMIT_PER_S``, recomputed on every rebalance.

The rebalance callbacks (poll-loop thread) call :meth:`GroupShare.update` with the number of
partitions now assigned; the subscribed topics' total partition count comes from the broker's
metadata, fetched on a thread of its own with an admin client of its own (never a network wait
on the poll loop, and never on the loop's consumer, which admits one thread at a time), then
:meth:`~consumer.connect.ratelimit.RequestRate.set_share` paces the sender threads. Each
change applies at once with the last known total, and again when the new lookup answers. A
lookup that fails is retried every :data:`RETRY_S` until it succeeds or a newer rebalance
replaces it (before the first answer a member paces at the floor rate).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from consumer.connect.ratelimit import RequestRate
from consumer.logs import get_logger
from consumer.types import TopicLister

__all__ = ["GroupShare", "subscribed_partitions"]

RETRY_S = 2.0
METADATA_TIMEOUT_S = 5.0


def subscribed_partitions(
    partition_counts: Iterable[tuple[str, int]], topics: Iterable[str], pattern: str | None
) -> int:
    """The partitions of the subscribed topics (named, or matching ``pattern`` like librdkafka:
    anchored at the start, internal ``__`` topics excluded)."""
    named = set(topics)
    regex = re.compile(pattern.removeprefix("^")) if pattern else None
    return sum(
        count
        for name, count in partition_counts
        if name in named or (regex is not None and not name.startswith("__") and regex.match(name))
    )


def metadata_counts(client: TopicLister) -> list[tuple[str, int]]:
    """``(topic, partition count)`` of every topic in the cluster (one metadata request)."""
    metadata = client.list_topics(timeout=METADATA_TIMEOUT_S)
    return [(name, len(topic.partitions)) for name, topic in metadata.topics.items()]


class GroupShare:
    """Sets this pod's share of the group rate after each assignment change, off the loop."""

    def __init__(
        self, rate: RequestRate, count_total: Callable[[], int], *, retry_s: float = RETRY_S
    ) -> None:
        self._rate = rate
        self._retry_s = retry_s
        self._count_total = count_total
        self._lock = threading.Lock()
        self._assigned = 0
        self._generation = 0
        #: the subscribed topics' partitions at the last lookup
        self._total: int | None = None
        self._closed = threading.Event()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="signals-group-share")
        self._log = get_logger("group_rate")

    def update(self, assigned: int) -> None:
        """The assignment changed: this pod now holds ``assigned`` partitions (loop thread).

        The share applies at once with the last known total (no network wait: a revoking
        member slows down before its partitions reach the new owner), then the total is
        looked up again off the loop thread."""
        with self._lock:
            self._assigned = assigned
            self._generation += 1
            generation = self._generation
            if self._total is not None:
                self._rate.set_share(assigned, self._total)
        if not self._closed.is_set():
            self._executor.submit(self._apply, generation)

    def _apply(self, generation: int) -> None:
        while not self._closed.is_set():
            with self._lock:
                if generation != self._generation:
                    return  # a newer rebalance has its own lookup queued
            try:
                total = self._count_total()
            except Exception as exc:
                self._log.warning("group_share_lookup_failed", error=str(exc)[:200])
                self._closed.wait(self._retry_s)
                continue
            with self._lock:
                self._total = total
                assigned = self._assigned
                self._rate.set_share(assigned, total)
            self._log.info(
                "group_rate_share",
                assigned=assigned,
                total=total,
                ceiling_per_s=round(self._rate.ceiling_per_s, 3),
            )
            return

    def flush(self) -> None:
        """Wait until the lookups queued so far have run (tests, shutdown)."""
        self._executor.submit(lambda: None).result()

    def close(self) -> None:
        """Stop looking up (does not wait for a lookup in progress)."""
        self._closed.set()
        self._executor.shutdown(wait=False, cancel_futures=True)
