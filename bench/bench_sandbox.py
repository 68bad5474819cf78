"""Benchmark: signals per second the Connect sandbox accepts (benchmark mode, one process).

Builds 500-signal ``createSignals`` mutations with the consumer's own encoder
(``consumer.signals.graphql_literal``; a local encoder when that module is missing), every
signal different, a mix of the premium tier's types, and sends them to an in-process sandbox in
benchmark mode (parse + validate + ids, counters only):

* ``core``: :func:`connect_sandbox.endpoint.handle_graphql` on the request bytes;
* ``asgi``: the Starlette app through httpx's ASGI transport (HTTP handling, no socket);
* ``graphql-core only``: a couple of mutations with the fast path switched off, for scale.

Prints the figures and writes them to bench/RESULTS.md between
``<!-- sandbox:start -->`` and ``<!-- sandbox:end -->``. Run: ``python bench/bench_sandbox.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import orjson  # noqa: E402

from bench.measure import process_cpu_s  # noqa: E402
from bench.report import put_section  # noqa: E402
from connect_sandbox import Sandbox, SandboxConfig, create_app  # noqa: E402
from connect_sandbox import endpoint as sandbox_endpoint  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
START, END = "<!-- sandbox:start -->", "<!-- sandbox:end -->"
API_KEY = "bench-api-key"
APP_KEY = "bench-app"
BATCH = 500
TYPES = ("addToCart", "order", "pageView", "productView", "identification", "onSiteSearch")


def _local_encode(value: Any, *, spaced: bool = False) -> str:
    """A GraphQL literal: compact, or ``spaced`` in the reference example's style (spaces, no
    commas)."""
    sep, colon, left, right = (" ", ": ", "{ ", " }") if spaced else (",", ":", "{", "}")
    if isinstance(value, Mapping):
        items = (f"{k}{colon}{_local_encode(v, spaced=spaced)}" for k, v in value.items())
        return left + sep.join(items) + right
    if isinstance(value, list | tuple):
        return "[" + sep.join(_local_encode(v, spaced=spaced) for v in value) + "]"
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def spaced_mutation(inputs: Sequence[Mapping[str, Any]]) -> str:
    """A mutation written like the reference's example (whitespace-separated literals)."""
    body = "\n  ".join(_local_encode(i, spaced=True) for i in inputs)
    return f"mutation {{\n  createSignals(signals: [\n  {body}\n  ]) {{ signalIds }}\n}}"


def encoder() -> tuple[str, Callable[[Sequence[Mapping[str, Any]]], str]]:
    """(name, function inputs -> mutation): the consumer's encoder when it exists."""
    try:
        from consumer.signals.graphql_literal import build_mutation, encode_input
    except ImportError:

        def local(inputs: Sequence[Mapping[str, Any]]) -> str:
            body = ",".join(_local_encode(i) for i in inputs)
            return f"mutation{{createSignals(signals:[{body}]){{signalIds}}}}"

        return "local encoder (bench/bench_sandbox.py)", local

    def consumer(inputs: Sequence[Mapping[str, Any]]) -> str:
        return build_mutation([encode_input(i) for i in inputs])

    return "consumer.signals.graphql_literal", consumer


def signal(n: int) -> dict[str, Any]:
    """Signal number ``n``: the golden input of one type, made unique."""
    signal_type = TYPES[n % len(TYPES)]
    golden = json.loads((ROOT / "tests" / "golden" / f"{signal_type}.json").read_text())
    data: dict[str, Any] = golden["input"]
    data["appKey"] = APP_KEY
    data["identifiableAttributes"] = {"email": f"shopper{n % 997}@example.com"}
    data["sessionId"] = f"sess-{n // 20}"
    content = data["signalContent"]
    content["signalCustomAttributes"] = [{"name": "eventId", "value": f"evt-{n:08d}"}]
    if "unitPrice" in content:
        content["unitPrice"] = round(10 + (n % 9000) / 100, 2)
    return data


def bodies(count: int, encode: Callable[[Sequence[Mapping[str, Any]]], str]) -> list[bytes]:
    """``count`` request bodies of BATCH different signals each."""
    return [
        orjson.dumps(
            {"query": encode([signal(m * BATCH + i) for i in range(BATCH)]), "variables": {}}
        )
        for m in range(count)
    ]


def _sandbox(directory: Path) -> Sandbox:
    return Sandbox(
        SandboxConfig(
            db_path=directory / "bench.db",
            api_keys=frozenset({API_KEY}),
            app_keys=frozenset({APP_KEY}),
            tier="premium",
            benchmark=True,
        )
    )


def _figures(durations: list[float], cpu: float) -> dict[str, float]:
    wall = sum(durations)
    return {
        "signals_per_s": BATCH * len(durations) / wall,
        "signals_per_cpu_s": BATCH * len(durations) / cpu,
        "p50_ms": statistics.median(durations) * 1000,
        "p95_ms": (
            statistics.quantiles(durations, n=20)[18] if len(durations) > 1 else durations[0]
        )
        * 1000,
    }


def _handle_each(sandbox: Sandbox, payloads: list[bytes]) -> dict[str, float]:
    """The figures of handle_graphql on each body (each must be accepted)."""
    durations = []
    cpu = time.process_time()
    for body in payloads:
        started = time.perf_counter()
        reply = sandbox_endpoint.handle_graphql(sandbox, body, API_KEY)
        durations.append(time.perf_counter() - started)
        assert reply.outcome == "ok", reply.body
    return _figures(durations, time.process_time() - cpu)


def bench_core(sandbox: Sandbox, payloads: list[bytes]) -> dict[str, float]:
    """handle_graphql on each body (parse, validate, ids, counters)."""
    for body in payloads[:3]:  # warm-up: caches, imports
        sandbox_endpoint.handle_graphql(sandbox, body, API_KEY)
    return _handle_each(sandbox, payloads)


def bench_asgi(sandbox: Sandbox, payloads: list[bytes]) -> dict[str, float]:
    """The Starlette app through httpx's ASGI transport (no socket)."""

    async def run() -> dict[str, float]:
        transport = httpx.ASGITransport(app=create_app(sandbox))
        headers = {"x-api-key": API_KEY, "content-type": "application/json"}
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for body in payloads[:3]:
                await client.post("/graphql", content=body, headers=headers)
            durations = []
            cpu = time.process_time()
            for body in payloads:
                started = time.perf_counter()
                response = await client.post("/graphql", content=body, headers=headers)
                durations.append(time.perf_counter() - started)
                assert len(response.json()["data"]["createSignals"]["signalIds"]) == BATCH
            return _figures(durations, time.process_time() - cpu)

    return asyncio.run(run())


def bench_slow(sandbox: Sandbox, payloads: list[bytes]) -> dict[str, float]:
    """graphql-core parsing, validation and execution only (the fast path switched off)."""
    original = sandbox_endpoint._split
    sandbox_endpoint._split = lambda _query: None
    try:
        return _handle_each(sandbox, payloads)
    finally:
        sandbox_endpoint._split = original


def bench_socket(payloads: list[bytes], directory: Path) -> dict[str, float]:
    """``signals-consumer sandbox --benchmark`` as a subprocess, over a real TCP socket.

    The CPU figure is the sandbox process's own (from /proc), the wall figure includes the
    HTTP round trip from this process.
    """
    import socket
    import subprocess

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "consumer", "sandbox", "--benchmark", "--port", str(port)]
    command += ["--db", str(directory / "socket.db"), "--api-key", API_KEY, "--app-key", APP_KEY]
    env = {**os.environ, "SIGNALS_LOG_LEVEL": "warning"}
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url + "/", timeout=1, trust_env=False)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        headers = {"x-api-key": API_KEY, "content-type": "application/json"}
        with httpx.Client(base_url=url, timeout=60, trust_env=False) as client:
            for body in payloads[:3]:
                client.post("/graphql", content=body, headers=headers)
            cpu = process_cpu_s(proc.pid)
            durations = []
            for body in payloads:
                started = time.perf_counter()
                response = client.post("/graphql", content=body, headers=headers)
                durations.append(time.perf_counter() - started)
                assert response.status_code == 200, response.text[:500]
            return _figures(durations, process_cpu_s(proc.pid) - cpu)
    finally:
        proc.terminate()
        proc.wait(15)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 when the core figure meets the 20k signals/s target."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mutations", type=int, default=60, help="500-signal mutations per run")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args(argv)
    name, encode = encoder()
    payloads = bodies(args.mutations, encode)
    size_kb = statistics.mean(len(p) for p in payloads) / 1024
    with tempfile.TemporaryDirectory() as tmp:
        sandbox = _sandbox(Path(tmp))
        try:
            core = bench_core(sandbox, payloads)
            asgi = bench_asgi(sandbox, payloads)
            spaced = bench_core(sandbox, bodies(max(args.mutations // 3, 5), spaced_mutation))
            slow = bench_slow(sandbox, payloads[:2])
        finally:
            sandbox.close()
        over_socket = bench_socket(payloads, Path(tmp))
    target = 20_000
    rows = [("core (handle_graphql)", core), ("ASGI app (httpx, no socket)", asgi)]
    rows.append(("subprocess over TCP (uvicorn; CPU = sandbox process)", over_socket))
    rows.append(("core, reference-style literals (spaces, no commas)", spaced))
    rows.append(("graphql-core only (fast path off)", slow))
    lines = [
        "## Sandbox: signals accepted per second (benchmark mode)",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC - Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs (shared); in-process rows use one "
        "process, the TCP row runs the sandbox as a subprocess. "
        f"{args.mutations} mutations of {BATCH} different signals ({size_kb:.0f} KiB each, "
        f"{len(TYPES)} signal types), encoded by {name}. Target: >= {target:,} signals/s.",
        "",
        "| path | signals/s (wall) | signals per CPU-second | p50 ms/mutation | p95 ms |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {label} | {r['signals_per_s']:,.0f} | {r['signals_per_cpu_s']:,.0f} | "
        f"{r['p50_ms']:.1f} | {r['p95_ms']:.1f} |"
        for label, r in rows
    ]
    lines += [
        "",
        "Benchmark mode parses (graphql-core for the document skeleton, the literal fast path "
        "for the signals - see docs/sandbox.md), validates every signal with "
        "the sandbox's own rules (connect_sandbox/validation.py), and answers ids; nothing is "
        "stored.",
    ]
    section = "\n".join(lines)
    print(section)
    if not args.no_write:
        put_section(RESULTS, START, END, section)
        print(f"\nwritten to {RESULTS.relative_to(ROOT)}")
    return 0 if core["signals_per_s"] >= target else 1


if __name__ == "__main__":
    sys.exit(main())
