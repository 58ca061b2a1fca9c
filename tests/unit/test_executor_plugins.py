"""Out-of-process walker executors register with the walker by name: adapters register them on
import, the installed entry points find them when only backtestkit.actors was imported."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from backtestkit.actors import Walker
from backtestkit.actors.walker import executor_plugins, register_executor
from backtestkit.actors.walker.executor_plugins import DASK, PROCESS_POOL, executor_factory
from backtestkit.adapters.executors import DaskWalkerExecutor, ProcessPoolWalkerExecutor


def test_importing_the_adapters_registers_both_executors() -> None:
    assert executor_factory(PROCESS_POOL) is ProcessPoolWalkerExecutor
    assert executor_factory(DASK) is DaskWalkerExecutor


def test_entry_points_find_the_executors_without_importing_the_adapters() -> None:
    script = (
        "import sys\n"
        "import backtestkit.actors\n"
        "assert 'backtestkit.adapters.executors' not in sys.modules\n"
        "from backtestkit.actors.walker.executor_plugins import executor_factory\n"
        "print(executor_factory('process_pool').__name__, executor_factory('dask').__name__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["ProcessPoolWalkerExecutor", "DaskWalkerExecutor"]


def test_a_registered_factory_builds_the_walker_executor(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[Any] = []

    def factory(target: Any) -> Any:
        built.append(target)
        return "pool"

    monkeypatch.setitem(executor_plugins._factories, PROCESS_POOL, factory)
    monkeypatch.setitem(executor_plugins._factories, DASK, factory)
    assert Walker._executor(3, None) == "pool"
    assert Walker._executor(1, "tcp://scheduler:8786") == "pool"
    assert built == [3, "tcp://scheduler:8786"]


def test_register_executor_replaces_and_unknown_names_raise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(executor_plugins, "_factories", {})
    with pytest.raises(LookupError, match="no walker executor 'ray' is registered"):
        executor_factory("ray")
    register_executor("ray", ProcessPoolWalkerExecutor)
    register_executor("ray", DaskWalkerExecutor)
    assert executor_factory("ray") is DaskWalkerExecutor
