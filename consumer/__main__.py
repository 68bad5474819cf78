"""``python -m consumer`` runs the CLI."""

from consumer.cli import main

__all__: list[str] = []

if __name__ == "__main__":
    main()
