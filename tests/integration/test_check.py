"""signals-consumer check on the local stack: passes, and names the broken part (issue 16.7)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from typer.testing import CliRunner

from consumer.cli import app
from tests.fixtures.sandbox import free_port
from tests.integration.ops_support import ops_env, serialize
from tests.integration.test_pipeline import cart_event, pipeline_settings

_FAILED = re.compile(r"│ fail\s+│.*?(SIGNALS_[A-Z_]+)")


def _check(env: dict[str, str]) -> tuple[int, str, set[str]]:
    """Run ``check`` with ``env``: exit code, the table, the settings of the failed lines."""
    result = CliRunner().invoke(app, ["check", "--timeout", "5"], env=env)
    return result.exit_code, result.stdout, set(_FAILED.findall(result.stdout))


@pytest.fixture
def healthy_env(
    kafka_bootstrap: str, schema_registry_url: str, make_topic: Callable[..., str], sandbox: Any
) -> dict[str, str]:
    """A topic with its value subject, an existing DLQ topic, the sandbox and its key."""
    topic = make_topic(partitions=2)
    make_topic(name=f"{topic}.dlq")
    serialize(schema_registry_url, topic, cart_event(1))  # registers <topic>-value
    return ops_env(pipeline_settings(kafka_bootstrap, schema_registry_url, sandbox, topic))


def test_check_passes_on_the_local_stack_and_creates_nothing(
    healthy_env: dict[str, str], sandbox: Any
) -> None:
    """Every line passes, exit 0; the sandbox received no signal (the key probe is a query)."""
    sandbox.reset()
    code, table, failures = _check(healthy_env)
    assert (code, failures) == (0, set()), table
    for name in ("kafka brokers", "consumer group", "dead-letter topic", "schema registry"):
        assert re.search(rf"│ {name}[^│]*│ ok", table), table
    assert re.search(r"│ reader schema AddToCartEvent\s+│ ok\s+│ subject test-\w+-value", table)
    assert re.search(r"│ connect API key\s+│ ok", table), table
    stats = sandbox.stats()
    assert stats["requests"] == {"query": 1}
    assert stats["signals"]["received"] == 0


@pytest.mark.parametrize(
    ("broken", "setting"),
    [
        ("bootstrap", "SIGNALS_KAFKA_BOOTSTRAP_SERVERS"),
        ("topic", "SIGNALS_TOPICS"),
        ("registry", "SIGNALS_SCHEMA_REGISTRY_URL"),
        ("key", "SIGNALS_CONNECT_API_KEY"),
    ],
)
def test_check_names_the_broken_part(
    healthy_env: dict[str, str], broken: str, setting: str
) -> None:
    """With one part broken in turn, exactly that part fails (exit 1) and names its setting."""
    env = dict(healthy_env)
    if broken == "bootstrap":
        env["SIGNALS_KAFKA_BOOTSTRAP_SERVERS"] = f"127.0.0.1:{free_port()}"
    elif broken == "topic":
        env["SIGNALS_TOPICS"] += ",no-such-topic-for-check"
    elif broken == "registry":
        env["SIGNALS_SCHEMA_REGISTRY_URL"] = f"http://127.0.0.1:{free_port()}"
    else:
        env["SIGNALS_CONNECT_API_KEY"] = "refused-by-the-sandbox"
    code, table, failures = _check(env)
    assert (code, failures) == (1, {setting}), table
