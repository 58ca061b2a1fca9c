"""Walker mode: the supervisor, executors and their registration, resume, the facade (the
out-of-process side is the `workers` room)."""

from .executor import Executor
from .executor_plugins import ExecutorFactory, register_executor
from .facade import Walker, WalkerMode
from .supervisor import WalkerSupervisor

__all__ = [
    "Executor",
    "ExecutorFactory",
    "Walker",
    "WalkerMode",
    "WalkerSupervisor",
    "register_executor",
]
