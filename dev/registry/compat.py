"""Avro schema compatibility by the Avro specification's schema-resolution rules.

``can_read(reader, writer)`` answers: can data written with ``writer`` be read with ``reader``?
It walks both schemas (after :func:`fastavro.parse_schema` has validated them) the way
fastavro/Java resolve a writer schema to a reader schema: promotions (int -> long/float/double,
long -> float/double, float -> double, string <-> bytes), records matched by name with reader
fields either present in the writer or defaulted, enum symbols, unions (every writer branch
must resolve to some reader branch), arrays, maps, fixed sizes. Named types are followed by
full name; recursion is handled by assuming an already-visited (reader, writer) pair compatible.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["COMPATIBILITY_LEVELS", "can_read", "check_compatibility"]

COMPATIBILITY_LEVELS = frozenset(
    {
        "NONE",
        "BACKWARD",
        "BACKWARD_TRANSITIVE",
        "FORWARD",
        "FORWARD_TRANSITIVE",
        "FULL",
        "FULL_TRANSITIVE",
    }
)

_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
#: A tuple, not a set: ``kind in _NAMED`` also meets a wrapped type (a dict or list) there.
_NAMED = ("record", "error", "enum", "fixed")
_PROMOTIONS: dict[str, frozenset[str]] = {
    "int": frozenset({"long", "float", "double"}),
    "long": frozenset({"float", "double"}),
    "float": frozenset({"double"}),
    "string": frozenset({"bytes"}),
    "bytes": frozenset({"string"}),
}


def _full_name(schema: Mapping[str, Any], namespace: str | None) -> str:
    name = str(schema["name"])
    if "." in name:
        return name
    ns = schema.get("namespace", namespace)
    return f"{ns}.{name}" if ns else name


class _Names:
    """Every named type of a schema by full name (and by short name, as a fallback)."""

    def __init__(self, schema: Any) -> None:
        self.types: dict[str, tuple[Mapping[str, Any], str | None]] = {}
        self._collect(schema, None)

    def _collect(self, schema: Any, namespace: str | None) -> None:
        if isinstance(schema, list):
            for branch in schema:
                self._collect(branch, namespace)
            return
        if not isinstance(schema, Mapping):
            return
        kind = schema.get("type")
        if kind in _NAMED:
            full = _full_name(schema, namespace)
            inner_ns = full.rpartition(".")[0] or None
            self.types.setdefault(full, (schema, inner_ns))
            self.types.setdefault(full.rpartition(".")[2], (schema, inner_ns))
            for field in schema.get("fields", []) if kind in ("record", "error") else []:
                self._collect(field["type"], inner_ns)
        elif kind == "array":
            self._collect(schema["items"], namespace)
        elif kind == "map":
            self._collect(schema["values"], namespace)
        elif isinstance(kind, Mapping | list):
            self._collect(kind, namespace)

    def resolve(self, schema: Any, namespace: str | None) -> tuple[Any, str | None]:
        """Turn a type reference (``"com.x.Y"``) into its definition; unwrap ``{"type": X}``."""
        while True:
            if isinstance(schema, str):
                if schema in _PRIMITIVES:
                    return schema, namespace
                key = schema if "." in schema or not namespace else f"{namespace}.{schema}"
                found = self.types.get(key) or self.types.get(schema)
                if found is None:
                    raise ValueError(f"unknown type {schema!r}")
                return found
            if isinstance(schema, Mapping) and not isinstance(schema.get("type"), str):
                schema = schema["type"]
                continue
            if isinstance(schema, Mapping) and schema["type"] in _PRIMITIVES:
                return schema["type"], namespace
            if isinstance(schema, Mapping) and schema["type"] in _NAMED:
                full = _full_name(schema, namespace)
                return schema, full.rpartition(".")[0] or None
            return schema, namespace


def _kind(schema: Any) -> str:
    if isinstance(schema, list):
        return "union"
    if isinstance(schema, str):
        return schema
    kind = str(schema["type"])
    return "record" if kind == "error" else kind


class _Checker:
    def __init__(self, reader: Any, writer: Any) -> None:
        self.rnames = _Names(reader)
        self.wnames = _Names(writer)
        self.seen: set[tuple[int, int]] = set()

    def check(self, r: Any, rns: str | None, w: Any, wns: str | None, path: str) -> list[str]:
        r, rns = self.rnames.resolve(r, rns)
        w, wns = self.wnames.resolve(w, wns)
        rk, wk = _kind(r), _kind(w)
        if wk == "union":
            problems: list[str] = []
            for i, branch in enumerate(w):
                problems += self.check(r, rns, branch, wns, f"{path}[writer branch {i}]")
            return problems
        if rk == "union":
            for branch in r:
                if not self.check(branch, rns, w, wns, path):
                    return []
            return [f"{path}: writer type {wk} matches no branch of the reader union"]
        if rk != wk:
            if rk in _PROMOTIONS.get(wk, frozenset()):
                return []
            return [f"{path}: reader type {rk} cannot read writer type {wk}"]
        if rk in _PRIMITIVES:
            return []
        if rk == "array":
            return self.check(r["items"], rns, w["items"], wns, f"{path}.items")
        if rk == "map":
            return self.check(r["values"], rns, w["values"], wns, f"{path}.values")
        rname = _full_name(r, rns).rpartition(".")[2]
        wname = _full_name(w, wns).rpartition(".")[2]
        aliases = {str(a).rpartition(".")[2] for a in r.get("aliases", [])}
        if rname != wname and wname not in aliases:
            return [f"{path}: reader {rk} {rname} does not match writer {rk} {wname}"]
        if rk == "fixed":
            if r["size"] != w["size"]:
                return [f"{path}: fixed size {w['size']} cannot be read as size {r['size']}"]
            return []
        if rk == "enum":
            missing = [s for s in w["symbols"] if s not in r["symbols"]]
            if missing and "default" not in r:
                return [f"{path}: reader enum {rname} lacks symbols {missing}"]
            return []
        return self._record(r, rns, w, wns, path)

    def _record(
        self,
        r: Mapping[str, Any],
        rns: str | None,
        w: Mapping[str, Any],
        wns: str | None,
        path: str,
    ) -> list[str]:
        key = (id(r), id(w))
        if key in self.seen:
            return []
        self.seen.add(key)
        wfields = {f["name"]: f for f in w.get("fields", [])}
        problems: list[str] = []
        for field in r.get("fields", []):
            names = [field["name"], *field.get("aliases", [])]
            wfield = next((wfields[n] for n in names if n in wfields), None)
            where = f"{path}.{field['name']}"
            if wfield is None:
                if "default" not in field:
                    problems.append(f"{where}: reader field has no default and is not written")
                continue
            problems += self.check(field["type"], rns, wfield["type"], wns, where)
        return problems


def can_read(reader: Any, writer: Any) -> list[str]:
    """Why ``reader`` cannot read data written with ``writer`` (empty list: it can)."""
    return _Checker(reader, writer).check(reader, None, writer, None, "$")


def check_compatibility(level: str, new: Any, existing: list[Any]) -> list[str]:
    """Problems of registering ``new`` after ``existing`` (oldest first) under ``level``."""
    if level == "NONE" or not existing:
        return []
    against = existing if level.endswith("_TRANSITIVE") else existing[-1:]
    problems: list[str] = []
    for old in reversed(against):
        if level.startswith(("BACKWARD", "FULL")):
            problems += [f"backward: {p}" for p in can_read(new, old)]
        if level.startswith(("FORWARD", "FULL")):
            problems += [f"forward: {p}" for p in can_read(old, new)]
    return problems
