"""The one error tree of the consumer.

Every failure the consumer raises is a :class:`ConsumerError`. Its branches decide what the
pipeline does with it::

    ConsumerError
    ├── ConfigurationError        stop the process; the message names the setting
    ├── ApiAuthError              the Connect API refused the key: pause everything and probe
    │                             with backoff; commit nothing, report not ready, dead-letter
    │                             nothing (a one-shot command stops with exit code 4)
    ├── ApiQueryRejected          the API refused the mutation document itself (parse or
    │                             validation of the whole query): bisected without dead
    │                             letters; confirmed by a one-signal mutation, it stops sending
    │                             like a refused key (not ready, probe with backoff)
    ├── OperationRefused          an operations command will not act: message, exit code 1
    ├── RetryableError            pause the affected partitions, back off, try again
    │   ├── ApiThrottled          HTTP 429 / code 429 (carries Retry-After in seconds)
    │   ├── ApiUnavailable        5xx, timeouts, connection errors, non-GraphQL bodies
    │   ├── ApiUnrecognised       an error the table does not know: retried a bounded number
    │   │                         of times (SIGNALS_UNKNOWN_ERROR_MAX_ATTEMPTS), then rejected
    │   ├── SignalIdsMismatch     ``signalIds`` with nulls or the wrong count: the accepted
    │   │                         ones finish, the rest is split to find the truth
    │   ├── RegistryUnavailable   the schema registry cannot be reached
    │   │   └── SchemaPending     the schema is being fetched off the poll thread (``ready()``)
    │   └── DeadLetterUnavailable the dead-letter topic cannot be written (nothing is committed)
    └── PermanentError            this event can never be delivered as it is: dead-letter it
        ├── DecodeError           undecodable bytes, wrong magic byte, malformed Avro body
        ├── RecordTooLargeError   key + value above SIGNALS_MAX_RECORD_BYTES: never decoded
        ├── UnknownSchemaError    the schema id is not in the registry
        ├── IncompatibleSchemaError writer schema cannot be resolved to our reader schema
        ├── MappingError          a decoded event cannot be turned into a signal
        ├── InternalTranslateError translation crashed (a bug); the event is dead-lettered
        ├── SignalValidationError the signal breaks a Connect rule (field + reason)
        │   └── NotEntitledError  the signal type is not in the subscription tier
        ├── SignalRejectedError   the Connect API rejected signals (BAD_USER_INPUT)
        │   ├── BatchRejected     the whole mutation; ``violations`` maps index -> message
        │   └── ApiRejectedSignal one signal of it; ``api_error`` is the API's message
        ├── SignalNotConfirmed    a signal alone got a null id or the wrong signalIds count
        └── RetriesExhaustedError a batch failed transiently for longer than the limit

:class:`ExitCode` is what the pipeline and the commands end with; only ``consumer.cli`` and
``consumer.commands`` hand it to the process.

Third-party errors are wrapped with ``raise ... from exc``. A :class:`PermanentError` carries
the raw Kafka message (when known) so the dead-letter topic receives the exact bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import IntEnum
from typing import TYPE_CHECKING

from consumer.text import ERROR_TEXT_MAX, clip

if TYPE_CHECKING:
    from consumer.types import KafkaMessage

__all__ = [
    "ApiAuthError",
    "ApiQueryRejected",
    "ApiRejectedSignal",
    "ApiThrottled",
    "ApiUnavailable",
    "ApiUnrecognised",
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
    "RecordTooLargeError",
    "RegistryUnavailable",
    "RetriesExhaustedError",
    "RetryableError",
    "SchemaPending",
    "SignalIdsMismatch",
    "SignalNotConfirmed",
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


class ApiQueryRejected(ConsumerError):
    """The API refused the mutation document itself (``GRAPHQL_PARSE_FAILED`` /
    ``GRAPHQL_VALIDATION_FAILED`` without a ``createSignals`` path).

    Not the data's fault when a one-signal mutation fails the same way: the pipeline stops
    sending (``api_query_rejected``), keeps polling and probes; nothing is dead-lettered.
    """

    def __init__(self, message: str, *, api_code: str | None = None) -> None:
        super().__init__(message)
        self.api_code = api_code


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


class ApiUnrecognised(RetryableError):
    """An answer the decision table does not know (an unknown code, no code, a bare 400).

    Retried a bounded number of times, then handled as a :class:`BatchRejected`;
    ``api_error`` and ``api_code`` are the API's words for that rejection.
    """

    cause = "unrecognised"

    def __init__(
        self, message: str, *, api_error: str | None = None, api_code: str | None = None
    ) -> None:
        super().__init__(message)
        self.api_error = api_error or message
        self.api_code = api_code


class SignalIdsMismatch(RetryableError):
    """``signalIds`` that do not confirm every signal sent.

    ``accepted`` holds the indexes that got an id when the count was right (a null id means
    that signal was not accepted); it is empty when the count was wrong (nothing is trusted).
    The accepted ones finish, the rest is sent again in smaller chunks, never for ever.
    """

    cause = "signal_ids"

    def __init__(self, message: str, *, accepted: tuple[int, ...] = ()) -> None:
        super().__init__(message)
        self.accepted = accepted


class RegistryUnavailable(RetryableError):
    """The schema registry could not be reached or answered 5xx."""

    cause = "registry"


class SchemaPending(RegistryUnavailable):
    """The writer schema is being fetched on a background thread (the caller asked not to wait).

    ``ready()`` turns True once that fetch has ended, with the schema or an error: then ask
    again. The pipeline pauses the partition meanwhile and keeps polling.
    """

    def __init__(self, schema_id: int, ready: Callable[[], bool]) -> None:
        super().__init__(f"schema {schema_id} is being fetched from the schema registry")
        self.schema_id = schema_id
        self.ready = ready


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


class RecordTooLargeError(PermanentError):
    """The record is larger than ``SIGNALS_MAX_RECORD_BYTES``: dead-lettered, never decoded."""

    code = "too_large"
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
    """The API refused the whole mutation; ``violations`` names bad signals by index.

    ``api_error``, ``api_code`` and ``category`` are the API's message, ``extensions.code`` and
    ``extensions.category`` (the bad signal's dead letter carries them).
    """

    def __init__(
        self,
        message: str,
        violations: Mapping[int, str] | None = None,
        *,
        api_code: str | None = None,
        category: str | None = None,
    ) -> None:
        super().__init__(message)
        self.violations: dict[int, str] = dict(violations or {})
        self.api_error = message
        self.api_code = api_code
        self.category = category


class ApiRejectedSignal(SignalRejectedError):
    """One signal the API refused; ``api_error`` is the API's message (code and category when
    it gave them)."""

    def __init__(
        self,
        api_error: str,
        *,
        raw: KafkaMessage,
        schema_id: int | None,
        api_code: str | None = None,
        category: str | None = None,
    ) -> None:
        super().__init__(f"rejected by the Connect API: {api_error}", raw=raw, schema_id=schema_id)
        self.api_error = api_error
        self.api_code = api_code
        self.category = category


class SignalNotConfirmed(PermanentError):
    """Sent alone, the signal got a null id or a ``signalIds`` count other than one.

    The API did not confirm it after the batch was split down to it; dead-lettered with its
    own reason instead of being sent again for ever.
    """

    code = "not_confirmed_by_api"
    stage = "send"


class RetriesExhaustedError(PermanentError):
    """A batch kept failing transiently for longer than ``retry_max_elapsed_s``."""

    code = "retries_exhausted"
    stage = "send"
