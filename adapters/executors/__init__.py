"""Out-of-process walker executors: a local process pool and a Dask cluster."""

from .dask_cluster import DaskWalkerExecutor, close_dask_clients
from .process_pool import ProcessPoolWalkerExecutor
from .worker_pool import shutdown_worker_pools

__all__ = [
    "DaskWalkerExecutor",
    "ProcessPoolWalkerExecutor",
    "close_dask_clients",
    "shutdown_worker_pools",
]
