"""The peer: quixstreams in its own cached venv, run like the consumer (CPU, RSS via wait4).

Why not Redpanda Connect, which the issue names: this workplace's Go module registry marks
``github.com/redpanda-data/connect/v4`` "not-to-use: not an open-source licence", so it is not
built. quixstreams is what a Python user would pick instead.

Why a venv of its own (``.cache/bench/quix-venv``, git-ignored) rather than ``.venv``:
quixstreams 3.28 pins ``confluent-kafka<2.13``; installing it into ``.venv`` would downgrade
the consumer's confluent-kafka (2.16) and pydantic for everyone using that venv. The venv gets
the ``bench`` extra's pins from pyproject.toml plus the few libraries the consumer's mapping
modules import; :func:`ensure_peer_venv` (re)builds it only when that list changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from bench.measure import Child, ProcessFigures

__all__ = ["PEER_NAME", "PEER_VENV", "ensure_peer_venv", "peer_env", "start_peer"]

ROOT = Path(__file__).resolve().parents[1]
PEER_VENV = ROOT / ".cache" / "bench" / "quix-venv"
PEER_NAME = "quixstreams"
#: what bench/peer_quix.py imports besides the bench extra (the consumer's mapping modules)
_RUNTIME = ("httpx", "orjson", "structlog", "pydantic-settings", "pyyaml")


def _requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [*project["optional-dependencies"]["bench"], *_RUNTIME]


def ensure_peer_venv(log: Path) -> Path:
    """The peer venv's python, installing it first when missing or outdated."""
    python = PEER_VENV / "bin" / "python"
    wanted = _requirements()
    digest = hashlib.sha256("\n".join(wanted).encode()).hexdigest()
    stamp = PEER_VENV / ".bench-stamp"
    if python.exists() and stamp.exists() and stamp.read_text() == digest:
        return python
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        subprocess.run(
            [sys.executable, "-m", "venv", "--clear", str(PEER_VENV)],
            check=True,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *wanted],
            check=True,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    stamp.write_text(digest)
    return python


def peer_env(
    *,
    bootstrap: str,
    registry_url: str,
    topic: str,
    group: str,
    sandbox_url: str,
    api_key: str,
    app_key: str,
    idle_s: float = 2.0,
) -> dict[str, str]:
    """The environment of one peer run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALS_")}
    env.update(
        {
            "PEER_BOOTSTRAP": bootstrap,
            "PEER_REGISTRY": registry_url,
            "PEER_TOPIC": topic,
            "PEER_GROUP": group,
            "PEER_SANDBOX_URL": sandbox_url,
            "PEER_API_KEY": api_key,
            "PEER_APP_KEY": app_key,
            "PEER_IDLE_S": str(idle_s),
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def start_peer(python: Path, env: dict[str, str], log: Path) -> Child:
    """Start bench/peer_quix.py with the peer venv's python."""
    return Child([str(python), str(ROOT / "bench" / "peer_quix.py")], env, log)


def run_peer(python: Path, env: dict[str, str], log: Path, timeout_s: float) -> ProcessFigures:
    """Run the peer to its idle stop; its figures."""
    return start_peer(python, env, log).wait(timeout_s)
