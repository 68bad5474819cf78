"""Optional acceptance recorder of the sandbox (``--record-latency``), for the benchmarks.

Kafka timestamps do not reach the API, so the latency of a signal is measured from its
``signalContent.signalTimestamp`` (the event time, millisecond precision) to the moment the
sandbox accepts its mutation. Latencies are kept in a bounded reservoir (Vitter's algorithm R:
a uniform sample of every accepted signal, at most ``capacity`` values), so memory stays flat
however long a run is. The recorder also keeps the acceptance window (first and last accepted
mutation) from which a client computes end-to-end throughput.

``GET /admin/stats`` shows :meth:`LatencyRecorder.snapshot` under ``latency`` when enabled;
``POST /admin/reset`` clears it.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

__all__ = ["DEFAULT_CAPACITY", "LatencyRecorder", "percentile", "timestamp_ms"]

#: Reservoir size: enough for a stable p99 (about 1,000 values above it).
DEFAULT_CAPACITY: Final = 100_000


def timestamp_ms(value: Any) -> int | None:
    """Epoch milliseconds of an ISO 8601 timestamp with an offset; None when it is not one."""
    if type(value) is not str:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return round(parsed.timestamp() * 1000)


def percentile(ordered: Sequence[int], fraction: float) -> int | None:
    """The nearest-rank percentile of an ascending sequence (None when empty)."""
    if not ordered:
        return None
    rank = max(1, -(-len(ordered) * fraction // 1))  # ceil, at least the first
    return ordered[min(len(ordered), int(rank)) - 1]


class LatencyRecorder:
    """Thread-safe reservoir of event-time -> acceptance latencies plus the acceptance window."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY, *, seed: int = 0) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._seed = seed
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget every sample and the window."""
        with self._lock:
            self._rng = random.Random(self._seed)
            self._samples: list[int] = []
            self._seen = 0
            self._without_timestamp = 0
            self._signals = 0
            self._mutations = 0
            self._first_ms: int | None = None
            self._first_count = 0
            self._last_ms: int | None = None

    def observe(self, inputs: Sequence[Any], now_ms: int) -> None:
        """An accepted mutation of ``inputs`` (API-shaped signal objects) at ``now_ms``."""
        latencies: list[int] = []
        missing = 0
        for obj in inputs:
            content = obj.get("signalContent") if isinstance(obj, Mapping) else None
            ts = (
                timestamp_ms(content.get("signalTimestamp"))
                if isinstance(content, Mapping)
                else None
            )
            if ts is None:
                missing += 1
            else:
                latencies.append(now_ms - ts)
        with self._lock:
            if self._first_ms is None:
                self._first_ms, self._first_count = now_ms, len(inputs)
            self._last_ms = now_ms
            self._mutations += 1
            self._signals += len(inputs)
            self._without_timestamp += missing
            samples, capacity, draw = self._samples, self.capacity, self._rng.random
            for value in latencies:
                self._seen += 1
                if len(samples) < capacity:
                    samples.append(value)
                else:
                    slot = int(draw() * self._seen)
                    if slot < capacity:
                        samples[slot] = value

    def snapshot(self) -> dict[str, Any]:
        """Counts, the acceptance window and latency percentiles (ms) of the sample."""
        with self._lock:
            ordered = sorted(self._samples)
            out: dict[str, Any] = {
                "signals": self._signals,
                "mutations": self._mutations,
                "first_accept_ms": self._first_ms,
                "first_mutation_signals": self._first_count,
                "last_accept_ms": self._last_ms,
                "with_timestamp": self._seen,
                "without_timestamp": self._without_timestamp,
                "sampled": len(ordered),
            }
        for name, fraction in (("p50_ms", 0.5), ("p90_ms", 0.9), ("p99_ms", 0.99)):
            out[name] = percentile(ordered, fraction)
        out["max_ms"] = ordered[-1] if ordered else None
        out["min_ms"] = ordered[0] if ordered else None
        return out
