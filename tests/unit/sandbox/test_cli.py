"""``signals-consumer sandbox`` option handling (exits before it listens)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _sandbox(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALS_")}
    return subprocess.run(
        [sys.executable, "-m", "consumer", "sandbox", *args],
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
    )
    assert [o for o in options if o not in result.stdout] == []


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("--tier", "gold"), "--tier"),
        (("--throttle-rate", "0.7", "--error-rate", "0.7"), "add up to at most 1"),
        (("--outage-mode", "sometimes"), "outage_mode"),
    ],
)
def test_bad_options_exit_3(tmp_path: Path, args: tuple[str, ...], named: str) -> None:
    """A bad tier or fault setting stops with exit code 3 and says what is wrong."""
    result = _sandbox("--db", str(tmp_path / "x.db"), *args)
    assert result.returncode == 3, result.stderr
    assert named in result.stderr
