"""Exponential backoff with full jitter, honouring ``Retry-After``; and ``Retry-After`` parsing.

Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): the n-th wait is uniform
in ``[0, min(max, initial * 2**(n-1))]``, which spreads retries of many pods apart. When the
server says how long to wait (``Retry-After``, ``extensions.rateLimit.retryAfterMs``), the wait
is the larger of that hint (plus up to 10%, so that pods do not return in lockstep) and the
client's own backoff, which is then at least ``initial``: ``Retry-After: 0`` or a date in the
past never means "at once" (a request storm against a struggling API).

:func:`parse_retry_after` never raises: a hostile header is ignored or clamped.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math
import random

__all__ = ["MAX_RETRY_AFTER_S", "Backoff", "parse_retry_after"]

#: A ``Retry-After`` beyond this is clamped (a misconfigured proxy must not park us for days).
MAX_RETRY_AFTER_S = 3600.0


class Backoff:
    """``next_delay_s(attempt, retry_after_s)``: seconds to wait before attempt ``attempt + 1``."""

    __slots__ = ("_initial_s", "_max_s", "_random")

    def __init__(self, initial_ms: int, max_ms: int, *, rng: random.Random | None = None) -> None:
        self._initial_s = initial_ms / 1000
        self._max_s = max_ms / 1000
        self._random = rng or random.Random()

    def ceiling_s(self, attempt: int) -> float:
        """The upper bound of the jittered wait after ``attempt`` failures (attempt >= 1)."""
        exponent = min(max(attempt, 1) - 1, 62)
        return float(min(self._max_s, self._initial_s * (2**exponent)))

    def next_delay_s(self, attempt: int, retry_after_s: float | None = None) -> float:
        """A full-jitter wait; with a server hint, the larger of it (+ up to 10%) and the own
        backoff floored at ``initial``."""
        own = self._random.uniform(0, self.ceiling_s(attempt))
        if retry_after_s is None or not retry_after_s >= 0:  # None, negative or NaN: no hint
            return own
        hint = min(retry_after_s, MAX_RETRY_AFTER_S)
        return max(hint + self._random.uniform(0, hint * 0.1), own, self._initial_s)


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date (RFC 9110 10.2.3); else None.

    Never raises: a date outside what :mod:`datetime` can hold is ignored (None).
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return None if math.isnan(seconds) else min(max(seconds, 0.0), MAX_RETRY_AFTER_S)
    try:
        when = email.utils.parsedate_to_datetime(text)
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        delta = (when - (now or dt.datetime.now(dt.UTC))).total_seconds()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return min(max(delta, 0.0), MAX_RETRY_AFTER_S)
