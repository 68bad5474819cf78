"""The request-rate cap: group shares sum to the cap, AIMD steps, and a clock-driven pacer."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consumer.connect.ratelimit import (
    DECREASE,
    INCREASE_FRACTION,
    MIN_RATE_PER_S,
    Pacer,
    RequestRate,
    aimd_step,
    group_share,
)


class Clock:
    """A settable monotonic clock."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@given(
    rate=st.floats(min_value=0.1, max_value=10_000),
    split=st.lists(st.integers(min_value=0, max_value=64), min_size=1, max_size=12),
)
def test_group_shares_sum_to_the_group_rate(rate: float, split: list[int]) -> None:
    """Whatever the split of the partitions among members, their shares sum to the group rate."""
    total = sum(split)
    shares = [group_share(rate, n, total) for n in split]
    expected = rate if total else 0.0
    assert math.isclose(sum(shares), expected, rel_tol=1e-9, abs_tol=1e-9)


def test_group_share_is_proportional() -> None:
    """Three of twelve partitions take a quarter of the rate; none or an unknown total, nothing."""
    assert group_share(40.0, 3, 12) == 10.0
    assert group_share(40.0, 0, 12) == 0.0
    assert group_share(40.0, 3, 0) == 0.0


def test_aimd_halves_on_throttling_and_floors() -> None:
    """A throttled answer multiplies the rate by DECREASE, never going below the floor."""
    assert aimd_step(10.0, 10.0, throttled=True) == 10.0 * DECREASE
    assert aimd_step(MIN_RATE_PER_S, 10.0, throttled=True) == MIN_RATE_PER_S
    assert aimd_step(0.05, 0.05, throttled=True) == 0.05  # a ceiling below the floor holds


def test_aimd_adds_a_step_on_acceptance_up_to_the_ceiling() -> None:
    """An accepted answer adds a fraction of the ceiling, never past the ceiling."""
    assert aimd_step(5.0, 10.0, throttled=False) == pytest.approx(5.0 + 10.0 * INCREASE_FRACTION)
    assert aimd_step(9.9, 10.0, throttled=False) == 10.0
    assert aimd_step(20.0, 10.0, throttled=False) == 10.0  # a lowered ceiling applies at once


def test_pacer_spaces_slots_and_follows_set_rate() -> None:
    """Slots are 1/rate apart; after set_rate the next slot follows the new spacing."""
    clock = Clock()
    pacer = Pacer(2.0, clock=clock)
    assert [pacer.reserve() for _ in range(3)] == [0.0, 0.5, 1.0]
    pacer.set_rate(1.0)
    assert pacer.reserve() == pytest.approx(2.0)  # slot at +1.0 kept, the next one 1 s later
    clock.now += 10
    assert pacer.reserve() == 0.0  # idle time is not saved up as a burst
    assert pacer.reserve() == pytest.approx(1.0)


def test_pacer_acquire_sleeps_for_the_slot() -> None:
    """``acquire`` sleeps exactly the wait of its slot, and not at all when the slot is now."""
    clock = Clock()
    pacer = Pacer(4.0, clock=clock)
    slept: list[float] = []
    pacer.acquire(slept.append)
    pacer.acquire(slept.append)
    assert slept == [0.25]


def test_request_rate_takes_the_lower_cap_and_follows_rebalances() -> None:
    """The ceiling is min(pod cap, group share), recomputed on every set_share."""
    rate = RequestRate(8.0, 30.0, clock=Clock())
    assert rate.rate_per_s == MIN_RATE_PER_S  # a member with no assignment yet
    rate.set_share(1, 3)
    assert rate.ceiling_per_s == 8.0  # share 10 > pod cap 8
    rate.set_share(1, 6)
    assert rate.ceiling_per_s == 5.0
    assert rate.rate_per_s <= 5.0


def test_request_rate_backs_off_and_recovers_within_the_share() -> None:
    """Throttling halves the paced rate; accepted answers bring it back to the share, no further."""
    rate = RequestRate(None, 40.0, clock=Clock())
    rate.set_share(2, 4)
    for _ in range(30):
        rate.on_answer(throttled=False)
    assert rate.rate_per_s == pytest.approx(20.0)
    rate.on_answer(throttled=True)
    assert rate.rate_per_s == pytest.approx(10.0)
    for _ in range(100):
        rate.on_answer(throttled=False)
    assert rate.rate_per_s == pytest.approx(20.0)


def test_request_rate_pod_cap_alone_ignores_rebalances() -> None:
    """Without a group rate the pod cap is the ceiling from the start and set_share is a no-op."""
    rate = RequestRate(5.0, None, clock=Clock())
    assert rate.rate_per_s == 5.0
    rate.set_share(0, 10)
    assert rate.ceiling_per_s == 5.0


def test_request_rate_needs_a_cap() -> None:
    """Neither cap set is a programming error."""
    with pytest.raises(ValueError, match="pod or a group"):
        RequestRate(None, None)


def test_one_burst_of_throttled_answers_cuts_the_rate_once() -> None:
    """Throttled answers to requests sent before the last cut do not cut again; later ones do."""
    clock = Clock()
    waits: list[float] = []
    rate = RequestRate(16.0, None, clock=clock, sleep=waits.append)
    sent = [rate.acquire() for _ in range(3)]  # in flight together
    clock.now += 0.5
    for sent_at in sent:
        rate.on_answer(throttled=True, sent_at=sent_at)
    assert rate.rate_per_s == pytest.approx(8.0)
    clock.now += 1.0
    rate.on_answer(throttled=True, sent_at=rate.acquire())
    assert rate.rate_per_s == pytest.approx(4.0)
