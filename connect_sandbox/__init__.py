"""A local stand-in for the Connect ``createSignals`` GraphQL API (docs/sandbox.md).

graphql-core (schema, parsing, validation, execution) + Starlette/uvicorn (HTTP) + SQLite
(contacts, signals, sessions). Validation is the sandbox's own reading of the reference
(:mod:`connect_sandbox.validation`), independent of the consumer's rules.
"""

from __future__ import annotations

from connect_sandbox.app import create_app
from connect_sandbox.faults import FaultInjector, Faults
from connect_sandbox.service import MAX_SIGNALS, Sandbox, SandboxConfig

__all__ = ["MAX_SIGNALS", "FaultInjector", "Faults", "Sandbox", "SandboxConfig", "create_app"]
