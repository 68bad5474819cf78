"""SIGTERM handling: the stop is requested before anything else can fail."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from consumer.pipeline import shutdown


class BrokenLog:
    """A logger whose every call fails (a stand-in for any failure inside the handler)."""

    def info(self, *_args: object, **_kwargs: object) -> None:
        raise RuntimeError("log sink failed")


def test_sigterm_sets_stop_even_when_logging_it_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure while logging the signal must not swallow the shutdown request (before, the
    log call came first and an exception there left ``stop`` unset)."""
    monkeypatch.setattr(shutdown, "get_logger", lambda _name: BrokenLog())
    stop = threading.Event()
    restore = shutdown.install_signal_handlers(stop)
    try:
        os.kill(os.getpid(), signal.SIGTERM)
    finally:
        restore()
    assert stop.is_set()
