"""``python -m dev.registry --host 127.0.0.1 --port 8081 --data .cache/registry/registry.json``."""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn

from dev.registry.app import create_app
from dev.registry.store import SchemaStore

__all__ = ["main"]


def main() -> None:
    """Serve the registry in the foreground until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m dev.registry", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--data", type=Path, default=None, help="JSON state file (default: memory)")
    args = parser.parse_args()
    app = create_app(SchemaStore(args.data))
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", access_log=False)


if __name__ == "__main__":
    main()
