"""The engine's plumbing: engines, config, the execution context, schemas and their registry,
registration (add_*), risk, sizing, logs and the pieces the mode facades share.

The modules whose whole `__all__` is public are re-exported with it (one list a name);
the others give the few names listed here."""

from . import registration, schemas, sizing
from .blocking import loop_running, run_blocking
from .config import GlobalConfig, get_config, get_default_config, reset_config, set_config
from .context import ExecutionContext
from .engine import Engine, current_engine
from .instances import InstanceStatus
from .logs import configure_logging
from .registration import *  # noqa: F403
from .registry import *  # noqa: F403
from .registry import __all__ as _registry_all  # `registry` names the schemas, not the module
from .risk import ActivePosition, RiskCheck
from .schemas import *  # noqa: F403
from .sizing import *  # noqa: F403

__all__ = [
    "ActivePosition",
    "Engine",
    "ExecutionContext",
    "GlobalConfig",
    "InstanceStatus",
    "RiskCheck",
    "configure_logging",
    "current_engine",
    "get_config",
    "get_default_config",
    "loop_running",
    "reset_config",
    "run_blocking",
    "set_config",
]
__all__ += registration.__all__
__all__ += _registry_all
__all__ += schemas.__all__
__all__ += sizing.__all__
