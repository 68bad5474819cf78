"""Subcommands of ``signals-consumer``; each module exposes ``register(app)``."""

from __future__ import annotations

import importlib

import typer

__all__ = ["register_all"]

#: Modules under consumer.commands that add commands; each has ``register(app: typer.Typer)``.
_MODULES = (
    "config_cmd",
    "check_cmd",
    "run_cmd",
    "replay_cmd",
    "offsets_cmd",
    "dlq_cmd",
    "sandbox_cmd",
)


def register_all(app: typer.Typer) -> None:
    """Add every available subcommand to ``app``."""
    for name in _MODULES:
        module = importlib.import_module(f"consumer.commands.{name}")
        module.register(app)
