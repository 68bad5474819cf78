"""Every figure of one run with its goal (issue 9), from :class:`bench.results_text.Results`."""

from __future__ import annotations

from bench.peer import PEER_NAME
from bench.report import Figure
from bench.results_text import Results
from bench.scenarios import BIG_RUNS, Drain

__all__ = ["drain_rate", "figures", "per_event_us"]


def per_event_us(run: Drain | None, base: Drain | None, events: int) -> float | None:
    """CPU us per event of ``run`` minus the empty-topic run ``base``."""
    if run is None or base is None or not events:
        return None
    return (run.process.cpu_s - base.process.cpu_s) / events * 1e6


def drain_rate(run: Drain | None, base: Drain | None, events: int) -> float | None:
    """Events over the run's wall time minus the empty-topic run's (start-up, join, idle)."""
    if run is None or base is None or run.process.wall_s <= base.process.wall_s:
        return None
    return events / (run.process.wall_s - base.process.wall_s)


def _goal(value: float | None, goal: str, ok: bool | None) -> tuple[str, bool | None]:
    return goal, (None if value is None else ok)


def figures(res: Results) -> list[Figure]:
    """The figures in the order of the issue, each with its goal where it has one."""
    out: list[Figure] = []
    main, base = res.main, res.baseline
    cpu = per_event_us(main, base, res.n_main)
    out.append(
        Figure(
            "cpu",
            "(a) consumer CPU per event",
            cpu,
            "us",
            *_goal(cpu, "<= 15 (stretch 10)", cpu is not None and cpu <= 15),
        )
    )
    python = res.main_python
    cpu_python = per_event_us(python, base, res.n_main)
    if cpu_python is not None:
        out.append(
            Figure("cpu-python", "(a) ... pure-Python path (FAST_PATH=off)", cpu_python, "us")
        )
        if cpu:
            out.append(
                Figure(
                    "ratio-native",
                    "(a) native / pure-Python CPU per event",
                    cpu / cpu_python,
                    "x",
                    "(lower is better)",
                    None,
                    2,
                )
            )
    rate = main.events_per_s if main else None
    out.append(
        Figure(
            "eps",
            "(b) end-to-end throughput",
            rate,
            "events/s",
            *_goal(rate, ">= 50,000", rate is not None and rate >= 50_000),
            digits=0,
        )
    )
    ours = drain_rate(main, base, res.n_main)
    out.append(Figure("drain", "(b) drain rate (wall - empty run)", ours, "events/s", digits=0))
    if python is not None and python.events_per_s:
        out.append(
            Figure(
                "eps-python",
                "(b) ... pure-Python path (FAST_PATH=off)",
                python.events_per_s,
                "events/s",
                digits=0,
            )
        )
    for r, lat in sorted(res.latency.items()):
        p99 = lat.p99_ms
        goal = _goal(p99, "<= 500 ms", p99 is not None and p99 <= 500) if r == 2_000 else ("", None)
        out.append(Figure(f"p50-{r}", f"(c) latency p50 at {r:,}/s", lat.p50_ms, "ms", digits=0))
        out.append(Figure(f"p99-{r}", f"(c) latency p99 at {r:,}/s", p99, "ms", *goal, digits=0))
    big = res.big.get("defaults")
    rss = big.process.maxrss_mb if big else None
    out.append(
        Figure(
            "rss",
            f"(d) peak RSS draining {res.n_big:,}",
            rss,
            "MB",
            *_goal(rss, "<= 200", rss is not None and rss <= 200),
            digits=0,
        )
    )
    if main is not None:
        out.append(
            Figure(
                "rss-main",
                f"(d) peak RSS draining {res.n_main:,}",
                main.process.maxrss_mb,
                "MB",
                digits=0,
            )
        )
        if rss is not None:
            growth = rss / main.process.maxrss_mb
            out.append(
                Figure(
                    "rss-growth",
                    "(d) RSS growth for 3.3x the backlog",
                    growth,
                    "x",
                    "~1 (bounded by configuration)",
                    growth <= 1.15,
                    2,
                )
            )
    for name, (label, _settings) in BIG_RUNS.items():
        run = res.big.get(name)
        if name != "defaults" and run is not None:
            out.append(
                Figure(
                    f"rss-{name}", f"(d) peak RSS, {label}", run.process.maxrss_mb, "MB", digits=0
                )
            )
    best = max((d.events_per_s or 0.0 for d in res.in_flight.values()), default=0.0)
    for k, d in sorted(res.in_flight.items()):
        level: tuple[str, bool | None] = ("", None)
        if k == max(res.in_flight):
            level = (">= 20,000 (best level)", best >= 20_000)
        out.append(
            Figure(
                f"inflight-{k}",
                f"(e) 200 ms API, {k} in flight",
                d.events_per_s,
                "events/s",
                *level,
                digits=0,
            )
        )
    fc = res.floor_consume
    if fc:
        floor = fc["cpu_s"] / max(1.0, fc["events"]) * 1e6
        out.append(
            Figure("floor-kafka", "(f) librdkafka consume-only", floor, "us/event", digits=2)
        )
    if res.stages:
        out.append(
            Figure(
                "floor-avro",
                "(f) fastavro decode-only",
                res.stages["fastavro"],
                "us/event",
                digits=2,
            )
        )
    peer_rate = drain_rate(res.peer, res.peer_baseline, res.n_main)
    peer_cpu = per_event_us(res.peer, res.peer_baseline, res.n_main)
    if peer_rate and ours:
        out.append(
            Figure("peer-drain", f"peer ({PEER_NAME}) drain rate", peer_rate, "events/s", digits=0)
        )
        out.append(Figure("peer-cpu", f"peer ({PEER_NAME}) CPU per event", peer_cpu, "us"))
        out.append(
            Figure(
                "ratio-eps",
                "ours/peer throughput (drain rates)",
                ours / peer_rate,
                "x",
                ">= 1",
                ours >= peer_rate,
                2,
            )
        )
        if cpu and peer_cpu:
            out.append(
                Figure(
                    "ratio-cpu",
                    "ours/peer CPU per event",
                    cpu / peer_cpu,
                    "x",
                    "(lower is better)",
                    None,
                    2,
                )
            )
    return out
