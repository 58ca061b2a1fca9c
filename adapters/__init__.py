"""backtestkit.adapters: edges to the outside world."""
