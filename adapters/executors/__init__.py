"""Out-of-process walker executors: a local process pool and a Dask cluster."""

from backtestkit.adapters.executors.dask_cluster import DaskWalkerExecutor, close_dask_clients
from backtestkit.adapters.executors.process_pool import ProcessPoolWalkerExecutor
from backtestkit.adapters.executors.worker_pool import shutdown_worker_pools

__all__ = [
    "DaskWalkerExecutor",
    "ProcessPoolWalkerExecutor",
    "close_dask_clients",
    "shutdown_worker_pools",
]
