"""The native fast path: one Kafka value -> the signal's GraphQL literal, in Rust.

The optional package ``signals-native`` (``native/``, PyO3) does decode, map, validate and
encode in one pass, with no Python objects in between. The pure-Python path
(:class:`consumer.translate.Translator` + :func:`encode_input`) stays the reference:

1. the first value of a schema id takes the Python path, which fetches and plans the schema;
2. :func:`build_plan` then describes that writer schema, its event table and its signal
   type's rules to the native side; a schema it cannot describe exactly (schema resolution,
   custom mappings, logical types other than ``eventTime``'s timestamp-millis, bytes, fixed,
   recursion, a type not entitled in the tier, a key that is not a GraphQL name, a catalog
   attribute or kind it does not translate ...) stays on the Python path (:class:`Unsupported`);
3. for every later value the native side returns the literal, or None whenever it is not
   certain (malformed bytes, any broken rule, anything unusual); the Python path then decides,
   so errors, dead-letter reasons and fields are the Python path's, byte for byte;
4. a valid signal Connect may discard (a missing expected field, an open enumeration's value off
   its list: :mod:`consumer.signals.notices`) stays on the fast path: the native side reports
   which of the plan's ``notices`` it gives as a bit mask, and :class:`FastPath` counts those
   :class:`Notice` values in the same :class:`NoticeCounts` as the Python path would.

Key names, their order and every constant travel in the plan, and the plan carries the
fingerprint of the Python rules that Rust repeats; the extension refuses another one
(:mod:`consumer.native_guard`). ``tests/unit/test_native.py`` checks that both paths write the
same values for generated events of every schema, and that the native side never accepts what
the Python path refuses nor counts other notices.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any, Final

import orjson

from consumer.avro.framing import schema_id_of
from consumer.errors import ConfigurationError
from consumer.logs import get_logger
from consumer.mapping.tables import ENVELOPE_FIELDS, IDENTITY_FIELDS, table_for_record
from consumer.native_guard import check_translated, fingerprint, shape
from consumer.signals.catalog import SIGNAL_TYPES, TIER_SIGNAL_TYPES, FieldSpec, Kind
from consumer.signals.graphql_literal import is_name
from consumer.signals.notices import (
    ENUM_VALUE_UNKNOWN,
    MISSING_EXPECTED_FIELD,
    Notice,
    NoticeCounts,
)
from consumer.signals.rules import IDENTITY_RULES, ISO_4217_CODES

if TYPE_CHECKING:
    from consumer.avro.decoder import Decoder, SchemaPlan
    from consumer.config import Settings
    from consumer.mapping.custom import CustomMappings
    from consumer.types import KafkaMessage

__all__ = ["FastPath", "Unsupported", "build_plan", "load_native", "notices_in"]

_PRIMITIVES: Final = frozenset({"null", "boolean", "int", "long", "float", "double", "string"})


class Unsupported(Exception):
    """The schema stays on the Python path; the message says why."""


def load_native(settings: Settings) -> ModuleType | None:
    """The ``signals_native`` module, or None (``SIGNALS_FAST_PATH=off`` or not installed).

    ``SIGNALS_FAST_PATH=native`` without the package raises ConfigurationError.
    """
    if settings.fast_path == "off":
        return None
    try:
        return importlib.import_module("signals_native")
    except ImportError as exc:
        if settings.fast_path == "native":
            raise ConfigurationError(
                "SIGNALS_FAST_PATH=native but the signals-native package is not installed "
                "(pip install ./native, or set SIGNALS_FAST_PATH=auto)",
                setting="SIGNALS_FAST_PATH",
            ) from exc
        return None


# --- the plan ------------------------------------------------------------------------------


def _type(schema: Any, named: dict[str, Any], *, timestamp_ok: bool = False) -> dict[str, Any]:
    """The writer type in the native side's terms; Unsupported for what it cannot read."""
    if isinstance(schema, str):
        if schema in _PRIMITIVES:
            return {"k": schema}
        if schema in named:
            return named[schema]  # type: ignore[no-any-return]
        raise Unsupported(f"type {schema!r}")
    if isinstance(schema, list):
        return {
            "k": "union",
            "branches": [_type(branch, named, timestamp_ok=timestamp_ok) for branch in schema],
        }
    kind = schema.get("type")
    logical = schema.get("logicalType")
    if logical is not None:
        if logical == "timestamp-millis" and kind == "long" and timestamp_ok:
            return {"k": "timestamp_millis"}
        raise Unsupported(f"logical type {logical!r}")
    if kind in _PRIMITIVES:
        return {"k": kind}
    if kind in ("record", "error"):
        out = {
            "k": "record",
            "fields": [
                {"name": f["name"], "type": _type(f["type"], named)} for f in schema["fields"]
            ],
        }
    elif kind == "enum":
        out = {"k": "enum", "symbols": list(schema["symbols"])}
    elif kind == "array":
        return {"k": "array", "items": _type(schema["items"], named)}
    elif kind == "map":
        return {"k": "map", "values": _type(schema["values"], named)}
    else:
        raise Unsupported(f"type {kind!r}")
    name = schema.get("name")
    if isinstance(name, str):
        named[name] = out
        namespace = schema.get("namespace")
        if namespace and "." not in name:
            named[f"{namespace}.{name}"] = out
    return out


def _check(spec: FieldSpec, *, nested: bool = False) -> dict[str, Any]:
    """The native checker of one catalog field (``rules._compile``); Unsupported when unsure."""
    _translated(spec)
    if nested and spec.expected:  # notices_of looks at top-level fields only
        raise Unsupported(f"expected item field {spec.name}")
    match spec.kind:
        case Kind.STRING:
            return {"k": "string", "required": spec.required, "max": spec.max_length}
        case Kind.NUMBER | Kind.INTEGER | Kind.BOOLEAN | Kind.STRING_LIST | Kind.ATTRIBUTE_LIST:
            return {"k": str(spec.kind)}
        case Kind.ISO_CURRENCY:
            return {"k": "one_of", "values": sorted(ISO_4217_CODES)}
        case Kind.ENUM:
            return {"k": "one_of", "values": sorted(spec.values)}
        case Kind.OPEN_ENUM:  # any non-empty string; the plan's notices count off-list values
            return {"k": "string", "required": True, "max": None}
        case Kind.ISO_TIMESTAMP:
            return {"k": "timestamp"}
        case Kind.OBJECT_LIST:
            return {
                "k": "object_list",
                "fields": {item.name: _check(item, nested=True) for item in spec.item_fields},
                "required": [item.name for item in spec.item_fields if item.required],
            }
    raise Unsupported(f"field kind {spec.kind}")


def _translated(value: object) -> None:
    """Unsupported when ``value`` has an attribute :func:`build_plan` does not translate."""
    try:
        check_translated(value)
    except LookupError as exc:
        raise Unsupported(str(exc)) from exc


def build_plan(
    plan: SchemaPlan, settings: Settings, custom: CustomMappings | None = None
) -> dict[str, Any]:
    """The native plan of one decoder plan; Unsupported when it must stay on Python."""
    if custom is not None and (custom.by_subject or custom.find(None, plan.record_name)):
        raise Unsupported("a custom mapping applies")
    if plan.reader is not None:
        raise Unsupported("the writer schema is resolved to our reader schema")
    if not plan.compiled:
        raise Unsupported("recursive or deeply nested schema")
    table = table_for_record(plan.record_name)
    if table is None:
        raise Unsupported(f"no event table for {plan.record_name}")
    signal_type = table.signal_type
    spec = SIGNAL_TYPES[signal_type]
    for value in (table, *table.fields, spec):
        _translated(value)
    try:
        keys_of = shape(signal_type)
    except LookupError as exc:
        raise Unsupported(str(exc)) from exc
    if signal_type not in TIER_SIGNAL_TYPES[settings.tier]:
        raise Unsupported(f"{signal_type} is not entitled in the {settings.tier} tier")
    named: dict[str, Any] = {}
    writer_fields = plan.writer["fields"]
    fields = [
        {"name": f["name"], "type": _type(f["type"], named, timestamp_ok=f["name"] == "eventTime")}
        for f in writer_fields
    ]
    index = {f["name"]: i for i, f in enumerate(writer_fields)}
    for must in ("eventId", "eventTime"):
        if must not in index:
            raise Unsupported(f"no {must} field")

    own: list[dict[str, Any]] = []
    for fm in table.fields:
        if fm.source not in index:
            if fm.required:
                raise Unsupported(f"required field {fm.source} is missing")
            continue
        keys = [fm.target, *fm.also]
        own.append({"slot": index[fm.source], "keys": keys, "required": fm.required, "table": True})
    known = ENVELOPE_FIELDS | {fm.source for fm in table.fields}
    for i, f in enumerate(writer_fields):
        if f["name"] not in known:
            own.append({"slot": i, "keys": [f["name"]], "required": False, "table": False})
    fixed = [key for _, key in keys_of["content_head"] + keys_of["content_tail"]]
    keys = [*fixed, *(key for entry in own for key in entry["keys"])]
    if len(set(keys)) != len(keys):
        raise Unsupported("two content fields share a key")
    for key in keys:
        if not is_name(key):  # the Python path refuses such an event (graphql_literal)
            raise Unsupported(f"content key {key[:64]!r} is not a GraphQL name")

    return {
        "fingerprint": fingerprint(),
        "fields": fields,
        "event_id": index["eventId"],
        "event_time": index["eventTime"],
        "app_key": index.get("appKey"),
        "session_id": index.get("sessionId"),
        "test": index.get("test"),
        "name": index.get("name"),
        "effect": index.get("effect"),
        "attributes": index.get("attributes"),
        "identity": [
            [kind, index[kind], IDENTITY_RULES[kind]] for kind in IDENTITY_FIELDS if kind in index
        ],
        "own": own,
        "signal_type": signal_type,
        **keys_of,
        "checks": {f.name: _check(f) for f in spec.fields},
        "required": list(spec.required),
        # in notices_of's order; the native side reports those a literal gives as a bit mask
        "notices": [
            *({"k": MISSING_EXPECTED_FIELD, "field": name} for name in spec.expected),
            *(
                {"k": ENUM_VALUE_UNKNOWN, "field": f.name, "known": sorted(f.values)}
                for f in spec.fields
                if f.kind is Kind.OPEN_ENUM
            ),
        ],
        "test_signals": settings.test_signals,
    }


def notices_in(native_plan: dict[str, Any]) -> tuple[Notice, ...]:
    """The :class:`Notice` of each bit of the masks the native side returns for ``native_plan``."""
    signal_type = native_plan["signal_type"]
    return tuple(Notice(n["k"], signal_type, n["field"]) for n in native_plan["notices"])


# --- the wiring ----------------------------------------------------------------------------


class FastPath:
    """Literals from the native side; None means "take the Python path" (never raises).

    The notices of a literal (signals Connect may discard) are counted in ``notices``: the
    translator passes its own, so both paths count in one place.
    """

    def __init__(
        self,
        native: ModuleType,
        decoder: Decoder,
        settings: Settings,
        custom: CustomMappings | None = None,
        notices: NoticeCounts | None = None,
    ) -> None:
        self._native = native.FastPath()
        self.notices = notices if notices is not None else NoticeCounts()
        self._notices_of: dict[int, tuple[Notice, ...]] = {}  # by schema id: notice of each bit
        self._found: dict[tuple[int, int], tuple[Notice, ...]] = {}  # (schema id, mask)
        self._decoder = decoder
        self._settings = settings
        self._custom = custom
        self._tried: set[int] = set()
        self._app_keys: dict[str, str | None] = {}
        self.log = get_logger("fast_path")
        built = getattr(native, "RULES_FINGERPRINT", None)
        if built != fingerprint():  # every plan will be refused: say so once, plainly
            self.log.warning(
                "fast_path_stale",
                built=built,
                rules=fingerprint(),
                hint="signals_native mirrors other Python rules: every event takes the Python "
                "path until native/ is checked and rebuilt (consumer/native_guard.py)",
            )

    def literal(self, msg: KafkaMessage) -> str | None:
        """The literal of ``msg``, or None when the Python path must decide."""
        value = msg.value()
        if value is None:
            return None
        topic = msg.topic() or ""
        app_keys = self._app_keys
        if topic in app_keys:
            app_key = app_keys[topic]
        else:
            app_key = app_keys[topic] = self._settings.app_key_for(topic)
        out: tuple[str, int] | None = self._native.literal(value, app_key)
        if out is None:
            schema_id = schema_id_of(value)
            if schema_id is None or schema_id in self._tried or not self._plan(schema_id):
                return None
            out = self._native.literal(value, app_key)
            if out is None:
                return None
        literal, mask = out
        if mask:
            self._count(value, mask)
        return literal

    def _count(self, value: bytes, mask: int) -> None:
        """Count the notices of ``mask`` (bit i: the i-th notice of the value's plan)."""
        key = (schema_id_of(value) or 0, mask)
        found = self._found.get(key)
        if found is None:
            table = self._notices_of[key[0]]
            found = self._found[key] = tuple(n for i, n in enumerate(table) if mask >> i & 1)
        self.notices.add(found)

    def _plan(self, schema_id: int) -> bool:
        """Plan ``schema_id`` once the Python path has; True when it is on the fast path."""
        plan = self._decoder.plan_for(schema_id)
        if plan is None:
            return False  # not decoded yet: the Python path fetches and plans it first
        self._tried.add(schema_id)
        try:
            native_plan = build_plan(plan, self._settings, self._custom)
            self._native.add_plan(schema_id, orjson.dumps(native_plan).decode())
            self._notices_of[schema_id] = notices_in(native_plan)  # only for an accepted plan
        except (Unsupported, ValueError) as exc:
            self.log.info(
                "fast_path_skipped", schema_id=schema_id, record=plan.record_name, reason=str(exc)
            )
            return False
        self.log.info("fast_path_planned", schema_id=schema_id, record=plan.record_name)
        return True
