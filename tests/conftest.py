"""Shared fixtures: every test starts (and ends) with a clean engine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from backtestkit.actors import reset_config, reset_registry
from backtestkit.bus import topics


def _clean_engine() -> None:
    reset_registry()
    reset_config()
    topics.clear()


@pytest.fixture(autouse=True)
def clean_engine() -> Iterator[None]:
    """Fresh registry, default config and no bus listeners, before and after each test."""
    _clean_engine()
    yield
    _clean_engine()


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """`@pytest.mark.anyio` tests run under both backends (anyio's bundled pytest plugin)."""
    return str(request.param)
