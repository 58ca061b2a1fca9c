"""The three commands. Each validates everything it can before the run (UsageError, exit 2),
then runs; what fails while running propagates to `main` (exit 1)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from rich.console import Console

from backtestkit.actors import Backtest, Live, Portfolio, Walker
from backtestkit.actors.core import registry, run_blocking
from backtestkit.actors.live import DEFAULT_STATE_DIR, LiveDataStopped
from backtestkit.actors.market import CandleDataError, TableSource
from backtestkit.actors.signal import SignalRejections
from backtestkit.bus import WalkerCompleteEvent, listen_signal_live, listen_walker_complete

from ..progress import ProgressBars, progress_wanted
from ..summary import backtest_summary, walker_summary
from .analyze import analyze
from .arg_groups import passed_on
from .broker_choice import chosen_broker
from .errors import plain_message
from .exchange_sim import exchange_sim_command
from .jsonl import JsonlWriter
from .live_lines import live_line
from .optimize import optimize_command
from .paper import paper_session, run_summary
from .parity import parity_command
from .parser import PROG, UsageError

__all__ = ["COMMANDS", "EXIT_REJECTED", "backtest", "live", "portfolio", "walk"]

EXIT_REJECTED = 3


def _configured(start: Callable[[], AsyncIterator[Any]]) -> AsyncIterator[Any]:
    """Call a facade's eager validation; its ValueError (unknown name...) is a usage error."""
    try:
        return start()
    except (ValueError, ImportError) as exc:
        raise UsageError(plain_message(exc)) from None


def _preflight(exchange: str, symbol: str) -> None:
    """Load a file-backed exchange's candles now: a missing or malformed file is the user's
    configuration, reported before anything runs."""
    source = registry.exchange(exchange).candles
    if isinstance(source, TableSource):
        try:
            source.table(symbol, "1m")
        except (CandleDataError, KeyError, OSError) as exc:
            raise UsageError(plain_message(exc)) from None


def _consume(results: AsyncIterator[Any], jsonl: JsonlWriter, each: Callable[[Any], None]) -> None:
    async def loop() -> None:
        try:
            async for result in results:
                jsonl.write(result)
                each(result)
        finally:
            close = getattr(results, "aclose", None)  # the facades' runs are async generators
            if close is not None:
                await close()

    run_blocking(loop)


def _ignore(_result: Any) -> None:
    return None


def _console(*, stderr: bool) -> Console:
    """Summaries keep their width when piped (rich would fold them at 80 columns)."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, width=None if stream.isatty() else 110)


def _html_reports() -> ModuleType:
    """The HTML writers, imported only when --html asks (they load the chart library)."""
    from .. import reports

    return reports


def _save_reports(
    args: argparse.Namespace,
    console: Console,
    markdown: Callable[[str], Path],
    html: Callable[[str], Path],
) -> None:
    """--report FILE and --html FILE, each path announced unless --quiet."""
    for label, target, write in (("Markdown", args.report, markdown), ("HTML", args.html, html)):
        if target is not None:
            path = write(target)
            if not args.quiet:
                console.print(f"{label} report: {path}")


def backtest(args: argparse.Namespace) -> int:
    if len(args.symbol) > 1 or args.capital is not None:
        return portfolio(args)
    symbol, strategy = args.symbol[0], args.strategy
    results = _configured(
        lambda: Backtest.run(symbol, strategy=strategy, exchange=args.exchange, frame=args.frame)
    )
    _preflight(args.exchange, symbol)
    with JsonlWriter(args.jsonl) as jsonl, ProgressBars(enabled=progress_wanted(quiet=args.quiet)):
        _consume(results, jsonl, _ignore)
    console = _console(stderr=jsonl.to_stdout)
    stats = Backtest.get_data(symbol, strategy)
    rejections = Backtest.get_rejections(symbol, strategy)
    if not args.quiet:
        title = f"{strategy} on {symbol}, frame {args.frame}"
        console.print(backtest_summary(stats, title=title, rejections=rejections), soft_wrap=True)
    _save_reports(
        args,
        console,
        lambda to: Backtest.dump(symbol, strategy, to),
        lambda to: _html_reports().write_html(symbol, strategy, to, frame=args.frame),
    )
    return _rejected_exit(rejections, stats.total_signals, allowed=args.allow_rejected)


def _rejected_exit(rejections: SignalRejections, closed: int, *, allowed: bool) -> int:
    """Exit 3 when the run refused signals and closed none: the strategy never traded because
    its every signal was invalid, which a zero exit would hide."""
    if not rejections or closed or allowed:
        return 0
    first = f"; first: {rejections.first[0]}" if rejections.first else ""
    print(
        f"{PROG}: {rejections.count} signals rejected and none closed{first} "
        "(--allow-rejected exits 0)",
        file=sys.stderr,
        flush=True,
    )
    return EXIT_REJECTED


def portfolio(args: argparse.Namespace) -> int:
    """`backtest --symbol A --symbol B ... [--capital MONEY]`: one clock over every symbol."""
    symbols, strategy = list(args.symbol), args.strategy
    results = _configured(
        lambda: Portfolio.run(
            symbols, strategy=strategy, **passed_on(args, "exchange frame capital")
        )
    )
    for symbol in symbols:
        _preflight(args.exchange, symbol)
    with JsonlWriter(args.jsonl) as jsonl, ProgressBars(enabled=progress_wanted(quiet=args.quiet)):
        _consume(results, jsonl, _ignore)
    console = _console(stderr=jsonl.to_stdout)
    if not args.quiet:
        console.print(Portfolio.get_report(symbols, strategy), markup=False, highlight=False)
    _save_reports(
        args,
        console,
        lambda to: Portfolio.dump(symbols, strategy, to),
        lambda to: _html_reports().write_portfolio_html(symbols, strategy, to),
    )
    return 0


def walk(args: argparse.Namespace) -> int:
    symbol, name = args.symbol, args.walker
    results = _configured(
        lambda: Walker.run(
            symbol, walker=name, workers=args.workers, dask=args.dask, resume_dir=args.resume
        )
    )
    schema = registry.walker(name)
    _preflight(schema.exchange, symbol)
    bars = ProgressBars(enabled=progress_wanted(quiet=args.quiet))
    bars.track_walker(symbol, name, schema.strategies)
    completes: list[WalkerCompleteEvent] = []
    unsubscribe = listen_walker_complete(
        completes.append, where=lambda e: e.walker_name == name and e.symbol == symbol
    )
    try:
        with JsonlWriter(args.jsonl) as jsonl, bars:
            _consume(results, jsonl, _ignore)
    finally:
        unsubscribe()
    failed = completes[-1].failed_strategies if completes else ()
    console = _console(stderr=jsonl.to_stdout)
    if len(failed) < len(schema.strategies):  # else there is nothing to summarise
        if not args.quiet:
            console.print(walker_summary(Walker.get_data(symbol, name)))
        _save_reports(
            args,
            console,
            lambda to: Walker.dump(symbol, name, to),
            lambda to: _html_reports().write_walker_html(symbol, name, to),
        )
    if failed:
        print(f"walk: {len(failed)} strategies failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def live(args: argparse.Namespace) -> int:
    symbol, strategy = args.symbol, args.strategy
    session = paper_session(args)
    broker, broker_clock = chosen_broker(args, session)
    clock = broker_clock if broker_clock is not None else (session.clock if session else None)
    results = _configured(
        lambda: Live.run(
            symbol,
            strategy=strategy,
            clock=clock,
            stop_at=None if session is None else session.stop_ms,
            broker=broker,
            **passed_on(args, "exchange state_dir adopt"),
        )
    )
    _preflight(args.exchange, symbol)
    state = args.state_dir if args.state_dir is not None else str(DEFAULT_STATE_DIR)
    with JsonlWriter(args.jsonl) as jsonl:
        stream = sys.stderr if jsonl.to_stdout else sys.stdout

        held: list[Any] = [None]  # the position the last tick left open (restored ones too)

        def track(result: Any) -> None:
            held[0] = result.signal if result.action in ("opened", "active") else None

        def show(result: Any) -> None:
            print(live_line(result), file=stream, flush=True)

        if not args.quiet:
            how = (
                "Ctrl-C stops (open signals stay on disk for the next start)"
                if session is None
                else session.describe()
            )
            print(
                f"live: {strategy} on {symbol} via {args.exchange}, state in {state}; {how}",
                file=sys.stderr,
                flush=True,
            )
        stop_tracking = listen_signal_live(
            track, where=lambda r: r.symbol == symbol and r.strategy_name == strategy
        )
        try:
            _consume(results, jsonl, _ignore if args.quiet else show)
        except LiveDataStopped as exc:
            print(f"{PROG}: error: {exc}", file=sys.stderr, flush=True)
            return 1
        finally:
            stop_tracking()
    if session is not None or args.report is not None:
        path = Live.dump(symbol, strategy, args.report)
        if not args.quiet:
            print(run_summary(Live.get_data(symbol, strategy), held[0]), file=stream)
            print(f"Markdown report: {path}", file=stream, flush=True)
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "backtest": backtest,
    "walk": walk,
    "live": live,
    "parity": parity_command,
    "analyze": analyze,
    "optimize": optimize_command,
    "exchange-sim": exchange_sim_command,
}
