"""``make bench``: every benchmark figure of issue 9 in one run, each printed with its goal.

Needs the local stack (``make stack-up``). Starts a sandbox subprocess in benchmark mode with
the latency recorder, pre-produces the backlogs, and runs (each consumer in a process of its
own, measured with ``wait4``):

(a) consumer CPU us/event: ``signals-consumer run --until-idle 2`` over the main backlog,
    minus the same over an empty topic (start-up, group join, idle wait, shutdown); once more
    with ``SIGNALS_FAST_PATH=off`` (the pure-Python path, for the native path's ratio);
(b) end-to-end events/s of that run, between its first and last accepted mutation;
(c) event time -> acceptance p50/p99 at 2k and 10k events/s offered (live producer);
(d) peak RSS draining the big backlog (1M events), at ``max_buffered_events`` and at twice it;
(e) events/s with 200 ms API latency as ``max_in_flight_mutations`` grows;
(f) floors: librdkafka consume-only and fastavro decode-only CPU us/event;
plus the peer (quixstreams, :mod:`bench.peer`) over the main backlog, and the in-process
stage costs with a pyinstrument profile (:mod:`bench.hotpath`).

``BENCH_SCALE`` (default 1) scales every event count and duration (``0.05`` for development).
``BENCH_ONLY=main`` runs only the baseline and the main drain (a, b); ``BENCH_ONLY=peer`` adds
the floors and the peer; either leaves RESULTS.md alone.
With ``PUBLISH_FIGURES=1`` (``make bench`` sets it), writes the section between
``<!-- bench:start -->`` and ``<!-- bench:end -->`` of bench/RESULTS.md; logs and the
profile go to bench/out/ (git-ignored).
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import scenarios  # noqa: E402
from bench.figures import figures  # noqa: E402
from bench.hotpath import measure_stages  # noqa: E402
from bench.measure import delete_topics  # noqa: E402
from bench.peer import PEER_NAME, ensure_peer_venv  # noqa: E402
from bench.report import PUBLISH_ENV, console_table, write_section  # noqa: E402
from bench.results_text import Results, render  # noqa: E402
from bench.scenarios import BIG_RUNS, IN_FLIGHT  # noqa: E402
from bench.workload import build_templates, produce_backlog  # noqa: E402
from consumer.logs import configure_logging  # noqa: E402
from dev import stack as devstack  # noqa: E402
from tests.fixtures.sandbox import SandboxHandle  # noqa: E402

__all__ = ["main"]

RESULTS = ROOT / "bench" / "RESULTS.md"
OUT = ROOT / "bench" / "out"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


_LOADS: list[float] = []


def _log(text: str) -> None:
    load = os.getloadavg()[0]
    _LOADS.append(load)
    print(f"[{time.strftime('%H:%M:%S')}] (load {load:.1f}) {text}", flush=True)


def _complete(run: Callable[[], scenarios.Drain], expect: int) -> scenarios.Drain:
    """``run()``, once more when it exited non-zero or delivered fewer than ``expect`` events
    (the machine is shared: another engineer's clean-up may stop a process of ours)."""
    result = run()
    if result.ok and result.accepted >= expect and not result.disturbed:
        return result
    _log(
        f"{result.name}: {result.accepted:,} of {expect:,} accepted, exit "
        f"{result.process.exit_code}, broker lost: {result.disturbed}; running it once more"
    )
    return run()


def _collect(ctx: scenarios.Ctx, scale: float, res: Results, only: set[str]) -> None:
    n_main, n_big = int(300_000 * scale), int(1_000_000 * scale)
    main_topic, empty_topic = ctx.topic("main"), ctx.topic("empty")
    _log(f"producing {n_main:,} events")
    res.produce_s = produce_backlog(ctx.bootstrap, main_topic, ctx.templates, n_main)
    res.n_main, res.n_big = n_main, n_big

    _log("(a) baseline: the consumer over an empty topic")
    res.baseline = _complete(lambda: scenarios.drain(ctx, "consumer-empty", empty_topic), 0)
    _log(f"(a)(b) the consumer over {n_main:,} events")
    main_runs = [  # the headline figures: best of two on a shared machine
        _complete(partial(scenarios.drain, ctx, f"consumer-main-{i}", main_topic), n_main)
        for i in (1, 2)
    ]
    res.main = min(main_runs, key=lambda d: d.process.cpu_s)
    _log("(a)(b) the same with the pure-Python path (SIGNALS_FAST_PATH=off)")
    res.main_python = _complete(
        partial(scenarios.drain, ctx, "consumer-main-python", main_topic, fast_path="off"),
        n_main,
    )
    if only and "peer" not in only:
        return
    _log("(f) librdkafka consume-only floor")
    res.floor_consume = scenarios.floor_consume(ctx, main_topic, n_main)

    _log(f"peer: {PEER_NAME} venv")
    try:
        python = ensure_peer_venv(OUT / "peer-venv.log")
        _log("peer over an empty topic, then the main backlog")
        res.peer_baseline = _complete(
            lambda: scenarios.peer_drain(ctx, "peer-empty", empty_topic, python), 0
        )
        peer_runs = [
            _complete(
                partial(scenarios.peer_drain, ctx, f"peer-main-{i}", main_topic, python), n_main
            )
            for i in (1, 2)
        ]
        res.peer = min(peer_runs, key=lambda d: d.process.cpu_s)
    except Exception as exc:  # the peer failing must not cost the rest of the figures
        res.peer_error = f"{type(exc).__name__}: {exc}"
        _log(f"peer failed: {res.peer_error}")
    if only:
        return

    big_topic = ctx.topic("big")
    _log(f"producing {n_big:,} events")
    produce_backlog(ctx.bootstrap, big_topic, ctx.templates, n_big, first=n_main)
    for name, (label, settings) in BIG_RUNS.items():
        _log(f"(d) draining {n_big:,} events, {label}")
        run = partial(scenarios.drain, ctx, f"consumer-big-{name}", big_topic, **settings)
        res.big[name] = _complete(run, n_big)

    seconds = max(3.0, 20 * scale)
    for rate in (2_000, 10_000):
        _log(f"(c) latency at {rate:,} events/s for {seconds:.0f} s")
        res.latency[rate] = scenarios.latency_run(ctx, rate, seconds)
        if res.latency[rate].disturbed:
            _log("the broker went away during the run; running it once more")
            res.latency[rate] = scenarios.latency_run(ctx, rate, seconds)

    # one batch per partition is in flight (ordering), so n mutations in flight need several
    # times n partitions: a batch of 500 often spans two or three partitions' queues
    sizes = {k: min(n_main, max(1_000 * k, int(12_500 * k * scale))) for k in IN_FLIGHT}
    inflight_topic = ctx.topic("inflight", partitions=scenarios.IN_FLIGHT_PARTITIONS)
    produce_backlog(ctx.bootstrap, inflight_topic, ctx.templates, max(sizes.values()))
    ctx.sandbox.set_faults(latency_ms=200)
    try:
        for k, events in sizes.items():
            _log(f"(e) 200 ms API latency, {k} in flight, {events:,} events")
            run = partial(
                scenarios.drain,
                ctx,
                f"consumer-inflight-{k}",
                inflight_topic,
                max_events=events,
                max_in_flight_mutations=k,
            )
            res.in_flight[k] = _complete(run, events)
    finally:
        ctx.sandbox.clear_faults()

    _log("(f) fastavro floor and the in-process stages (+ pyinstrument profile)")
    res.stages = measure_stages(ctx.registry_url, max(5_000, int(50_000 * scale)), profile=True)


def main() -> int:
    """Run everything; 0 when every run finished (goals not met are reported, not fatal)."""
    scale = float(os.environ.get("BENCH_SCALE", "1"))
    only = {part for part in os.environ.get("BENCH_ONLY", "").split(",") if part}
    if not all(service.running for service in devstack.status()):
        print("the local stack is not running: make stack-up", file=sys.stderr)
        return 2
    configure_logging("warning", "console")
    OUT.mkdir(parents=True, exist_ok=True)
    run_id = uuid.uuid4().hex[:8]
    bootstrap, registry_url = devstack.kafka_bootstrap(), devstack.registry_url()
    res = Results(scale=scale, started=datetime.now(UTC))
    wall = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        sandbox = SandboxHandle(
            Path(tmp) / "sandbox.db",
            OUT / "sandbox.log",
            api_key="bench-api-key",
            app_key="bench-app",
            extra_args=("--benchmark", "--record-latency"),
        )
        sandbox.start()
        templates = build_templates(registry_url, f"bench-{run_id}")
        ctx = scenarios.Ctx(bootstrap, registry_url, sandbox, templates, OUT, run_id)
        try:
            _collect(ctx, scale, res, only)
        finally:
            sandbox.close()
            delete_topics(bootstrap, [*ctx.topics, ctx.dlq_topic])
    res.wall_s = time.monotonic() - wall
    res.loads = list(_LOADS)
    res.machine = f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs"
    figs = figures(res)
    print()
    print(console_table(figs))
    if only:
        print(f"\nBENCH_ONLY={','.join(sorted(only))}: {RESULTS.relative_to(ROOT)} left alone")
    elif write_section(RESULTS, START, END, render(res, figs), before="## Optimisations"):
        print(f"\nwritten to {RESULTS.relative_to(ROOT)} ({res.wall_s / 60:.1f} min)")
    else:
        print(
            f"\n{PUBLISH_ENV} is not 1 (make bench sets it): {RESULTS.relative_to(ROOT)} left alone"
        )
    failed = [d.name for d in res.all_drains() if not d.ok]
    if failed:
        print(f"runs that did not exit 0: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
