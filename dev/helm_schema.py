"""Generate the chart's rules for ``SIGNALS_*`` settings from consumer/config.py.

    python dev/helm_schema.py          # rewrite helm/signals-consumer/values.schema.json
    python dev/helm_schema.py --check  # exit 1 when the file is not what this would write

Only ``config`` and the ``SIGNALS_*`` names of ``extraEnv`` are generated; the rest of the
schema is edited by hand. ``config`` accepts exactly the settings of
:class:`consumer.config.Settings` that are neither secret (those come from
``secrets.existingSecret``) nor set by the chart itself (:data:`CHART_MANAGED`), plus the
``*_FILE`` variant of each secret and ``SIGNALS_ENV_FILE``. A misspelt name is refused.
Values are typed as the settings are: an enum for a choice, a number (or a string of digits)
within the setting's bounds, a boolean (or a word pydantic reads as one), else a string.
tests/packaging/test_helm_schema.py keeps the file and this generator in agreement.
"""

from __future__ import annotations

import json
import sys
import types
import typing
from pathlib import Path
from typing import Any, Literal

import annotated_types
from pydantic import SecretStr
from pydantic.fields import FieldInfo

from consumer.config import ENV_PREFIX, Settings

__all__ = ["CHART_MANAGED", "SCHEMA_PATH", "config_schema", "generate", "main"]

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_PATH = ROOT / "helm" / "signals-consumer" / "values.schema.json"

#: Settings the chart sets from its own values (metrics.port, drainTimeoutSeconds,
#: staticMembership): refused in ``config`` so that there is one place for each.
CHART_MANAGED = (
    "SIGNALS_METRICS_PORT",
    "SIGNALS_DRAIN_TIMEOUT_S",
    "SIGNALS_KAFKA_GROUP_INSTANCE_ID",
)

_INT = r"^-?[0-9]+$"
_NUMBER = r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$"
_BOOLEAN: list[Any] = [True, False, "true", "false", "1", "0", "yes", "no", "on", "off"]


def _env(name: str) -> str:
    return f"{ENV_PREFIX}{name.upper()}"


def _is_secret(info: FieldInfo) -> bool:
    ann = info.annotation
    return ann is SecretStr or SecretStr in typing.get_args(ann)


def _bounds(info: FieldInfo) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in info.metadata:
        if isinstance(item, annotated_types.Ge):
            out["minimum"] = item.ge
        elif isinstance(item, annotated_types.Gt):
            out["exclusiveMinimum"] = item.gt
        elif isinstance(item, annotated_types.Le):
            out["maximum"] = item.le
        elif isinstance(item, annotated_types.Lt):
            out["exclusiveMaximum"] = item.lt
    return out


def _value_schema(info: FieldInfo) -> dict[str, Any]:
    """The JSON schema of one setting's value as it can be written in values.yaml."""
    ann = info.annotation
    args = [a for a in typing.get_args(ann) if a is not type(None)]
    if typing.get_origin(ann) in (typing.Union, types.UnionType) and len(args) == 1:
        ann = args[0]  # X | None: None is an unset variable, not a value
    if typing.get_origin(ann) is Literal:
        return {"enum": list(typing.get_args(ann))}
    if ann is bool:
        return {"enum": _BOOLEAN}
    if ann is int:
        return {"type": ["integer", "string"], "pattern": _INT, **_bounds(info)}
    if ann is float:
        return {"type": ["number", "string"], "pattern": _NUMBER, **_bounds(info)}
    return {"type": "string"}  # str, Path, comma-separated lists, key=value maps


def _names() -> tuple[dict[str, dict[str, Any]], list[str]]:
    """``config``'s allowed names with their value schemas, and the secret names."""
    allowed: dict[str, dict[str, Any]] = {}
    secrets: list[str] = []
    for name, info in Settings.model_fields.items():
        env = _env(name)
        if _is_secret(info):
            secrets.append(env)
            allowed[f"{env}_FILE"] = {"type": "string"}
        elif env not in CHART_MANAGED:
            allowed[env] = _value_schema(info)
    allowed[f"{ENV_PREFIX}ENV_FILE"] = {"type": "string"}
    return dict(sorted(allowed.items())), secrets


def config_schema() -> dict[str, Any]:
    """The schema of ``config``: known, non-secret, not chart-managed names, typed values."""
    allowed, secrets = _names()
    return {
        "type": "object",
        "description": "SIGNALS_* settings (non-secret), generated from consumer/config.py by "
        "dev/helm_schema.py. Secret settings come from secrets.existingSecret (or a *_FILE "
        "path); chart-managed ones from their values. Numbers may be written as numbers or "
        "strings of digits.",
        "propertyNames": {
            "pattern": f"^{ENV_PREFIX}[A-Z0-9_]+$",
            "not": {"enum": [*secrets, *CHART_MANAGED]},
        },
        "properties": allowed,
        "additionalProperties": False,
    }


def extra_env_name_schema() -> dict[str, Any]:
    """An ``extraEnv`` name: anything, but a ``SIGNALS_*`` name must be a known setting."""
    allowed, secrets = _names()
    known = sorted({*allowed, *secrets, *CHART_MANAGED})
    return {"type": "string", "anyOf": [{"not": {"pattern": f"^{ENV_PREFIX}"}}, {"enum": known}]}


def generate(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` (values.schema.json as loaded) with its generated parts replaced."""
    props = schema["properties"]
    props["config"] = config_schema()
    items = props["extraEnv"]["items"]
    items["properties"]["name"] = extra_env_name_schema()
    items["not"]["properties"]["name"]["enum"] = _names()[1]  # a secret never as a literal
    return schema


def _dump(value: Any, indent: int = 0) -> str:
    """JSON with two-space indents; a value that fits in one line of 100 stays on one."""
    flat = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, dict | list) or indent + len(flat) <= 100 or not value:
        return flat
    pad = " " * (indent + 2)
    if isinstance(value, list):
        items = [pad + _dump(item, indent + 2) for item in value]
        return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"
    entries = [f"{pad}{json.dumps(key)}: {_dump(item, indent + 2)}" for key, item in value.items()]
    return "{\n" + ",\n".join(entries) + "\n" + " " * indent + "}"


def _text(schema: dict[str, Any]) -> str:
    return _dump(schema) + "\n"


def main(argv: list[str]) -> int:
    """Write the schema, or with ``--check`` say whether it is up to date."""
    current = SCHEMA_PATH.read_text(encoding="utf-8")
    wanted = _text(generate(json.loads(current)))
    if "--check" in argv:
        if current != wanted:
            print(f"{SCHEMA_PATH} is stale: run python dev/helm_schema.py", file=sys.stderr)
            return 1
        return 0
    SCHEMA_PATH.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
