"""Backoff waits and ``Retry-After`` parsing: hostile hints never crash and never mean "at once"."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from consumer.connect.backoff import MAX_RETRY_AFTER_S, Backoff, parse_retry_after

NOW = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "value",
    [
        "Thu, 01 Jan 99999999999999999999 00:00:00 GMT",
        "Fri, 31 Dec 9999 23:59:59 -2359",
        "Mon, 01 Jan 0001 00:00:00 +2359",
        "1e400",
        "-1e400",
        "inf",
        "nan",
        "9" * 5000,
        "Thu, 01 Jan 2026 99:99:99 GMT",
        "\x00",
    ],
)
def test_parse_retry_after_never_raises(value: str) -> None:
    """Any header value gives seconds within [0, MAX_RETRY_AFTER_S] or None, never an error."""
    seconds = parse_retry_after(value, now=NOW)
    assert seconds is None or 0.0 <= seconds <= MAX_RETRY_AFTER_S


@pytest.mark.parametrize("hint", ["0", "Thu, 01 Jan 2026 11:00:00 GMT"])
def test_a_zero_or_past_retry_after_still_waits_the_backoff_floor(hint: str) -> None:
    """``Retry-After: 0`` or a past date waits at least the initial backoff, never at once."""
    backoff = Backoff(500, 60_000, rng=random.Random(7))
    retry_after = parse_retry_after(hint, now=NOW)
    assert retry_after == 0.0
    waits = [backoff.next_delay_s(1, retry_after) for _ in range(200)]
    assert min(waits) >= 0.5


def test_the_wait_is_the_larger_of_the_hint_and_the_own_backoff() -> None:
    """A short hint after many failures waits the grown backoff; a long hint waits the hint."""
    backoff = Backoff(500, 60_000, rng=random.Random(3))
    grown = [backoff.next_delay_s(10, 2.0) for _ in range(200)]
    assert max(grown) > 30.0  # the own ceiling at attempt 10 is 60 s
    assert min(grown) >= 2.0
    assert all(120.0 <= backoff.next_delay_s(1, 120.0) <= 132.0 for _ in range(50))
