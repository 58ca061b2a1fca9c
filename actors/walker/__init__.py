"""Walker mode: the supervisor, executors and their registration, dispatch, resume, the facade.

`payload` (what out-of-process workers run) is not imported here: it loads the test helpers,
which load this package's facade.
"""

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
