"""One Kafka message -> one Connect :class:`Signal`: decode, map, validate.

:class:`Translator` wires the three stages and adds nothing of its own:

1. :class:`consumer.avro.Decoder` (``DecodeError``, ``UnknownSchemaError``,
   ``IncompatibleSchemaError``; ``RegistryUnavailable`` is retryable);
2. :class:`consumer.mapping.Mapper` with the custom mappings of ``SIGNALS_MAPPING_FILES``
   (``MappingError``);
3. :func:`consumer.signals.rules.validate_signal` for ``SIGNALS_TIER``
   (``SignalValidationError`` / ``NotEntitledError``, with field and reason); a valid signal
   that Connect may discard (reference section 9) is counted in ``notices``, and sent.

It also holds the native fast path (:mod:`consumer.native`), which the engine tries first; it
leaves every event it is not certain about to these three stages.

Every :class:`PermanentError` that leaves it carries ``raw=msg`` and the frame's ``schema_id``
(None only when the bytes are not Confluent-framed), so the dead-letter record gets the exact
bytes and the ``signals.schema.id`` header.
"""

from __future__ import annotations

from dataclasses import dataclass

from consumer.avro.decoder import Decoder
from consumer.avro.registry import SchemaRegistry
from consumer.config import Settings
from consumer.errors import (
    InternalTranslateError,
    MappingError,
    PermanentError,
    RetryableError,
)
from consumer.logs import get_logger
from consumer.mapping.custom import CustomMappings, load_mappings
from consumer.mapping.event import DecodedEvent
from consumer.mapping.mapper import Mapper
from consumer.native import FastPath, load_native
from consumer.signals.model import Signal
from consumer.signals.notices import NoticeCounts
from consumer.signals.rules import validate_signal
from consumer.types import EncodeFn, FastFn, KafkaMessage, TranslateFn

__all__ = ["Translated", "Translator", "attempt"]


@dataclass(frozen=True, slots=True)
class Translated:
    """A message's GraphQL literal, and its signal when the Python path made it."""

    literal: str
    signal: Signal | None


def attempt(
    msg: KafkaMessage, translate: TranslateFn, encode: EncodeFn, fast: FastFn | None = None
) -> Translated | PermanentError:
    """Translate one message for sending, the one exception ladder of both delivery paths.

    The fast path first (when given), then ``translate`` + ``encode``. A permanent failure is
    returned, carrying ``raw=msg`` (set here), for the caller to dead-letter: a
    :class:`PermanentError` as raised, a value GraphQL cannot express as a
    :class:`MappingError`, anything else (a bug) as an :class:`InternalTranslateError`. A
    :class:`RetryableError` (the schema registry is unreachable) propagates: the pipeline pauses
    the partition, a one-shot command waits.
    """
    try:
        literal = fast(msg) if fast is not None else None
        if literal is not None:
            return Translated(literal, None)
        signal = translate(msg)  # no fast path, or it left this event to the Python path
        return Translated(encode(signal.as_input()), signal)
    except RetryableError:
        raise
    except PermanentError as exc:
        exc.raw = exc.raw or msg
        return exc
    except (ValueError, TypeError) as exc:
        return MappingError(f"cannot encode signal: {exc}", raw=msg)
    except Exception as exc:
        get_logger("translate").exception(
            "translate_crashed", topic=msg.topic(), partition=msg.partition(), offset=msg.offset()
        )
        return InternalTranslateError(f"{type(exc).__name__}: {exc}", raw=msg)


class Translator:
    """Decode + map + validate; one per process (holds the schema plans and mappings)."""

    def __init__(
        self,
        settings: Settings,
        *,
        registry: SchemaRegistry | None = None,
        custom: CustomMappings | None = None,
        notices: NoticeCounts | None = None,
        wait_for_registry: bool = True,
    ) -> None:
        """``registry`` and ``custom`` default to the configured ones (tests pass fakes).

        ``notices`` counts the signals Connect may discard although we send them (the
        pipeline passes its metrics' counts; a fresh one by default).
        """
        if custom is None:
            custom = load_mappings(settings.mapping_files)
        # the registry's subjects are only asked for when a custom mapping matches by subject
        self._decoder = Decoder(
            settings,
            registry,
            resolve_subjects=bool(custom.by_subject),
            wait_for_registry=wait_for_registry,
        )
        self._mapper = Mapper(settings, custom=custom)
        self._tier = settings.tier
        self.notices = notices if notices is not None else NoticeCounts()
        native = load_native(settings)
        #: The native fast path (None: off or not installed); the engine tries it first.
        self.fast_path = (
            FastPath(native, self._decoder, settings, custom, self.notices)
            if native is not None
            else None
        )

    def translate(self, msg: KafkaMessage) -> Signal:
        """The validated signal of ``msg``; PermanentError (``raw=msg``) or RetryableError."""
        return self.translate_event(msg)[1]

    def translate_event(self, msg: KafkaMessage) -> tuple[DecodedEvent, Signal]:
        """The decoded event and its validated signal (for dry runs and ``replay``)."""
        event = self._decoder.decode(msg)  # its errors carry raw=msg and the frame's schema id
        try:
            signal = self._mapper.map(event, topic=msg.topic() or "")
            validate_signal(signal, tier=self._tier, notices=self.notices)
        except PermanentError as exc:
            exc.raw = msg
            exc.schema_id = event.schema_id
            raise
        return event, signal

    def close(self) -> None:
        """Close the registry client (unless it was passed in: then its owner closes it)."""
        self._decoder.close()
