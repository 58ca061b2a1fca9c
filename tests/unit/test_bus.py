"""The typed bus: ordering, filters, async queues, error routing, once, reactivex, helpers."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import anyio
import pytest
from reactivex import operators as ops

from backtestkit import bus
from backtestkit.actors.reports import BacktestStatistics
from backtestkit.bus import (
    Bus,
    Closed,
    DoneEvent,
    Idle,
    Pnl,
    SignalRow,
    Topic,
    listen_signal,
    listen_signal_once,
    topics,
)

SYMBOL = "BTCUSDT"


def idle(price: float = 100.0, symbol: str = SYMBOL) -> Idle:
    return Idle(
        symbol=symbol,
        strategy_name="s",
        exchange_name="x",
        current_price=price,
        backtest=True,
    )


def signal_row() -> SignalRow:
    return SignalRow(
        id="sig-1",
        position="long",
        price_open=100.0,
        price_take_profit=110.0,
        price_stop_loss=95.0,
        minute_estimated_time=60,
        note="n",
        scheduled_at=1_704_067_200_000,
        pending_at=1_704_067_260_000,
        symbol=SYMBOL,
        exchange_name="x",
        strategy_name="s",
        is_scheduled=False,
    )


def closed() -> Closed:
    return Closed(
        symbol=SYMBOL,
        strategy_name="s",
        exchange_name="x",
        current_price=110.0,
        backtest=True,
        signal=signal_row(),
        close_reason="take_profit",
        close_timestamp=1_704_067_680_000,
        pnl=Pnl(pnl_percentage=9.5, price_open=100.0, price_close=110.0),
    )


def collect_errors(on: Bus = topics) -> list[BaseException]:
    errors: list[BaseException] = []
    on.error.subscribe(errors.append)
    return errors


# -- sync listeners -------------------------------------------------------------------------


def test_sync_listeners_run_in_subscription_order() -> None:
    calls: list[tuple[str, int]] = []
    for name in ("a", "b", "c"):
        topics.signal.subscribe(lambda event, name=name: calls.append((name, event)))
    topics.signal.publish(1)
    topics.signal.publish(2)
    assert calls == [("a", 1), ("b", 1), ("c", 1), ("a", 2), ("b", 2), ("c", 2)]


def test_where_filters_events() -> None:
    got: list[int] = []
    topics.signal.subscribe(got.append, where=lambda event: event % 2 == 0)
    for event in range(6):
        topics.signal.publish(event)
    assert got == [0, 2, 4]


def test_kinds_deliver_only_those_result_types_in_subscription_order() -> None:
    calls: list[tuple[str, str]] = []
    topics.transition.subscribe(lambda e: calls.append(("closed-only", e.action)), kinds=(Closed,))
    topics.transition.subscribe(lambda e: calls.append(("all", e.action)))
    topics.transition.subscribe(lambda e: calls.append(("idle-only", e.action)), kinds=(Idle,))
    topics.transition.publish(idle())
    topics.transition.publish(closed())
    unsubscribe = topics.transition.subscribe(
        lambda e: calls.append(("late", e.action)), kinds=(Idle, Closed)
    )
    topics.transition.publish(idle())
    unsubscribe()
    topics.transition.publish(closed())
    assert calls == [
        ("all", "idle"),
        ("idle-only", "idle"),
        ("closed-only", "closed"),
        ("all", "closed"),
        ("all", "idle"),
        ("idle-only", "idle"),
        ("late", "idle"),
        ("closed-only", "closed"),
        ("all", "closed"),
    ]


@pytest.mark.anyio
async def test_kinds_apply_to_emit_and_async_listeners() -> None:
    seen: list[str] = []

    async def closes(event: Closed) -> None:
        seen.append(event.action)

    topics.transition.subscribe(closes, kinds=(Closed,))
    await topics.transition.emit(idle())
    await topics.transition.emit(closed())
    assert seen == ["closed"]


def opened(scheduled_at: int) -> bus.Opened:
    row = dataclasses.replace(signal_row(), scheduled_at=scheduled_at)
    return bus.Opened(
        symbol=SYMBOL,
        strategy_name="s",
        exchange_name="x",
        current_price=100.0,
        backtest=False,
        signal=row,
    )


def test_an_activation_reaches_opened_and_activation_listeners_an_open_only_the_first() -> None:
    got: list[tuple[str, int]] = []
    topics.transition.subscribe(
        lambda e: got.append(("activations", e.signal.scheduled_at)), kinds=(bus.Activation,)
    )
    topics.transition.subscribe(
        lambda e: got.append(("opens", e.signal.scheduled_at)), kinds=(bus.Opened,)
    )
    topics.transition.publish(opened(1))  # an immediate entry
    topics.transition.publish(opened(2), bus.Activation)  # a scheduled signal's activation
    assert got == [("opens", 1), ("activations", 2), ("opens", 2)]


def test_reaches_tells_whether_anyone_receives_a_kind() -> None:
    transition = Bus().transition
    assert not transition.reaches(bus.Opened)
    unsubscribe = transition.subscribe(print, kinds=(Closed, bus.Activation))
    assert transition.reaches(Closed) and transition.reaches(bus.Activation)
    assert not transition.reaches(bus.Opened) and not transition.reaches(Idle)
    transition.subscribe(print, kinds=(bus.Opened,))
    assert transition.reaches(bus.Opened)
    unsubscribe()
    assert not transition.reaches(Closed)
    observed = Bus().transition
    observed.observable.subscribe(print)
    assert observed.reaches(Idle)


def test_kinds_must_be_classes() -> None:
    with pytest.raises(TypeError, match="topic transition: kinds must be classes"):
        topics.transition.subscribe(print, kinds=("closed",))  # type: ignore[arg-type]


def test_where_that_raises_goes_to_error_topic_and_skips_listener() -> None:
    errors = collect_errors()
    got: list[int] = []
    boom = ZeroDivisionError("bad filter")

    def where(event: int) -> bool:
        raise boom

    topics.signal.subscribe(got.append, where=where)
    topics.signal.publish(1)
    assert got == []
    assert errors == [boom]


def test_unsubscribe_stops_delivery() -> None:
    got: list[int] = []
    unsubscribe = topics.signal.subscribe(got.append)
    topics.signal.publish(1)
    unsubscribe()
    topics.signal.publish(2)
    unsubscribe()  # a second call is harmless
    topics.signal.publish(3)
    assert got == [1]
    assert not topics.signal.has_listeners


def test_unsubscribe_removes_only_that_listener() -> None:
    first: list[int] = []
    second: list[int] = []
    unsubscribe_first = topics.signal.subscribe(first.append)
    topics.signal.subscribe(second.append)
    unsubscribe_first()
    topics.signal.publish(7)
    assert first == []
    assert second == [7]


def test_subscribe_rejects_non_callable() -> None:
    with pytest.raises(TypeError, match="signal"):
        topics.signal.subscribe(42)  # type: ignore[arg-type]


def test_sync_listener_that_raises_is_reported_and_later_listeners_run() -> None:
    errors = collect_errors()
    calls: list[str] = []
    boom = RuntimeError("listener failed")

    def bad(event: object) -> None:
        calls.append("bad")
        raise boom

    topics.signal.subscribe(lambda event: calls.append("before"))
    topics.signal.subscribe(bad)
    topics.signal.subscribe(lambda event: calls.append("after"))
    topics.signal.publish(idle())  # must not raise
    assert calls == ["before", "bad", "after"]
    assert errors == [boom]


def test_error_topic_listener_failure_does_not_recurse() -> None:
    def bad(exc: BaseException) -> None:
        raise RuntimeError("error listener failed too")

    topics.error.subscribe(bad)
    topics.error.publish(ValueError("x"))  # logged, not raised, no infinite loop


# -- async listeners ------------------------------------------------------------------------


@pytest.mark.anyio
async def test_async_listener_runs_one_at_a_time_in_publish_order() -> None:
    log: list[tuple[str, int]] = []

    async def slow(event: int) -> None:
        log.append(("start", event))
        await anyio.sleep(0.002 if event % 2 else 0.0)
        log.append(("end", event))

    topics.signal.subscribe(slow)
    for event in range(20):
        topics.signal.publish(event)  # returns at once; the listener is queued
    with anyio.fail_after(5):
        await topics.signal.emit(20)  # waits for this event, so for every earlier one
    expected = [(edge, event) for event in range(21) for edge in ("start", "end")]
    assert log == expected


@pytest.mark.anyio
async def test_two_async_listeners_each_see_every_event_in_order() -> None:
    seen: dict[str, list[int]] = {"a": [], "b": []}

    def make(name: str) -> Any:
        async def listener(event: int) -> None:
            await anyio.sleep(0)
            seen[name].append(event)

        return listener

    topics.signal.subscribe(make("a"))
    topics.signal.subscribe(make("b"))
    for event in range(10):
        topics.signal.publish(event)
    with anyio.fail_after(5):
        await topics.signal.emit(10)
    assert seen == {"a": list(range(11)), "b": list(range(11))}


@pytest.mark.anyio
async def test_emit_awaits_async_listeners_in_subscription_order() -> None:
    calls: list[str] = []

    async def slow(event: int) -> None:
        calls.append("async-start")
        await anyio.sleep(0.01)
        calls.append("async-end")

    topics.signal.subscribe(lambda event: calls.append("sync-1"))
    topics.signal.subscribe(slow)
    topics.signal.subscribe(lambda event: calls.append("sync-2"))
    await topics.signal.emit(1)
    assert calls == ["sync-1", "async-start", "async-end", "sync-2"]


@pytest.mark.anyio
async def test_emit_respects_where_for_async_listeners() -> None:
    got: list[int] = []

    async def listener(event: int) -> None:
        got.append(event)

    topics.signal.subscribe(listener, where=lambda event: event > 1)
    for event in range(4):
        await topics.signal.emit(event)
    assert got == [2, 3]


@pytest.mark.anyio
async def test_async_listener_that_raises_is_reported_and_later_listeners_run() -> None:
    errors = collect_errors()
    calls: list[str] = []
    boom = RuntimeError("async listener failed")

    async def bad(event: object) -> None:
        calls.append("bad")
        raise boom

    async def good(event: object) -> None:
        calls.append("good")

    topics.signal.subscribe(bad)
    topics.signal.subscribe(good)
    await topics.signal.emit(idle())  # must not raise
    assert calls == ["bad", "good"]
    assert errors == [boom]
    # the failing listener stays subscribed and keeps its queue working
    await topics.signal.emit(idle())
    assert calls == ["bad", "good", "bad", "good"]
    assert errors == [boom, boom]


@pytest.mark.anyio
async def test_published_async_failure_reaches_error_topic() -> None:
    errors = collect_errors()
    boom = KeyError("published")

    async def bad(event: int) -> None:
        if event == 0:
            raise boom

    topics.signal.subscribe(bad)
    topics.signal.publish(0)  # no exception here
    with anyio.fail_after(5):
        await topics.signal.emit(1)
    assert errors == [boom]


def test_async_listener_published_outside_an_event_loop_runs_to_completion() -> None:
    got: list[int] = []

    async def listener(event: int) -> None:
        await anyio.sleep(0)
        got.append(event)

    topics.signal.subscribe(listener)
    topics.signal.publish(5)
    assert got == [5]


# -- once -----------------------------------------------------------------------------------


def test_listen_once_fires_exactly_once_for_first_match() -> None:
    got: list[int] = []
    listen_signal_once(lambda event: event >= 3, got.append)
    for event in (1, 2, 3, 4, 3, 5):
        topics.signal.publish(event)
    assert got == [3]
    assert not topics.signal.has_listeners


def test_listen_once_unsubscribe_before_match() -> None:
    got: list[int] = []
    unsubscribe = listen_signal_once(lambda event: True, got.append)
    unsubscribe()
    topics.signal.publish(1)
    assert got == []


def test_listen_once_ignores_events_republished_from_its_own_handler() -> None:
    got: list[int] = []

    def handler(event: int) -> None:
        got.append(event)
        topics.signal.publish(event + 1)

    listen_signal_once(lambda event: True, handler)
    topics.signal.publish(1)
    assert got == [1]


@pytest.mark.anyio
async def test_listen_once_with_async_handler() -> None:
    got: list[int] = []
    done = anyio.Event()

    async def handler(event: int) -> None:
        await anyio.sleep(0)
        got.append(event)
        done.set()

    listen_signal_once(lambda event: event == 2, handler)
    for event in range(5):
        topics.signal.publish(event)
    with anyio.fail_after(5):
        await done.wait()
    assert got == [2]


# -- reactivex ------------------------------------------------------------------------------


def test_observable_delivers_through_reactivex_operators() -> None:
    seen: list[float] = []
    topics.signal.observable.pipe(
        ops.filter(lambda event: event.current_price > 100),
        ops.map(lambda event: event.current_price * 2),
    ).subscribe(seen.append)
    for price in (99.0, 101.0, 100.0, 150.5):
        topics.signal.publish(idle(price))
    assert seen == [202.0, 301.0]


def test_observable_sees_emitted_events_after_listeners() -> None:
    order: list[str] = []
    topics.signal.subscribe(lambda event: order.append("listener"))
    topics.signal.observable.subscribe(lambda event: order.append("observer"))
    topics.signal.publish(1)
    anyio.run(topics.signal.emit, 2)
    assert order == ["listener", "observer", "listener", "observer"]


def test_observable_observer_that_raises_goes_to_error_topic() -> None:
    errors = collect_errors()
    boom = RuntimeError("observer failed")

    def bad(event: object) -> None:
        raise boom

    topics.signal.observable.subscribe(bad)
    topics.signal.publish(1)  # must not raise
    assert errors == [boom]


def test_has_listeners() -> None:
    topic = topics.signal_live
    assert not topic.has_listeners
    unsubscribe = topic.subscribe(lambda event: None)
    assert topic.has_listeners
    unsubscribe()
    assert not topic.has_listeners
    _ = topic.observable
    assert topic.has_listeners
    topics.clear()
    assert not topic.has_listeners


def test_clear_completes_observers_and_drops_listeners() -> None:
    completed: list[bool] = []
    got: list[int] = []
    topics.signal.subscribe(got.append)
    topics.signal.observable.subscribe(on_completed=lambda: completed.append(True))
    topics.clear()
    topics.signal.publish(1)
    assert got == []
    assert completed == [True]


# -- buses ----------------------------------------------------------------------------------


def test_separate_buses_do_not_share_listeners() -> None:
    first, second = Bus(), Bus()
    got_first: list[int] = []
    got_default: list[int] = []
    first.signal.subscribe(got_first.append)
    topics.signal.subscribe(got_default.append)
    second.signal.publish(1)
    first.signal.publish(2)
    topics.signal.publish(3)
    assert got_first == [2]
    assert got_default == [3]


def test_bus_errors_stay_on_their_own_bus() -> None:
    own = Bus()
    own_errors = collect_errors(own)
    default_errors = collect_errors()
    boom = RuntimeError("x")

    def bad(event: object) -> None:
        raise boom

    own.signal.subscribe(bad)
    own.signal.publish(1)
    assert own_errors == [boom]
    assert default_errors == []


def test_bus_has_every_topic_of_the_spec() -> None:
    names = {topic.name for topic in Bus().all()}
    assert names == {
        "error", "exit", "validation", "signal", "signal_backtest", "signal_live",
        "done_backtest", "done_live", "done_walker", "progress_backtest", "progress_walker",
        "walker", "walker_complete", "walker_stop", "performance", "partial_profit",
        "partial_loss", "risk", "transition",
    }  # fmt: skip
    assert all(isinstance(topic, Topic) for topic in Bus().all())


API_HELPERS = [
    "listen_signal", "listen_signal_backtest", "listen_signal_live",
    "listen_error", "listen_exit", "listen_validation",
    "listen_done_backtest", "listen_done_live", "listen_done_walker",
    "listen_progress_backtest", "listen_progress_walker",
    "listen_walker", "listen_walker_complete", "listen_performance",
    "listen_partial_profit", "listen_partial_loss", "listen_risk",
]  # fmt: skip


@pytest.mark.parametrize("helper", API_HELPERS)
def test_listen_helper_subscribes_on_default_bus(helper: str) -> None:
    topic: Topic[Any] = getattr(topics, helper.removeprefix("listen_"))
    event = object()
    got: list[object] = []
    unsubscribe = getattr(bus, helper)(got.append)
    topic.publish(event)
    unsubscribe()
    topic.publish(object())
    assert got == [event]


@pytest.mark.parametrize("helper", API_HELPERS)
def test_listen_once_helper_subscribes_on_default_bus(helper: str) -> None:
    topic: Topic[Any] = getattr(topics, helper.removeprefix("listen_"))
    first, second = object(), object()
    got: list[object] = []
    getattr(bus, helper + "_once")(lambda event: True, got.append)
    topic.publish(first)
    topic.publish(second)
    assert got == [first]


def test_listen_helper_where_argument() -> None:
    got: list[int] = []
    listen_signal(got.append, where=lambda event: event > 1)
    for event in range(4):
        topics.signal.publish(event)
    assert got == [2, 3]


# -- result dataclasses ---------------------------------------------------------------------


def test_closed_to_dict_is_plain_and_snake_case() -> None:
    result = closed().to_dict()
    assert result == {
        "action": "closed",
        "symbol": SYMBOL,
        "strategy_name": "s",
        "exchange_name": "x",
        "current_price": 110.0,
        "backtest": True,
        "signal": {
            "id": "sig-1",
            "position": "long",
            "price_open": 100.0,
            "price_take_profit": 110.0,
            "price_stop_loss": 95.0,
            "minute_estimated_time": 60,
            "note": "n",
            "scheduled_at": 1_704_067_200_000,
            "pending_at": 1_704_067_260_000,
            "symbol": SYMBOL,
            "exchange_name": "x",
            "strategy_name": "s",
            "is_scheduled": False,
        },
        "close_reason": "take_profit",
        "close_timestamp": 1_704_067_680_000,
        "pnl": {"pnl_percentage": 9.5, "price_open": 100.0, "price_close": 110.0},
    }
    assert json.loads(json.dumps(result)) == result


def _keys(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [k for key, item in value.items() for k in (key, *_keys(item))]
    if isinstance(value, list):
        return [k for item in value for k in _keys(item)]
    return []


def test_statistics_and_events_to_dict() -> None:
    stats = BacktestStatistics(
        signal_list=(closed(),),
        total_signals=1,
        win_count=1,
        loss_count=0,
        win_rate=100.0,
        avg_pnl=9.5,
        total_pnl=9.5,
        std_dev=None,
        sharpe_ratio=None,
        annualized_sharpe_ratio=None,
        certainty_ratio=None,
        expected_yearly_returns=None,
        max_drawdown=0.0,
        total_trades=1,
    )
    as_dict = stats.to_dict()
    assert isinstance(as_dict["signal_list"], list)
    assert as_dict["signal_list"][0] == closed().to_dict()
    assert as_dict["std_dev"] is None
    assert json.loads(json.dumps(as_dict)) == as_dict
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", key) for key in _keys(as_dict))

    done = DoneEvent(exchange_name="x", strategy_name="s", backtest=True, symbol=SYMBOL)
    assert done.to_dict() == {
        "exchange_name": "x",
        "strategy_name": "s",
        "backtest": True,
        "symbol": SYMBOL,
    }
    assert idle().to_dict()["signal"] is None


def test_results_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        closed().symbol = "ETHUSDT"  # type: ignore[misc]


def test_exceptions_serialise_as_type_and_message() -> None:
    assert bus.plain(ValueError("bad")) == {"type": "ValueError", "message": "bad"}
