"""`backtestkit exchange-sim`: the local Binance-compatible exchange for tests and rehearsals."""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime

from .parser import UsageError

__all__ = ["exchange_sim_command"]


def _start_ms(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--start {text!r}: not an ISO date-time") from None
    if when.tzinfo is None:
        raise UsageError(f"--start {text!r}: give a time zone, e.g. 2026-08-17T00:00Z")
    return int(when.timestamp() * 1000)


def exchange_sim_command(args: argparse.Namespace) -> int:
    from ..exchange_sim import SimExchange, market_from_arg, parse_balance, parse_fault, serve

    try:
        markets = [market_from_arg(text) for text in args.data]
        balances = dict(parse_balance(text) for text in args.balance)
        for text in args.faults:
            parse_fault(text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: not a TCP port")
    exchange = SimExchange(
        {m.id: m for m in markets},
        start=_start_ms(args.start),
        balances=balances,
        fee_rate=args.fee / 100,
        speed=args.speed,
    )
    try:
        asyncio.run(
            serve(exchange, port=args.port, faults=args.faults, fault_delay_s=args.fault_delay)
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return 0
