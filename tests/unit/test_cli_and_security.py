"""The command line, configuration errors, and secrets/PII kept out of every output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import generate_latest

from consumer import __version__
from consumer.config import load_settings
from consumer.deadletter import dead_letter_headers
from consumer.errors import ConfigurationError, MappingError
from consumer.pipeline.metrics import Metrics
from tests.unit.pipeline.fakes import FakeMessage

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "ak-9f8e7d6c5b4a"
SASL_PASSWORD = "sasl-pw-5a4b3c"
SECRETS_ENV = {
    "SIGNALS_CONNECT_API_KEY": API_KEY,
    "SIGNALS_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
    "SIGNALS_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
    "SIGNALS_KAFKA_SASL_USERNAME": "svc",
    "SIGNALS_KAFKA_SASL_PASSWORD": SASL_PASSWORD,
}


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALS_")}
    return subprocess.run(
        [sys.executable, "-m", "consumer", *args],
        cwd=ROOT,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_version_and_help() -> None:
    """``--version`` prints the version and ``--help`` lists the subcommands."""
    assert _cli("--version").stdout.strip() == f"signals-consumer {__version__}"
    out = _cli("--help").stdout
    for command in ("run", "config", "sandbox"):
        assert command in out


def test_config_prints_effective_settings_with_secrets_redacted() -> None:
    """``config`` shows every setting by its variable name and never a secret's value."""
    result = _cli("config", env=SECRETS_ENV)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["SIGNALS_CONNECT_API_KEY"] == "**********"
    assert shown["SIGNALS_KAFKA_SASL_PASSWORD"] == "**********"
    assert shown["SIGNALS_KAFKA_SASL_USERNAME"] == "svc"
    assert API_KEY not in result.stdout + result.stderr
    assert SASL_PASSWORD not in result.stdout + result.stderr


def test_bad_setting_exits_3_naming_the_variable() -> None:
    """A bad value stops the process with exit code 3 and the variable's name."""
    result = _cli("config", env={"SIGNALS_BATCH_MAX_SIGNALS": "501"})
    assert result.returncode == 3
    assert "SIGNALS_BATCH_MAX_SIGNALS" in result.stderr


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"SIGNALS_LINGER_MS": "soon"}, "SIGNALS_LINGER_MS"),
        ({"SIGNALS_TIER": "gold"}, "SIGNALS_TIER"),
        ({"SIGNALS_TOPIC_APP_KEYS": "orders"}, "SIGNALS_TOPIC_APP_KEYS"),
        ({"SIGNALS_TOPIC_PATTERN": "(["}, "SIGNALS_TOPIC_PATTERN"),
        ({"SIGNALS_CONNECT_GROUP_RATE_LIMIT_PER_S": "0"}, "SIGNALS_CONNECT_GROUP_RATE_LIMIT_PER_S"),
    ],
)
def test_load_settings_names_the_bad_variable(
    env: dict[str, str], setting: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ConfigurationError.setting names the offending environment variable."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as info:
        load_settings()
    assert info.value.setting == setting


def test_logs_mask_emails_and_phones_and_drop_secrets() -> None:
    """JSON log lines carry masked emails/phones and no secret values."""
    code = (
        "from consumer.logs import configure_logging, get_logger\n"
        "configure_logging('info', 'json')\n"
        "get_logger('t').info('event_seen', email='jane.doe@example.com',"
        f" api_key='{API_KEY}', note='call +14155550100 or jane.doe@example.com',"
        f" nested={{'password': '{SASL_PASSWORD}', 'to': ['+447700900123']}})\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    line = json.loads(result.stderr.strip().splitlines()[-1])
    text = result.stderr
    assert line["event"] == "event_seen"
    assert "jane.doe@example.com" not in text
    assert "j***@example.com" in text
    assert "+14155550100" not in text
    assert "+447700900123" not in text
    assert API_KEY not in text
    assert SASL_PASSWORD not in text


def test_dead_letter_headers_mask_pii_in_reasons() -> None:
    """A dead-letter reason that quotes an email or phone carries it masked."""
    err = MappingError("bad contact jane.doe@example.com / +14155550100", field="email")
    headers = dict(dead_letter_headers(err, FakeMessage("t", 0, 5), now_ms=1))
    blob = b"".join(headers.values())
    assert b"jane.doe@example.com" not in blob
    assert b"+14155550100" not in blob
    assert headers["signals.error.code"] == b"mapping_failed"


def test_metrics_never_carry_secrets() -> None:
    """Metrics are labelled by topic, partition, reason, cause and outcome only, never a setting."""
    metrics = Metrics()
    metrics.events_consumed.inc("orders")
    text = generate_latest(metrics.registry).decode()
    assert "signals_events_consumed" in text
    assert API_KEY not in text
    assert SASL_PASSWORD not in text
    labels = {
        name
        for family in metrics.registry.collect()
        if family.name.startswith("signals_")  # process_*/python_*: the library's fixed labels
        for sample in family.samples
        for name in sample.labels
    }
    assert labels <= {"topic", "partition", "reason", "cause", "outcome", "le"}
