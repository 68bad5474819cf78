"""SIGTERM/SIGINT handling: the first signal asks the loop to drain and stop."""

from __future__ import annotations

import contextlib
import faulthandler
import signal
import threading
from collections.abc import Callable
from types import FrameType

from consumer.logs import get_logger

__all__ = ["install_signal_handlers"]


def install_signal_handlers(stop: threading.Event) -> Callable[[], None]:
    """Set ``stop`` on SIGTERM/SIGINT; a second signal raises KeyboardInterrupt.

    Returns a function restoring the previous handlers.
    """
    log = get_logger("shutdown")
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def handler(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()  # first: whatever the handler interrupted, the request is never lost
        with contextlib.suppress(Exception):  # a failing log sink must not undo the shutdown
            log.info("shutdown_requested", signal=signal.Signals(signum).name)

    for sig in previous:
        signal.signal(sig, handler)
    # `kill -USR1 <pid>` writes every thread's stack to stderr: a stuck process shows where
    faulthandler.register(signal.SIGUSR1, all_threads=True)

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)
        faulthandler.unregister(signal.SIGUSR1)

    return restore
