"""docker-compose.yml and the Helm chart only use SIGNALS_* names that are real settings."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from consumer.config import ENV_PREFIX, Settings

__all__: list[str] = []

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
CHART = ROOT / "helm" / "signals-consumer"
SIGNALS_NAME = re.compile(r"\bSIGNALS_[A-Z0-9_]*[A-Z0-9]\b")
#: Read by config.py itself (names the optional .env file), not a Settings field.
NOT_FIELDS = {"SIGNALS_ENV_FILE"}


def _known() -> set[str]:
    return {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields} | NOT_FIELDS


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.partition("=")[::2] for item in env)
    return {str(k): str(v) for k, v in env.items()}


def test_settings_fields_are_parsed() -> None:
    """The known names come from Settings.model_fields (a sanity check of the check itself)."""
    known = _known()
    assert {"SIGNALS_KAFKA_GROUP_ID", "SIGNALS_CONNECT_API_KEY", "SIGNALS_TOPICS"} <= known
    assert "SIGNALS_NO_SUCH_SETTING" not in known


def test_compose_environment_names_are_settings() -> None:
    """Every SIGNALS_* variable set in docker-compose.yml is a Settings field."""
    used = {
        name
        for service in _compose()["services"].values()
        for name in _environment(service)
        if name.startswith(ENV_PREFIX)
    }
    assert used
    assert not used - _known(), f"unknown settings: {sorted(used - _known())}"


def test_compose_consumer_configured_like_demo() -> None:
    """The consumer reads Kafka, the registry and the sandbox from their compose services."""
    services = _compose()["services"]
    assert {"kafka", "schema-registry", "sandbox", "consumer"} <= services.keys()
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["sandbox"]["command"] == ["sandbox", "--host", "0.0.0.0"]
    assert services["sandbox"]["build"]["dockerfile"] == "Dockerfile"
    env = _environment(services["consumer"])
    assert env["SIGNALS_CONNECT_URL"].startswith("http://sandbox:")
    assert env["SIGNALS_SCHEMA_REGISTRY_URL"].startswith("http://schema-registry:")
    assert env["SIGNALS_KAFKA_BOOTSTRAP_SERVERS"].startswith("kafka:")
    Settings.model_validate({k.removeprefix(ENV_PREFIX).lower(): v for k, v in env.items()})


def _chart_names() -> set[str]:
    names: set[str] = set()
    for path in [*CHART.rglob("*.yaml"), *CHART.rglob("*.tpl"), *CHART.rglob("*.txt")]:
        names |= set(SIGNALS_NAME.findall(path.read_text()))
    for path in (ROOT / "helm" / "values").glob("*.yaml"):
        names |= set(SIGNALS_NAME.findall(path.read_text()))
    return names


def test_chart_names_are_settings() -> None:
    """Every SIGNALS_* name in the chart, its values and the values sets is a Settings field."""
    names = _chart_names()
    assert "SIGNALS_KAFKA_GROUP_INSTANCE_ID" in names
    assert not names - _known(), f"unknown settings: {sorted(names - _known())}"


@pytest.mark.parametrize("values_file", sorted((ROOT / "helm" / "values").glob("*.yaml")))
def test_values_set_config_is_valid(values_file: Path) -> None:
    """Each values set's config map, merged over the defaults, is accepted by Settings."""
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())["config"]
    overrides = (yaml.safe_load(values_file.read_text()) or {}).get("config", {})
    config = {**defaults, **overrides}
    fields = {k.removeprefix(ENV_PREFIX).lower(): str(v) for k, v in config.items()}
    if fields.get("kafka_sasl_mechanism") in {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}:
        # Credentials come from the Secret in the cluster; stand-ins satisfy the model here.
        fields |= {"kafka_sasl_username": "user", "kafka_sasl_password": "secret"}
    Settings.model_validate(fields)
