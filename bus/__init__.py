"""backtestkit.bus: typed topics and event payloads. Imports nothing else of backtestkit.

Each name is listed once, in the `__all__` of the module that defines it: results (what a
tick returns), events (what the other topics carry), topic, hub (the Bus and its topics),
listen (the `listen_*` helpers), serialize, detached."""

from . import detached, events, hub, listen, results, serialize, topic
from .detached import *  # noqa: F403
from .events import *  # noqa: F403
from .hub import *  # noqa: F403
from .listen import *  # noqa: F403
from .results import *  # noqa: F403
from .serialize import *  # noqa: F403
from .topic import *  # noqa: F403

__all__: list[str] = []
__all__ += results.__all__
__all__ += events.__all__
__all__ += topic.__all__
__all__ += hub.__all__
__all__ += listen.__all__
__all__ += serialize.__all__
__all__ += detached.__all__
