"""Structured logging (structlog): JSON off a TTY, console on one; PII masked.

Events are snake_case facts with key-values (``log.info("batch_delivered", signals=500)``).
Every rendered event passes :func:`mask_pii`, so an email or phone number that slips into a
value is masked, and any key that looks like a secret is dropped to ``**********``. A string
value longer than :data:`LOG_FIELD_MAX` is cut (:func:`clip`) before it is masked.

Masking is linear in the text: an address is only searched from the start of a run of name
characters (a look-behind), and the run is read once (a possessive quantifier). The plain
pattern tried every position of a run without ``@`` and read the rest of the run from each:
quadratic, 3.2 s for one 40 kB map key of a hostile event (issue 14).
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import structlog

from consumer.text import clip

__all__ = [
    "LIBRDKAFKA_REPEAT_WINDOW_S",
    "LOG_FIELD_MAX",
    "LibrdkafkaHandler",
    "configure_logging",
    "get_logger",
    "kafka_logger",
    "mask_email",
    "mask_phone",
    "mask_pii",
    "mask_text",
]

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*+@([A-Za-z0-9.-]+\.[A-Za-z]{2,})"
)
_PHONE = re.compile(r"\+\d{6,15}")
_SECRET_KEYS = re.compile(r"(api[_-]?key|password|secret|token|authorization)", re.IGNORECASE)


#: Longest string value a log event keeps (the rest is cut in the middle, see :func:`clip`).
LOG_FIELD_MAX = 4_000


def mask_email(value: str) -> str:
    """``jane@example.com`` -> ``j***@example.com``."""
    return _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", value)


def mask_phone(value: str) -> str:
    """``+14155550100`` -> ``+1***00``."""
    return _PHONE.sub(lambda m: f"{m.group(0)[:2]}***{m.group(0)[-2:]}", value)


def mask_text(value: str) -> str:
    """Mask every email address and E.164 phone number in ``value``."""
    return mask_phone(mask_email(value))


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(clip(value, LOG_FIELD_MAX))
    if isinstance(value, dict):
        return {
            k: ("**********" if _SECRET_KEYS.search(str(k)) else _mask(v)) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_mask(v) for v in value]
    return value


def mask_pii(
    _logger: Any, _name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: mask emails/phones in every value, hide secret-looking keys."""
    for key in list(event_dict):
        if _SECRET_KEYS.search(key):
            event_dict[key] = "**********"
        else:
            event_dict[key] = _mask(event_dict[key])
    return event_dict


class _Stderr:
    """Writes to whatever ``sys.stderr`` is now (test runners and daemons swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "info", fmt: str = "auto") -> None:
    """Configure structlog once for the process (JSON unless ``fmt`` is console or a TTY)."""
    use_console = fmt == "console" or (fmt == "auto" and sys.stderr.isatty())
    renderer: Any = (
        structlog.dev.ConsoleRenderer() if use_console else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            mask_pii,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        logger_factory=structlog.PrintLoggerFactory(file=_Stderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )


def get_logger(name: str | None = None, **initial: Any) -> Any:
    """A bound structlog logger (``component=name`` plus ``initial`` key-values)."""
    logger = structlog.get_logger()
    if name:
        initial = {"component": name, **initial}
    return logger.bind(**initial) if initial else logger


#: librdkafka lines that differ only in numbers are one line for this long: the first is logged,
#: the copies are counted and reported once the window is over (or at exit).
LIBRDKAFKA_REPEAT_WINDOW_S = 30.0
_KEYS_MAX = 256
_DIGITS = re.compile(r"\d+")


@dataclass(slots=True)
class _Repeat:
    """One line being summarised: when its window began and how many copies it has swallowed."""

    since: float
    level: str
    name: str
    message: str
    count: int = 0


class LibrdkafkaHandler(logging.Handler):
    """Forwards stdlib records (librdkafka's, via confluent-kafka's ``logger``) to structlog.

    A dead broker makes librdkafka repeat one line hundreds of times (289 for one ``replay``).
    Lines equal up to their numbers (``after 0ms``) are collapsed per
    :data:`LIBRDKAFKA_REPEAT_WINDOW_S`: the first is logged, later copies only counted, and the
    count is logged as ``librdkafka_log_repeated`` when the next copy arrives after the window
    or when the handler is flushed (``logging.shutdown`` at exit). :func:`kafka_logger`
    installs it (``clock`` and ``window_s`` are for tests).
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        window_s: float = LIBRDKAFKA_REPEAT_WINDOW_S,
    ) -> None:
        super().__init__()
        self._clock, self._window_s = clock, window_s
        self._seen: dict[tuple[str, str], _Repeat] = {}

    def emit(self, record: logging.LogRecord) -> None:
        level = record.levelname.lower()
        level = level if level != "critical" else "error"
        message = record.getMessage()
        key = (level, _DIGITS.sub("#", message))
        now = self._clock()
        seen = self._seen.get(key)
        if seen is not None and now - seen.since < self._window_s:
            seen.count += 1
            return
        if seen is not None:
            self._report(seen)
        elif len(self._seen) >= _KEYS_MAX:
            self._report_all()
        self._seen[key] = _Repeat(now, level, record.name, message)
        self._log(level, "librdkafka_log", client=record.name, message=message)

    def flush(self) -> None:
        """Log the counts of every line still being summarised."""
        self.acquire()
        try:
            self._report_all()
        finally:
            self.release()

    def _report_all(self) -> None:
        for seen in self._seen.values():
            self._report(seen)
        self._seen.clear()

    def _report(self, seen: _Repeat) -> None:
        if seen.count:
            self._log(
                seen.level,
                "librdkafka_log_repeated",
                client=seen.name,
                message=seen.message,
                repeated=seen.count,
                window_s=self._window_s,
            )
        seen.count = 0

    @staticmethod
    def _log(level: str, event: str, **fields: Any) -> None:
        getattr(get_logger("librdkafka"), level)(event, **fields)


def kafka_logger() -> logging.Logger:
    """A stdlib logger for confluent-kafka's ``logger`` setting: librdkafka lines as JSON events."""
    logger = logging.getLogger("signals_consumer.librdkafka")
    if not logger.handlers:
        logger.addHandler(LibrdkafkaHandler())
        logger.propagate = False
        logger.setLevel(logging.INFO)
    return logger
