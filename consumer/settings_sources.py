"""Where settings come from besides plain environment variables (used by consumer.config).

* :class:`SecretFiles`: every secret setting ``SIGNALS_<NAME>`` can instead be read from the
  file named by ``SIGNALS_<NAME>_FILE`` (a Kubernetes secret mounted as a volume, a Docker
  secret). The file's content is the value, a trailing newline dropped. Setting both is refused
  (which would win is a guess); an unreadable file is refused naming the ``_FILE`` variable.
  The value is a ``SecretStr`` like any other secret: never printed or logged.
* :func:`parse_properties`: ``key=value`` pairs (librdkafka properties) from a JSON object, or
  entries separated by ``;`` or newlines (a value may hold commas, e.g. ``debug=broker,topic``);
  :func:`read_properties_file` reads a Java-style ``.properties`` file (``#``/``!`` comments,
  ``key=value`` or ``key: value``). Which keys are allowed is decided in consumer.kafka_config.
"""

from __future__ import annotations

import json
import os
import typing
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import PydanticBaseSettingsSource

from consumer.errors import ConfigurationError

__all__ = ["SecretFiles", "parse_properties", "read_properties_file", "secret_fields"]


def secret_fields(fields: dict[str, FieldInfo]) -> list[str]:
    """Names of the fields typed ``SecretStr`` (or ``SecretStr | None``)."""
    return [
        name
        for name, info in fields.items()
        if info.annotation is SecretStr or SecretStr in typing.get_args(info.annotation)
    ]


class SecretFiles(PydanticBaseSettingsSource):
    """Values of secret fields read from the files named by ``<PREFIX><NAME>_FILE``."""

    def __init__(self, settings_cls: type[Any], prefix: str) -> None:
        super().__init__(settings_cls)
        self._prefix = prefix

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """Unused: :meth:`__call__` reads every secret at once."""
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        """``{field: file content}`` for each secret whose ``_FILE`` variable is set."""
        env = {k.upper(): v for k, v in os.environ.items()}
        out: dict[str, Any] = {}
        for name in secret_fields(self.settings_cls.model_fields):
            variable = f"{self._prefix}{name.upper()}"
            path = env.get(f"{variable}_FILE")
            if not path:
                continue
            if env.get(variable):
                raise ConfigurationError(
                    f"{variable} and {variable}_FILE are both set; keep one",
                    setting=f"{variable}_FILE",
                )
            try:
                text = Path(path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
                raise ConfigurationError(
                    f"{variable}_FILE: cannot read {path}: {reason}", setting=f"{variable}_FILE"
                ) from exc
            out[name] = text.rstrip("\r\n")
        return out


def parse_properties(value: Any) -> Any:
    """A JSON object or ``key=value`` entries separated by ``;`` or newlines -> dict."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text:
        return {}
    if text.startswith("{"):
        parsed = json.loads(text)
        if not isinstance(parsed, dict):
            raise ValueError("expected a JSON object")
        return {
            str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in parsed.items()
        }
    out: dict[str, str] = {}
    entries = [entry for entry in text.replace("\n", ";").split(";") if entry.strip()]
    for number, entry in enumerate(entries, 1):
        key, sep, val = entry.partition("=")
        if not sep or not key.strip():  # the entry itself is not shown: it may hold a secret
            raise ValueError(
                f"entry {number}: expected key=value entries separated by ';' or newlines"
            )
        out[key.strip()] = val.strip()
    return out


def read_properties_file(path: Path) -> dict[str, str]:
    """A ``.properties`` file as a dict; raises OSError or ValueError."""
    out: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#!":
            continue
        cut = min((i for i in (line.find("="), line.find(":")) if i > 0), default=-1)
        if cut < 0:
            # the line itself is not shown: it may hold a secret
            raise ValueError(f"line {number}: expected key=value or key: value")
        out[line[:cut].strip()] = line[cut + 1 :].strip()
    return out
