"""Custom mapping files: declarative YAML for event schemas that are not ours (docs/mapping.md).

Files (or directories of ``*.yaml``/``*.yml``) are named by ``SIGNALS_MAPPING_FILES``. They are
validated once at start-up; every problem raises ``ConfigurationError`` (setting
``SIGNALS_MAPPING_FILES``) whose message names the file, the line and the field, e.g.
``ecommerce.yaml:14: mappings[0].fields.addToCart.unitPrice: unknown transform 'cent'``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import yaml

from consumer.errors import ConfigurationError, MappingError
from consumer.mapping.assemble import assemble, event_timestamp
from consumer.mapping.paths import read_path
from consumer.mapping.tables import IDENTITY_FIELDS
from consumer.mapping.values import Loader, MarkedMap, Problem, Value, line_of
from consumer.signals.catalog import SIGNAL_TYPES

if TYPE_CHECKING:
    from consumer.config import Settings
    from consumer.signals.model import Signal

__all__ = ["CustomMapping", "CustomMappings", "load_file", "load_mappings"]

SETTING: Final = "SIGNALS_MAPPING_FILES"
_MAPPING_KEYS: Final = frozenset(
    {"match", "signalType", "eventId", "eventTime", "appKey", "sessionId", "test", "name"}
    | {"effect", "identity", "attributes", "fields"}
)
_IMPLIED: Final = frozenset({"signalType", "category", "name", "effect"})


class CustomMapping:
    """One compiled ``mappings[i]`` entry."""

    def __init__(self, spec: MarkedMap, where: str) -> None:
        for key in spec:
            if key not in _MAPPING_KEYS:
                raise Problem(line_of(spec, key, spec.line), f"{where}.{key}", "unknown key")
        match = spec.get("match")
        if not isinstance(match, dict) or not (match.get("subject") or match.get("record")):
            raise Problem(spec.line, f"{where}.match", "needs 'subject' and/or 'record'")
        self.subject: str | None = match.get("subject")
        self.record: str | None = match.get("record")
        self.where = where
        self._compile_type(spec, where)
        self.event_id = self._value(spec, "eventId", where, "eventId")
        self.event_time = self._value(spec, "eventTime", where, "eventTime")
        self.app_key = self._value(spec, "appKey", where)
        self.session_id = self._value(spec, "sessionId", where)
        self.test = self._value(spec, "test", where)
        self.name = self._value(spec, "name", where)
        self.effect = self._value(spec, "effect", where)
        self._compile_identity(spec, where)
        self._compile_attributes(spec, where)
        self._compile_fields(spec, where)

    def _value(
        self, spec: MarkedMap, key: str, where: str, default: str | None = None
    ) -> Value | None:
        if key not in spec:
            return None if default is None else Value(default, f"{where}.{key}", spec.line)
        return Value(spec[key], f"{where}.{key}", line_of(spec, key, spec.line))

    def _compile_type(self, spec: MarkedMap, where: str) -> None:
        line = line_of(spec, "signalType", spec.line)
        raw = spec.get("signalType")
        self.type_path: tuple[Any, ...] = ()
        self.cases: dict[str, str] = {}
        if isinstance(raw, str):
            self.cases = {"": raw}
        elif isinstance(raw, dict) and isinstance(raw.get("cases"), dict) and "from" in raw:
            self.type_path = Value(raw["from"], f"{where}.signalType.from", line).path
            self.type_source = str(raw["from"])
            self.cases = {str(k): v for k, v in raw["cases"].items()}
        else:
            raise Problem(
                line, f"{where}.signalType", "a signal type, or {from: ..., cases: {...}}"
            )
        for case, signal_type in self.cases.items():
            if signal_type not in SIGNAL_TYPES:
                case_line = line_of(raw.get("cases") if isinstance(raw, dict) else None, case, line)
                raise Problem(
                    case_line,
                    f"{where}.signalType",
                    f"unknown signal type {signal_type!r} (known: {', '.join(SIGNAL_TYPES)})",
                )

    def _compile_identity(self, spec: MarkedMap, where: str) -> None:
        raw = spec.get("identity")
        line = line_of(spec, "identity", spec.line)
        if not isinstance(raw, dict) or not raw:
            raise Problem(
                line, f"{where}.identity", "map at least one of " + ", ".join(IDENTITY_FIELDS)
            )
        for key in raw:
            if key not in IDENTITY_FIELDS:
                raise Problem(
                    line_of(raw, key, line), f"{where}.identity.{key}", "not an identity kind"
                )
        self.identity = {
            k: Value(v, f"{where}.identity.{k}", line_of(raw, k, line)) for k, v in raw.items()
        }

    def _compile_attributes(self, spec: MarkedMap, where: str) -> None:
        raw = spec.get("attributes")
        line = line_of(spec, "attributes", spec.line)
        self.attributes_map: Value | None = None
        self.attributes: dict[str, Value] = {}
        if raw is None:
            return
        if isinstance(raw, dict) and "from" in raw and len(raw) == 1:
            self.attributes_map = Value(raw, f"{where}.attributes", line)
        elif isinstance(raw, dict):
            self.attributes = {
                str(k): Value(v, f"{where}.attributes.{k}", line_of(raw, str(k), line))
                for k, v in raw.items()
            }
        else:
            raise Problem(line, f"{where}.attributes", "{from: <map field>} or name: value pairs")

    def _compile_fields(self, spec: MarkedMap, where: str) -> None:
        raw = spec.get("fields") or {}
        line = line_of(spec, "fields", spec.line)
        if not isinstance(raw, dict):
            raise Problem(line, f"{where}.fields", "a mapping of signal type -> fields")
        types = list(dict.fromkeys(self.cases.values()))  # in case order
        self.fields: dict[str, list[tuple[str, Value, bool]]] = {}
        for group, group_fields in raw.items():
            group_line = line_of(raw, group, line)
            if group != "common" and group not in types:
                raise Problem(
                    group_line, f"{where}.fields.{group}", "not 'common' nor a signalType case"
                )
            if not isinstance(group_fields, dict):
                raise Problem(group_line, f"{where}.fields.{group}", "a mapping of fields")
        common = self._group(raw, "common", where, line)
        for signal_type in types:
            required = set(SIGNAL_TYPES[signal_type].required) - _IMPLIED
            compiled = common + self._group(raw, signal_type, where, line)
            missing = sorted(required - {target for target, _ in compiled})
            if missing:
                raise Problem(
                    line_of(raw, signal_type, line),
                    f"{where}.fields.{signal_type}",
                    f"required signal field(s) not mapped: {', '.join(missing)}",
                )
            self.fields[signal_type] = [
                (
                    target,
                    value,
                    value.required
                    if value.required is not None
                    else (target in required and value.default is None),
                )
                for target, value in compiled
            ]

    def _group(
        self, raw: Mapping[str, Any], group: str, where: str, line: int
    ) -> list[tuple[str, Value]]:
        fields = raw.get(group) or {}
        group_line = line_of(raw, group, line)
        return [
            (str(k), Value(v, f"{where}.fields.{group}.{k}", line_of(fields, str(k), group_line)))
            for k, v in fields.items()
        ]

    def map(self, data: dict[str, Any], *, settings: Settings, topic: str) -> Signal:
        """The signal for one decoded record; MappingError naming the source field."""
        if self.type_path:
            case = read_path(self.type_path, data)
            signal_type = self.cases.get(str(case)) if case is not None else None
            if signal_type is None:
                raise MappingError(
                    f"{self.type_source}: no signal type for value {case!r}", field=self.type_source
                )
        else:
            signal_type = self.cases[""]
        own: dict[str, Any] = {}
        for target, value, required in self.fields[signal_type]:
            result = value.read(data)
            if result is None:
                if required:
                    raise MappingError(
                        f"{value.source} is required for {signal_type}", field=value.source
                    )
                continue
            own[target] = result
        attributes = self.attributes_map.read(data) if self.attributes_map else None
        if self.attributes:
            attributes = {k: _text(v.read(data)) for k, v in self.attributes.items()}
        raw_time = self.event_time.read(data) if self.event_time else None
        time_field = self.event_time.source if self.event_time else "eventTime"
        test = self.test.read(data) if self.test else None
        return assemble(
            signal_type=signal_type,
            own=own,
            event_id=_text(self.event_id.read(data)) if self.event_id else None,
            timestamp=raw_time if type(raw_time) is str else event_timestamp(raw_time, time_field),
            identity={k: v.read(data) for k, v in self.identity.items()},
            app_key=(self.app_key.read(data) if self.app_key else None)
            or settings.app_key_for(topic),
            session_id=self.session_id.read(data) if self.session_id else None,
            test=test is True or settings.test_signals,
            name=self.name.read(data) if self.name else None,
            effect=self.effect.read(data) if self.effect else None,
            attributes=attributes,
        )


def _text(value: Any) -> Any:
    return None if value is None else (value if isinstance(value, str) else str(value))


class CustomMappings:
    """All custom mappings, looked up by registry subject, then by full record name."""

    def __init__(self, mappings: Iterable[CustomMapping] = ()) -> None:
        self.by_subject: dict[str, CustomMapping] = {}
        self.by_record: dict[str, CustomMapping] = {}
        for mapping in mappings:
            if mapping.subject:
                self.by_subject[mapping.subject] = mapping
            if mapping.record:
                self.by_record[mapping.record] = mapping

    def __len__(self) -> int:
        return len({id(m) for m in [*self.by_subject.values(), *self.by_record.values()]})

    def find(self, subject: str | None, record_name: str) -> CustomMapping | None:
        """The mapping for ``subject`` (first) or ``record_name``; None when none matches."""
        if not self.by_subject and not self.by_record:
            return None
        if subject is not None:
            found = self.by_subject.get(subject)
            if found is not None:
                return found
        return self.by_record.get(record_name)


def _files(entries: Iterable[str]) -> list[Path]:
    out: list[Path] = []
    for entry in entries:
        path = Path(entry)
        if path.is_dir():
            out.extend(sorted(p for p in path.iterdir() if p.suffix in {".yaml", ".yml"}))
        elif path.is_file():
            out.append(path)
        else:
            raise ConfigurationError(f"{entry}: no such mapping file or directory", setting=SETTING)
    return out


def load_file(path: Path) -> list[CustomMapping]:
    """Compile one mapping file; ConfigurationError naming file, line and field."""
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)  # noqa: S506
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(
            f"{path}: cannot read mapping file: {exc}", setting=SETTING
        ) from exc
    try:
        return _compile_document(doc)
    except Problem as problem:
        raise ConfigurationError(
            f"{path}:{problem.line}: {problem.where}: {problem}", setting=SETTING
        ) from problem


def _compile_document(doc: Any) -> list[CustomMapping]:
    if not isinstance(doc, MarkedMap) or not isinstance(doc.get("mappings"), list):
        raise Problem(1, "mappings", "the file needs a top-level 'mappings:' list")
    out = []
    for index, item in enumerate(doc["mappings"]):
        where = f"mappings[{index}]"
        if not isinstance(item, MarkedMap):
            raise Problem(doc.key_lines["mappings"], where, "each mapping must be a mapping")
        out.append(CustomMapping(item, where))
    return out


def load_mappings(entries: Iterable[str]) -> CustomMappings:
    """Every mapping of the files/directories in ``entries`` (``Settings.mapping_files``)."""
    mappings: list[CustomMapping] = []
    seen: dict[str, Path] = {}
    for path in _files(entries):
        for mapping in load_file(path):
            for key in (mapping.subject, mapping.record):
                if key and key in seen:
                    raise ConfigurationError(
                        f"{path}: {mapping.where}: {key!r} is already mapped in {seen[key]}",
                        setting=SETTING,
                    )
                if key:
                    seen[key] = path
            mappings.append(mapping)
    return CustomMappings(mappings)
