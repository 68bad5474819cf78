"""Apache Kafka for the local stack: jars from Maven Central, KRaft storage, start/stop.

One combined broker+controller (``process.roles=broker,controller``) with a standalone KRaft
controller quorum, from the official ``org.apache.kafka:kafka_2.13`` jars resolved by Maven
(``dev/kafka/pom.xml``) into ``.cache/kafka/libs``.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from string import Template

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
    "KAFKA_DIR",
    "ensure_jars",
    "kafka_bootstrap",
    "kafka_port",
    "kafka_running",
    "new_cluster_id",
    "prepare_storage",
    "start_kafka",
    "stop_kafka",
]

SRC = ROOT / "dev" / "kafka"
KAFKA_DIR = CACHE / "kafka"
LIBS = KAFKA_DIR / "libs"
DATA = KAFKA_DIR / "data"
LOGS = KAFKA_DIR / "logs"
PIDFILE = KAFKA_DIR / "kafka.pid"
PROPERTIES = KAFKA_DIR / "server.properties"
MARKER = "kafka.Kafka"
START_TIMEOUT_S = float(os.environ.get("KAFKA_START_TIMEOUT_S", "90"))
#: Kafka's ``Uuid.ZERO_UUID`` and ``Uuid.ONE_UUID`` (the metadata topic id): never a cluster id.
_RESERVED_IDS = frozenset({bytes(16), bytes(15) + b"\x01"})


def kafka_port() -> int:
    """The broker's client port (``KAFKA_PORT``, default 9092)."""
    return int(os.environ.get("KAFKA_PORT", "9092"))


def _controller_port() -> int:
    return int(os.environ.get("KAFKA_CONTROLLER_PORT", "9093"))


def kafka_bootstrap() -> str:
    """``localhost:<KAFKA_PORT>``: the bootstrap servers of the local broker."""
    return f"localhost:{kafka_port()}"


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        raise StackError("Java 17+ is required to run Kafka: install a JDK (e.g. openjdk-17-jdk)")
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    found = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    major = int(found.group(1)) if found else 0
    if major == 1 and found and found.group(2):
        major = int(found.group(2))
    if major < 17:
        raise StackError(f"Java 17+ is required to run Kafka; {java} is version {major or '?'}")
    return java


def ensure_jars() -> None:
    """Resolve the Kafka jars with Maven into ``.cache/kafka/libs`` (once per pom.xml change)."""
    pom = SRC / "pom.xml"
    digest = hashlib.sha256(pom.read_bytes()).hexdigest()
    stamp = LIBS / ".pom.sha256"
    if stamp.exists() and stamp.read_text(encoding="ascii").strip() == digest:
        return
    mvn = shutil.which("mvn")
    if mvn is None:
        raise StackError("Maven (mvn) is required to fetch the Kafka jars: install maven")
    shutil.rmtree(LIBS, ignore_errors=True)
    print("stack: resolving Apache Kafka jars with Maven into .cache/kafka/libs ...", flush=True)
    cmd = [
        mvn,
        "-q",
        "-B",
        f"-Dmaven.repo.local={CACHE / 'm2'}",
        "-f",
        str(pom),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={LIBS}",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise StackError(f"mvn failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    stamp.write_text(digest, encoding="ascii")


def prepare_storage(
    java: str | None = None,
    *,
    data: Path = DATA,
    properties: Path = PROPERTIES,
    logs: Path = LOGS,
) -> None:
    """Render ``server.properties`` and format ``data`` unless it is formatted already.

    ``start_kafka`` calls it with the cache layout; tests call it with fresh directories.
    """
    logs.mkdir(parents=True, exist_ok=True)
    _render_properties(properties, data)
    _format_storage(java or _java(), data, properties, logs)


def _render_properties(properties: Path, data: Path) -> None:
    template = Template((SRC / "server.properties.template").read_text(encoding="utf-8"))
    text = template.substitute(
        kafka_port=kafka_port(), controller_port=_controller_port(), data_dir=data
    )
    properties.write_text(text, encoding="utf-8")


def new_cluster_id(draw: Callable[[], uuid.UUID] = uuid.uuid4) -> str:
    """A KRaft cluster id by Kafka's own rule (``org.apache.kafka.common.Uuid.randomUuid``).

    base64url of a random UUID, drawn again while it is reserved (all zeros, or Kafka's
    metadata topic id 0/1) or starts with ``-``: about one draw in 64 does, and kafka-storage's
    argument parser takes such an id for an option, so the format (and the start) would fail.
    """
    while True:
        raw = draw().bytes
        text = base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
        if raw not in _RESERVED_IDS and not text.startswith("-"):
            return text


def _format_storage(java: str, data: Path, properties: Path, logs: Path) -> None:
    """Format the log dir once (standalone controller); again if the controller port moved."""
    marker = data / ".controller-port"
    if (data / "meta.properties").exists():
        if marker.exists() and marker.read_text(encoding="ascii").strip() == str(
            _controller_port()
        ):
            return
        print(f"stack: controller port changed; re-formatting {data}", flush=True)
        shutil.rmtree(data)
    data.mkdir(parents=True, exist_ok=True)
    cluster_id = new_cluster_id()
    cmd = [
        java,
        "-Xmx256m",
        f"-Dlog4j2.configurationFile={SRC / 'log4j2.properties'}",
        f"-Dkafka.logs.dir={logs}",
        "-cp",
        f"{LIBS}/*",
        "kafka.tools.StorageTool",
        "format",
        "--standalone",
        "--cluster-id",
        cluster_id,
        "--config",
        str(properties),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        shutil.rmtree(data, ignore_errors=True)
        raise StackError(f"kafka storage format failed:\n{result.stdout}\n{result.stderr}")
    marker.write_text(str(_controller_port()), encoding="ascii")


def _admin_ready() -> bool:
    if not port_open("127.0.0.1", kafka_port()):
        return False
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": kafka_bootstrap(), "log_level": 0})
    try:
        metadata = admin.list_topics(timeout=5)
    except Exception:
        return False
    return bool(metadata.brokers)


def kafka_running() -> Service:
    """The broker's state from its PID file."""
    pid = read_pid(PIDFILE)
    alive = pid_alive(pid, MARKER)
    return Service("kafka", alive, pid if alive else None, kafka_bootstrap())


def start_kafka(*, timeout: float = START_TIMEOUT_S) -> None:
    """Start the broker unless it runs; wait until an AdminClient can list topics."""
    state = kafka_running()
    if state.running:
        print(f"stack: kafka already up (pid {state.pid}, {state.address})", flush=True)
        return
    if port_open("127.0.0.1", kafka_port()):
        raise StackError(
            f"port {kafka_port()} is in use by a process dev/stack.py did not start; "
            "stop it or set KAFKA_PORT"
        )
    java = _java()
    ensure_jars()
    prepare_storage(java)
    heap = os.environ.get("KAFKA_HEAP", "512m")
    cmd = [
        java,
        f"-Xmx{heap}",
        "-Xms128m",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-Djava.awt.headless=true",
        f"-Dkafka.logs.dir={LOGS}",
        f"-Dlog4j2.configurationFile={SRC / 'log4j2.properties'}",
        "-cp",
        f"{LIBS}/*",
        MARKER,
        str(PROPERTIES),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_OPTS", "JAVA_TOOL"))}
    pid = spawn_detached(cmd, log=LOGS / "stdout.log", pidfile=PIDFILE, env=env)
    log = LOGS / "server.log"
    try:
        wait_for(
            _admin_ready,
            timeout=timeout,
            alive=lambda: pid_alive(pid, MARKER),
            what=f"kafka (pid {pid})",
            logs=[log, LOGS / "stdout.log"],
        )
    except StackError:
        stop_kafka()
        raise
    print(f"stack: kafka up (pid {pid}, {kafka_bootstrap()}, log {log})", flush=True)


def stop_kafka(*, timeout: float = 30.0) -> None:
    """Stop the broker by PID (SIGTERM, then SIGKILL after ``timeout``); no-op if down.

    ``timeout=0`` is a hard kill (SIGKILL right after SIGTERM), for crash tests.
    """
    if stop_pid(PIDFILE, MARKER, timeout=timeout):
        print("stack: kafka stopped", flush=True)
    else:
        print("stack: kafka already down", flush=True)
