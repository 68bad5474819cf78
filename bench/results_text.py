"""What one ``make bench`` collected, and its Markdown for bench/RESULTS.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bench.peer import PEER_NAME
from bench.report import Figure, markdown_table
from bench.scenarios import IN_FLIGHT_PARTITIONS, Drain, Latency

__all__ = ["Results", "render"]


@dataclass
class Results:
    """Everything measured in one run (filled in as the runs finish)."""

    scale: float
    started: datetime
    n_main: int = 0
    n_big: int = 0
    produce_s: float = 0.0
    baseline: Drain | None = None
    main: Drain | None = None
    #: the main drain with SIGNALS_FAST_PATH=off (pure Python)
    main_python: Drain | None = None
    floor_consume: dict[str, float] | None = None
    peer_baseline: Drain | None = None
    peer: Drain | None = None
    peer_error: str | None = None
    big: dict[str, Drain] = field(default_factory=dict)
    latency: dict[int, Latency] = field(default_factory=dict)
    in_flight: dict[int, Drain] = field(default_factory=dict)
    stages: dict[str, float] | None = None
    wall_s: float = 0.0
    machine: str = ""
    #: the 1-minute load average at the start of each run (other work on the machine)
    loads: list[float] = field(default_factory=list)

    def all_drains(self) -> list[Drain]:
        """Every consumer and peer run."""
        runs = [self.baseline, self.main, self.main_python, self.peer_baseline, self.peer]
        return [d for d in [*runs, *self.big.values(), *self.in_flight.values()] if d is not None]


def _drain_row(d: Drain, events: int, base_cpu: float | None) -> str:
    p = d.process
    per_event = (
        f"{(p.cpu_s - base_cpu) / events * 1e6:.1f}" if base_cpu is not None and events else "-"
    )
    rate = f"{d.events_per_s:,.0f}" if d.events_per_s else "-"
    sandbox = f"{d.sandbox_cpu_s / d.accepted * 1e6:.1f}" if d.accepted else "-"
    return (
        f"| {d.name} | {events:,} | {d.accepted:,} | {p.wall_s:.1f} | "
        f"{p.user_s:.1f} + {p.sys_s:.1f} | {per_event} | {rate} | {p.maxrss_mb:.0f} | "
        f"{sandbox} | {p.exit_code} |"
    )


def _runs_table(res: Results) -> list[str]:
    lines = [
        "| run | events | accepted | wall s | CPU s (user + sys) | CPU us/event (- baseline) "
        "| events/s | peak RSS MB | sandbox CPU us/signal | exit |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    base = res.baseline.process.cpu_s if res.baseline else None
    pbase = res.peer_baseline.process.cpu_s if res.peer_baseline else None
    for d, events, b in (
        (res.baseline, 0, None),
        (res.main, res.n_main, base),
        (res.main_python, res.n_main, base),
        (res.peer_baseline, 0, None),
        (res.peer, res.n_main, pbase),
        *((run, res.n_big, base) for run in res.big.values()),
    ):
        if d is not None:
            lines.append(_drain_row(d, events, b))
    return lines


def render(res: Results, figures: list[Figure]) -> str:
    """The generated section of bench/RESULTS.md."""
    lines = [
        "## Consumer benchmark (`make bench`, bench/run.py)",
        "",
        f"{res.started:%Y-%m-%d %H:%M} UTC - {res.machine} (shared with other work), local "
        f"stack (Kafka KRaft + registry), sandbox subprocess in benchmark mode with "
        f"`--record-latency`; BENCH_SCALE={res.scale:g}; {res.wall_s / 60:.1f} min. Main "
        f"backlog {res.n_main:,} events, big backlog {res.n_big:,}, 16 partitions, six signal "
        "types (premium tier), ~300 distinct payloads made unique by eventId "
        f"(produced at {res.n_main / res.produce_s if res.produce_s else 0:,.0f} events/s).",
        "",
        markdown_table(figures),
        "",
        "### Runs",
        "",
        *_runs_table(res),
        "",
        "The main and peer rows are the better (less CPU) of two runs each. "
        "CPU and peak RSS are the child process's own (`os.wait4` rusage: user + system seconds,"
        " `ru_maxrss`). CPU per event subtracts the same program's run over an empty topic "
        "(start-up, imports, group join, the 2 s idle wait, shutdown). events/s is measured at "
        "the sandbox: signals accepted between the first and the last accepted mutation. Every "
        "process (consumer, sandbox, Kafka broker) shares the same 2 cores"
        + (
            f"; the 1-minute load average was {min(res.loads):.1f}-{max(res.loads):.1f} "
            "at the runs' starts (other engineers' tests ran too)."
            if res.loads
            else "."
        ),
    ]
    if res.big:
        lines += [
            "",
            "### (d) Memory",
            "",
            "Peak RSS (`ru_maxrss`) does not grow with the backlog (main vs big backlog): what "
            "is held is bounded by configuration: the engine's buffer (`max_buffered_events`, "
            "each event held with its message and its literal, 1-2 KB) and librdkafka's "
            "pre-fetch queue (`kafka_queued_max_kbytes`, 4 MiB by default, plus its fetch "
            "buffers). The rows above change one bound at a time: twice the buffer, and four "
            "times the queue (16 MiB, the default before the native fast path); the runs table "
            "shows what each did to throughput. The Python process alone (imports, an empty "
            "topic) is the empty run's RSS.",
        ]
    if res.latency:
        lines += [
            "",
            "### (c) Latency: event time -> acceptance",
            "",
            "| offered events/s | produced | accepted | p50 ms | p90 ms | p99 ms | max ms |",
            "|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for rate, lat in sorted(res.latency.items()):
            lines.append(
                f"| {rate:,} | {lat.produced:,} | {lat.accepted:,} | {lat.p50_ms} | "
                f"{lat.p90_ms} | {lat.p99_ms} | {lat.max_ms} |"
            )
        lines += [
            "",
            "`eventTime` is set when the event is produced; the sandbox takes each accepted "
            "signal's `signalTimestamp` (ms) from its acceptance time into a bounded uniform "
            "sample (`connect_sandbox/latency.py`). Default settings (`linger_ms` 200): "
            "a batch leaves when 500 signals are there or the oldest waited 200 ms.",
        ]
        lost = [r for r, lat in res.latency.items() if lat.disturbed]
        if lost:
            lines += [
                "",
                f"During the {', '.join(f'{r:,}/s' for r in sorted(lost))} run the Kafka broker "
                "went away (another test restarted the shared stack), twice in a row: that "
                "figure includes the reconnection.",
            ]
        behind = [r for r, lat in res.latency.items() if (lat.p50_ms or 0) > 1_000]
        if behind:
            lines += [
                "",
                f"At {', '.join(f'{r:,}' for r in sorted(behind))} events/s the pipeline fell "
                "behind: latency grew through the run (p50 far above the linger), i.e. the "
                "offered rate was above what the consumer - about one core at the CPU per "
                "event of (a) - plus the producer, broker and sandbox on the other core "
                "delivered on this shared machine; the figure is the queueing, not the path.",
            ]
    if res.in_flight:
        lines += [
            "",
            "### (e) 200 ms API latency: throughput by mutations in flight",
            "",
            "| max_in_flight_mutations | events | events/s | ideal (500 x n / 0.2 s) "
            "| consumer CPU (% of a core) | peak RSS MB |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for k, d in sorted(res.in_flight.items()):
            shown = f"{d.events_per_s:,.0f}" if d.events_per_s else "-"
            busy = d.process.cpu_s / d.process.wall_s * 100 if d.process.wall_s else 0.0
            lines.append(
                f"| {k} | {d.accepted:,} | {shown} | {2_500 * k:,} | {busy:.0f} | "
                f"{d.process.maxrss_mb:.0f} |"
            )
        lines += [
            "",
            f"Each level reads a {IN_FLIGHT_PARTITIONS}-partition backlog with a new group and "
            "`--max-events`; the sandbox holds every GraphQL request 200 ms (`latency_ms`), "
            "answered concurrently. The pipeline keeps at most one batch per partition in "
            "flight (per-partition order), so n mutations in flight need at least n "
            "partitions. The CPU column is the consumer's CPU over its wall time (start-up and "
            "the idle wait included): once the consumer has a core to itself, more mutations "
            "in flight cannot add throughput beyond its CPU limit (b); below a full core it "
            "was waiting for the API, or sharing the machine.",
        ]
    if res.stages:
        lines += [
            "",
            "### Per-event cost by stage (in-process, bench/hotpath.py)",
            "",
            "| stage | CPU us/event |",
            "|---|---:|",
            *(f"| {name} | {value:.2f} |" for name, value in res.stages.items()),
            "",
            "Cumulative: each stage includes the ones above it (`engine` = `on_message` + "
            "`step()` with an instant send). Profile: `bench/out/hotpath-profile.txt` "
            "(`python bench/hotpath.py --profile`).",
        ]
    lines += [
        "",
        "### Peer",
        "",
        "Redpanda Connect (named by the issue): **blocked** - this workplace's Go module "
        'registry marks `github.com/redpanda-data/connect/v4` "not-to-use: not an open-source '
        'licence", so it is not built. The peer is '
        f"{PEER_NAME} 3.28.1 (bench/peer_quix.py, its own venv under `.cache/bench`): its Kafka "
        "source and registry `AvroDeserializer` (`SchemaRegistryClientConfig`), **the consumer's "
        "own mapping, validation and literal encoder** (consumer.mapping, so the mapping work is "
        "identical), and a `BatchingSink` posting mutations of 500 signals to the same sandbox "
        "(one at a time, flushed at each checkpoint, default `commit_interval` 5 s). "
        "That mapping is the pure-Python path; ours takes the native fast path "
        "(`consumer-main`), and `consumer-main-python` is ours on the pure-Python path.",
    ]
    if res.peer_error:
        lines += ["", f"The peer run failed in this run: `{res.peer_error}`."]
    return "\n".join(lines)
