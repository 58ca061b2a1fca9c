"""The progress-bar plugin (adapters/progress.py) on the hand-made market."""

from __future__ import annotations

import io
from typing import Any

import anyio
from hand_market import planned, register_market
from rich.console import Console

from backtestkit.actors import Backtest, Walker, add_strategy, add_walker
from backtestkit.adapters.progress import ProgressBars, progress_wanted
from backtestkit.bus import topics

FRAMES = 141  # frame "f": minutes 10 .. 150, both ends included


def _bars(**kwargs: Any) -> tuple[ProgressBars, io.StringIO]:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100, color_system=None)
    return ProgressBars(console=console, enabled=True, **kwargs), out


def test_backtest_bar_follows_progress_events() -> None:
    register_market()
    bars, out = _bars()
    with bars:
        Backtest.run_sync("AAA", strategy="plan", exchange="hand", frame="f")
    [task] = bars.progress.tasks
    assert task.description.strip() == "plan AAA"
    assert (task.completed, task.total) == (FRAMES, FRAMES)
    text = out.getvalue()
    assert "100%" in text and "frames/s" in text and "took 0:00:0" in text
    assert not topics.progress_backtest.has_listeners  # unsubscribed on exit


def test_walker_bars_one_per_strategy_and_the_best() -> None:
    register_market()
    add_strategy("plan-2", interval="5m", get_signal=planned)  # fewer calls: other trades
    add_walker("w", strategies=["plan", "plan-2"], exchange="hand", frame="f", metric="total_pnl")
    bars, out = _bars()
    bars.track_walker("AAA", "w", ["plan", "plan-2"])

    async def walk() -> None:
        async for _ in Walker.run("AAA", walker="w"):
            pass

    with bars:
        anyio.run(walk)
    overall, *strategies = bars.progress.tasks
    assert (overall.completed, overall.total) == (2, 2)
    best = Walker.get_data("AAA", "w")
    assert overall.fields["best"] == f"best {best.best_strategy} {best.best_metric:.4g}"
    assert [t.description.strip() for t in strategies] == ["plan AAA", "plan-2 AAA"]
    assert all(t.completed == t.total == FRAMES for t in strategies)
    assert "2/2" in out.getvalue() and f"best {best.best_strategy}" in out.getvalue()


def test_walker_result_completes_a_bar_without_progress_events() -> None:
    """Out-of-process backtests publish no progress here: the result completes the bar."""
    bars, _ = _bars()
    bars.track_walker("AAA", "w", ["plan"])

    class Contract:
        symbol, walker_name, strategy_name = "AAA", "w", "plan"
        best_strategy, best_metric, metric = "plan", None, "sharpe_ratio"

    bars.on_walker_result(Contract())
    task = bars.progress.tasks[1]
    assert task.total == task.completed == 1
    assert bars.progress.tasks[0].fields["best"] == "best plan N/A"


def test_disabled_bars_subscribe_nothing() -> None:
    register_market()
    with ProgressBars(enabled=False) as bars:
        assert not topics.progress_backtest.has_listeners
        Backtest.run_sync("AAA", strategy="plan", exchange="hand", frame="f")
    assert bars.progress.tasks == []


def test_progress_wanted_only_on_a_terminal_and_not_quiet() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert progress_wanted(stream=Tty())
    assert not progress_wanted(stream=Tty(), quiet=True)
    assert not progress_wanted(stream=io.StringIO())
