"""The optional latency recorder (``--record-latency``): reservoir, window, /admin/stats."""

from __future__ import annotations

from pathlib import Path

import pytest

from connect_sandbox.latency import LatencyRecorder, percentile, timestamp_ms
from tests.sandbox.helpers import golden_input, sandbox_client

# 2025-05-01T10:00:00.123Z, the golden inputs' signalTimestamp
GOLDEN_TS_MS = 1_746_093_600_123


def _input(ts_ms: int) -> dict[str, object]:
    iso = f"2025-05-01T10:00:{(ts_ms - 1_746_093_600_000) // 1000:02d}."
    iso += f"{(ts_ms - 1_746_093_600_000) % 1000:03d}Z"
    return {"signalContent": {"signalTimestamp": iso}}


def test_timestamp_ms_reads_iso_with_offset_only() -> None:
    """ISO 8601 with an offset gives epoch ms; no offset, garbage or a non-string gives None."""
    assert timestamp_ms("2025-05-01T10:00:00.123Z") == GOLDEN_TS_MS
    assert timestamp_ms("2025-05-01T12:00:00.123+02:00") == GOLDEN_TS_MS
    assert timestamp_ms("2025-05-01T10:00:00.123") is None
    assert timestamp_ms("yesterday") is None
    assert timestamp_ms(GOLDEN_TS_MS) is None


def test_percentile_is_nearest_rank() -> None:
    """Nearest-rank percentiles of an ascending list; None when empty."""
    values = list(range(1, 101))
    assert percentile(values, 0.5) == 50
    assert percentile(values, 0.99) == 99
    assert percentile(values, 1.0) == 100
    assert percentile([7], 0.99) == 7
    assert percentile([], 0.5) is None


def test_recorder_keeps_window_counts_and_latencies() -> None:
    """Each accepted mutation moves the window; latency is acceptance minus signalTimestamp."""
    recorder = LatencyRecorder()
    recorder.observe([_input(GOLDEN_TS_MS)] * 3, GOLDEN_TS_MS + 40)
    recorder.observe([_input(GOLDEN_TS_MS), {"signalContent": {}}], GOLDEN_TS_MS + 100)
    snap = recorder.snapshot()
    assert snap["signals"] == 5
    assert snap["mutations"] == 2
    assert (snap["first_accept_ms"], snap["last_accept_ms"]) == (
        GOLDEN_TS_MS + 40,
        GOLDEN_TS_MS + 100,
    )
    assert snap["first_mutation_signals"] == 3
    assert (snap["with_timestamp"], snap["without_timestamp"]) == (4, 1)
    assert (snap["p50_ms"], snap["p99_ms"], snap["min_ms"], snap["max_ms"]) == (40, 100, 40, 100)


def test_reservoir_stays_bounded_and_uniform() -> None:
    """Past its capacity the sample keeps its size and still spans the whole run."""
    recorder = LatencyRecorder(capacity=500, seed=3)
    for step in range(100):
        recorder.observe([_input(GOLDEN_TS_MS)] * 100, GOLDEN_TS_MS + step)
    snap = recorder.snapshot()
    assert snap["sampled"] == 500
    assert snap["with_timestamp"] == 10_000
    assert 35 <= snap["p50_ms"] <= 65
    assert snap["p99_ms"] >= 90
    recorder.reset()
    assert recorder.snapshot()["sampled"] == 0
    assert recorder.snapshot()["first_accept_ms"] is None
    with pytest.raises(ValueError, match="capacity"):
        LatencyRecorder(capacity=0)


def test_stats_show_latency_only_when_enabled(tmp_path: Path) -> None:
    """With record_latency /admin/stats has 'latency' (cleared by reset); without, no key."""
    clock = lambda: (GOLDEN_TS_MS + 250) / 1000  # noqa: E731
    with sandbox_client(
        tmp_path / "a.db", benchmark=True, record_latency=True, clock=clock
    ) as client:
        client.ids([golden_input("order"), golden_input("pageView")])
        latency = client.stats()["latency"]
        assert latency["signals"] == 2
        assert latency["p99_ms"] == 250
        client.http.post("/admin/reset")
        assert client.stats()["latency"]["signals"] == 0
    with sandbox_client(tmp_path / "b.db", benchmark=True) as client:
        client.ids([golden_input("order")])
        assert "latency" not in client.stats()
