"""Confluent-framed Avro record -> :class:`DecodedEvent` (the hot path of the consumer).

For each writer schema id the decoder makes a plan once and keeps it:

- the writer schema comes from the registry (:mod:`consumer.avro.registry`);
- the reader schema is ours (``schemas/``), chosen by the writer record's full name or an
  alias; records that are not ours are read with the writer schema alone (custom mappings take
  them from there);
- the reader gets the writer's top-level fields it does not know (a newer producer's fields
  reach the mapper, which passes unknown fields through to ``signalContent``);
- when that reader has the same shape as the writer (same names, fields, types; docs and
  defaults aside) it is dropped: fastavro's resolution costs about as much as the read itself,
  so only an older writer (fields to default) or a reordered or retyped one pays for it;
- fastavro's compiled reader reads the body, except for recursive or very deep schemas, which
  go to its pure-Python reader: the compiled one recurses in C without a limit and a forged
  deeply nested payload would crash the process; Python's recursion limit turns that into a
  DecodeError. Schemas with arrays of zero-width items (``null``, empty records) are refused:
  a forged block count would make any reader loop for ever.

Every failure is typed: a bad frame or a malformed body -> :class:`DecodeError` (all that
fastavro throws on garbage, and trailing bytes after the record), a body that cannot be
resolved to our reader schema -> :class:`IncompatibleSchemaError`, an unknown id ->
:class:`UnknownSchemaError`, a registry outage -> :class:`RegistryUnavailable`. Lengths larger
than the payload fail fast: fastavro reads from a ``BytesIO``, which never hands out more than
it holds, and fastavro checks the length it got.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from typing import Any, Final, NoReturn

import fastavro
from fastavro._read_common import SchemaResolutionError
from fastavro._read_py import schemaless_reader as python_reader

from consumer.avro.framing import HEADER_SIZE, MAGIC, frame_error
from consumer.avro.registry import SchemaRegistry
from consumer.avro.schemas import (
    MAX_COMPILED_DEPTH,
    ReaderSchemas,
    analyse,
    same_shape,
    widen,
)
from consumer.config import Settings
from consumer.errors import DecodeError, IncompatibleSchemaError, PermanentError
from consumer.logs import get_logger
from consumer.mapping.event import DecodedEvent
from consumer.types import KafkaMessage

__all__ = ["Decoder", "SchemaPlan"]

_Reader = Callable[..., Any]
_EXCERPT: Final = 240
_COMPILED: _Reader = fastavro.schemaless_reader


@dataclass(frozen=True, slots=True)
class SchemaPlan:
    """How to read the bodies of one writer schema id (``reader`` None: no resolution)."""

    schema_id: int
    record_name: str
    writer_name: str
    writer: Any
    reader: Any
    read: _Reader

    @property
    def compiled(self) -> bool:
        """True when fastavro's compiled reader reads it (not recursive, not too deep)."""
        return self.read is _COMPILED


def _why(exc: BaseException) -> str:
    text = str(exc) or ("unexpected end of data" if isinstance(exc, EOFError) else "")
    text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 3] + "..."


class Decoder:
    """Decodes Kafka record values; one per process (holds the schema plans)."""

    def __init__(
        self,
        settings: Settings,
        registry: SchemaRegistry | None = None,
        *,
        readers: ReaderSchemas | None = None,
        resolve_subjects: bool = True,
        wait_for_registry: bool = True,
    ) -> None:
        """``wait_for_registry=False`` (the pipeline): a schema not cached raises SchemaPending
        while it is fetched in the background, instead of waiting on the poll thread."""
        self._wait = wait_for_registry
        self._owns_registry = registry is None
        self._registry = registry if registry is not None else SchemaRegistry(settings)
        self._readers = readers if readers is not None else ReaderSchemas.load(settings.schemas_dir)
        self._resolve_subjects = resolve_subjects
        self._plans: dict[int, SchemaPlan] = {}
        self._refused: dict[int, str] = {}
        self._subjects: dict[tuple[int, str], str | None] = {}
        self.log = get_logger("decoder")

    @property
    def readers(self) -> ReaderSchemas:
        """The reader schemas in use."""
        return self._readers

    def decode(self, msg: KafkaMessage) -> DecodedEvent:
        """The decoded value of ``msg``; every PermanentError carries ``raw=msg``."""
        try:
            return self.decode_value(msg.value(), topic=msg.topic())
        except PermanentError as exc:
            exc.raw = msg
            raise

    def decode_value(self, value: bytes | None, *, topic: str | None = None) -> DecodedEvent:
        """Decode one Confluent-framed value (``topic`` picks the registry subject)."""
        if value is None or len(value) < HEADER_SIZE or value[0] != MAGIC:
            raise frame_error(value)
        schema_id = int.from_bytes(value[1:HEADER_SIZE], "big")
        plan = self._plans.get(schema_id)
        if plan is None:
            plan = self._plan(schema_id)
        buf = BytesIO(value)
        buf.seek(HEADER_SIZE)
        try:
            data = plan.read(buf, plan.writer, plan.reader)
        except SchemaResolutionError as exc:
            raise IncompatibleSchemaError(
                f"cannot resolve {plan.record_name} (schema {schema_id}) to our reader schema: "
                f"{_why(exc)}",
                schema_id=schema_id,
            ) from exc
        except Exception as exc:  # anything fastavro throws on garbage is a malformed body
            raise DecodeError(
                f"malformed Avro body for {plan.record_name} (schema {schema_id}): {_why(exc)}",
                schema_id=schema_id,
            ) from exc
        end = buf.tell()
        if end != len(value):
            raise DecodeError(
                f"{len(value) - end} byte(s) left after the {plan.record_name} record "
                f"(schema {schema_id}): not the schema the bytes were written with",
                schema_id=schema_id,
            )
        subject = self._subject(plan, topic) if self._resolve_subjects else None
        return DecodedEvent(schema_id, plan.record_name, subject, data)

    def plan_for(self, schema_id: int) -> SchemaPlan | None:
        """The plan of ``schema_id`` once a value of it was decoded (no registry call)."""
        return self._plans.get(schema_id)

    def close(self) -> None:
        """Close the registry client when this decoder created it."""
        if self._owns_registry:
            self._registry.close()

    # --- planning ----------------------------------------------------------------------------
    def _plan(self, schema_id: int) -> SchemaPlan:
        refused = self._refused.get(schema_id)
        if refused is not None:
            raise IncompatibleSchemaError(refused, schema_id=schema_id)
        writer = self._registry.get(schema_id, wait=self._wait)
        parsed = writer.parsed
        if not isinstance(parsed, dict) or parsed.get("type") not in ("record", "error"):
            self._refuse(schema_id, f"schema {schema_id} is a {writer.name}, not a record")
        reader = self._readers.find(writer.name)
        try:
            facts = analyse(parsed)
            recursive, depth = facts.recursive, facts.depth
            reader_parsed = None
            if reader is not None:
                reader_facts = analyse(reader.parsed)
                recursive = recursive or reader_facts.recursive
                depth = max(depth, reader_facts.depth)
                target = self._widen(schema_id, reader.parsed, parsed)
                if not same_shape(parsed, target):
                    reader_parsed = target
        except RecursionError:
            self._refuse(schema_id, f"schema {schema_id} ({writer.name}) is nested too deeply")
        if facts.zero_width_array is not None:
            self._refuse(
                schema_id,
                f"schema {schema_id} ({writer.name}) has an array of zero-width items at "
                f"{facts.zero_width_array}: it cannot be decoded safely",
            )
        compiled = not recursive and depth <= MAX_COMPILED_DEPTH
        plan = SchemaPlan(
            schema_id=schema_id,
            record_name=reader.name if reader is not None else writer.name,
            writer_name=writer.name,
            writer=parsed,
            reader=reader_parsed,
            read=_COMPILED if compiled else python_reader,
        )
        self._plans[schema_id] = plan
        self.log.info(
            "schema_planned",
            schema_id=schema_id,
            record=plan.record_name,
            reader=reader.path.name if reader is not None else None,
            resolution=reader_parsed is not None,
            compiled=compiled,
        )
        return plan

    def _widen(self, schema_id: int, reader: dict[str, Any], writer: Any) -> dict[str, Any]:
        """The reader with the writer's extra top-level fields; the reader alone on failure."""
        try:
            return widen(reader, writer)
        except Exception as exc:  # fastavro raises several types on a schema it refuses
            self.log.warning("schema_widen_failed", schema_id=schema_id, error=_why(exc))
            return reader

    def _refuse(self, schema_id: int, reason: str) -> NoReturn:
        self._refused[schema_id] = reason
        self.log.warning("schema_refused", schema_id=schema_id, reason=reason)
        raise IncompatibleSchemaError(reason, schema_id=schema_id)

    def _subject(self, plan: SchemaPlan, topic: str | None) -> str | None:
        key = (plan.schema_id, topic or "")
        if key in self._subjects:
            return self._subjects[key]
        subjects = self._registry.subjects(plan.schema_id, wait=self._wait)
        names = dict.fromkeys((plan.writer_name, plan.record_name))
        candidates = [f"{topic}-value", *(f"{topic}-{n}" for n in names)] if topic else []
        candidates += names
        only = subjects[0] if len(subjects) == 1 else None
        chosen = next((c for c in candidates if c in subjects), only)
        self._subjects[key] = chosen
        return chosen
