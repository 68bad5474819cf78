"""Reader schemas (``schemas/*.avsc``) and static facts about parsed Avro schemas.

:class:`ReaderSchemas` loads our reader schemas once and finds one by the full name (or an
alias) of a writer's record. :func:`default_schemas_dir` is where they are when
``SIGNALS_SCHEMAS_DIR`` is unset: ``consumer/schemas/`` inside an installed wheel (``setup.py``
copies them there at build time), else the repository's ``schemas/`` next to the package (a
source checkout or an editable install).

:func:`analyse` tells the decoder what fastavro's compiled reader cannot be trusted with:
recursive or very deep schemas (its C recursion has no limit and crashes the process on a
deeply nested payload) and arrays whose items take zero bytes (a forged block count would make
any reader loop for ever). :func:`same_shape` says whether two schemas read identical bytes
identically, so that the costly writer-to-reader resolution can be skipped. :func:`widen`
gives a reader schema the top-level fields that only a newer writer has, so that they reach
the mapper (unknown fields pass through to ``signalContent``) instead of being dropped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import fastavro

from consumer.errors import ConfigurationError

__all__ = [
    "MAX_COMPILED_DEPTH",
    "ReaderSchema",
    "ReaderSchemas",
    "SchemaFacts",
    "analyse",
    "default_schemas_dir",
    "full_name",
    "same_shape",
    "widen",
]

SETTING: Final = "SIGNALS_SCHEMAS_DIR"

#: Deeper schemas are read by fastavro's pure-Python reader (bounded by the recursion limit).
MAX_COMPILED_DEPTH: Final = 64

_PACKAGE: Final = Path(__file__).resolve().parents[1]
#: Keys that change how bytes are read (everything else - doc, default, aliases - does not).
_SHAPE_KEYS: Final = ("type", "name", "symbols", "items", "values", "size")
_LOGICAL_KEYS: Final = ("logicalType", "precision", "scale")
_PRIMITIVES: Final = frozenset(
    {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
)


def default_schemas_dir() -> Path:
    """``consumer/schemas`` when installed from a wheel, else the repository's ``schemas/``."""
    packaged = _PACKAGE / "schemas"
    if packaged.is_dir() and any(packaged.glob("*.avsc")):
        return packaged
    return _PACKAGE.parent / "schemas"


def full_name(schema: Any) -> str:
    """The full name of a parsed named schema, or the type of any other schema."""
    if isinstance(schema, dict):
        return str(schema.get("name") or schema.get("type"))
    if isinstance(schema, list):
        return "union"
    return str(schema)


def _aliases(schema: Mapping[str, Any]) -> Iterator[str]:
    namespace = str(schema["name"]).rpartition(".")[0]
    for alias in schema.get("aliases") or ():
        text = str(alias)
        yield text if "." in text or not namespace else f"{namespace}.{text}"


@dataclass(frozen=True, slots=True)
class ReaderSchema:
    """One reader schema: its full name, the fastavro-parsed schema and the file it came from."""

    name: str
    parsed: dict[str, Any]
    path: Path


class ReaderSchemas:
    """Our reader schemas by record full name (and by each alias of the record)."""

    def __init__(self, schemas: Mapping[str, ReaderSchema] | None = None) -> None:
        self._by_name: dict[str, ReaderSchema] = dict(schemas or {})

    @classmethod
    def load(cls, directory: Path | None = None) -> ReaderSchemas:
        """Parse every ``*.avsc`` of ``directory`` (default: :func:`default_schemas_dir`)."""
        where = directory if directory is not None else default_schemas_dir()
        paths = sorted(where.glob("*.avsc")) if where.is_dir() else []
        if not paths:
            raise ConfigurationError(
                f"no reader schemas (*.avsc) found in {where}", setting=SETTING
            )
        by_name: dict[str, ReaderSchema] = {}
        for path in paths:
            try:
                parsed = fastavro.parse_schema(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, fastavro.schema.SchemaParseException) as exc:
                raise ConfigurationError(
                    f"{path}: not a valid Avro schema: {exc}", setting=SETTING
                ) from exc
            if not isinstance(parsed, dict) or parsed.get("type") != "record":
                raise ConfigurationError(f"{path}: the top level must be a record", setting=SETTING)
            schema = ReaderSchema(str(parsed["name"]), parsed, path)
            for name in (schema.name, *_aliases(parsed)):
                if name in by_name:
                    raise ConfigurationError(
                        f"{path}: record name {name!r} is already defined by "
                        f"{by_name[name].path.name}",
                        setting=SETTING,
                    )
                by_name[name] = schema
        return cls(by_name)

    def __len__(self) -> int:
        return len({schema.name for schema in self._by_name.values()})

    def names(self) -> list[str]:
        """The full names of the reader records (aliases left out), sorted."""
        return sorted({schema.name for schema in self._by_name.values()})

    def find(self, record_name: str) -> ReaderSchema | None:
        """The reader schema of ``record_name`` (a full name or an alias), if we have one."""
        return self._by_name.get(record_name)


# --- static facts ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SchemaFacts:
    """What the decoder must know about a parsed schema before reading untrusted bytes."""

    recursive: bool
    depth: int
    zero_width_array: str | None  # the path of the first array whose items may take 0 bytes


class _Walker:
    """One pass over a parsed schema, following named references through ``__named_schemas``."""

    def __init__(self, named: Mapping[str, Any]) -> None:
        self.named = named
        self.recursive = False
        self.zero_width_array: str | None = None
        self._depth: dict[str, int] = {}  # subtree depth of each named type walked
        self._width: dict[str, bool] = {}

    def walk(self, schema: Any, path: str, open_names: tuple[str, ...]) -> int:
        """The nesting depth below ``schema`` (recording recursion and zero-width arrays)."""
        if len(open_names) > 10 * MAX_COMPILED_DEPTH:
            return len(open_names)  # deep enough to decide, short of the recursion limit
        if isinstance(schema, list):
            return 1 + max((self.walk(b, f"{path}|", open_names) for b in schema), default=0)
        if isinstance(schema, str):
            if schema in _PRIMITIVES or schema not in self.named:
                return 0
            if schema in open_names:
                self.recursive = True
                return 0
            if schema not in self._depth:
                self._depth[schema] = self.walk(self.named[schema], path, open_names)
            return self._depth[schema]
        if not isinstance(schema, dict):
            return 0
        kind = schema.get("type")
        if kind in ("record", "error"):
            names = (*open_names, str(schema.get("name")))
            depths = [self.walk(f["type"], f"{path}.{f['name']}", names) for f in schema["fields"]]
            return 1 + max(depths, default=0)
        if kind == "array":
            if self.zero_width_array is None and self.zero_width(schema["items"], ()):
                self.zero_width_array = path or "<root>"
            return 1 + self.walk(schema["items"], f"{path}[]", open_names)
        if kind == "map":
            return 1 + self.walk(schema["values"], f"{path}{{}}", open_names)
        if kind in ("enum", "fixed") or kind in _PRIMITIVES:
            return 0
        return self.walk(kind, path, open_names)  # a nested type or a named reference

    def zero_width(self, schema: Any, seen: tuple[str, ...]) -> bool:
        """Whether a value of ``schema`` may be encoded in zero bytes."""
        if isinstance(schema, str):
            if schema == "null":
                return True
            if schema in _PRIMITIVES or schema not in self.named or schema in seen:
                return False
            if schema not in self._width:
                self._width[schema] = self.zero_width(self.named[schema], (*seen, schema))
            return self._width[schema]
        if not isinstance(schema, dict):
            return False  # a union takes at least the byte of its branch index
        kind = schema.get("type")
        if kind in ("record", "error"):
            names = (*seen, str(schema.get("name")))
            return all(self.zero_width(f["type"], names) for f in schema["fields"])
        if kind == "fixed":
            return int(schema.get("size", 0)) == 0
        if kind in ("enum", "array", "map") or (kind in _PRIMITIVES and kind != "null"):
            return False  # an enum index or a block count takes at least one byte
        return self.zero_width(kind, seen)


def analyse(parsed: Any) -> SchemaFacts:
    """Recursion, nesting depth and zero-width array items of a fastavro-parsed schema."""
    named = parsed.get("__named_schemas", {}) if isinstance(parsed, dict) else {}
    walker = _Walker(named)
    depth = walker.walk(parsed, "", ())
    return SchemaFacts(walker.recursive, depth, walker.zero_width_array)


# --- shape -------------------------------------------------------------------------------------


def _shape(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_shape(branch) for branch in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key in (*_SHAPE_KEYS, *_LOGICAL_KEYS):
        if key in schema:
            value = schema[key]
            out[key] = _shape(value) if key in ("type", "items", "values") else value
    if "fields" in schema:
        out["fields"] = [(f["name"], _shape(f["type"])) for f in schema["fields"]]
    return out


def same_shape(writer: Any, reader: Any) -> bool:
    """True when ``reader`` would read any bytes of ``writer`` exactly as ``writer`` does.

    Names, field order, types, symbols, sizes and logical types must be equal; docs, defaults,
    aliases and other properties are ignored (they only matter when resolution changes something).
    """
    try:
        return bool(_shape(writer) == _shape(reader))
    except RecursionError:
        return False


# --- widening ----------------------------------------------------------------------------------


def _field_names(record: Mapping[str, Any]) -> set[str]:
    """The names and aliases of ``record``'s fields."""
    return {name for f in record["fields"] for name in (f["name"], *(f.get("aliases") or ()))}


def widen(reader: dict[str, Any], writer: Any) -> dict[str, Any]:
    """``reader`` plus the writer's top-level fields it does not know (appended, parsed).

    Returns ``reader`` itself when the writer has no such field. The added fields keep the
    writer's types; named types they use come from the writer unless the reader defines them.
    """
    if not isinstance(writer, dict) or "fields" not in writer:
        return reader
    known = _field_names(reader)
    extras = [field for field in writer["fields"] if field["name"] not in known]
    if not extras:
        return reader
    merged = {key: value for key, value in reader.items() if not key.startswith("__")}
    merged["fields"] = [*reader["fields"], *extras]
    own = reader.get("__named_schemas", {})
    named = {k: v for k, v in writer.get("__named_schemas", {}).items() if k not in own}
    parsed = fastavro.parse_schema(merged, named)
    return parsed if isinstance(parsed, dict) else reader
