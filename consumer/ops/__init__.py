"""Operations commands: replay a range, reset the live group's offsets, inspect and re-drive
the dead-letter topic (docs/operations.md). The CLI wrappers live in ``consumer.commands``.
"""

from __future__ import annotations

__all__: list[str] = []
