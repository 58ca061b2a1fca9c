"""The walker's out-of-process side, shared by the process-pool and Dask executors: the payload a
worker runs (schemas shipped once, each job on a clean engine) and the dispatch order (longest
expected first)."""

from .dispatch import DispatchedRun, Dispatcher
from .payload import (
    WalkerSpec,
    WorkerPayload,
    build_worker_payload,
    install_payload,
    install_payload_file,
    run_pooled_job,
    run_strategy_job,
    schemas_payload,
)

__all__ = [
    "DispatchedRun",
    "Dispatcher",
    "WalkerSpec",
    "WorkerPayload",
    "build_worker_payload",
    "install_payload",
    "install_payload_file",
    "run_pooled_job",
    "run_strategy_job",
    "schemas_payload",
]
