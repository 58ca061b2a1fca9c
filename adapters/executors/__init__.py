"""Out-of-process walker executors: a local process pool and a Dask cluster.

Importing this package registers them with the walker (`Walker.run(workers=N)` / `dask=`);
pyproject.toml also names them as `backtestkit.executors` entry points, so the walker finds them
when only `backtestkit.actors` was imported.
"""

from backtestkit.actors.walker.executor_plugins import DASK, PROCESS_POOL, register_executor

from .dask_cluster import DaskWalkerExecutor, close_dask_clients
from .process_pool import ProcessPoolWalkerExecutor
from .worker_pool import shutdown_worker_pools

__all__ = [
    "DaskWalkerExecutor",
    "ProcessPoolWalkerExecutor",
    "close_dask_clients",
    "shutdown_worker_pools",
]

register_executor(PROCESS_POOL, ProcessPoolWalkerExecutor)
register_executor(DASK, DaskWalkerExecutor)
