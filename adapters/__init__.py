"""backtestkit.adapters: edges to the outside world."""

__all__: list[str] = []
