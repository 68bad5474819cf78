"""Dates, rates and offset ranges of the operations commands."""

from __future__ import annotations

import pytest

from consumer.ops.ranges import (
    EndAt,
    StartAt,
    Watermarks,
    format_ms,
    parse_iso_ms,
    parse_rate,
    resolve_range,
)

MARKS = Watermarks(low=10, high=50)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-05-01T10:00:00Z", 1_746_093_600_000),
        ("2025-05-01T10:00:00", 1_746_093_600_000),
        ("2025-05-01T10:00:00.250Z", 1_746_093_600_250),
        ("2025-05-01T12:00:00+02:00", 1_746_093_600_000),
        ("2025-05-01", 1_746_057_600_000),
        ("2025-05-01T10:00:00z", 1_746_093_600_000),
    ],
)
def test_iso_dates_with_or_without_zone(text: str, expected: int) -> None:
    """ISO 8601 dates parse with Z, an offset or none (UTC) to epoch milliseconds."""
    assert parse_iso_ms(text) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "2025-13-01", "1746093600"])
def test_bad_dates_are_refused(text: str) -> None:
    """Anything that is not an ISO 8601 date raises ValueError with an example."""
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_iso_ms(text)


def test_format_ms_round_trips() -> None:
    """format_ms prints UTC with milliseconds and a Z; None and negatives print a dash."""
    assert format_ms(1_746_093_600_250) == "2025-05-01T10:00:00.250Z"
    assert parse_iso_ms(format_ms(1_746_093_600_250)) == 1_746_093_600_250
    assert format_ms(None) == "-"
    assert format_ms(-1) == "-"


@pytest.mark.parametrize(
    ("text", "per_s"), [("50", 50.0), ("50/s", 50.0), ("2.5 / sec", 2.5), ("120/min", 2.0)]
)
def test_rates(text: str, per_s: float) -> None:
    """Rates accept N, N/s and N/min and come out per second."""
    assert parse_rate(text) == pytest.approx(per_s)


@pytest.mark.parametrize("text", ["fast", "0/s", "-3/s", "5/h"])
def test_bad_rates_are_refused(text: str) -> None:
    """A rate that is not a positive N/s or N/min raises ValueError."""
    with pytest.raises(ValueError, match="rate"):
        parse_rate(text)


def test_offset_range_is_half_open() -> None:
    """--from-offset 20 --to-offset 30 reads offsets 20..29."""
    rng = resolve_range("t", 0, StartAt("offset", 20), EndAt("offset", 30), MARKS)
    assert (rng.start, rng.end, rng.size, rng.truncated) == (20, 30, 10, False)


def test_start_before_retained_data_is_moved_and_explained() -> None:
    """A start below the log start offset begins there and says which offsets are gone."""
    rng = resolve_range("t", 2, StartAt("offset", 3), EndAt("now"), MARKS)
    assert (rng.start, rng.end, rng.truncated) == (10, 50, True)
    message = rng.truncation_message()
    assert message is not None
    assert "t[2]" in message
    assert "log start offset" in message
    assert "3..9" in message


def test_earliest_is_never_truncated() -> None:
    """--from-earliest starts at the log start offset without a warning."""
    rng = resolve_range("t", 0, StartAt("earliest"), EndAt("now"), MARKS)
    assert (rng.start, rng.end, rng.truncated) == (10, 50, False)
    assert rng.truncation_message() is None


def test_time_start_before_retained_data_warns() -> None:
    """A start time that resolves to the log start of a trimmed log warns that data may be gone."""
    rng = resolve_range("t", 0, StartAt("time", 1), EndAt("now"), MARKS, start_time_offset=10)
    assert rng.truncated
    assert "may be gone" in (rng.truncation_message() or "")


def test_time_start_inside_the_log() -> None:
    """A start time inside the retained data starts at the broker's offset, no warning."""
    rng = resolve_range("t", 0, StartAt("time", 1), EndAt("now"), MARKS, start_time_offset=25)
    assert (rng.start, rng.truncated) == (25, False)


def test_time_without_records_after_it_is_empty() -> None:
    """No record at or after the start time (offset -1) gives an empty range at the end."""
    rng = resolve_range("t", 0, StartAt("time", 1), EndAt("now"), MARKS, start_time_offset=-1)
    assert (rng.start, rng.end, rng.empty) == (50, 50, True)


def test_end_time_and_offset_are_clamped_to_the_end() -> None:
    """End offsets beyond the end offset, and end times with no record after, stop at the end."""
    by_offset = resolve_range("t", 0, StartAt("offset", 20), EndAt("offset", 999), MARKS)
    by_time = resolve_range(
        "t", 0, StartAt("offset", 20), EndAt("time", 5), MARKS, end_time_offset=None
    )
    inside = resolve_range(
        "t", 0, StartAt("offset", 20), EndAt("time", 5), MARKS, end_time_offset=35
    )
    assert (by_offset.end, by_time.end, inside.end) == (50, 50, 35)


def test_end_before_start_is_empty() -> None:
    """An end before the start gives an empty range rather than a negative one."""
    rng = resolve_range("t", 0, StartAt("offset", 40), EndAt("offset", 20), MARKS)
    assert rng.empty
    assert rng.size == 0
