"""The registry's state: schemas by global id, subjects with versions, compatibility configs.

Everything lives in memory and is written atomically to one JSON file after each change, so
ids survive a restart. Ids are global and stable: the same schema text (compared in compact
JSON form) always gets the same id, whichever subject it is registered under.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fastavro
from fastavro.schema import SchemaParseException

from dev.registry.compat import COMPATIBILITY_LEVELS, check_compatibility

__all__ = ["RegistryError", "SchemaStore", "Version"]


class RegistryError(Exception):
    """A REST error: HTTP status plus the Confluent ``error_code``."""

    def __init__(self, status: int, error_code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message


@dataclass(slots=True)
class Version:
    """One version of a subject."""

    version: int
    schema_id: int
    deleted: bool = False


@dataclass(slots=True)
class _Subject:
    versions: list[Version] = field(default_factory=list)
    compatibility: str | None = None

    def live(self, *, deleted: bool = False) -> list[Version]:
        return [v for v in self.versions if deleted or not v.deleted]


def _compact(text: str) -> str:
    try:
        return json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)
    except json.JSONDecodeError as exc:
        raise RegistryError(422, 42201, f"Invalid schema: not JSON: {exc}") from exc


def _require_fields(schema: Any) -> None:
    """fastavro accepts a record without ``fields``; the Avro specification does not."""
    if isinstance(schema, list):
        for branch in schema:
            _require_fields(branch)
    elif isinstance(schema, dict):
        if schema.get("type") in ("record", "error"):
            if not isinstance(schema.get("fields"), list):
                raise SchemaParseException(f"record {schema.get('name')!r} has no 'fields' list")
            for field in schema["fields"]:
                _require_fields(field.get("type") if isinstance(field, dict) else None)
        else:
            for key in ("type", "items", "values"):
                if isinstance(schema.get(key), dict | list):
                    _require_fields(schema[key])


class SchemaStore:
    """In-memory registry state persisted to ``path`` (None: memory only)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.schemas: dict[int, dict[str, Any]] = {}
        self.ids_by_text: dict[str, int] = {}
        self.subjects: dict[str, _Subject] = {}
        self.compatibility = "BACKWARD"
        if path is not None and path.exists():
            self._load(json.loads(path.read_text(encoding="utf-8")))

    # --- persistence ------------------------------------------------------------------------
    def _load(self, data: dict[str, Any]) -> None:
        self.compatibility = data.get("compatibility", "BACKWARD")
        for key, entry in data.get("schemas", {}).items():
            self.schemas[int(key)] = entry
            self.ids_by_text[entry["schema"]] = int(key)
        for name, subject in data.get("subjects", {}).items():
            self.subjects[name] = _Subject(
                versions=[Version(**v) for v in subject["versions"]],
                compatibility=subject.get("compatibility"),
            )

    def _save(self) -> None:
        if self.path is None:
            return
        data = {
            "compatibility": self.compatibility,
            "schemas": {str(k): v for k, v in self.schemas.items()},
            "subjects": {
                name: {
                    "compatibility": s.compatibility,
                    "versions": [dataclasses.asdict(v) for v in s.versions],
                }
                for name, s in self.subjects.items()
            },
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(tmp, self.path)

    # --- schemas ----------------------------------------------------------------------------
    def parse(self, body: dict[str, Any]) -> tuple[str, Any]:
        """Validate a request body's schema: (compact text, parsed JSON)."""
        kind = body.get("schemaType", "AVRO") or "AVRO"
        if kind != "AVRO":
            raise RegistryError(422, 42201, f"Invalid schema: schema type {kind} is not supported")
        text = body.get("schema")
        if not isinstance(text, str):
            raise RegistryError(422, 42201, "Invalid schema: the 'schema' field is required")
        compact = _compact(text)
        named: dict[str, Any] = {}
        for ref in body.get("references") or []:
            version = self.version(str(ref.get("subject")), str(ref.get("version")))
            ref_text = self.schemas[version.schema_id]["schema"]
            fastavro.parse_schema(json.loads(ref_text), named_schemas=named)
        parsed = json.loads(compact)
        try:
            _require_fields(parsed)
            fastavro.parse_schema(parsed, named_schemas=named)
        except Exception as exc:
            raise RegistryError(422, 42201, f"Invalid schema: {exc!r}") from exc
        return compact, parsed

    def schema(self, schema_id: int) -> dict[str, Any]:
        """The stored entry of a schema id (40403 if unknown)."""
        try:
            return self.schemas[schema_id]
        except KeyError:
            raise RegistryError(404, 40403, f"Schema {schema_id} not found") from None

    def _id_for(self, compact: str, references: list[Any]) -> int:
        if compact in self.ids_by_text:
            return self.ids_by_text[compact]
        new_id = max(self.schemas, default=0) + 1
        entry: dict[str, Any] = {"schema": compact}
        if references:
            entry["references"] = references
        self.schemas[new_id] = entry
        self.ids_by_text[compact] = new_id
        return new_id

    # --- subjects ---------------------------------------------------------------------------
    def subject(self, name: str, *, deleted: bool = False) -> _Subject:
        """The subject (40401 when unknown or, unless ``deleted``, fully soft-deleted)."""
        subject = self.subjects.get(name)
        if subject is None or not subject.live(deleted=deleted):
            raise RegistryError(404, 40401, f"Subject '{name}' not found.")
        return subject

    def version(self, name: str, version: str, *, deleted: bool = False) -> Version:
        """A subject's version by number, ``latest`` or ``-1``."""
        subject = self.subject(name, deleted=deleted)
        live = subject.live(deleted=deleted)
        if version in ("latest", "-1"):
            return live[-1]
        try:
            number = int(version)
        except ValueError:
            raise RegistryError(
                422,
                42202,
                "The specified version is not a valid version id. Allowed values are "
                'between [1, 2^31-1] and the string "latest"',
            ) from None
        if number < 1:
            raise RegistryError(422, 42202, f"The specified version '{version}' is not valid")
        for item in live:
            if item.version == number:
                return item
        raise RegistryError(404, 40402, f"Version {number} not found.")

    def level(self, name: str) -> str:
        """The compatibility level in force for a subject."""
        subject = self.subjects.get(name)
        return (subject.compatibility if subject else None) or self.compatibility

    def register(self, name: str, body: dict[str, Any]) -> int:
        """Register a schema under a subject; returns its global id."""
        compact, parsed = self.parse(body)
        subject = self.subjects.setdefault(name, _Subject())
        for item in subject.live():
            if self.schemas[item.schema_id]["schema"] == compact:
                return item.schema_id
        existing = [json.loads(self.schemas[v.schema_id]["schema"]) for v in subject.live()]
        problems = check_compatibility(self.level(name), parsed, existing)
        if problems:
            raise RegistryError(
                409,
                409,
                "Schema being registered is incompatible with an earlier schema for "
                f'subject "{name}", details: {problems}',
            )
        schema_id = self._id_for(compact, list(body.get("references") or []))
        number = max((v.version for v in subject.versions), default=0) + 1
        subject.versions.append(Version(number, schema_id))
        self._save()
        return schema_id

    def lookup(self, name: str, body: dict[str, Any], *, deleted: bool = False) -> Version:
        """The version of a subject holding exactly this schema (40403 if none)."""
        subject = self.subject(name, deleted=deleted)
        compact, _ = self.parse(body)
        for item in subject.live(deleted=deleted):
            if self.schemas[item.schema_id]["schema"] == compact:
                return item
        raise RegistryError(404, 40403, "Schema not found")

    def is_compatible(self, name: str, version: str | None, body: dict[str, Any]) -> list[str]:
        """Problems of ``body`` against a version (or, with None, the versions the level uses)."""
        _, parsed = self.parse(body)
        level = self.level(name)
        if version is None:
            subject = self.subjects.get(name)
            olds = [self.schemas[v.schema_id]["schema"] for v in subject.live()] if subject else []
        else:
            olds = [self.schemas[self.version(name, version).schema_id]["schema"]]
            level = level.removesuffix("_TRANSITIVE")
        return check_compatibility(level, parsed, [json.loads(t) for t in olds])

    def delete_subject(self, name: str, *, permanent: bool) -> list[int]:
        """Soft-delete every version, or (``permanent``) remove a soft-deleted subject."""
        subject = self.subjects.get(name)
        if subject is None:
            raise RegistryError(404, 40401, f"Subject '{name}' not found.")
        if permanent:
            if subject.live():
                raise RegistryError(
                    404,
                    40405,
                    f"Subject '{name}' was not deleted first before being permanently deleted",
                )
            del self.subjects[name]
            self._save()
            return [v.version for v in subject.versions]
        live = subject.live()
        if not live:
            raise RegistryError(404, 40404, f"Subject '{name}' was soft deleted.")
        for item in live:
            item.deleted = True
        self._save()
        return [v.version for v in live]

    def delete_version(self, name: str, version: str, *, permanent: bool) -> int:
        """Soft-delete one version, or (``permanent``) remove a soft-deleted one."""
        item = self.version(name, version, deleted=permanent)
        subject = self.subjects[name]
        if permanent:
            if not item.deleted:
                raise RegistryError(
                    404,
                    40407,
                    f"Subject '{name}' Version {item.version} was not deleted first "
                    "before being permanently deleted",
                )
            subject.versions.remove(item)
            if not subject.versions:
                del self.subjects[name]
        else:
            item.deleted = True
        self._save()
        return item.version

    # --- config -----------------------------------------------------------------------------
    def set_level(self, name: str | None, level: object) -> str:
        """Set the global (``name`` None) or a subject's compatibility level."""
        if not isinstance(level, str) or level.upper() not in COMPATIBILITY_LEVELS:
            raise RegistryError(422, 42203, f"Invalid compatibility level: {level}")
        if name is None:
            self.compatibility = level.upper()
        else:
            self.subjects.setdefault(name, _Subject()).compatibility = level.upper()
        self._save()
        return level.upper()

    def subject_level(self, name: str, *, default_to_global: bool) -> str:
        """A subject's own level (40408 if it has none, unless ``default_to_global``)."""
        subject = self.subjects.get(name)
        if subject is not None and subject.compatibility:
            return subject.compatibility
        if default_to_global:
            return self.compatibility
        raise RegistryError(
            404, 40408, f"Subject '{name}' does not have subject-level compatibility configured"
        )

    def delete_level(self, name: str) -> str:
        """Remove a subject's own level (back to the global one); returns the removed level."""
        old = self.subject_level(name, default_to_global=False)
        subject = self.subjects[name]
        subject.compatibility = None
        if not subject.versions:
            del self.subjects[name]
        self._save()
        return old
