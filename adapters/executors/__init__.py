"""Out-of-process walker executors: a local process pool and a Dask cluster."""

from backtestkit.adapters.executors.dask_cluster import DaskWalkerExecutor
from backtestkit.adapters.executors.process_pool import ProcessPoolWalkerExecutor

__all__ = ["DaskWalkerExecutor", "ProcessPoolWalkerExecutor"]
