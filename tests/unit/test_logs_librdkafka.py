"""librdkafka's repeated log lines are summarised, not printed hundreds of times (issue 16.7)."""

from __future__ import annotations

import logging

from structlog.testing import capture_logs

from consumer.logs import LIBRDKAFKA_REPEAT_WINDOW_S, LibrdkafkaHandler

FAIL = (
    "FAIL [signals-consumer#consumer-3] [thrd:localhost:9/bootstrap]: localhost:9/bootstrap: "
    "Connect to ipv4#127.0.0.1:9 failed: Connection refused (after {ms}ms in state CONNECT)"
)


class _Clock:
    """A settable monotonic clock."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _record(message: str, level: int = logging.ERROR) -> logging.LogRecord:
    """One line as confluent-kafka hands it to the configured ``logger``."""
    return logging.LogRecord("rdkafka", level, __file__, 1, message, None, None)


def test_identical_lines_within_the_window_are_logged_once_then_counted() -> None:
    """290 copies of one connect failure give the first line and one summary with the count."""
    clock = _Clock()
    handler = LibrdkafkaHandler(clock=clock)
    with capture_logs() as logs:
        for _ in range(290):
            handler.handle(_record(FAIL.format(ms=0)))
        handler.flush()
    assert [entry["event"] for entry in logs] == ["librdkafka_log", "librdkafka_log_repeated"]
    assert logs[1]["repeated"] == 289
    assert "Connection refused" in logs[1]["message"]


def test_lines_that_differ_only_in_numbers_are_the_same_line() -> None:
    """Timings in a line ('after 0ms', 'after 3ms') do not make it a new line."""
    handler = LibrdkafkaHandler(clock=_Clock())
    with capture_logs() as logs:
        for ms in range(5):
            handler.handle(_record(FAIL.format(ms=ms)))
        handler.flush()
    assert [entry.get("repeated") for entry in logs] == [None, 4]


def test_a_new_window_reports_the_count_and_logs_the_line_again() -> None:
    """After the window the count so far is logged and the next copy is shown again."""
    clock = _Clock()
    handler = LibrdkafkaHandler(clock=clock)
    with capture_logs() as logs:
        for _ in range(3):
            handler.handle(_record(FAIL.format(ms=0)))
        clock.now += LIBRDKAFKA_REPEAT_WINDOW_S + 1
        handler.handle(_record(FAIL.format(ms=0)))
        handler.flush()
    assert [(entry["event"], entry.get("repeated")) for entry in logs] == [
        ("librdkafka_log", None),
        ("librdkafka_log_repeated", 2),
        ("librdkafka_log", None),
    ]


def test_different_lines_are_each_logged() -> None:
    """Two distinct messages are both shown; nothing is summarised without a repeat."""
    handler = LibrdkafkaHandler(clock=_Clock())
    with capture_logs() as logs:
        handler.handle(_record("one thing", logging.WARNING))
        handler.handle(_record("another thing", logging.WARNING))
        handler.flush()
    assert [entry["message"] for entry in logs] == ["one thing", "another thing"]
    assert all(entry["log_level"] == "warning" for entry in logs)
