"""Consumer processes for the fault suite: ``python -m consumer run`` with its own environment.

Each process serves its probes and metrics on its own port (the same across restarts).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from tests.fixtures.sandbox import free_port

__all__ = ["ConsumerProcess"]

ROOT = Path(__file__).resolve().parents[2]


class ConsumerProcess:
    """One member of the consumer group; logs go to ``log_dir/<name>.<n>.log``."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.port = free_port()
        self.name, self.log_dir = name, log_dir
        self.env = {
            **env,
            "SIGNALS_METRICS_HOST": "127.0.0.1",
            "SIGNALS_METRICS_PORT": str(self.port),
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.exit_codes: list[int] = []
        self._log: IO[bytes] | None = None

    def start(self) -> None:
        """Start (or start again) the consumer process."""
        self.starts += 1
        self._log = (self.log_dir / f"{self.name}.{self.starts}.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "consumer", "run"],
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int | None:
        """The running process's id (None before the first start)."""
        return None if self.proc is None else self.proc.pid

    @property
    def alive(self) -> bool:
        """True while the process runs."""
        return self.proc is not None and self.proc.poll() is None

    def _reap(self, timeout_s: float) -> int:
        assert self.proc is not None
        code = self.proc.wait(timeout_s)
        self.exit_codes.append(code)
        if self._log is not None:
            self._log.close()
        return code

    def terminate(self, timeout_s: float = 60.0) -> int:
        """SIGTERM and wait for the drain; the exit code."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self._reap(timeout_s)
        except subprocess.TimeoutExpired:
            # a consumer that ignores its SIGTERM: every thread's stack into its log, then fail
            self.proc.send_signal(signal.SIGUSR1)
            time.sleep(2)
            raise

    def kill(self) -> int:
        """SIGKILL: no drain, no commit, no leave-group."""
        assert self.proc is not None
        self.proc.kill()
        return self._reap(10)

    def logs(self) -> str:
        """Every log line this consumer wrote, across restarts."""
        return "".join(
            path.read_text(errors="replace")
            for path in sorted(self.log_dir.glob(f"{self.name}.*.log"))
        )

    def poll_gaps(self) -> list[float]:
        """``poll_gap_max_s`` of every ``pipeline_stopped`` line (one per clean stop)."""
        gaps = []
        for line in self.logs().splitlines():
            if '"pipeline_stopped"' in line:
                try:
                    gaps.append(float(json.loads(line)["poll_gap_max_s"]))
                except (ValueError, KeyError):
                    continue
        return gaps

    def most_assigned(self) -> int:
        """The most partitions this consumer held at once (``partitions_assigned`` lines)."""
        totals = [0]
        for line in self.logs().splitlines():
            if '"partitions_assigned"' in line:
                try:
                    totals.append(int(json.loads(line)["total"]))
                except (ValueError, KeyError):
                    continue
        return max(totals)
