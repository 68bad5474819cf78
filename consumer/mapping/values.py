"""Building blocks of custom mapping files: the line-aware YAML loader and value specs.

A value spec is a field path (``product.sku``), ``{from: path, default:, transform:, required:}``,
``{const: value}``, or ``{each: lines[*], fields: {...}}`` for lists of objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import yaml

from consumer.errors import MappingError
from consumer.mapping.paths import compile_path, read_path
from consumer.mapping.transforms import TRANSFORMS, Transform

__all__ = ["Loader", "MarkedMap", "Problem", "Value", "line_of"]

_VALUE_KEYS: Final = frozenset({"from", "const", "default", "transform", "required"})
_LIST_KEYS: Final = frozenset({"each", "fields", "required"})


class MarkedMap(dict[str, Any]):
    """A YAML mapping that remembers its line and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]


class Loader(yaml.SafeLoader):
    pass


def _construct(loader: Loader, node: yaml.MappingNode) -> MarkedMap:
    loader.flatten_mapping(node)
    out = MarkedMap()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        out[str(key)] = loader.construct_object(value_node, deep=True)
        out.key_lines[str(key)] = key_node.start_mark.line + 1
    return out


Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct)


class Problem(Exception):
    """A start-up error at ``line`` for ``where``; turned into ConfigurationError."""

    def __init__(self, line: int, where: str, message: str) -> None:
        super().__init__(message)
        self.line, self.where = line, where


def line_of(node: Any, key: str, default: int) -> int:
    return node.key_lines.get(key, default) if isinstance(node, MarkedMap) else default


class Value:
    """One compiled value spec: a path or a constant, a default, transforms, list items."""

    __slots__ = ("const", "default", "items", "path", "required", "source", "transforms")

    def __init__(self, spec: Any, where: str, line: int) -> None:
        self.required: bool | None = None
        self.items: dict[str, Value] | None = None
        self.const: Any = None
        self.default: Any = None
        self.transforms: tuple[Transform, ...] = ()
        self.source = where
        if isinstance(spec, str):
            spec = {"from": spec}
        elif not isinstance(spec, dict):
            spec = {"const": spec}
        if "each" in spec:
            self._compile_list(spec, where, line)
            return
        for key in spec:
            if key not in _VALUE_KEYS:
                raise Problem(line_of(spec, key, line), f"{where}.{key}", "unknown key")
        if ("from" in spec) == ("const" in spec):
            raise Problem(line, where, "give exactly one of 'from' (a field path) or 'const'")
        self.const = spec.get("const")
        self.default = spec.get("default")
        self.path = self._path(spec.get("from"), f"{where}.from", line_of(spec, "from", line))
        if self.path:
            self.source = str(spec["from"])
        names = spec.get("transform") or []
        for name in [names] if isinstance(names, str) else names:
            if name not in TRANSFORMS:
                known = ", ".join(TRANSFORMS)
                raise Problem(
                    line_of(spec, "transform", line),
                    f"{where}.transform",
                    f"unknown transform {name!r} (known: {known})",
                )
        self.transforms = tuple(
            TRANSFORMS[n] for n in ([names] if isinstance(names, str) else names)
        )
        self._required(spec, where, line)

    def _path(self, text: Any, where: str, line: int) -> tuple[Any, ...]:
        if text is None:
            return ()
        if not isinstance(text, str):
            raise Problem(line, where, "a field path must be a string")
        try:
            return compile_path(text)
        except ValueError as exc:
            raise Problem(line, where, str(exc)) from exc

    def _required(self, spec: Mapping[str, Any], where: str, line: int) -> None:
        if "required" in spec:
            if not isinstance(spec["required"], bool):
                raise Problem(line_of(spec, "required", line), f"{where}.required", "true or false")
            self.required = spec["required"]

    def _compile_list(self, spec: Mapping[str, Any], where: str, line: int) -> None:
        for key in spec:
            if key not in _LIST_KEYS:
                raise Problem(line_of(spec, key, line), f"{where}.{key}", "unknown key")
        self.path = self._path(spec["each"], f"{where}.each", line_of(spec, "each", line))
        self.source = str(spec["each"])
        fields = spec.get("fields")
        if not isinstance(fields, dict) or not fields:
            raise Problem(line, f"{where}.fields", "'each' needs a mapping of item fields")
        self.items = {
            str(k): Value(v, f"{where}.fields.{k}", line_of(fields, str(k), line))
            for k, v in fields.items()
        }
        self._required(spec, where, line)

    def read(self, data: Any) -> Any:
        """The value for ``data``; None when missing. MappingError when a transform fails."""
        if not self.path:
            return self.const
        value = read_path(self.path, data)
        if self.items is not None:
            if not isinstance(value, list):
                return None
            return [self._item(item) for item in value]
        if value is None or value == []:
            return self.default
        for transform in self.transforms:
            try:
                value = [transform(v) for v in value] if type(value) is list else transform(value)
            except (TypeError, ValueError) as exc:
                raise MappingError(f"{self.source}: {exc}", field=self.source) from exc
        return value

    def _item(self, item: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for target, spec in (self.items or {}).items():
            value = spec.read(item)
            if value is not None:
                out[target] = value
            elif spec.required:
                raise MappingError(f"{self.source}: {spec.source} is required", field=spec.source)
        return out
