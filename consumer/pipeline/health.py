"""The operations HTTP server: ``/metrics``, ``/healthz``, ``/readyz`` (a daemon thread).

The loop publishes a :class:`HealthState`; the handlers only read it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson

from consumer.pipeline.metrics import Metrics

__all__ = ["HealthServer", "HealthState"]

#: The loop counts as dead when it has not turned for this long.
LOOP_STALL_S = 30.0


@dataclass(slots=True)
class HealthState:
    """What the loop last reported (written by the loop thread, read by the server)."""

    progress_timeout_s: float
    heartbeat: float = 0.0
    last_progress: float = 0.0
    lag: int = 0
    not_ready_reason: str | None = "starting"

    def healthz(self, now: float) -> tuple[bool, str]:
        """Alive and, when there is lag, progressing."""
        if now - self.heartbeat > LOOP_STALL_S:
            return False, "poll loop stalled"
        if self.lag > 0 and now - self.last_progress > self.progress_timeout_s:
            return False, "lag without progress"
        return True, "ok"


class HealthServer:
    """A ``ThreadingHTTPServer`` on ``host:port`` serving the three endpoints."""

    def __init__(self, host: str, port: int, state: HealthState, metrics: Metrics) -> None:
        state_ref, metrics_ref = state, metrics

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    self._send(200, metrics_ref.render(), "text/plain; version=0.0.4")
                elif path == "/healthz":
                    ok, reason = state_ref.healthz(time.monotonic())
                    self._json(200 if ok else 503, {"healthy": ok, "reason": reason})
                elif path == "/readyz":
                    why = state_ref.not_ready_reason
                    self._json(503 if why else 200, {"ready": why is None, "reason": why})
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
