"""Shared fixtures: every test starts (and ends) with a clean engine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from backtestkit.actors import configure_logging
from backtestkit.actors.testing import reset_engine

# tests read log events at info level whatever BACKTESTKIT_LOG_LEVEL the shell has
configure_logging("info", force=True)


def _clean_engine() -> None:
    reset_engine()


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


@pytest.fixture(scope="session")
def dask_cluster() -> Iterator[str]:
    """A local Dask cluster (2 worker processes, 1 thread each) for the walker executor tests."""
    distributed = pytest.importorskip(
        "distributed", reason="dask[distributed] is not installed (pip install -e '.[dev]')"
    )
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    try:
        yield cluster.scheduler_address
    finally:
        from backtestkit.adapters.executors import close_dask_clients

        close_dask_clients()  # the walks' kept client, before its scheduler goes
        cluster.close()
