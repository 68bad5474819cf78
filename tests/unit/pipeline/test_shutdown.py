"""SIGTERM handling: the stop is requested without taking any lock the interrupted code may hold."""

from __future__ import annotations

import logging
import os
import signal
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager

import structlog
from structlog.testing import capture_logs

from consumer.errors import ExitCode
from consumer.pipeline import shutdown
from tests.unit.child import finishes
from tests.unit.pipeline.fakes import FakeProducer, ScriptedSender
from tests.unit.pipeline.test_loop import FakeConsumer, _pipeline

# A log line whose writing is interrupted by SIGTERM: the handler runs on the main thread while
# that thread holds structlog's (non-reentrant) write lock, as it does whenever a signal lands
# during a log call of the poll loop.
_MID_LOG_LINE = textwrap.dedent(
    """
    import os, signal, sys
    from consumer.logs import configure_logging, get_logger
    from consumer.pipeline.shutdown import ShutdownRequest, install_signal_handlers

    class Stderr:
        def __init__(self, real):
            self.real, self.sent = real, False
        def write(self, text):
            if not self.sent:
                self.sent = True
                os.kill(os.getpid(), signal.SIGTERM)  # the handler runs before write returns
                sum(range(1000))
            return self.real.write(text)
        def flush(self):
            self.real.flush()

    configure_logging("info", "json")
    stop = ShutdownRequest()
    restore = install_signal_handlers(stop)
    sys.stderr = Stderr(sys.stderr)
    get_logger("loop").info("a_line_of_the_poll_loop")
    restore()
    print("stop set" if stop.is_set() else "stop lost", flush=True)
    """
)


def test_sigterm_during_a_log_line_neither_deadlocks_nor_is_lost() -> None:
    """A SIGTERM that lands while the main thread writes a log line sets the stop and returns
    (before, the handler logged and waited for ever on the write lock its own thread held)."""
    out = finishes(_MID_LOG_LINE, hang="the SIGTERM handler deadlocked on the log write lock")
    assert out.strip() == "stop set"


def test_a_second_signal_interrupts() -> None:
    """The first SIGTERM asks for a drain; a second one raises KeyboardInterrupt at once."""
    stop = shutdown.ShutdownRequest()
    restore = shutdown.install_signal_handlers(stop)
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.is_set()
        assert stop.signum == signal.SIGTERM
        try:
            os.kill(os.getpid(), signal.SIGTERM)
        except KeyboardInterrupt:
            pass
        else:
            raise AssertionError("the second signal did not interrupt")
    finally:
        restore()


@contextmanager
def info_level() -> Iterator[None]:
    """Info lines pass for the block, whatever level an earlier test configured."""
    wrapper = structlog.get_config()["wrapper_class"]
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    try:
        yield
    finally:
        structlog.configure(wrapper_class=wrapper)


def test_the_drain_names_the_signal_that_asked_for_it() -> None:
    """The loop's ``drain_started`` line says which signal stopped it (the handler only stores
    its number: it may not log)."""
    stop = shutdown.ShutdownRequest()
    stop.signum = signal.SIGTERM
    stop.set()
    with info_level(), capture_logs() as logs:  # a logger takes its level when it is built
        pipeline = _pipeline(FakeConsumer("t", {0: [b"v"]}), FakeProducer(), ScriptedSender())
        assert pipeline.run(stop) == ExitCode.OK
    started = [entry for entry in logs if entry["event"] == "drain_started"]
    assert [entry["signal"] for entry in started] == ["SIGTERM"]
