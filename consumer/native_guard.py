"""What keeps the native fast path from drifting away from the Python path.

1. :data:`TRANSLATED`: the attributes of the catalog and table dataclasses that
   :func:`consumer.native.build_plan` translates into the plan; one it does not know makes
   :func:`check_translated` refuse (a new rule in Python cannot pass the native side unseen).
2. :func:`shape`: the keys, their order and the constants of a signal, read off the Python path
   itself (``assemble.assemble`` and ``Signal.as_input`` run on probe values), for the plan.
3. :func:`fingerprint`: the Python behaviour that Rust repeats.

The plan (:func:`consumer.native.build_plan`) carries every table and constant the native side
uses, so those cannot drift. What Rust cannot get from a plan is behaviour: the e-mail, E.164 and
timestamp checks, the checkers of each field kind, how the mapper assembles a signal, how a
literal is written. The modules below hold that behaviour; their fingerprint is a SHA-256 of
their syntax trees (docstrings, comments and formatting left out), so a change of any rule in
them changes it.

``native/src/rules.fingerprint`` holds the fingerprint the Rust code was last checked against;
the extension compares it with the plan's and refuses a plan whose fingerprint differs (the
events then take the Python path). After changing one of these modules: check that
``native/src`` still does the same, then write the new value with
``python -m consumer.native_guard > native/src/rules.fingerprint`` and rebuild the
extension (``tests/unit/test_native.py`` fails until both are done).
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import importlib.util
from functools import cache, partial
from pathlib import Path
from typing import Any, Final

from consumer.mapping.assemble import NEGATIVE_WHEN_ZERO, assemble, default_effect
from consumer.mapping.tables import EventTable, FieldMap
from consumer.signals.catalog import FieldSpec, SignalTypeSpec

__all__ = ["MIRRORED_MODULES", "TRANSLATED", "check_translated", "fingerprint", "shape"]

#: The modules whose behaviour ``native/src`` repeats (tables and constants come in the plan).
MIRRORED_MODULES: Final = (
    "consumer.mapping.assemble",
    "consumer.mapping.mapper",
    "consumer.mapping.transforms",
    "consumer.signals.graphql_literal",
    "consumer.signals.model",
    "consumer.signals.notices",
    "consumer.signals.rules",
)


def _canonical(node: object) -> object:
    """A syntax tree as nested tuples: node types and values, no positions, no docstrings.

    Optional fields that are None or empty are left out, so a Python version that adds one
    (such as ``type_params``) gives the same fingerprint.
    """
    if isinstance(node, list):
        body = node
        first = body[0] if body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            body = body[1:] if isinstance(first.value.value, str) else body  # a docstring
        return tuple(_canonical(item) for item in body)
    if isinstance(node, ast.AST):
        fields = []
        for name in node._fields:
            value = getattr(node, name, None)
            if value is None or value == []:
                continue
            fields.append((name, _canonical(value)))
        return (type(node).__name__, tuple(fields))
    return repr(node)


def _source(module: str) -> str:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:  # pragma: no cover - a module of this package
        raise ModuleNotFoundError(module)
    return Path(spec.origin).read_text(encoding="utf-8")


@cache
def fingerprint() -> str:
    """``sha256:<hex>`` of the syntax trees of :data:`MIRRORED_MODULES`, in that order."""
    digest = hashlib.sha256()
    for module in MIRRORED_MODULES:
        tree = ast.parse(_source(module))
        digest.update(module.encode())
        digest.update(repr(_canonical(tree.body)).encode())
    return f"sha256:{digest.hexdigest()}"


# --- 1. every attribute translated ---------------------------------------------------------

#: Dataclass -> the attributes ``build_plan`` translates (or that change nothing on the wire:
#: ``note`` and ``by_name`` of a signal type are documentation and an index).
TRANSLATED: Final[dict[type, frozenset[str]]] = {
    FieldSpec: frozenset(
        {"name", "kind", "required", "values", "max_length", "item_fields", "expected"}
    ),
    SignalTypeSpec: frozenset(
        {"signal_type", "fields", "default_name", "default_effect", "note", "by_name"}
    ),
    EventTable: frozenset({"record", "signal_type", "fields"}),
    FieldMap: frozenset({"source", "target", "required", "also"}),
}


def check_translated(value: object) -> None:
    """Unsupported-style ``LookupError`` when ``value`` has an attribute the plan ignores."""
    known = next((names for cls, names in TRANSLATED.items() if isinstance(value, cls)), None)
    if known is None or not dataclasses.is_dataclass(value):
        raise LookupError(f"{type(value).__name__} is not translated to the native plan")
    for field in dataclasses.fields(value):
        if field.name not in known:
            raise LookupError(
                f"{type(value).__name__}.{field.name} is not translated to the native plan"
            )


# --- 2. the shape of a signal, read off the Python path -----------------------------------

_OWN: Final = "__own__"


@cache
def shape(signal_type: str) -> dict[str, Any]:
    """Key names, key order and constants of ``signal_type``'s signals, for the plan.

    ``assemble.assemble`` and ``Signal.as_input`` run on probe values; every key they write must
    be one the native side knows (a role), else ``LookupError``.
    """
    assemble_probe = partial(
        assemble,
        signal_type=signal_type,
        event_id="probe-event-id",
        timestamp="probe-timestamp",
        identity={"contactKey": "probe-identity"},
        app_key="probe-app-key",
    )
    probe = assemble_probe(
        own={_OWN: 0},
        session_id="probe-session",
        test=True,
        name="probe-name",
        effect="probe-effect",
        attributes={"probe-attribute": "probe-value"},
    )
    content = probe.content
    keys = list(content)
    if keys.count(_OWN) != 1:
        raise LookupError("the mapper does not write the type's own fields once")
    roles = {
        signal_type: "signal_type",
        "probe-name": "name",
        "probe-effect": "effect",
        "probe-timestamp": "timestamp",
    }
    head: list[list[str]] = []
    tail: list[list[str]] = []
    category = None
    for index, key in enumerate(keys):
        if key == _OWN:
            continue
        value = content[key]
        role = roles.get(value) if isinstance(value, str) else None
        if role is None and isinstance(value, list):
            role = "attributes"
        elif role is None and isinstance(value, str) and category is None:
            role, category = "category", value
        if role is None:
            raise LookupError(f"the mapper writes signalContent.{key}, unknown to the native side")
        (head if index < keys.index(_OWN) else tail).append([role, key])
    attributes = next(v for v in content.values() if isinstance(v, list))
    first, last = attributes[0], attributes[-1]
    if len(attributes) != 2 or len(first) != 2 or list(first) != list(last):
        raise LookupError("custom attributes are not {name, value} pairs")
    name_key = next(k for k, v in first.items() if v == "probe-attribute")
    value_key = next(k for k, v in first.items() if v == "probe-value")
    if last[value_key] != "probe-event-id":
        raise LookupError("the event id is not the last custom attribute")
    inputs = {
        "probe-app-key": "app_key",
        "probe-session": "session",
        True: "test",
    }
    order = []
    for key, value in probe.as_input().items():
        if value is content:
            role = "content"
        elif value == {"contactKey": "probe-identity"}:
            role = "identity"
        else:
            role = inputs.get(value) if isinstance(value, str | bool) else None
        if role is None:
            raise LookupError(f"the input object has a key {key!r} unknown to the native side")
        order.append([role, key])
    defaults = assemble_probe(
        own={}, session_id=None, test=False, name=None, effect=None, attributes=None
    ).content
    name_at = next(key for role, key in head if role == "name")
    zero_key = NEGATIVE_WHEN_ZERO.get(signal_type)
    return {
        "default_name": defaults[name_at],
        "category": category,
        "content_head": head,
        "content_tail": tail,
        "attribute_keys": [name_key, value_key],
        "event_id_attribute": last[name_key],
        "input_keys": order,
        "effect_zero": None
        if zero_key is None
        else {
            "key": zero_key,
            "zero": default_effect(signal_type, {zero_key: 0}),
            "otherwise": default_effect(signal_type, {zero_key: 1}),
        },
        "default_effect": default_effect(signal_type, {}),
    }


if __name__ == "__main__":
    print(fingerprint())
