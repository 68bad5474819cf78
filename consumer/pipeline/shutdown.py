"""SIGTERM/SIGINT handling: the first signal asks the loop to drain and stop.

A Python signal handler runs on the main thread between two bytecodes, possibly while that thread
holds a lock: structlog's write lock in the middle of a log line, the condition inside
``threading.Event.set``. Anything the handler does that takes such a lock waits for ever on its
own thread (a consumer once ignored its SIGTERM that way, its handler logging). So the handler
takes no lock and logs nothing: it sets a :class:`ShutdownRequest` (a plain attribute), and the
poll loop logs ``drain_started`` when it sees it.
"""

from __future__ import annotations

import faulthandler
import signal
from collections.abc import Callable
from types import FrameType

__all__ = ["ShutdownRequest", "install_signal_handlers"]


class ShutdownRequest:
    """A stop flag without a lock: set by a signal handler or the loop, read by the loop."""

    __slots__ = ("_set", "signum")

    def __init__(self) -> None:
        self._set = False
        #: the signal that asked for the stop, if one did (the loop names it in its log)
        self.signum: int | None = None

    def is_set(self) -> bool:
        """True once a stop is requested."""
        return self._set

    def set(self) -> None:
        """Request the stop (one attribute store: safe wherever the main thread was)."""
        self._set = True


def install_signal_handlers(stop: ShutdownRequest) -> Callable[[], None]:
    """Set ``stop`` on SIGTERM/SIGINT; a second signal raises KeyboardInterrupt.

    A :class:`ShutdownRequest`, not any :class:`~consumer.types.StopFlag`: a ``threading.Event``
    takes a lock in ``set``, which the interrupted main thread may hold.

    Returns a function restoring the previous handlers.
    """
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def handler(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.signum = signum
        stop.set()

    for sig in previous:
        signal.signal(sig, handler)
    # `kill -USR1 <pid>` writes every thread's stack to stderr: a stuck process shows where
    faulthandler.register(signal.SIGUSR1, all_threads=True)

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)
        faulthandler.unregister(signal.SIGUSR1)

    return restore
