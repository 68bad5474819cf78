"""Run the sandbox with uvicorn (what ``signals-consumer sandbox`` calls)."""

from __future__ import annotations

import time

import uvicorn

from connect_sandbox.app import create_app
from connect_sandbox.service import Sandbox, SandboxConfig
from consumer.logs import get_logger

__all__ = ["serve"]

_log = get_logger("sandbox")


def serve(config: SandboxConfig, *, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Serve until SIGINT/SIGTERM.

    A ``refuse`` outage given at start (``--outage-s N --outage-mode refuse``) delays binding
    the port by N seconds, so clients get "connection refused" meanwhile.
    """
    faults = config.faults
    if faults.outage_s and faults.outage_mode == "refuse":
        _log.info("sandbox_refusing_connections", seconds=faults.outage_s)
        time.sleep(faults.outage_s)
    sandbox = Sandbox(config)
    try:
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(sandbox),
                host=host,
                port=port,
                log_level="warning",
                access_log=False,
                lifespan="off",
                timeout_graceful_shutdown=2,
            )
        )
        display_host = f"[{host}]" if ":" in host else host
        url = f"http://{display_host}:{port}/"
        _log.info(
            "sandbox_started",
            url=url,
            graphql_url=f"{url}graphql",
            db=str(config.db_path),
            tier=config.tier,
            app_keys=sorted(config.app_keys),
            benchmark=config.benchmark,
            record_latency=config.record_latency,
            faults=config.faults.as_dict(),
        )
        server.run()
    finally:
        sandbox.close()
        _log.info("sandbox_stopped")
