"""PortfolioStatistics from a finished (or running) portfolio: heatmap, money, research."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from itertools import pairwise

from backtestkit.bus import Closed

from ..reports.heat import heat_statistics
from ..reports.research_metrics import EquitySeries, TradeRecord, research_metrics
from .ledger import CashLedger
from .models import Contribution, EquityPoint, PortfolioRejection, PortfolioStatistics

__all__ = ["HEAT_SIGNALS", "portfolio_statistics"]

HEAT_SIGNALS = 250  # the heatmap covers each symbol's newest 250 closed signals (SPEC 9.4)


def _time_weighted(points: Sequence[EquityPoint]) -> tuple[float | None, float | None]:
    """(share of time with an open position, mean exposure) over the points' span, in %."""
    span = points[-1].timestamp - points[0].timestamp if points else 0
    if span <= 0:
        return None, None
    held = exposure = 0.0
    for point, after in pairwise(points):
        width = after.timestamp - point.timestamp
        if point.open_positions:
            held += width
        exposure += point.exposure * width
    return held / span * 100, exposure / span * 100


def _contributions(ledger: CashLedger, symbols: Sequence[str]) -> tuple[Contribution, ...]:
    total = sum(trade.pnl for trade in ledger.trades)
    rows = []
    for symbol in symbols:
        trades = [t for t in ledger.trades if t.symbol == symbol]
        pnl = sum(t.pnl for t in trades)
        rows.append(
            Contribution(
                symbol=symbol,
                trades=len(trades),
                pnl=pnl,
                fees=sum(t.fee_open + t.fee_close for t in trades),
                share_pct=pnl / total * 100 if total else None,
            )
        )
    return tuple(rows)


def portfolio_statistics(
    *,
    strategies: Sequence[str],
    symbols: Sequence[str],
    closed: dict[tuple[str, str], list[Closed]],
    rejections: Sequence[PortfolioRejection],
    ledger: CashLedger | None,
    risk_free_rate: float = 0.0,
) -> PortfolioStatistics:
    """`closed` holds each (strategy, symbol)'s closed signals oldest first."""
    heat = {
        strategy: heat_statistics(
            {
                symbol: tuple(reversed(closed.get((strategy, symbol), [])[-HEAT_SIGNALS:]))
                for symbol in symbols
                if closed.get((strategy, symbol))
            }
        )
        for strategy in strategies
    }
    common = {
        "strategies": tuple(strategies),
        "symbols": tuple(symbols),
        "heat": heat,
        "rejections": tuple(rejections),
    }
    if ledger is None or not ledger.points:
        return PortfolioStatistics(
            **common,  # type: ignore[arg-type]
            capital=None if ledger is None else ledger.capital,
            trades=(),
            equity=(),
            contributions=(),
            final_equity=None,
            total_return_pct=None,
            max_drawdown_pct=None,
            exposure_time_pct=None,
            average_exposure_pct=None,
            fees=None,
            slippage=None,
            research=None,
        )
    points = tuple(ledger.points)
    times = [p.timestamp for p in points]
    records = []
    for trade in ledger.trades:
        exit_bar = max(0, bisect.bisect_right(times, trade.closed_at) - 1)
        entry_bar = min(max(0, bisect.bisect_right(times, trade.opened_at) - 1), exit_bar)
        records.append(
            TradeRecord(
                entry_time=trade.opened_at,
                exit_time=trade.closed_at,
                entry_bar=entry_bar,
                exit_bar=exit_bar,
                return_fraction=trade.pnl / (trade.cost + trade.fee_open),
                pnl=trade.pnl,
            )
        )
    research = research_metrics(
        records,
        EquitySeries(tuple(times), tuple(p.equity for p in points)),
        risk_free_rate=risk_free_rate,
    )
    held, exposure = _time_weighted(points)
    final = points[-1].equity
    return PortfolioStatistics(
        **common,  # type: ignore[arg-type]
        capital=ledger.capital,
        trades=tuple(ledger.trades),
        equity=points,
        contributions=_contributions(ledger, symbols),
        final_equity=final,
        total_return_pct=(final - ledger.capital) / ledger.capital * 100,
        max_drawdown_pct=research.max_drawdown_pct,
        exposure_time_pct=held,
        average_exposure_pct=exposure,
        fees=sum(t.fee_open + t.fee_close for t in ledger.trades),
        slippage=sum(t.slippage_open + t.slippage_close for t in ledger.trades),
        research=research,
    )
