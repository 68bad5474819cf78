"""The request-rate cap: pacing, the group share, and AIMD on throttling.

One :class:`RequestRate` per pod paces the sender threads (``acquire`` sleeps in the worker
thread that is about to send, never in the poll loop). Its ceiling is the lower of two caps:

- ``SIGNALS_CONNECT_REQUEST_RATE_LIMIT_PER_S``: this pod's cap;
- ``SIGNALS_CONNECT_GROUP_RATE_LIMIT_PER_S``: the whole group's cap, of which this pod takes
  :func:`group_share` - its assigned partitions out of the subscribed topics' total
  partitions - recomputed on every rebalance (the shares of all members sum to the cap).

Within the ceiling the rate follows AIMD (:func:`aimd_step`): a throttled answer halves it
(never below :data:`MIN_RATE_PER_S`), each accepted answer adds a twentieth of the ceiling.
The in-flight requests of one burst count as one throttling event: an answer to a request sent
before the last cut does not cut again (as TCP halves once per window, not once per loss).

=====================  ==========================================================
answer                 new rate
=====================  ==========================================================
throttled              ``max(floor, rate * DECREASE)``, floor = min(ceiling, MIN)
accepted               ``min(ceiling, rate + ceiling * INCREASE_FRACTION)``
other (error)          unchanged
=====================  ==========================================================

:class:`Pacer` spaces acquisitions ``1 / rate`` apart (no bursts) and takes its clock as an
argument, so the contract is testable without sleeping.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

__all__ = [
    "DECREASE",
    "INCREASE_FRACTION",
    "MIN_RATE_PER_S",
    "Pacer",
    "RequestRate",
    "aimd_step",
    "group_share",
]

#: No pod paces slower than this (a pod with no partitions still drains its last batches).
MIN_RATE_PER_S = 0.1
#: A throttled answer multiplies the rate by this.
DECREASE = 0.5
#: An accepted answer adds this fraction of the ceiling (back to the ceiling in 20 answers).
INCREASE_FRACTION = 0.05


def group_share(group_rate_per_s: float, assigned: int, total: int) -> float:
    """This member's part of ``group_rate_per_s``: ``assigned / total`` of it (0 if no total).

    Over a group whose assignments partition the ``total`` partitions, the shares sum to
    ``group_rate_per_s``.
    """
    if total <= 0 or assigned <= 0:
        return 0.0
    return group_rate_per_s * min(assigned, total) / total


def aimd_step(rate_per_s: float, ceiling_per_s: float, *, throttled: bool) -> float:
    """The rate after one answer: halved on throttling (floored), else one step up (capped)."""
    floor = min(ceiling_per_s, MIN_RATE_PER_S)
    if throttled:
        return max(floor, min(rate_per_s, ceiling_per_s) * DECREASE)
    return max(floor, min(ceiling_per_s, rate_per_s + ceiling_per_s * INCREASE_FRACTION))


class Pacer:
    """Acquisitions at most ``rate`` per second, spaced ``1 / rate`` apart, across threads."""

    __slots__ = ("_clock", "_interval_s", "_lock", "_next")

    def __init__(self, rate_per_s: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._next = 0.0
        self._interval_s = 1.0 / max(rate_per_s, MIN_RATE_PER_S)

    @property
    def rate_per_s(self) -> float:
        """The current rate."""
        return 1.0 / self._interval_s

    def set_rate(self, rate_per_s: float) -> None:
        """Change the rate (floored at :data:`MIN_RATE_PER_S`); the next slot moves with it."""
        with self._lock:
            old = self._interval_s
            self._interval_s = 1.0 / max(rate_per_s, MIN_RATE_PER_S)
            # the slot already handed out stays; the one after it follows the new spacing
            self._next += self._interval_s - old

    def reserve(self) -> float:
        """Take the next slot; the seconds to wait for it (0 when it is now)."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self._interval_s
        return slot - now

    def acquire(self, sleep: Callable[[float], object] = time.sleep) -> None:
        """Wait (in the calling sender thread, never the poll loop) for the next slot."""
        wait = self.reserve()
        if wait > 0:
            sleep(wait)


class RequestRate:
    """This pod's pacing: ceiling = min(pod cap, group share), AIMD within it."""

    def __init__(
        self,
        pod_rate_per_s: float | None,
        group_rate_per_s: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        if pod_rate_per_s is None and group_rate_per_s is None:
            raise ValueError("RequestRate needs a pod or a group rate")
        self._lock = threading.Lock()
        self.pod_rate_per_s = pod_rate_per_s
        self.group_rate_per_s = group_rate_per_s
        # until the first assignment is known, a group member paces at the floor
        self._share = 0.0 if group_rate_per_s is not None else None
        self.ceiling_per_s = self._ceiling()
        self._clock = clock
        self._sleep = sleep
        self.pacer = Pacer(self.ceiling_per_s, clock=clock)
        #: when the rate was last cut: answers to requests sent before it do not cut it again
        self._last_decrease = -math.inf

    def _ceiling(self) -> float:
        caps = [c for c in (self.pod_rate_per_s, self._share) if c is not None]
        return max(min(caps), MIN_RATE_PER_S)

    @property
    def rate_per_s(self) -> float:
        """The rate the sender threads are paced at now."""
        return self.pacer.rate_per_s

    def set_share(self, assigned: int, total: int) -> None:
        """A rebalance: this pod holds ``assigned`` of the subscribed ``total`` partitions."""
        if self.group_rate_per_s is None:
            return
        with self._lock:
            self._share = group_share(self.group_rate_per_s, assigned, total)
            old_ceiling, self.ceiling_per_s = self.ceiling_per_s, self._ceiling()
            rate = self.pacer.rate_per_s
            # keep the AIMD position relative to the ceiling (a throttled pod stays slowed)
            scaled = rate * self.ceiling_per_s / old_ceiling if old_ceiling > 0 else rate
            self.pacer.set_rate(min(scaled, self.ceiling_per_s))

    def on_answer(self, *, throttled: bool, sent_at: float | None = None) -> None:
        """One AIMD step after an answer to a request sent at ``sent_at`` (:meth:`acquire`).

        One congestion event cuts the rate once: a throttled answer to a request sent before
        the last cut (the other in-flight requests of the same burst) leaves it as it is.
        """
        with self._lock:
            if throttled:
                if sent_at is not None and sent_at < self._last_decrease:
                    return
                self._last_decrease = self._clock()
            rate = aimd_step(self.pacer.rate_per_s, self.ceiling_per_s, throttled=throttled)
            self.pacer.set_rate(rate)

    def acquire(self) -> float:
        """Wait for the next slot (in the sender thread); the clock's time when it is taken."""
        self.pacer.acquire(self._sleep)
        return self._clock()
