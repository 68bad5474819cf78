"""``signals-consumer sandbox``: the local Connect stand-in (docs/sandbox.md).

The sandbox is its own package (``connect_sandbox``) with its own dependencies, installed by
the ``sandbox`` extra; without it this command says how to install it and exits with code 3.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Final

import typer

__all__ = ["INSTALL_HINT", "register"]

INSTALL_HINT: Final = "pip install 'connect-signals-consumer[sandbox]'"
#: Top-level modules the sandbox extra provides: a missing one means the extra is not installed.
_EXTRA_MODULES: Final = frozenset({"connect_sandbox", "graphql", "starlette", "uvicorn"})


def register(app: typer.Typer) -> None:
    """Add the ``sandbox`` command."""

    @app.command("sandbox")
    def sandbox_command(
        ctx: typer.Context,
        *,
        host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port.")] = 8080,
        db: Annotated[
            Path, typer.Option("--db", help="SQLite file (created when missing).")
        ] = Path(".cache/sandbox/sandbox.db"),
        api_key: Annotated[
            list[str] | None,
            typer.Option(
                "--api-key",
                help="Accepted x-api-key (repeatable). Default: $SIGNALS_CONNECT_API_KEY, "
                "else 'sandbox-api-key'.",
            ),
        ] = None,
        app_key: Annotated[
            list[str] | None,
            typer.Option(
                "--app-key", help="Known appKey (repeatable). Default: sandbox-app and demo-app."
            ),
        ] = None,
        tier: Annotated[
            str | None,
            typer.Option(
                "--tier", help="pro, premium or ultimate. Default: $SIGNALS_TIER, else premium."
            ),
        ] = None,
        benchmark: Annotated[
            bool, typer.Option("--benchmark", help="Parse and validate; store only counters.")
        ] = False,
        record_latency: Annotated[
            bool,
            typer.Option(
                "--record-latency",
                help="Keep signalTimestamp -> acceptance latencies (a bounded sample) and the "
                "acceptance window; shown under 'latency' in /admin/stats.",
            ),
        ] = False,
        seed: Annotated[
            int, typer.Option("--seed", help="Seed of the fault injection's random draws.")
        ] = 0,
        throttle_rate: Annotated[
            float,
            typer.Option("--throttle-rate", min=0.0, max=1.0, help="Fraction answered 429."),
        ] = 0.0,
        throttle_next: Annotated[
            int, typer.Option("--throttle-next", min=0, help="Answer the next N requests 429.")
        ] = 0,
        retry_after_s: Annotated[
            float,
            typer.Option("--retry-after-s", min=0.0, help="Retry-After of a 429 (rounded up)."),
        ] = 1.0,
        error_rate: Annotated[
            float, typer.Option("--error-rate", min=0.0, max=1.0, help="Fraction answered 500.")
        ] = 0.0,
        unavailable_rate: Annotated[
            float,
            typer.Option("--unavailable-rate", min=0.0, max=1.0, help="Fraction answered 503."),
        ] = 0.0,
        timeout_rate: Annotated[
            float,
            typer.Option(
                "--timeout-rate",
                min=0.0,
                max=1.0,
                help="Fraction answered only after --timeout-delay-s (processed normally).",
            ),
        ] = 0.0,
        timeout_delay_s: Annotated[
            float, typer.Option("--timeout-delay-s", min=0.0, help="Delay of a timed-out answer.")
        ] = 35.0,
        latency_ms: Annotated[
            float, typer.Option("--latency-ms", min=0.0, help="Added to every GraphQL request.")
        ] = 0.0,
        outage_s: Annotated[
            float, typer.Option("--outage-s", min=0.0, help="An outage of N seconds from start.")
        ] = 0.0,
        outage_mode: Annotated[
            str,
            typer.Option(
                "--outage-mode",
                help="503: answer 503 during the outage; refuse: do not listen until it ends.",
            ),
        ] = "503",
        rate_limit_rate: Annotated[
            float,
            typer.Option(
                "--rate-limit-rate",
                min=0.0,
                max=1.0,
                help="Fraction answered 200 with RATE_LIMIT_EXCEEDED and retryAfterMs (Cosmo).",
            ),
        ] = 0.0,
        rate_limit_next: Annotated[
            int,
            typer.Option(
                "--rate-limit-next", min=0, help="Answer the next N requests RATE_LIMIT_EXCEEDED."
            ),
        ] = 0,
        gateway_timeout_rate: Annotated[
            float,
            typer.Option(
                "--gateway-timeout-rate",
                min=0.0,
                max=1.0,
                help="Fraction processed, then answered 504 'Endpoint request timed out' after "
                "--gateway-timeout-s.",
            ),
        ] = 0.0,
        gateway_timeout_next: Annotated[
            int,
            typer.Option(
                "--gateway-timeout-next", min=0, help="Answer the next N requests that way."
            ),
        ] = 0,
        gateway_timeout_s: Annotated[
            float,
            typer.Option("--gateway-timeout-s", min=0.0, help="The hold before a gateway 504."),
        ] = 29.0,
        error_dialect: Annotated[
            str,
            typer.Option(
                "--error-dialect",
                envvar="SIGNALS_SANDBOX_ERROR_DIALECT",
                help="How refusals are worded: realistic (Connect's: data null, "
                "INVALID_ATTRIBUTE_VALUE with a category, no index) or indexed "
                "(BAD_USER_INPUT listing signal indexes).",
            ),
        ] = "realistic",
    ) -> None:
        """Run the local Connect sandbox: GraphQL API, activity-feed page, fault injection."""
        from consumer.errors import ConfigurationError, ExitCode
        from consumer.logs import configure_logging, get_logger

        try:
            from connect_sandbox.dialect import parse_dialect
            from connect_sandbox.faults import FAULT_FIELDS, Faults
            from connect_sandbox.server import serve
            from connect_sandbox.service import DEFAULT_API_KEY, DEFAULT_APP_KEYS, SandboxConfig
        except ImportError as exc:
            if (exc.name or "").partition(".")[0] not in _EXTRA_MODULES:
                raise
            typer.echo(
                f"error: the sandbox is not installed (no module {exc.name!r}); "
                f"install it with: {INSTALL_HINT}",
                err=True,
            )
            raise typer.Exit(ExitCode.CONFIG) from exc

        configure_logging(
            os.environ.get("SIGNALS_LOG_LEVEL", "info"),
            os.environ.get("SIGNALS_LOG_FORMAT", "auto"),
        )
        log = get_logger("sandbox")
        try:
            try:  # each fault option is named after its Faults field
                faults = Faults.from_mapping(
                    {name: value for name, value in ctx.params.items() if name in FAULT_FIELDS}
                )
            except ValueError as exc:
                raise ConfigurationError(str(exc), setting="fault options") from exc
            env_key = os.environ.get("SIGNALS_CONNECT_API_KEY")
            config = SandboxConfig(
                db_path=db,
                api_keys=frozenset(api_key or [env_key or DEFAULT_API_KEY]),
                app_keys=frozenset(app_key or DEFAULT_APP_KEYS),
                tier=tier or os.environ.get("SIGNALS_TIER") or "premium",
                benchmark=benchmark,
                record_latency=record_latency,
                seed=seed,
                faults=faults,
                error_dialect=parse_dialect(error_dialect),
            )
            serve(config, host=host, port=port)
        except ConfigurationError as exc:
            log.error("configuration_error", error=str(exc), setting=exc.setting)  # noqa: TRY400
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(ExitCode.CONFIG) from exc
