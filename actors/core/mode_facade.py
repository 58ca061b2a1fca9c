"""The shape every mode facade shares: instances and list / reset, `background` and `run_sync`
made from the mode's own `run` (one parameter list), the background consumer, done events.
A mode keeps only how it builds and drives its graph and what stops and finishes it."""

from __future__ import annotations

import builtins
import functools
import inspect
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, ClassVar, Concatenate, Generic, ParamSpec, TypeVar

import structlog

from backtestkit.bus import Bus, DoneEvent, Topic, current_bus, start_detached

from .blocking import run_blocking
from .facade_support import collected
from .instances import Instance, Instances, InstanceStatus

__all__ = ["ModeFacade", "background_of", "run_sync_of"]

InstanceT = TypeVar("InstanceT", bound=Instance)
ModeT = TypeVar("ModeT", bound="ModeFacade[Any]")
P = ParamSpec("P")
T = TypeVar("T")
Call = Mapping[str, Any]  # the arguments of one `run` call, by parameter name


class ModeFacade(Generic[InstanceT]):
    """Instances keyed "<symbol>:<name>" and how a run goes to the background.

    A mode says which instance a call uses (`_held`), what cancel() does (`_canceller`), when
    the background consumer stops iterating (`_until`) and what it emits at the end (`_finish`).
    """

    mode: ClassVar[str]  # "backtest", "live", ...: the log event "<mode>_failed"
    name_field: ClassVar[str] = "strategy"  # the log key of the instance's name

    def __init__(self, bus: Bus | None, factory: type[InstanceT]) -> None:
        self.bus = bus or current_bus()
        self._instances: Instances[InstanceT] = Instances(factory)

    def _held(self, call: Call) -> InstanceT:
        raise NotImplementedError

    def _canceller(self, instance: InstanceT, call: Call) -> Callable[[], None]:
        raise NotImplementedError

    def _until(self, instance: InstanceT, result: Any) -> bool:
        """True: the background consumer stops before the next result (a stop was asked)."""
        return False

    async def _finish(self, instance: InstanceT, call: Call) -> None:
        """After the run closed normally (its state written): the mode's done event."""

    def _background(
        self, start: Callable[[], AsyncIterator[Any]], call: Call
    ) -> Callable[[], None]:
        instance = self._held(call)
        if instance.status != "pending":
            results = start()
            instance.status = "pending"
            instance.restart()
            start_detached(
                functools.partial(self._consume, instance, results, call), without_loop="thread"
            )
        return self._canceller(instance, call)

    async def _consume(self, instance: InstanceT, results: AsyncIterator[Any], call: Call) -> None:
        try:
            async for result in results:
                if self._until(instance, result):
                    break
            await results.aclose()  # type: ignore[attr-defined]  # state on disk first
            await self._finish(instance, call)
            instance.status = "fulfilled"
        except Exception as exc:
            instance.status = "rejected"
            log = structlog.get_logger(f"backtestkit.{self.mode}")
            where = {"symbol": instance.symbol, self.name_field: instance.name}
            log.error(f"{self.mode}_failed", **where, error=str(exc))
            await self.bus.exit.emit(RuntimeError(str(exc)))
        finally:
            await results.aclose()  # type: ignore[attr-defined]

    async def _emit_done(
        self, instance: InstanceT, topic: Topic[DoneEvent], event: DoneEvent
    ) -> None:
        """The done event once per background run (the end, or an earlier cancel)."""
        if not instance.done:
            instance.done = True
            await topic.emit(event)

    def _publish_done(self, instance: InstanceT, topic: Topic[DoneEvent], event: DoneEvent) -> None:
        if not instance.done:
            instance.done = True
            topic.publish(event)

    def list(self) -> builtins.list[InstanceStatus]:
        return self._instances.list()

    def reset(self) -> None:
        """Forget every instance (test isolation)."""
        self._instances.clear()


def background_of(
    run: Callable[Concatenate[ModeT, P], AsyncIterator[Any]],
) -> Callable[Concatenate[ModeT, P], Callable[[], None]]:
    """`background` with `run`'s parameters (API.md: `X.background(symbol, **same)`)."""
    signature = inspect.signature(run)

    def background(mode: ModeT, /, *args: P.args, **kwargs: P.kwargs) -> Callable[[], None]:
        call = signature.bind(mode, *args, **kwargs).arguments
        return mode._background(lambda: run(mode, *args, **kwargs), call)

    doc = """Run in the background (the running loop or a worker thread); returns cancel().
        A call while this instance runs starts nothing and returns the running one's cancel."""
    return _named(background, run, doc, "Callable[[], None]")


def run_sync_of(
    run: Callable[Concatenate[ModeT, P], AsyncIterator[T]],
) -> Callable[Concatenate[ModeT, P], builtins.list[T]]:
    """`run_sync` with `run`'s parameters: every result of the run, in a list."""

    def run_sync(mode: ModeT, /, *args: P.args, **kwargs: P.kwargs) -> builtins.list[T]:
        results: builtins.list[T] = []

        async def collect() -> None:
            with collected():  # nothing of ours runs between results: no context swaps
                run_results = run(mode, *args, **kwargs)
            async for result in run_results:
                results.append(result)

        run_blocking(collect)
        return results

    doc = """Run to the end in a fresh event loop: here in a script, on a helper thread when a
        loop already runs in this one (Jupyter, IPython, `python -m asyncio`)."""
    return _named(run_sync, run, doc, "list[TickResult]")


def _named(method: T, run: Callable[..., Any], doc: str, returns: str) -> T:
    """`method` as help() and inspect show it: `run`'s parameters, its own name and return."""
    function: Any = method
    function.__qualname__ = f"{run.__qualname__.rsplit('.', 1)[0]}.{function.__name__}"
    function.__module__ = run.__module__
    function.__doc__ = doc
    function.__signature__ = inspect.signature(run).replace(return_annotation=returns)
    return method
