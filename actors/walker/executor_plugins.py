"""Out-of-process walker executors by name, registered by the package that ships them.

`Walker.run(workers=N)` builds the executor registered as `process_pool` from N, and
`Walker.run(dask=...)` the one registered as `dask` from the scheduler address, cluster or
client. A package registers its factories with `register_executor` when it is imported; an
installed distribution also names them in the `backtestkit.executors` entry-point group, loaded
on the first request for a name nobody registered yet, so `workers=N` works for a user who only
imported `backtestkit.actors`.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any, Protocol

from .executor import Executor

__all__ = [
    "DASK",
    "ENTRY_POINT_GROUP",
    "PROCESS_POOL",
    "ExecutorFactory",
    "executor_factory",
    "register_executor",
]

ENTRY_POINT_GROUP = "backtestkit.executors"
PROCESS_POOL = "process_pool"
DASK = "dask"


class ExecutorFactory(Protocol):
    """Builds an executor from the `Walker.run` argument that chose it (`workers` or `dask`)."""

    def __call__(self, target: Any, /) -> Executor: ...


_factories: dict[str, ExecutorFactory] = {}


def register_executor(name: str, factory: ExecutorFactory) -> None:
    """Make `factory` the executor called `name` (replacing an earlier registration)."""
    _factories[name] = factory


def executor_factory(name: str) -> ExecutorFactory:
    """The factory registered as `name`; the installed entry point of that name is loaded first
    when nobody registered one yet."""
    if name not in _factories:
        for entry in entry_points(group=ENTRY_POINT_GROUP, name=name):
            register_executor(name, entry.load())
            break
    try:
        return _factories[name]
    except KeyError:
        raise LookupError(
            f"no walker executor {name!r} is registered: install backtestkit (it names its "
            f"executors in the {ENTRY_POINT_GROUP!r} entry points) or call "
            f"register_executor({name!r}, factory)"
        ) from None
