"""Walker mode: the supervisor, executors and their registration, resume, the facade (the
out-of-process side is the `workers` room)."""

from .executor import Executor
from .executor_plugins import ExecutorFactory, register_executor
from .facade import Walker, WalkerMode, optimize
from .folds import Fold, walk_forward_folds
from .optimize import Optimization
from .supervisor import WalkerSupervisor
from .sweep import ParameterizedSignal, add_sweep, grid_points, sweep_name
from .walk_forward import FoldResult, WalkForwardResult, walk_forward

__all__ = [
    "Executor",
    "ExecutorFactory",
    "Fold",
    "FoldResult",
    "Optimization",
    "ParameterizedSignal",
    "WalkForwardResult",
    "Walker",
    "WalkerMode",
    "WalkerSupervisor",
    "add_sweep",
    "grid_points",
    "optimize",
    "register_executor",
    "sweep_name",
    "walk_forward",
    "walk_forward_folds",
]
