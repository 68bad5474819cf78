"""The one error tree of the consumer.

Every failure the consumer raises is a :class:`ConsumerError`. Its branches decide what the
pipeline does with it::

    ConsumerError
    ├── ConfigurationError        stop the process; the message names the setting
    ├── ApiAuthError              the Connect API refused the key: pause everything and probe
    │                             with backoff; commit nothing, report not ready, dead-letter
    │                             nothing (a one-shot command stops with exit code 4)
    ├── OperationRefused          an operations command will not act: message, exit code 1
    ├── RetryableError            pause the affected partitions, back off, try again
    │   ├── ApiThrottled          HTTP 429 / code 429 (carries Retry-After in seconds)
    │   ├── ApiUnavailable        5xx, timeouts, connection errors, a wrong signalIds count
    │   ├── RegistryUnavailable   the schema registry cannot be reached
    │   └── DeadLetterUnavailable the dead-letter topic cannot be written (nothing is committed)
    └── PermanentError            this event can never be delivered as it is: dead-letter it
        ├── DecodeError           undecodable bytes, wrong magic byte, malformed Avro body
        ├── UnknownSchemaError    the schema id is not in the registry
        ├── IncompatibleSchemaError writer schema cannot be resolved to our reader schema
        ├── MappingError          a decoded event cannot be turned into a signal
        ├── InternalTranslateError translation crashed (a bug); the event is dead-lettered
        ├── SignalValidationError the signal breaks a Connect rule (field + reason)
        │   └── NotEntitledError  the signal type is not in the subscription tier
        ├── SignalRejectedError   the Connect API rejected signals (BAD_USER_INPUT)
        │   ├── BatchRejected     the whole mutation; ``violations`` maps index -> message
        │   └── ApiRejectedSignal one signal of it; ``api_error`` is the API's message
        └── RetriesExhaustedError a batch failed transiently for longer than the limit

:class:`ExitCode` is what the pipeline and the commands end with; only ``consumer.cli`` and
``consumer.commands`` hand it to the process.

Third-party errors are wrapped with ``raise ... from exc``. A :class:`PermanentError` carries
the raw Kafka message (when known) so the dead-letter topic receives the exact bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from typing import TYPE_CHECKING

from consumer.text import ERROR_TEXT_MAX, clip

if TYPE_CHECKING:
    from consumer.types import KafkaMessage

__all__ = [
    "ApiAuthError",
    "ApiRejectedSignal",
    "ApiThrottled",
    "ApiUnavailable",
    "BatchRejected",
    "ConfigurationError",
    "ConsumerError",
    "DeadLetterUnavailable",
    "DecodeError",
    "ExitCode",
    "IncompatibleSchemaError",
    "InternalTranslateError",
    "MappingError",
    "NotEntitledError",
    "OperationRefused",
    "PermanentError",
    "RegistryUnavailable",
    "RetriesExhaustedError",
    "RetryableError",
    "SignalRejectedError",
    "SignalValidationError",
    "UnknownSchemaError",
]


class ExitCode(IntEnum):
    """Process exit codes (README): the pipeline returns one, the CLI exits with it."""

    OK = 0  #: done / clean shutdown
    ERROR = 1  #: unexpected error, or an operations command refused (2 is Typer's bad usage)
    CONFIG = 3  #: configuration error; the message names the setting
    AUTH = 4  #: the Connect API refused the API key
    DRAIN_TIMEOUT = 5  #: drain deadline passed on shutdown (work left uncommitted, redelivered)
    INTERRUPTED = 130  #: an operations command was interrupted (Ctrl-C)


class ConsumerError(Exception):
    """Base of every error the consumer raises."""


# --- configuration ---------------------------------------------------------------------------


class ConfigurationError(ConsumerError):
    """A setting is missing or wrong; the process must stop. ``setting`` names it."""

    def __init__(self, message: str, *, setting: str | None = None) -> None:
        super().__init__(message)
        self.setting = setting


# --- refused API key ---------------------------------------------------------------------------


class ApiAuthError(ConsumerError):
    """The Connect API refused the API key (401/403, UNAUTHENTICATED, FORBIDDEN).

    Not a :class:`ConfigurationError`: the pipeline pauses and probes (the key may be fixed
    on the Connect side), a one-shot command stops with :attr:`ExitCode.AUTH`.
    """

    setting = "SIGNALS_CONNECT_API_KEY"


class OperationRefused(ConsumerError):
    """An operations command will not act: a group with active members, an unknown topic..."""


# --- retryable -------------------------------------------------------------------------------


class RetryableError(ConsumerError):
    """A transient failure: the same work may succeed later. ``cause`` labels metrics."""

    cause = "transient"

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ApiThrottled(RetryableError):
    """The API answered 429; ``retry_after_s`` holds the Retry-After delay when given."""

    cause = "throttled"


class ApiUnavailable(RetryableError):
    """5xx, a timeout, a connection error, or a response that cannot be trusted."""

    cause = "unavailable"


class RegistryUnavailable(RetryableError):
    """The schema registry could not be reached or answered 5xx."""

    cause = "registry"


class DeadLetterUnavailable(RetryableError):
    """The dead-letter topic could not be written; nothing may be committed past it."""

    cause = "dlq"


# --- permanent (per event) ---------------------------------------------------------------------


class PermanentError(ConsumerError):
    """This event cannot be delivered as it is; it goes to the dead-letter topic.

    ``code`` is a stable snake_case reason (also the ``dlq_reason`` metric label), ``stage`` is
    where it failed (``decode``, ``map``, ``validate``, ``send``; Kafka Connect's stage header),
    ``field`` names the offending field when there is one, and ``raw`` is the Kafka message.
    The message is cut to ``ERROR_TEXT_MAX`` characters (:func:`consumer.text.clip`): an
    event's content can be in it, and it is masked, logged and written as a header.
    """

    code = "permanent"
    stage = "process"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        raw: KafkaMessage | None = None,
        schema_id: int | None = None,
    ) -> None:
        message = clip(message, ERROR_TEXT_MAX)
        super().__init__(message)
        self.reason = message
        self.field = field
        self.raw = raw
        self.schema_id = schema_id


class DecodeError(PermanentError):
    """The bytes are not a Confluent-framed Avro record we can read."""

    code = "undecodable"
    stage = "decode"


class UnknownSchemaError(PermanentError):
    """The schema id in the frame is not known to the registry."""

    code = "unknown_schema"
    stage = "decode"


class IncompatibleSchemaError(PermanentError):
    """The writer schema cannot be resolved to the reader schema kept in ``schemas/``."""

    code = "incompatible_schema"
    stage = "decode"


class MappingError(PermanentError):
    """The decoded event cannot be mapped to a signal (missing or mistyped field)."""

    code = "mapping_failed"
    stage = "map"


class InternalTranslateError(PermanentError):
    """Translation failed with an unexpected error (a bug); the event is dead-lettered."""

    code = "internal_error"
    stage = "map"


class SignalValidationError(PermanentError):
    """The signal breaks a Connect validation rule; ``field`` and ``reason`` say which."""

    code = "invalid_signal"
    stage = "validate"


class NotEntitledError(SignalValidationError):
    """The signal type is not entitled by the configured subscription tier."""

    code = "not_entitled"


class SignalRejectedError(PermanentError):
    """The Connect API rejected this signal (BAD_USER_INPUT); carries the API's message."""

    code = "rejected_by_api"
    stage = "send"


class BatchRejected(SignalRejectedError):
    """The API refused the whole mutation; ``violations`` names bad signals by index."""

    def __init__(self, message: str, violations: Mapping[int, str] | None = None) -> None:
        super().__init__(message)
        self.violations: dict[int, str] = dict(violations or {})


class ApiRejectedSignal(SignalRejectedError):
    """One signal the API refused; ``api_error`` is the API's message."""

    def __init__(self, api_error: str, *, raw: KafkaMessage, schema_id: int | None) -> None:
        super().__init__(f"rejected by the Connect API: {api_error}", raw=raw, schema_id=schema_id)
        self.api_error = api_error


class RetriesExhaustedError(PermanentError):
    """A batch kept failing transiently for longer than ``retry_max_elapsed_s``."""

    code = "retries_exhausted"
    stage = "send"
