"""A clean engine between tests: `reset_engine` starts a fresh default engine."""

from __future__ import annotations

from ..core.engine import reset_default_engine

__all__ = ["reset_engine"]


def reset_engine() -> None:
    """Forget schemas, config and column overrides, listeners, facade instances and report
    storages, risk books and caches: the default engine is replaced by a new one."""
    reset_default_engine()
