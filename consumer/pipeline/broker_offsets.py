"""Committed offsets and fresh watermarks, read on a background thread for the poll loop.

``Consumer.committed`` and ``get_watermark_offsets(cached=False)`` are broker round trips: while
the broker is down or the group rebalances they wait out their whole timeout (the fault run saw
5.1 s between two polls when the loop made them). The loop never makes them: it :meth:`asks
<BrokerOffsets.ask>` for what it wants (a lock and an event, never a wait), one daemon thread
reads it, and the loop takes the last answers with :meth:`~BrokerOffsets.committed` and
:meth:`~BrokerOffsets.watermarks`, each stamped with the monotonic time its read started - so
the loop can ask for "read since ``t``" (``--until-idle`` needs that).

The thread has a consumer of its own (``kafka_config.reader_config``: the group's, never joining
it), which it polls once a round: its log lines wait in its queue until served. confluent-kafka 2.16
lets one thread at a time into a Consumer's calls (a second waits, GIL released, until the first
returns), so on the loop's consumer every ``consume``, ``pause`` and ``commit`` of the loop would
wait out the thread's round trip in progress (seen: 1.0 s between two loop turns while the thread
read 12 watermarks). Because a consumer must not be closed under a running call, :meth:`stop` joins
the thread before the reader closes; a round checks for stop between calls, so that waits for at
most one call (:data:`CALL_TIMEOUT_S`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from consumer.logs import get_logger
from consumer.pipeline.offsets import TopicPartitionKey
from consumer.types import OffsetReads

__all__ = ["CALL_TIMEOUT_S", "BrokerOffsets", "Read"]

#: The timeout of one read (and so the longest ``stop`` waits for the thread).
CALL_TIMEOUT_S = 2.0


@dataclass(frozen=True, slots=True)
class Read:
    """One answer: the low and high watermark (a committed offset: both the offset), and the
    monotonic time its request started."""

    low: int
    high: int
    at: float


class BrokerOffsets:
    """The reads the loop may not make, made by the ``signals-offsets`` thread."""

    def __init__(
        self,
        consumer: OffsetReads,
        *,
        serve: Callable[[float], object] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``serve``: the reader's ``poll``, called with 0 after each round (a reader of its
        own only; never the loop's consumer, whose poll would take a record)."""
        self._consumer = consumer
        self._serve = serve
        self._clock = clock
        self._log = get_logger("broker_offsets")
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._committed_for: frozenset[TopicPartitionKey] = frozenset()
        self._watermarks_for: frozenset[TopicPartitionKey] = frozenset()
        self._committed: dict[TopicPartitionKey, Read] = {}
        self._watermarks: dict[TopicPartitionKey, Read] = {}
        self._thread: threading.Thread | None = None

    # --- the loop thread (never waits) ------------------------------------------------------
    def ask(
        self, *, committed: Iterable[TopicPartitionKey], watermarks: Iterable[TopicPartitionKey]
    ) -> None:
        """Read (again) the committed offsets of ``committed`` and the watermarks of
        ``watermarks``; replaces the previous request, forgets answers for neither."""
        with self._lock:
            self._committed_for = frozenset(committed)
            self._watermarks_for = frozenset(watermarks)
            keep = self._committed_for | self._watermarks_for
            self._committed = {tp: r for tp, r in self._committed.items() if tp in keep}
            self._watermarks = {tp: r for tp, r in self._watermarks.items() if tp in keep}
        self._wake.set()

    def committed(self, since: float = float("-inf")) -> dict[TopicPartitionKey, int]:
        """The committed offsets read since ``since`` (negative: none committed)."""
        with self._lock:
            return {tp: r.high for tp, r in self._committed.items() if r.at >= since}

    def watermarks(self, since: float = float("-inf")) -> dict[TopicPartitionKey, Read]:
        """The watermarks read since ``since``."""
        with self._lock:
            return {tp: r for tp, r in self._watermarks.items() if r.at >= since}

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="signals-offsets", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for its call in progress (before its consumer closes)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(CALL_TIMEOUT_S + 1.0)
            if self._thread.is_alive():
                self._log.warning("broker_offsets_thread_still_running")

    # --- the thread --------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            if self._stop.is_set():
                return
            try:
                self.refresh()
            except Exception as exc:  # never end silently: --until-idle waits on these reads
                self._log.warning("broker_offsets_failed", error=str(exc))

    def refresh(self) -> None:
        """One round: read what was last asked (blocking; the thread's body)."""
        from confluent_kafka import KafkaException, TopicPartition

        self._wake.clear()
        with self._lock:
            committed_for, watermarks_for = self._committed_for, self._watermarks_for
        if committed_for:
            at = self._clock()
            try:
                parts: list[Any] = self._consumer.committed(
                    [TopicPartition(t, p) for t, p in sorted(committed_for)], CALL_TIMEOUT_S
                )
            except KafkaException as exc:
                self._log.info("committed_unavailable", error=str(exc))
            else:
                with self._lock:
                    for part in parts:
                        if part.error is None:
                            tp = (part.topic, part.partition)
                            self._committed[tp] = Read(part.offset, part.offset, at)
        for tp in sorted(watermarks_for):
            if self._stop.is_set():
                return
            at = self._clock()
            try:
                low, high = self._consumer.get_watermark_offsets(
                    TopicPartition(*tp), timeout=CALL_TIMEOUT_S, cached=False
                )
            except KafkaException:
                continue
            if high >= 0:
                with self._lock:
                    self._watermarks[tp] = Read(low, high, at)
        if self._serve is not None:
            self._serve(0)  # its log lines wait in its queue for a poll (nothing else polls it)
