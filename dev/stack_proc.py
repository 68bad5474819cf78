"""Process plumbing for ``dev/stack.py``: detached start with a PID file, stop by PID, waits."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CACHE",
    "ROOT",
    "Service",
    "StackError",
    "pid_alive",
    "port_open",
    "read_pid",
    "spawn_detached",
    "stop_pid",
    "tail",
    "wait_for",
]

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache"

# The launcher starts the service in its own session with its output appended to a log file,
# writes the PID file and exits at once, so the service is never a child of the caller (no
# zombies, no Popen objects left in a test process).
_LAUNCHER = """
import subprocess, sys
log, pidfile, cwd = sys.argv[1], sys.argv[2], sys.argv[3]
with open(log, "ab") as out:
    proc = subprocess.Popen(sys.argv[4:], stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                            cwd=cwd, start_new_session=True)
with open(pidfile, "w") as fh:
    fh.write(str(proc.pid))
"""


class StackError(Exception):
    """The stack could not be started or stopped; the message says what to look at."""


@dataclass(frozen=True, slots=True)
class Service:
    """What ``status`` reports about one service."""

    name: str
    running: bool
    pid: int | None
    address: str


def read_pid(pidfile: Path) -> int | None:
    """The PID in ``pidfile``, or None when there is no (valid) file."""
    try:
        return int(pidfile.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


def pid_alive(pid: int | None, marker: str) -> bool:
    """Whether ``pid`` is a live (not zombie) process whose command line contains ``marker``."""
    if pid is None:
        return False
    proc = Path(f"/proc/{pid}")
    try:
        cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        if marker not in cmdline and cmdline.strip():
            return False
        # A killed JVM's main thread turns zombie while its other threads (and sockets) live
        # on: the process is alive while any of its threads is not a zombie.
        for task in (proc / "task").iterdir():
            stat = (task / "stat").read_text(encoding="utf-8", errors="replace")
            if stat.rpartition(")")[2].split()[0] not in {"Z", "X"}:
                return True
    except OSError:
        return False
    return False


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def tail(path: Path, lines: int = 15) -> str:
    """The last lines of a log file (for error messages)."""
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log file)"


def spawn_detached(cmd: list[str], *, log: Path, pidfile: Path, env: dict[str, str]) -> int:
    """Start ``cmd`` detached (own session), output appended to ``log``; returns its PID."""
    log.parent.mkdir(parents=True, exist_ok=True)
    pidfile.unlink(missing_ok=True)
    subprocess.run(  # the launcher exits as soon as the service is spawned
        [sys.executable, "-c", _LAUNCHER, str(log), str(pidfile), str(ROOT), *cmd],
        env=env,
        check=True,
        timeout=60,
    )
    pid = read_pid(pidfile)
    if pid is None:
        raise StackError(f"could not start {cmd[0]}: no PID file {pidfile}")
    return pid


def wait_for(
    ready: Callable[[], bool],
    *,
    timeout: float,
    alive: Callable[[], bool],
    what: str,
    logs: list[Path],
) -> None:
    """Poll ``ready`` until true; fail early if the process died, or after ``timeout``.

    The error names the log files and quotes their last lines.
    """
    deadline = time.monotonic() + timeout
    problem = f"not ready after {timeout:.0f}s"
    while time.monotonic() < deadline:
        if ready():
            return
        if not alive():
            problem = "exited during start-up"
            break
        time.sleep(0.3)
    details = "\n".join(f"--- last lines of {log}:\n{tail(log)}" for log in logs)
    raise StackError(f"{what} {problem}; see {', '.join(map(str, logs))}\n{details}")


def stop_pid(pidfile: Path, marker: str, *, timeout: float = 30.0) -> bool:
    """SIGTERM the process of ``pidfile``, wait, SIGKILL after ``timeout``; True if it ran."""
    pid = read_pid(pidfile)
    if pid is None or not pid_alive(pid, marker):
        pidfile.unlink(missing_ok=True)
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pid_alive(pid, marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    if pid_alive(pid, marker):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while pid_alive(pid, marker) and time.monotonic() < deadline:
            time.sleep(0.1)
    pidfile.unlink(missing_ok=True)
    return True
