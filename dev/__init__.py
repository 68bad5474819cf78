"""Developer tooling: the local stack (``dev/stack.py``), its schema registry and helper scripts."""

__all__: list[str] = []
