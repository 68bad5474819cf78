"""What the operations subcommands share: settings, consoles, option parsing, exit codes.

Exit codes (:class:`consumer.errors.ExitCode`): 0 done; 1 the command refused or failed (message
on stderr); 2 bad usage; 3 configuration error; 4 the Connect API refused the API key;
130 interrupted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import typer
from rich.console import Console

from consumer.config import Settings
from consumer.errors import ApiAuthError, ConfigurationError, ConsumerError, ExitCode

__all__ = ["console", "guarded", "load", "parsed"]

T = TypeVar("T")

_WIDE = 160


def load(**overrides: Any) -> Settings:
    """The settings (plus ``overrides`` that are not None), logging configured."""
    from consumer.config import load_settings
    from consumer.logs import configure_logging

    settings = load_settings()
    changes = {name: value for name, value in overrides.items() if value is not None}
    if changes:
        settings = settings.model_copy(update=changes)
    configure_logging(settings.log_level, settings.log_format)
    return settings


def console(*, stderr: bool = False) -> Console:
    """Results (tables, summaries) on stdout, progress bars and warnings on ``stderr``; wide
    when it is not a terminal."""
    out = Console(stderr=stderr)
    return out if out.is_terminal else Console(stderr=stderr, width=_WIDE)


def parsed(parse: Callable[[str], T], value: str | None, option: str) -> T | None:
    """``parse(value)`` of an option value (None when not given); a usage error (exit 2)
    naming ``option`` when ``parse`` raises ``ValueError``."""
    if value is None:
        return None
    try:
        return parse(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from exc


@contextmanager
def guarded() -> Iterator[None]:
    """Turn the consumer's errors into a message on stderr and the documented exit code."""
    try:
        yield
    except ApiAuthError as exc:
        typer.echo(f"error: the Connect API refused the API key: {exc}", err=True)
        raise typer.Exit(ExitCode.AUTH) from exc
    except ConfigurationError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(ExitCode.CONFIG) from exc
    except ConsumerError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(ExitCode.ERROR) from exc
    except KeyboardInterrupt as exc:
        typer.echo("interrupted", err=True)
        raise typer.Exit(ExitCode.INTERRUPTED) from exc
