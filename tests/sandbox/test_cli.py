"""``signals-consumer sandbox`` option handling (exits before it listens)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


# Runs the CLI with the named top-level modules made unimportable, as if the extra were missing.
_WITHOUT = """
import sys
blocked = set(sys.argv.pop(1).split(","))
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, Blocker())
from consumer.cli import main
sys.argv[0] = "signals-consumer"
main()
"""


def _sandbox(*args: str, without: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALS_")}
    command = ["-m", "consumer"] if not without else ["-c", _WITHOUT, without]
    return subprocess.run(
        [sys.executable, *command, "sandbox", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_help_lists_the_options() -> None:
    """--help documents the server, key, tier, benchmark and fault options."""
    result = _sandbox("--help")
    assert result.returncode == 0
    options = (
        "--port",
        "--db",
        "--api-key",
        "--app-key",
        "--tier",
        "--benchmark",
        "--record-latency",
        "--throttle-rate",
        "--timeout-delay-s",
        "--outage-mode",
        "--seed",
        "--error-dialect",
        "--rate-limit-rate",
        "--rate-limit-next",
        "--gateway-timeout-rate",
        "--gateway-timeout-next",
        "--gateway-timeout-s",
    )
    assert [o for o in options if o not in result.stdout] == []


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("--tier", "gold"), "--tier"),
        (("--throttle-rate", "0.7", "--error-rate", "0.7"), "add up to at most 1"),
        (("--outage-mode", "sometimes"), "outage_mode"),
        (("--error-dialect", "friendly"), "--error-dialect"),
        (("--rate-limit-rate", "0.6", "--gateway-timeout-rate", "0.6"), "add up to at most 1"),
    ],
)
def test_bad_options_exit_3(tmp_path: Path, args: tuple[str, ...], named: str) -> None:
    """A bad tier or fault setting stops with exit code 3 and says what is wrong."""
    result = _sandbox("--db", str(tmp_path / "x.db"), *args)
    assert result.returncode == 3, result.stderr
    assert named in result.stderr


@pytest.mark.parametrize("missing", ["connect_sandbox", "graphql", "starlette", "uvicorn"])
def test_without_the_extra_says_how_to_install_it(tmp_path: Path, missing: str) -> None:
    """Without the sandbox package or one of its dependencies: exit 3 naming the extra."""
    result = _sandbox("--db", str(tmp_path / "x.db"), without=missing)
    assert result.returncode == 3, result.stderr
    assert "pip install 'connect-signals-consumer[sandbox]'" in result.stderr
    assert missing in result.stderr
    assert "Traceback" not in result.stderr


def test_the_runtime_cli_loads_without_the_extra() -> None:
    """The other commands still work when the sandbox's dependencies are missing."""
    result = _sandbox("--help", without="connect_sandbox,graphql,starlette,uvicorn")
    assert result.returncode == 0, result.stderr


def test_every_fault_option_is_a_faults_field() -> None:
    """The command hands Faults every option but the server's own, so each must be a field."""
    import typer.main

    from connect_sandbox.faults import FAULT_FIELDS
    from consumer.cli import app

    command = typer.main.get_command(app).commands["sandbox"]  # type: ignore[attr-defined]
    server = {"ctx", "host", "port", "db", "api_key", "app_key", "tier", "benchmark"}
    server |= {"record_latency", "seed", "error_dialect"}
    fault_options = {param.name for param in command.params} - server
    assert len(fault_options) == 15
    assert fault_options <= set(FAULT_FIELDS)
