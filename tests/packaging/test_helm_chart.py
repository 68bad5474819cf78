"""The Helm chart renders safe, consistent manifests for every values set (``helm template``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

__all__: list[str] = []

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "signals-consumer"
VALUES_DIR = ROOT / "helm" / "values"
VALUE_SETS = ["default", *sorted(p.stem for p in VALUES_DIR.glob("*.yaml"))]
SECRET_ENV = {
    "SIGNALS_CONNECT_API_KEY",
    "SIGNALS_KAFKA_SASL_PASSWORD",
    "SIGNALS_KAFKA_OAUTH_CLIENT_SECRET",
    "SIGNALS_KAFKA_SSL_KEY_PASSWORD",
    "SIGNALS_SCHEMA_REGISTRY_BASIC_AUTH",
    "SIGNALS_SCHEMA_REGISTRY_BEARER_TOKEN",
    "SIGNALS_SCHEMA_REGISTRY_KEY_PASSWORD",
}
STANDARD_LABELS = {
    "helm.sh/chart",
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/managed-by",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
}

Manifest = dict[str, Any]
Render = Callable[..., list[Manifest]]


@pytest.fixture(scope="session")
def helm() -> str:
    """The helm binary built by dev/tools.sh (built on first use, cached in .cache/tools)."""
    binary = ROOT / ".cache" / "tools" / "bin" / "helm"
    if not binary.exists():
        if shutil.which("go") is None and not Path("/usr/local/go/bin/go").exists():
            pytest.skip("helm is not built and no Go toolchain is available to build it")
        env = {**os.environ, "PATH": f"{os.environ.get('PATH', '')}:/usr/local/go/bin"}
        subprocess.run(["bash", str(ROOT / "dev" / "tools.sh")], check=True, env=env, cwd=ROOT)
    return str(binary)


def _template(helm: str, value_set: str, *sets: str) -> subprocess.CompletedProcess[str]:
    args = [helm, "template", "rel", str(CHART), "--namespace", "signals"]
    if value_set != "default":
        args += ["--values", str(VALUES_DIR / f"{value_set}.yaml")]
    for item in sets:
        args += ["--set", item]
    return subprocess.run(args, capture_output=True, text=True, check=False)


@pytest.fixture(scope="session")
def render(helm: str) -> Render:
    """Render the chart with a values set and ``--set`` overrides; fail the test on error."""

    def _render(value_set: str = "default", *sets: str) -> list[Manifest]:
        result = _template(helm, value_set, *sets)
        assert result.returncode == 0, result.stderr
        return [doc for doc in yaml.safe_load_all(result.stdout) if doc]

    return _render


@pytest.fixture(scope="session")
def render_error(helm: str) -> Callable[..., str]:
    """Render values that must be refused and return helm's error message."""

    def _error(*sets: str, value_set: str = "default") -> str:
        result = _template(helm, value_set, *sets)
        assert result.returncode != 0, "helm template unexpectedly succeeded"
        return result.stderr

    return _error


def _one(manifests: list[Manifest], kind: str) -> Manifest:
    found = [m for m in manifests if m["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, got {len(found)}"
    return found[0]


def _config(manifests: list[Manifest]) -> dict[str, str]:
    """The data of the consumer's configuration ConfigMap (not the dashboard's)."""
    configs = [m for m in manifests if m["kind"] == "ConfigMap"]
    found = [m for m in configs if not m["metadata"]["name"].endswith("-dashboard")]
    assert len(found) == 1
    data: dict[str, str] = found[0]["data"]
    return data


def _kinds(manifests: list[Manifest]) -> set[str]:
    return {m["kind"] for m in manifests}


def _container(manifests: list[Manifest]) -> Manifest:
    containers: list[Manifest] = _one(manifests, "Deployment")["spec"]["template"]["spec"][
        "containers"
    ]
    return containers[0]


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_probes_hit_health_endpoints_on_metrics_port(render: Render, value_set: str) -> None:
    """Liveness probes /healthz and readiness probes /readyz on the named metrics port."""
    container = _container(render(value_set))
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"metrics": 9400}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
    assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}


def test_startup_probe_covers_a_slow_start_and_liveness_waits_for_it(render: Render) -> None:
    """The startup probe allows minutes for a slow start; liveness starts only after it."""
    container = _container(render())
    startup, liveness = container["startupProbe"], container["livenessProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 120
    assert "initialDelaySeconds" not in liveness  # the startup probe gates it


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_pod_runs_locked_down(render: Render, value_set: str) -> None:
    """Non-root UID 10001, read-only root, no privilege escalation, no capabilities, seccomp."""
    manifests = render(value_set)
    pod = _one(manifests, "Deployment")["spec"]["template"]["spec"]
    container = _container(manifests)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    sc = container["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert sc["runAsUser"] == 10001
    assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
    assert any(v["name"] == "tmp" and "emptyDir" in v for v in pod["volumes"])


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_secrets_only_by_reference(render: Render, value_set: str) -> None:
    """Secret settings come from secretKeyRef and never appear in the ConfigMap or plain env."""
    manifests = render(value_set)
    container = _container(manifests)
    env = {e["name"]: e for e in container.get("env") or []}
    assert "SIGNALS_CONNECT_API_KEY" in env
    for name in SECRET_ENV & env.keys():
        assert "value" not in env[name]
        assert "secretKeyRef" in env[name]["valueFrom"]
    data = _config(manifests)
    assert not SECRET_ENV & data.keys()


@pytest.mark.parametrize(
    "override",
    [
        "config.SIGNALS_CONNECT_API_KEY=plain",
        "config.SIGNALS_KAFKA_SASL_PASSWORD=plain",
        "config.SIGNALS_SCHEMA_REGISTRY_BASIC_AUTH=user:pw",
        "config.SIGNALS_SCHEMA_REGISTRY_BEARER_TOKEN=tok",
        "config.SIGNALS_SCHEMA_REGISTRY_KEY_PASSWORD=pw",
    ],
)
def test_schema_rejects_plaintext_secret_in_config(
    render_error: Callable[..., str], override: str
) -> None:
    """values.schema.json refuses a secret setting placed in the plain config map."""
    assert "invalid propertyName" in render_error(override)


def test_schema_rejects_plaintext_secret_in_extra_env(render_error: Callable[..., str]) -> None:
    """A secret setting in extraEnv with a literal value is refused (by the schema)."""
    error = render_error("extraEnv[0].name=SIGNALS_KAFKA_SASL_PASSWORD", "extraEnv[0].value=plain")
    assert "/extraEnv/0" in error


def test_dynamic_membership_by_default(render: Render) -> None:
    """By default no group.instance.id: a stopped pod's partitions move at once."""
    env = {e["name"] for e in _container(render()).get("env", [])}
    assert "SIGNALS_KAFKA_GROUP_INSTANCE_ID" not in env


def test_static_membership_from_pod_name(render: Render) -> None:
    """With staticMembership, SIGNALS_KAFKA_GROUP_INSTANCE_ID is the pod name (downward API)."""
    env = {e["name"]: e for e in _container(render("default", "staticMembership=true"))["env"]}
    ref = env["SIGNALS_KAFKA_GROUP_INSTANCE_ID"]["valueFrom"]["fieldRef"]
    assert ref["fieldPath"] == "metadata.name"


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_selectors_match_pod_labels(render: Render, value_set: str) -> None:
    """Deployment, Service, PDB and monitors select exactly the consumer's pod labels."""
    manifests = render(value_set)
    deployment = _one(manifests, "Deployment")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    selectors = [deployment["spec"]["selector"]["matchLabels"]]
    for m in manifests:
        if m["kind"] == "Service":
            selectors.append(m["spec"]["selector"])
        elif m["kind"] in {"PodDisruptionBudget", "ServiceMonitor", "PodMonitor"}:
            selectors.append(m["spec"]["selector"]["matchLabels"])
    assert len(selectors) >= 2
    for selector in selectors:
        assert selector
        assert selector.items() <= pod_labels.items()
    if value_set == "default":
        assert "PodDisruptionBudget" in _kinds(manifests)


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_every_object_has_standard_labels(render: Render, value_set: str) -> None:
    """Every rendered object carries the standard app.kubernetes.io labels from _helpers.tpl."""
    for manifest in render(value_set):
        labels = manifest["metadata"].get("labels", {})
        missing = STANDARD_LABELS - labels.keys()
        assert not missing, f"{manifest['kind']} lacks {missing}"


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_grace_period_exceeds_drain_timeout(render: Render, value_set: str) -> None:
    """terminationGracePeriodSeconds is greater than the SIGNALS_DRAIN_TIMEOUT_S it configures."""
    manifests = render(value_set)
    grace = _one(manifests, "Deployment")["spec"]["template"]["spec"][
        "terminationGracePeriodSeconds"
    ]
    drain = float(_config(manifests)["SIGNALS_DRAIN_TIMEOUT_S"])
    assert grace > drain


def test_grace_period_not_above_drain_fails(render_error: Callable[..., str]) -> None:
    """The chart refuses a grace period that does not leave time to drain."""
    error = render_error("drainTimeoutSeconds=60", "terminationGracePeriodSeconds=60")
    assert "terminationGracePeriodSeconds" in error


def test_keda_scaled_object_on_group_lag(render: Render) -> None:
    """The keda set renders a kafka ScaledObject within partitions and a TriggerAuthentication."""
    manifests = render("keda")
    scaled = _one(manifests, "ScaledObject")
    deployment = _one(manifests, "Deployment")
    assert "replicas" not in deployment["spec"]
    assert scaled["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert scaled["spec"]["maxReplicaCount"] <= 12
    trigger = scaled["spec"]["triggers"][0]
    assert trigger["type"] == "kafka"
    meta = trigger["metadata"]
    assert meta["consumerGroup"] == "connect-signals-consumer"
    assert meta["topic"] == "behavior.events"
    assert meta["limitToPartitionsWithLag"] == "true"
    auth = _one(manifests, "TriggerAuthentication")
    assert trigger["authenticationRef"]["name"] == auth["metadata"]["name"]
    refs = {r["parameter"]: r for r in auth["spec"]["secretTargetRef"]}
    assert refs["password"] == {
        "parameter": "password",
        "name": "signals-consumer",
        "key": "kafka-password",
    }
    assert "HorizontalPodAutoscaler" not in _kinds(manifests)


def test_keda_max_replicas_above_partitions_fails(render_error: Callable[..., str]) -> None:
    """maxReplicaCount greater than the partition count is refused."""
    error = render_error(
        "autoscaling.keda.enabled=true",
        "autoscaling.keda.partitions=4",
        "autoscaling.keda.maxReplicaCount=5",
    )
    assert "maxReplicaCount" in error


def test_keda_and_hpa_together_fail(render_error: Callable[..., str]) -> None:
    """KEDA and the HPA cannot both manage the replica count."""
    error = render_error("autoscaling.keda.enabled=true", "autoscaling.hpa.enabled=true")
    assert "mutually exclusive" in error


def test_hpa_set_renders_hpa_without_fixed_replicas(render: Render) -> None:
    """The hpa set renders an autoscaling/v2 HPA and leaves replicas to it."""
    manifests = render("hpa")
    hpa = _one(manifests, "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert "replicas" not in _one(manifests, "Deployment")["spec"]
    assert "PodMonitor" in _kinds(manifests)
    assert "Service" not in _kinds(manifests)


def test_tls_files_mounted_and_located(render: Render) -> None:
    """The sasl-tls set mounts the TLS Secret and points the SSL location settings at it."""
    manifests = render("sasl-tls")
    data = _config(manifests)
    mounts = {m["name"]: m for m in _container(manifests)["volumeMounts"]}
    base = mounts["kafka-tls"]["mountPath"]
    assert data["SIGNALS_KAFKA_SSL_CA_LOCATION"] == f"{base}/ca.pem"
    assert data["SIGNALS_KAFKA_SSL_KEY_LOCATION"] == f"{base}/client.key"
    assert mounts["kafka-tls"]["readOnly"] is True


def test_dashboard_configmap_matches_dashboard_file(render: Render) -> None:
    """The dashboard ConfigMap ships the chart's files/signals-consumer.json unchanged."""
    manifests = render("servicemonitor")
    dashboards = [m for m in manifests if m["metadata"]["name"].endswith("-dashboard")]
    assert len(dashboards) == 1
    assert dashboards[0]["metadata"]["labels"]["grafana_dashboard"] == "1"
    shipped = dashboards[0]["data"]["signals-consumer.json"]
    source = (CHART / "files" / "signals-consumer.json").read_text()
    assert shipped.strip() == source.strip()


def test_config_change_rolls_pods(render: Render) -> None:
    """A config change changes the pod template's checksum annotation (pods restart)."""
    first = _one(render(), "Deployment")["spec"]["template"]["metadata"]["annotations"]
    second = _one(render("default", "config.SIGNALS_TIER=ultimate"), "Deployment")["spec"][
        "template"
    ]["metadata"]["annotations"]
    assert first["checksum/config"] != second["checksum/config"]


def test_registry_bearer_token_and_key_password_come_from_the_secret(render: Render) -> None:
    """The registry's bearer token and client-key password are secretKeyRefs when keyed."""
    container = _container(
        render(
            "default",
            "secrets.keys.schemaRegistryBearerToken=sr-token",
            "secrets.keys.schemaRegistryKeyPassword=sr-key-pw",
        )
    )
    env = {e["name"]: e for e in container["env"]}
    for name, key in (
        ("SIGNALS_SCHEMA_REGISTRY_BEARER_TOKEN", "sr-token"),
        ("SIGNALS_SCHEMA_REGISTRY_KEY_PASSWORD", "sr-key-pw"),
    ):
        assert env[name]["valueFrom"]["secretKeyRef"]["key"] == key


def _rule(manifests: list[Manifest]) -> Manifest | None:
    return next((m for m in manifests if m["kind"] == "PrometheusRule"), None)


def test_prometheus_rule_only_when_enabled(render: Render) -> None:
    """No PrometheusRule by default; metrics.prometheusRule.enabled renders one."""
    assert _rule(render()) is None
    assert _rule(render("default", "metrics.prometheusRule.enabled=true")) is not None


def test_prometheus_rule_has_the_five_alerts_on_this_releases_pods(render: Render) -> None:
    """Lag growing, stalled partition, dead-letter rate, refused key, no membership; each with
    a runbook section and the release's pods as the selector."""
    rule = _rule(render("default", "metrics.prometheusRule.enabled=true"))
    assert rule is not None
    rules = {r["alert"]: r for group in rule["spec"]["groups"] for r in group["rules"]}
    assert set(rules) == {
        "SignalsConsumerLagGrowing",
        "SignalsConsumerPartitionStalled",
        "SignalsConsumerDeadLetterRate",
        "SignalsConsumerApiKeyRefused",
        "SignalsConsumerNoGroupMembership",
    }
    docs = (ROOT / "docs" / "deploy.md").read_text()
    for name, alert in rules.items():
        assert 'namespace="signals"' in alert["expr"], name
        assert 'pod=~"rel-signals-consumer-.*"' in alert["expr"], name
        anchor = alert["annotations"]["runbook_url"].split("#", 1)[1]
        assert f"### {name}" in docs, name
        assert anchor == name.lower(), name


def test_schema_is_generated_from_the_settings() -> None:
    """values.schema.json's SIGNALS_* rules are what dev/helm_schema.py makes of config.py."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "dev" / "helm_schema.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ("config.SIGNALS_BATCH_MAX_SIGNAL=5", "SIGNALS_BATCH_MAX_SIGNAL"),
        ("config.SIGNALS_LINGER_MS=soon", "SIGNALS_LINGER_MS"),
        ("config.SIGNALS_BATCH_MAX_SIGNALS=501", "SIGNALS_BATCH_MAX_SIGNALS"),
        ("config.SIGNALS_TIER=gold", "SIGNALS_TIER"),
        ("extraEnv[0].name=SIGNALS_LINGER_M", "/extraEnv/0/name"),
    ],
)
def test_schema_rejects_unknown_settings_and_wrong_values(
    render_error: Callable[..., str], override: str, named: str
) -> None:
    """A misspelt SIGNALS_* name, a non-number, an out-of-range number or a bad choice fails."""
    assert named in render_error(*override.split(" "))


def test_large_numbers_render_as_digits(helm: str, tmp_path: Path) -> None:
    """A YAML number like 2000000 reaches the pod as "2000000", not Go's "2e+06"."""
    values = tmp_path / "values.yaml"
    values.write_text(
        "config:\n  SIGNALS_BATCH_MAX_BYTES: 2000000\n  SIGNALS_LINGER_MS: '250'\n"
        "  SIGNALS_HTTP_READ_TIMEOUT_S: 2.5\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [helm, "template", "rel", str(CHART), "--values", str(values)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data = _config([doc for doc in yaml.safe_load_all(result.stdout) if doc])
    assert data["SIGNALS_BATCH_MAX_BYTES"] == "2000000"
    assert data["SIGNALS_LINGER_MS"] == "250"
    assert data["SIGNALS_HTTP_READ_TIMEOUT_S"] == "2.5"


def test_chart_readme_is_generated_from_the_values() -> None:
    """helm/signals-consumer/README.md lists every documented value as values.yaml has it."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "dev" / "helm_readme.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
