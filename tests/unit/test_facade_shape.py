"""One facade shape (issue 30): `background` and `run_sync` take exactly their mode's `run`
parameters (API.md: `X.background(symbol, **same)`), the background lifecycle is the same in
every mode, and the tick results keep the field order they serialize with.

Live market: the flat market (every price 100) from T0 - 10 min; a strategy that never signals,
ticking on a VirtualClock from T0 (ticks every 60 001 ms); `stop_at` = T0 + 3 min ends the run
at its first tick at or after it (tick 3, SPEC 11 + `Live.run`), so the run ends by itself.
"""

from __future__ import annotations

import inspect
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import pytest
from flat_market import MIN, SYMBOL, T0, flat_market

from backtestkit.actors import (
    Backtest,
    Live,
    Portfolio,
    VirtualClock,
    Walker,
    add_exchange,
    add_strategy,
)
from backtestkit.bus import (
    Active,
    Cancelled,
    Closed,
    DoneEvent,
    Idle,
    Opened,
    Pnl,
    Scheduled,
    SignalRow,
    listen_done_live,
)

MODES: list[tuple[str, Any, list[str]]] = [
    ("Backtest", Backtest, ["background", "run_sync"]),
    ("Live", Live, ["background"]),
    ("Walker", Walker, ["background"]),
    ("Portfolio", Portfolio, ["background", "run_sync"]),
]


@pytest.mark.parametrize(("name", "mode", "methods"), MODES, ids=[m[0] for m in MODES])
def test_background_and_run_sync_take_runs_parameters(
    name: str, mode: Any, methods: list[str]
) -> None:
    run = inspect.signature(mode.run)
    for method in methods:
        made = inspect.signature(getattr(mode, method))
        assert list(made.parameters.values()) == list(run.parameters.values()), method
        assert getattr(mode, method).__name__ == method
        assert getattr(mode, method).__doc__


def test_a_misspelled_keyword_is_refused_before_anything_starts() -> None:
    with pytest.raises(TypeError, match="frame"):
        Backtest.background("BTCUSDT", strategy="s", exchange="e", frme="f")  # type: ignore[call-arg]
    assert Backtest.list() == []


def never(symbol: str, when: datetime) -> None:
    return None


async def live_background(state_dir: Path, **options: Any) -> list[DoneEvent]:
    """Live.background until its done_live event; every done_live event seen by then."""
    add_exchange("flat", candles=flat_market())
    add_strategy("idle", interval="1m", get_signal=never)
    done = anyio.Event()
    events: list[DoneEvent] = []

    def on_done(event: DoneEvent) -> None:
        events.append(event)
        done.set()

    listen_done_live(on_done)
    with anyio.fail_after(10):
        Live.background(
            SYMBOL,
            strategy="idle",
            exchange="flat",
            clock=VirtualClock(T0),
            state_dir=state_dir,
            stop_at=T0 + 3 * MIN,
            **options,
        )
        await done.wait()
        while Live.list()[0].status == "pending":
            await anyio.sleep(0.01)
    return events


@pytest.mark.anyio
async def test_live_background_records_by_default(tmp_path: Path) -> None:
    events = await live_background(tmp_path)
    assert events == [
        DoneEvent(exchange_name="flat", strategy_name="idle", backtest=False, symbol=SYMBOL)
    ]
    assert [s.status for s in Live.list()] == ["fulfilled"]
    assert (tmp_path / "recording" / f"{SYMBOL}_idle.rec").is_file()


@pytest.mark.anyio
async def test_live_background_takes_record_false(tmp_path: Path) -> None:
    """`record` is a `Live.run` parameter, so `Live.background` takes it too (it did not)."""
    events = await live_background(tmp_path, record=False)
    assert [e.strategy_name for e in events] == ["idle"]
    assert [s.status for s in Live.list()] == ["fulfilled"]
    assert not (tmp_path / "recording").exists()


ROW = SignalRow(
    id="s1",
    position="long",
    price_open=100.0,
    price_take_profit=110.0,
    price_stop_loss=90.0,
    minute_estimated_time=60,
    note="",
    scheduled_at=T0,
    pending_at=T0,
    symbol=SYMBOL,
    exchange_name="flat",
    strategy_name="idle",
    is_scheduled=False,
)
SHARED = ["action", "symbol", "strategy_name", "exchange_name", "current_price", "backtest"]
COMMON = {
    "symbol": SYMBOL,
    "strategy_name": "idle",
    "exchange_name": "flat",
    "current_price": 100.0,
    "backtest": True,
}


def test_tick_results_keep_their_serialized_field_order() -> None:
    """API.md's order: action, the five shared fields, signal, then each result's own."""
    pnl = Pnl(pnl_percentage=1.0, price_open=100.0, price_close=101.0)
    results = [
        (Idle(**COMMON), ["signal"]),
        (Scheduled(**COMMON, signal=ROW), ["signal"]),
        (Opened(**COMMON, signal=ROW), ["signal"]),
        (Active(**COMMON, signal=ROW), ["signal", "percent_tp", "percent_sl"]),
        (
            Closed(
                **COMMON,
                signal=ROW,
                close_reason="take_profit",
                close_timestamp=T0 + MIN,
                pnl=pnl,
            ),
            ["signal", "close_reason", "close_timestamp", "pnl"],
        ),
        (Cancelled(**COMMON, signal=ROW, close_timestamp=T0 + MIN), ["signal", "close_timestamp"]),
    ]
    actions = ["idle", "scheduled", "opened", "active", "closed", "cancelled"]
    for (result, own), action in zip(results, actions, strict=True):
        assert list(result.to_dict()) == SHARED + own
        assert result.action == action
    assert Idle(**COMMON).signal is None
    assert Closed(**COMMON, signal=ROW, close_reason="stop_loss", close_timestamp=1, pnl=pnl) != (
        Cancelled(**COMMON, signal=ROW, close_timestamp=1)
    )
