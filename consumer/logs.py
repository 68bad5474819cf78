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
from collections.abc import MutableMapping
from typing import Any

import structlog

from consumer.text import clip

__all__ = [
    "LOG_FIELD_MAX",
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


class _StructlogHandler(logging.Handler):
    """Forwards stdlib records (librdkafka's, via confluent-kafka's ``logger``) to structlog."""

    def emit(self, record: logging.LogRecord) -> None:
        level = record.levelname.lower()
        method = getattr(get_logger("librdkafka"), level if level != "critical" else "error")
        method("librdkafka_log", client=record.name, message=record.getMessage())


def kafka_logger() -> logging.Logger:
    """A stdlib logger for confluent-kafka's ``logger`` setting: librdkafka lines as JSON events."""
    logger = logging.getLogger("signals_consumer.librdkafka")
    if not logger.handlers:
        logger.addHandler(_StructlogHandler())
        logger.propagate = False
        logger.setLevel(logging.INFO)
    return logger
