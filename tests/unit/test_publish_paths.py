"""A result goes to a topic with no async listener by `publish` (no coroutine), and with one by
`emit` (awaited before the run goes on): `Topic.waits` says which, and follows subscriptions
made while the run publishes (issue 29)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import anyio
from flat_market import MIN, SYMBOL, T0, flat_market

from backtestkit.actors import Backtest, Signal, add_exchange, add_frame, add_strategy
from backtestkit.bus import Topic, topics


def test_waits_follows_async_subscriptions() -> None:
    topic: Topic[int] = Topic("t")
    assert (topic.has_listeners, topic.waits) == (False, False)
    drop_sync = topic.subscribe(lambda event: None)
    assert (topic.has_listeners, topic.waits) == (True, False)

    async def slow(event: int) -> None:
        await anyio.sleep(0)

    drop_async = topic.subscribe(slow)
    assert topic.waits is True
    drop_async()
    assert (topic.has_listeners, topic.waits) == (True, False)
    drop_sync()
    assert (topic.has_listeners, topic.waits) == (False, False)


def test_an_async_listener_subscribed_mid_run_is_awaited_for_every_later_result() -> None:
    """Signals at minutes 0 and 10 (10-minute lifetime, flat price: both expire). A sync
    transition listener subscribes an async one on the first `opened`; from the next result
    on, each is awaited in full before the next one is published."""
    calls: list[tuple[str, str, int]] = []

    def get_signal(symbol: str, when: datetime) -> Signal | None:
        minute = (round(when.timestamp() * 1000) - T0) // MIN
        if minute in (0, 10):
            return Signal("long", 102.0, 98.0, 10)
        return None

    async def slow(result: Any) -> None:
        calls.append(("async-start", result.action, result.signal.pending_at))
        await anyio.sleep(0.001)
        calls.append(("async-end", result.action, result.signal.pending_at))

    def first(result: Any) -> None:
        calls.append(("sync", result.action, result.signal.pending_at))
        if len(calls) == 1:
            topics.transition.subscribe(slow)

    topics.transition.subscribe(first)
    add_exchange("x", candles=flat_market(minutes=120))
    add_frame("f", start=T0, end=T0 + 29 * MIN)
    add_strategy("s", interval="1m", get_signal=get_signal)
    closed = Backtest.run_sync(SYMBOL, strategy="s", exchange="x", frame="f")
    assert [result.signal.pending_at for result in closed] == [T0, T0 + 10 * MIN]
    first_at, second_at = T0, T0 + 10 * MIN
    assert calls == [
        ("sync", "opened", first_at),
        ("sync", "closed", first_at),
        ("async-start", "closed", first_at),
        ("async-end", "closed", first_at),
        ("sync", "opened", second_at),
        ("async-start", "opened", second_at),
        ("async-end", "opened", second_at),
        ("sync", "closed", second_at),
        ("async-start", "closed", second_at),
        ("async-end", "closed", second_at),
    ]
