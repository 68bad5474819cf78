"""The operations HTTP server: ``/metrics``, ``/healthz``, ``/readyz`` (a daemon thread).

The loop publishes a :class:`HealthState`; the handlers only read it. What each endpoint means
(docs/deploy.md, "Probes"):

============  ======================================  =========================================
endpoint      200 when                                503 when (``reason``)
============  ======================================  =========================================
``/healthz``  the loop turns and no partition is      ``starting`` (before the loop's first
              wedged - whatever Connect, the          turn: the startup probe's window),
              registry or the broker are doing        ``poll loop stalled ...``, ``wedged
                                                      partitions: ...``
``/readyz``   joined the group and able to work (a    ``starting``, ``not_joined``,
              retry waiting for its backoff is        ``api_key_refused``, ``shutting_down``
              ready)                                  (and what the engine adds)
============  ======================================  =========================================

Both bodies carry the detail: total ``lag`` and the ``stalled_partitions`` (lag, no movement for
``SIGNALS_HEALTH_PROGRESS_TIMEOUT_S``), which never fail liveness: a restart fixes nothing
downstream and re-sends what was in flight.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson

from consumer.pipeline.metrics import Metrics

__all__ = ["HealthServer", "HealthState"]

#: The loop counts as dead when it has not turned for this long (a revoke may hold it for up
#: to the drain timeout; the pipeline adds that).
LOOP_STALL_S = 30.0
#: A partition unattended for this long is wedged (an internal fault, not an outage).
WEDGE_S = 60.0


@dataclass(slots=True)
class HealthState:
    """What the loop last reported (written by the loop thread, read by the server)."""

    #: A partition with lag not moving for this long is named in ``stalled_partitions``.
    progress_timeout_s: float
    loop_stall_s: float = LOOP_STALL_S
    wedge_s: float = WEDGE_S
    #: Monotonic time of the loop's last turn; None before the first (starting).
    heartbeat: float | None = None
    lag: int = 0
    stalled: tuple[str, ...] = ()
    wedged: tuple[str, ...] = ()
    not_ready_reason: str | None = "starting"

    def healthz(self, now: float) -> tuple[bool, str]:
        """Liveness: the process works (never depends on Connect, the registry or the broker)."""
        if self.heartbeat is None:
            return False, "starting"
        silent = now - self.heartbeat
        if silent > self.loop_stall_s:
            return False, f"poll loop stalled for {silent:.0f} s"
        if self.wedged:
            return False, "wedged partitions: " + ", ".join(self.wedged)
        return True, "ok"

    def detail(self) -> dict[str, object]:
        """Lag and stalled partitions, for both bodies."""
        return {"lag": self.lag, "stalled_partitions": list(self.stalled)}


class HealthServer:
    """A ``ThreadingHTTPServer`` on ``host:port`` serving the three endpoints."""

    def __init__(self, host: str, port: int, state: HealthState, metrics: Metrics) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    self._send(200, metrics.render(), "text/plain; version=0.0.4")
                elif path == "/healthz":
                    ok, reason = state.healthz(time.monotonic())
                    body = {"healthy": ok, "reason": reason, **state.detail()}
                    self._json(200 if ok else 503, body)
                elif path == "/readyz":
                    why = state.not_ready_reason
                    body = {"ready": why is None, "reason": why, **state.detail()}
                    self._json(503 if why else 200, body)
                else:
                    self._json(404, {"error": "not found"})

            def _json(self, status: int, body: dict[str, object]) -> None:
                self._send(status, orjson.dumps(body), "application/json")

            def _send(self, status: int, body: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="signals-health", daemon=True
        )

    def start(self) -> None:
        """Serve in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
