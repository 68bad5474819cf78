"""``signals-consumer dlq inspect``: list dead-letter records, their reasons and payloads.

Reads the dead-letter topic from its log start to the end offset seen at start (group-less,
nothing committed), keeps the records the filter selects (reason, source topic, failed since),
and shows each one's reason headers, original headers and key, and the value decoded with the
consumer's Avro decoder when it can be decoded (else why not, and an excerpt of the bytes).
Emails and phone numbers are masked everywhere unless ``show_pii``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from consumer.config import Settings
from consumer.errors import ConsumerError
from consumer.logs import get_logger, mask_text
from consumer.ops.dlq_records import DlqFilter, DlqRecord, mask_payload
from consumer.ops.kafka_io import RangeReader, ops_consumer, topic_partitions, watermarks
from consumer.ops.ranges import PartitionRange, format_ms
from consumer.types import KafkaMessage

__all__ = ["DecodeFn", "InspectOptions", "describe", "render_text", "run_inspect", "to_json"]


#: ``original event -> (record name, decoded data)``; raises when it cannot be decoded.
DecodeFn = Callable[[KafkaMessage], tuple[str, dict[str, Any]]]

RAW_EXCERPT = 120


@dataclass(frozen=True, slots=True)
class InspectOptions:
    """What to list and how."""

    select: DlqFilter = field(default_factory=DlqFilter)
    limit: int | None = None
    show_pii: bool = False
    as_json: bool = False


def default_decoder(settings: Settings) -> tuple[DecodeFn, Callable[[], None]]:
    """The translator's Avro decoder (registry + reader schemas) and its closer."""
    from consumer.avro import Decoder

    decoder = Decoder(settings, resolve_subjects=False)

    def decode(msg: KafkaMessage) -> tuple[str, dict[str, Any]]:
        event = decoder.decode(msg)
        return event.record_name, dict(event.data)

    return decode, decoder.close


def _json_default(value: Any) -> Any:
    """JSON for what Avro decodes that JSON lacks: dates/times ISO 8601, bytes, decimals."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


def to_json(value: Any) -> str:
    """``json.dumps`` with :func:`_json_default` (keys sorted, non-ASCII kept)."""
    return json.dumps(value, ensure_ascii=False, default=_json_default, sort_keys=True)


def _text(raw: bytes | None, show_pii: bool) -> str | None:
    if raw is None:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "0x" + raw.hex()
    return text if show_pii else mask_text(text)


def describe(record: DlqRecord, decode: DecodeFn | None, *, show_pii: bool) -> dict[str, Any]:
    """One record as JSON-able data (masked unless ``show_pii``)."""
    src = record.source
    meta = record.header_summary()
    ts_type, ts = src.ts
    out: dict[str, Any] = {
        "dlq": {
            "topic": record.dlq_topic,
            "partition": record.dlq_partition,
            "offset": record.dlq_offset,
        },
        "source": {
            "topic": src.source_topic,
            "partition": src.source_partition,
            "offset": src.source_offset,
            "timestamp": format_ms(ts) if ts_type else None,
        },
        "failed_first": format_ms(meta.pop("first_failure_ms")),
        "failed_last": format_ms(meta.pop("last_failure_ms")),
        **meta,
        "key": _text(src.raw_key, show_pii),
        "headers": {name: _text(value, show_pii) for name, value in src.raw_headers},
        "record_name": None,
        "payload": None,
        "decode_error": None,
    }
    value = src.raw_value
    if value is None:
        out["decode_error"] = "no value (tombstone)"
    elif decode is None:
        out["decode_error"] = "decoding disabled"
    else:
        try:
            record_name, data = decode(src)
        except Exception as exc:  # a ConsumerError, or a decoder bug: neither stops the listing
            out["decode_error"] = f"{type(exc).__name__}: {exc}"
        else:
            out["record_name"] = record_name
            out["payload"] = data if show_pii else mask_payload(data)
    if out["payload"] is None and value is not None:
        excerpt = value[:RAW_EXCERPT].decode("utf-8", errors="backslashreplace")
        out["raw_value"] = excerpt if show_pii else mask_text(excerpt)
    if not show_pii:
        for name in ("message", "api_error", "decode_error"):
            if out.get(name):
                out[name] = mask_text(str(out[name]))
    return out


def render_text(item: dict[str, Any]) -> str:
    """A few lines per record for terminals."""
    dlq, src = item["dlq"], item["source"]
    failed = item["failed_last"]
    if item["failed_first"] not in ("-", failed):
        failed += f" (first {item['failed_first']})"
    lines = [
        f"{dlq['topic']}[{dlq['partition']}]@{dlq['offset']}  reason={item['reason']}  "
        f"attempt={item['attempt']}  failed={failed}",
        f"  source   {src['topic']}[{src['partition']}]@{src['offset']}  "
        f"timestamp={src['timestamp'] or '-'}  key={item['key']}",
    ]
    where = item.get("stage") or "-"
    if item.get("field"):
        where += f", field {item['field']}"
    lines.append(f"  error    ({where}) {item.get('message') or '-'}")
    if item.get("api_error"):
        lines.append(f"  api      {item['api_error']}")
    if item["headers"]:
        lines.append(f"  headers  {to_json(item['headers'])}")
    if item["payload"] is not None:
        payload = to_json(item["payload"])
        lines.append(f"  payload  {item['record_name']} (schema {item['schema_id']}) {payload}")
    else:
        lines.append(f"  payload  not decoded: {item['decode_error']}")
        if item.get("raw_value") is not None:
            lines.append(f"  raw      {item['raw_value']!r}")
    return "\n".join(lines)


def run_inspect(
    settings: Settings,
    options: InspectOptions,
    *,
    echo: Callable[[str], None],
) -> list[dict[str, Any]]:
    """List the selected records through ``echo``; returns them (as :func:`describe` data)."""
    consumer = ops_consumer(settings, "inspect")
    decode: DecodeFn | None = None
    closer: Callable[[], None] = lambda: None  # noqa: E731
    try:
        decode, closer = default_decoder(settings)
    except (ImportError, ConsumerError) as exc:
        get_logger("ops.dlq_inspect").warning("decoder_unavailable", error=str(exc))
    topic = settings.dlq_topic
    found: list[dict[str, Any]] = []
    seen = 0
    try:
        ranges = []
        for partition in topic_partitions(consumer, topic):
            marks = watermarks(consumer, topic, partition)
            ranges.append(PartitionRange(topic, partition, marks.low, marks.high, marks))
        reader = RangeReader(consumer, ranges, batch_size=500)
        for msg in (msg for batch in reader.batches() for msg in batch):
            seen += 1
            record = DlqRecord.from_message(msg)
            if not options.select.matches(record):
                continue
            item = describe(record, decode, show_pii=options.show_pii)
            found.append(item)
            echo(to_json(item) if options.as_json else render_text(item) + "\n")
            if options.limit is not None and len(found) >= options.limit:
                break
    finally:
        closer()
        consumer.close()
    if not options.as_json:
        limited = " (--limit reached)" if options.limit and len(found) >= options.limit else ""
        echo(f"{len(found)} record(s) shown, {seen} read from {topic}{limited}")
    return found
