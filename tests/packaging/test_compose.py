"""docker-compose.yml and the Helm chart only use SIGNALS_* names that are real settings."""

from __future__ import annotations

import re
import subprocess
import sys
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


def _dockerfile_stages() -> set[str]:
    """Names of the Dockerfile's stages (``FROM ... AS name``)."""
    text = (ROOT / "Dockerfile").read_text()
    return set(re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", text, flags=re.MULTILINE | re.IGNORECASE))


def test_compose_producer_builds_a_dockerfile_target() -> None:
    """The producer builds a target the Dockerfile defines and starts after broker and registry."""
    producer = _compose()["services"]["producer"]
    assert producer["build"]["dockerfile"] == "Dockerfile"
    assert producer["build"]["target"] in _dockerfile_stages()
    assert producer["build"]["target"] == "tools"
    depends = producer["depends_on"]
    assert depends["kafka"]["condition"] == "service_healthy"
    assert depends["topics"]["condition"] == "service_completed_successfully"
    assert depends["schema-registry"]["condition"] == "service_healthy"


def test_compose_producer_writes_where_the_consumer_reads() -> None:
    """The producer's command runs dev/sample_producer.py against the consumer's topic and stack."""
    from dev.sample_producer import parse_args

    services = _compose()["services"]
    command = services["producer"]["command"]
    assert command[:3] == ["python", "-m", "dev.sample_producer"]
    assert (ROOT / "dev" / "sample_producer.py").is_file()
    args = parse_args(command[3:])
    env = _environment(services["consumer"])
    assert args.topic == env["SIGNALS_TOPICS"]
    assert args.bootstrap_servers == env["SIGNALS_KAFKA_BOOTSTRAP_SERVERS"]
    assert args.registry_url == env["SIGNALS_SCHEMA_REGISTRY_URL"]
    assert args.count == 0, "a Docker user should see events keep flowing"


def test_tools_stage_carries_the_producer() -> None:
    """The tools stage copies the module and schemas/ it reads and installs its hashed lock."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    tools = text[text.index(" AS tools") : text.index(" AS runtime")]
    assert "COPY dev/__init__.py dev/sample_producer.py ./dev/" in tools
    assert "COPY schemas ./schemas" in tools
    assert "--require-hashes -r /tmp/requirements-tools.lock" in tools


def test_sample_producer_help_runs() -> None:
    """`python -m dev.sample_producer --help` runs from the repository root (as in the image)."""
    proc = subprocess.run(
        [sys.executable, "-m", "dev.sample_producer", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "--bootstrap-servers" in proc.stdout
