"""A typed topic: plain-loop dispatch to sync listeners, per-listener FIFO queues for async ones.

The reactivex Subject is created only when someone asks for `.observable`, so publishing on a
topic nobody watches costs a few attribute reads.
"""

from __future__ import annotations

import inspect
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import anyio
import structlog
from reactivex import Observable
from reactivex.subject import Subject

from .detached import start_detached

__all__ = ["Listener", "Predicate", "Topic", "Unsubscribe"]

T = TypeVar("T")
Listener = Callable[[T], None] | Callable[[T], Awaitable[None]]
Predicate = Callable[[T], bool]
Unsubscribe = Callable[[], None]
ErrorSink = Callable[[BaseException], None]

_log = structlog.get_logger("backtestkit.bus")


def _is_async(fn: object) -> bool:
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004 - async callable objects
    )


class _Subscription(Generic[T]):
    __slots__ = ("draining", "fn", "is_async", "kinds", "plain", "queue", "topic", "where")

    def __init__(
        self,
        topic: Topic[T],
        fn: Listener[T],
        where: Predicate[T] | None,
        kinds: tuple[type, ...] | None = None,
    ) -> None:
        self.topic = topic
        self.fn = fn
        self.where = where
        self.kinds = kinds
        self.is_async = _is_async(fn)
        self.plain = where is None and not self.is_async  # called inline by publish / emit
        self.queue: deque[tuple[T, anyio.Event | None]] = deque()
        self.draining = False

    def deliver(self, event: T) -> None:
        if self.where is not None and not self._matches(event):
            return
        if not self.is_async:
            try:
                self.fn(event)
            except Exception as exc:
                self.topic.report(exc)
            return
        self.queue.append((event, None))
        if not self.draining:
            self.draining = True
            start_detached(self._drain)

    async def deliver_and_wait(self, event: T) -> None:
        if self.where is not None and not self._matches(event):
            return
        if not self.is_async:
            self.deliver(event)
            return
        done = anyio.Event()
        self.queue.append((event, done))
        if not self.draining:
            self.draining = True
            await self._drain()
        else:
            await done.wait()

    def _matches(self, event: T) -> bool:
        assert self.where is not None
        try:
            return bool(self.where(event))
        except Exception as exc:
            self.topic.report(exc)
            return False

    async def _drain(self) -> None:
        try:
            while self.queue:
                event, done = self.queue.popleft()
                try:
                    await self.fn(event)  # type: ignore[misc]
                except Exception as exc:
                    self.topic.report(exc)
                finally:
                    if done is not None:
                        done.set()
        finally:
            self.draining = False


class Topic(Generic[T]):
    """One typed event stream of the bus."""

    __slots__ = (
        "_error_sink",
        "_routes",
        "_subject",
        "_subscriptions",
        "has_listeners",
        "name",
        "waits",
    )

    def __init__(self, name: str, error_sink: ErrorSink | None = None) -> None:
        self.name = name
        self._subscriptions: tuple[_Subscription[T], ...] = ()
        self._subject: Subject[T] | None = None
        self._error_sink = error_sink
        # the subscriptions each event type reaches, when some listen to given kinds only
        self._routes: dict[type, tuple[_Subscription[T], ...]] | None = None
        # True when publishing would reach anyone: publishers check it before building events
        self.has_listeners = False
        # True when an async listener is subscribed: only then does emit differ from publish
        self.waits = False

    def _recount(self) -> None:
        self.has_listeners = bool(self._subscriptions) or self._subject is not None
        self.waits = any(subscription.is_async for subscription in self._subscriptions)
        routed = any(subscription.kinds is not None for subscription in self._subscriptions)
        self._routes = {} if routed else None

    def _route(self, kind: type) -> tuple[_Subscription[T], ...]:
        """The subscriptions an event of `kind` reaches, in subscription order (kept)."""
        assert self._routes is not None
        route = self._routes[kind] = tuple(
            s for s in self._subscriptions if s.kinds is None or issubclass(kind, s.kinds)
        )
        return route

    @property
    def observable(self) -> Observable[T]:
        if self._subject is None:
            self._subject = Subject()
            self._recount()
        return self._subject

    def subscribe(
        self,
        fn: Listener[T],
        where: Predicate[T] | None = None,
        *,
        kinds: tuple[type, ...] | None = None,
    ) -> Unsubscribe:
        """Call `fn` for every event (matching `where`; of `kinds` only, when given: the others
        skip it without a call); returns the unsubscribe function."""
        if not callable(fn):
            raise TypeError(f"topic {self.name}: listener must be callable, got {fn!r}")
        if kinds is not None and not all(isinstance(kind, type) for kind in kinds):
            raise TypeError(f"topic {self.name}: kinds must be classes, got {kinds!r}")
        subscription = _Subscription(self, fn, where, kinds)
        self._subscriptions = (*self._subscriptions, subscription)
        self._recount()

        def unsubscribe() -> None:
            self._subscriptions = tuple(s for s in self._subscriptions if s is not subscription)
            self._recount()

        return unsubscribe

    def subscribe_once(self, where: Predicate[T], fn: Listener[T]) -> Unsubscribe:
        """Deliver the first event matching `where` to `fn`, then unsubscribe."""
        fired = False
        unsubscribe: Unsubscribe = lambda: None  # noqa: E731 - replaced right below

        def first(event: T) -> bool:
            nonlocal fired
            if fired or not where(event):
                return False
            fired = True
            unsubscribe()
            return True

        if _is_async(fn):

            async def once_async(event: T) -> None:
                if first(event):
                    await fn(event)  # type: ignore[misc]

            unsubscribe = self.subscribe(once_async)
        else:

            def once(event: T) -> None:
                if first(event):
                    fn(event)

            unsubscribe = self.subscribe(once)
        return unsubscribe

    def reaches(self, kind: type) -> bool:
        """Whether an event of `kind` would reach a listener or observer (a publisher may then
        skip building it)."""
        if self._subject is not None:
            return True
        routes = self._routes
        if routes is None:
            return bool(self._subscriptions)
        route = routes.get(kind)
        return bool(self._route(kind) if route is None else route)

    def publish(self, event: T, kind: type | None = None) -> None:
        """Deliver to every listener in subscription order; async listeners are queued. `kind`
        (default: the event's type) is what listeners subscribed to `kinds` are matched on."""
        routes = self._routes
        if routes is None:
            subscriptions = self._subscriptions
        else:  # some listen to given kinds: the route of this event's kind
            kind = kind or type(event)
            route = routes.get(kind)
            subscriptions = self._route(kind) if route is None else route
        for subscription in subscriptions:
            if subscription.plain:
                try:
                    subscription.fn(event)
                except Exception as exc:
                    self.report(exc)
            else:
                subscription.deliver(event)
        if self._subject is not None:
            self._notify_observers(event)

    async def emit(self, event: T, kind: type | None = None) -> None:
        """Like publish, but returns only once every listener has handled this event."""
        routes = self._routes
        if routes is None:
            subscriptions = self._subscriptions
        else:
            kind = kind or type(event)
            route = routes.get(kind)
            subscriptions = self._route(kind) if route is None else route
        for subscription in subscriptions:
            if subscription.plain:
                try:
                    subscription.fn(event)
                except Exception as exc:
                    self.report(exc)
            elif subscription.is_async:
                await subscription.deliver_and_wait(event)
            else:
                subscription.deliver(event)
        if self._subject is not None:
            self._notify_observers(event)

    def _notify_observers(self, event: T) -> None:
        # a raising reactivex observer is a failing listener: report it, never raise
        assert self._subject is not None
        try:
            self._subject.on_next(event)
        except Exception as exc:
            self.report(exc)

    def report(self, exc: BaseException) -> None:
        """A listener raised: publish to the error topic, never to the publisher."""
        if self._error_sink is None:
            _log.error("listener_failed", topic=self.name, error=repr(exc))
            return
        self._error_sink(exc)

    def clear(self) -> None:
        self._subscriptions = ()
        if self._subject is not None:
            self._subject.on_completed()
            self._subject = None
        self._recount()
