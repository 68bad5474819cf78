"""Connect signals: the domain value, the validation rules shared with the sandbox."""

__all__: list[str] = []
