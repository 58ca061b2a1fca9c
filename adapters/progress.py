"""Progress bars as a bus plugin: rich bars fed by `progress_backtest`, `progress_walker` and
`walker` events (frames/s and ETA per backtest; per walker, one bar per strategy, the overall
bar and the best strategy so far).

    with ProgressBars():                      # shown only on a terminal (sys.stderr.isatty())
        Backtest.run_sync("BTCUSD", strategy="sma-cross", exchange="bitstamp", frame="aug")

Nothing is subscribed when the bars are disabled, so a run without a terminal pays nothing.
Events of backtests that run in other processes (walker `workers=N` / `dask=`) stay there: their
strategy bars jump to done when the strategy's result arrives.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
)
from rich.table import Column
from rich.text import Text

from backtestkit.bus import BacktestProgress, Bus, Unsubscribe, WalkerProgressEvent, current_bus

__all__ = ["CountColumn", "EtaColumn", "ProgressBars", "RateColumn", "progress_wanted"]


def progress_wanted(*, quiet: bool = False, stream: Any = None) -> bool:
    """True when bars should show: not quiet and the stream (default stderr) is a terminal."""
    target = stream if stream is not None else sys.stderr
    isatty = getattr(target, "isatty", None)
    return not quiet and callable(isatty) and bool(isatty())


class RateColumn(ProgressColumn):
    """Frames per second of a backtest bar; a walker's bar shows its best strategy instead."""

    def render(self, task: Task) -> Text:
        best = task.fields.get("best")
        if best is not None:
            return Text(str(best), style="progress.data.speed")
        speed = task.finished_speed or task.speed
        shown = "--" if speed is None else f"{speed:,.0f}"
        return Text(f"{shown} frames/s", style="progress.data.speed")


class CountColumn(ProgressColumn):
    """Percent done of a backtest bar, `tested/total` of a walker's bar."""

    def render(self, task: Task) -> Text:
        if "best" in task.fields:
            total = "?" if task.total is None else f"{task.total:.0f}"
            return Text(f"{task.completed:.0f}/{total}", style="progress.percentage")
        return Text(f"{task.percentage:>3.0f}%", style="progress.percentage")


class EtaColumn(ProgressColumn):
    """`ETA h:mm:ss` while running, `took h:mm:ss` when done."""

    max_refresh = 0.5

    def render(self, task: Task) -> Text:
        if task.finished:
            return Text(f"took {_clock(task.finished_time)}", style="progress.elapsed")
        return Text(f"ETA {_clock(task.time_remaining)}", style="progress.remaining")


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "-:--:--"
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


class ProgressBars:
    """A context manager that draws the bars while it is open; `enabled=None` means "on a
    terminal" (`progress_wanted()`)."""

    def __init__(
        self,
        *,
        bus: Bus | None = None,
        console: Console | None = None,
        enabled: bool | None = None,
        transient: bool = False,
    ) -> None:
        self.bus = bus if bus is not None else current_bus()
        self.enabled = progress_wanted() if enabled is None else enabled
        self.progress = Progress(
            TextColumn(
                "[progress.description]{task.description}",
                table_column=Column(no_wrap=True, overflow="ellipsis", max_width=28),
            ),
            BarColumn(bar_width=20),
            CountColumn(table_column=Column(no_wrap=True)),
            RateColumn(table_column=Column(no_wrap=True)),
            EtaColumn(table_column=Column(no_wrap=True)),
            console=console if console is not None else Console(stderr=True),
            transient=transient,
            disable=not self.enabled,
        )
        self._backtests: dict[tuple[str, str], TaskID] = {}
        self._walkers: dict[tuple[str, str], TaskID] = {}
        self._unsubscribe: list[Unsubscribe] = []

    def __enter__(self) -> ProgressBars:
        if self.enabled:
            bus = self.bus
            self._unsubscribe = [
                bus.progress_backtest.subscribe(self.on_backtest_progress),
                bus.progress_walker.subscribe(self.on_walker_progress),
                bus.walker.subscribe(self.on_walker_result),
            ]
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        if self.enabled:
            self.progress.stop()

    def track_walker(self, symbol: str, walker: str, strategies: Sequence[str]) -> None:
        """Show the walker's overall bar and one waiting bar per strategy before it starts."""
        overall = self.progress.add_task(f"{walker} {symbol}", total=len(strategies), best="")
        self._walkers[(symbol, walker)] = overall
        for name in strategies:
            self._backtest_task(symbol, name, indent="  ")

    def _backtest_task(self, symbol: str, strategy: str, indent: str = "") -> TaskID:
        key = (symbol, strategy)
        task = self._backtests.get(key)
        if task is None:
            task = self.progress.add_task(f"{indent}{strategy} {symbol}", total=None)
            self._backtests[key] = task
        return task

    def on_backtest_progress(self, event: BacktestProgress) -> None:
        task = self._backtest_task(event.symbol, event.strategy_name)
        self.progress.update(task, total=event.total_frames, completed=event.processed_frames)

    def on_walker_progress(self, event: WalkerProgressEvent) -> None:
        key = (event.symbol, event.walker_name)
        if key not in self._walkers:
            description = f"{event.walker_name} {event.symbol}"
            self._walkers[key] = self.progress.add_task(description, best="")
        task = self._walkers[key]
        self.progress.update(
            task, total=event.total_strategies, completed=event.processed_strategies
        )

    def on_walker_result(self, contract: Any) -> None:
        """A strategy finished: its bar completes and the overall bar names the best so far."""
        symbol, strategy = contract.symbol, contract.strategy_name
        task = self._backtest_task(symbol, strategy)
        total = self.progress.tasks[self._index(task)].total or 1
        self.progress.update(task, total=total, completed=total)
        walker = self._walkers.get((symbol, contract.walker_name))
        if walker is not None:
            value = contract.best_metric
            shown = "N/A" if value is None else f"{value:.4g}"
            best = f"best {contract.best_strategy} {shown}"
            self.progress.update(walker, best=best)

    def _index(self, task: TaskID) -> int:
        return next(i for i, t in enumerate(self.progress.tasks) if t.id == task)
