"""The schema registry of the local stack (``dev/registry``): start/stop as a background process."""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

from dev.stack_proc import (
    CACHE,
    ROOT,
    Service,
    StackError,
    pid_alive,
    port_open,
    read_pid,
    spawn_detached,
    stop_pid,
    wait_for,
)

__all__ = [
    "REGISTRY_DIR",
    "registry_port",
    "registry_running",
    "registry_url",
    "start_registry",
    "stop_registry",
]

REGISTRY_DIR = CACHE / "registry"
PIDFILE = REGISTRY_DIR / "registry.pid"
LOG = REGISTRY_DIR / "registry.log"
DATA = REGISTRY_DIR / "registry.json"
MARKER = "dev.registry"


def registry_port() -> int:
    """The registry's port (``SCHEMA_REGISTRY_PORT``, default 8081)."""
    return int(os.environ.get("SCHEMA_REGISTRY_PORT", "8081"))


def registry_url() -> str:
    """``http://localhost:<SCHEMA_REGISTRY_PORT>``."""
    return f"http://localhost:{registry_port()}"


def _ready() -> bool:
    try:
        url = f"http://127.0.0.1:{registry_port()}/subjects"
        with urllib.request.urlopen(url, timeout=2) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def registry_running() -> Service:
    """The registry's state from its PID file."""
    pid = read_pid(PIDFILE)
    alive = pid_alive(pid, MARKER)
    return Service("schema-registry", alive, pid if alive else None, registry_url())


def start_registry(*, timeout: float = 30.0) -> None:
    """Start the registry unless it runs; wait until ``GET /subjects`` answers."""
    state = registry_running()
    if state.running:
        print(f"stack: schema registry already up (pid {state.pid}, {state.address})", flush=True)
        return
    if port_open("127.0.0.1", registry_port()):
        raise StackError(
            f"port {registry_port()} is in use by a process dev/stack.py did not start; "
            "stop it or set SCHEMA_REGISTRY_PORT"
        )
    cmd = [
        sys.executable,
        "-m",
        MARKER,
        "--host",
        "127.0.0.1",
        "--port",
        str(registry_port()),
        "--data",
        str(DATA),
    ]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    pid = spawn_detached(cmd, log=LOG, pidfile=PIDFILE, env=env)
    try:
        wait_for(
            _ready,
            timeout=timeout,
            alive=lambda: pid_alive(pid, MARKER),
            what=f"schema registry (pid {pid})",
            logs=[LOG],
        )
    except StackError:
        stop_registry()
        raise
    print(f"stack: schema registry up (pid {pid}, {registry_url()}, log {LOG})", flush=True)


def stop_registry(*, timeout: float = 10.0) -> None:
    """Stop the registry by PID (SIGTERM, then SIGKILL after ``timeout``); no-op if down."""
    if stop_pid(PIDFILE, MARKER, timeout=timeout):
        print("stack: schema registry stopped", flush=True)
    else:
        print("stack: schema registry already down", flush=True)
