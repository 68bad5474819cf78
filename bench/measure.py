"""Measuring child processes: CPU and peak RSS from ``wait4``, topics, the consumer's env.

:func:`run_child` starts a command, reaps it with ``os.wait4`` and returns its own user and
system CPU seconds and its peak resident set (``ru_maxrss``, the kernel's VmHWM at exit) -
the consumer's figures, not this process's. :class:`Child` does the same for a process that is
stopped with SIGTERM (the latency runs). :func:`consumer_env` is the environment of one
``signals-consumer run`` against the benchmark's topic, registry and sandbox.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

__all__ = [
    "Child",
    "ProcessFigures",
    "consumer_env",
    "create_topics",
    "delete_topics",
    "process_cpu_s",
    "run_child",
]

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True, slots=True)
class ProcessFigures:
    """What one finished child process cost."""

    exit_code: int
    wall_s: float
    user_s: float
    sys_s: float
    maxrss_mb: float
    log: Path

    @property
    def cpu_s(self) -> float:
        """User + system CPU seconds."""
        return self.user_s + self.sys_s


class Child:
    """A child process whose log goes to a file; reaped with ``wait4`` for its rusage."""

    def __init__(self, command: Sequence[str], env: Mapping[str, str], log: Path) -> None:
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        self._out: IO[bytes] = log.open("wb")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            list(command), cwd=ROOT, env=dict(env), stdout=self._out, stderr=subprocess.STDOUT
        )

    def wait(self, timeout_s: float) -> ProcessFigures:
        """Reap the process (SIGKILL after ``timeout_s``); its figures."""
        deadline = time.monotonic() + timeout_s
        while True:
            pid, status, usage = os.wait4(self.proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                self.proc.kill()
                pid, status, usage = os.wait4(self.proc.pid, 0)
                break
            time.sleep(0.05)
        wall = time.monotonic() - self.started
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        self._out.close()
        return ProcessFigures(
            exit_code=self.proc.returncode,
            wall_s=wall,
            user_s=usage.ru_utime,
            sys_s=usage.ru_stime,
            maxrss_mb=usage.ru_maxrss / 1024,
            log=self.log,
        )

    def stop(self, timeout_s: float = 60.0) -> ProcessFigures:
        """SIGTERM (a clean drain), then reap."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.wait(timeout_s)

    def log_has(self, text: str) -> bool:
        """True when the log holds ``text``."""
        return text in self.log.read_text(errors="replace")


def run_child(
    command: Sequence[str], env: Mapping[str, str], log: Path, timeout_s: float
) -> ProcessFigures:
    """Run ``command`` to its end (killed after ``timeout_s``); its figures."""
    return Child(command, env, log).wait(timeout_s)


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a running process (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def consumer_env(
    *,
    bootstrap: str,
    registry_url: str,
    topic: str,
    sandbox_url: str,
    api_key: str,
    app_key: str,
    dlq_topic: str,
    group: str | None = None,
    **settings: Any,
) -> dict[str, str]:
    """The environment of one ``signals-consumer run`` (a new group unless ``group``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALS_")}
    env.update(
        {
            "SIGNALS_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "SIGNALS_SCHEMA_REGISTRY_URL": registry_url,
            "SIGNALS_TOPICS": topic,
            "SIGNALS_KAFKA_GROUP_ID": group or f"bench-{uuid.uuid4().hex[:10]}",
            "SIGNALS_KAFKA_AUTO_OFFSET_RESET": "earliest",
            "SIGNALS_DLQ_TOPIC": dlq_topic,
            "SIGNALS_DLQ_PARTITIONS": "1",
            "SIGNALS_CONNECT_URL": sandbox_url,
            "SIGNALS_CONNECT_API_KEY": api_key,
            "SIGNALS_DEFAULT_APP_KEY": app_key,
            "SIGNALS_TIER": "premium",
            "SIGNALS_METRICS_PORT": "0",
            "SIGNALS_LOG_FORMAT": "json",
            "SIGNALS_LOG_LEVEL": "info",
        }
    )
    env.update({f"SIGNALS_{name.upper()}": str(value) for name, value in settings.items()})
    return env


def create_topics(bootstrap: str, names: Iterable[str], partitions: int) -> None:
    """Create ``names`` and wait until every partition has a leader."""
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})
    wanted = list(names)
    futures = admin.create_topics(
        [NewTopic(name, num_partitions=partitions, replication_factor=1) for name in wanted]
    )
    for future in futures.values():
        future.result(30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        meta = admin.list_topics(timeout=5).topics
        if all(
            name in meta
            and len(meta[name].partitions) == partitions
            and all(p.leader >= 0 for p in meta[name].partitions.values())
            for name in wanted
        ):
            return
        time.sleep(0.2)
    raise RuntimeError(f"topics {wanted} have no leaders after 30 s")


def delete_topics(bootstrap: str, names: Iterable[str]) -> None:
    """Delete ``names`` (missing ones are ignored)."""
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})
    existing = set(admin.list_topics(timeout=10).topics)
    wanted = [name for name in names if name in existing]
    if not wanted:
        return
    for future in admin.delete_topics(wanted, operation_timeout=30).values():
        with contextlib.suppress(KafkaException):
            future.result(30)
