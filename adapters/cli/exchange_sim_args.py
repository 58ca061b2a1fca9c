"""The arguments of `backtestkit exchange-sim` (the command itself is in exchange_sim.py)."""

from __future__ import annotations

from .arg_groups import Subcommands

__all__ = ["add_exchange_sim_parser"]


def add_exchange_sim_parser(commands: Subcommands) -> None:
    sub = commands.add_parser(
        "exchange-sim",
        help="serve a local exchange (Binance spot REST subset) filled from candle files",
    )
    sub.add_argument(
        "--data",
        action="append",
        required=True,
        metavar="SYMBOL=CSV",
        help="a market and its 1m candles, e.g. BTCUSDT=btc.csv (repeatable)",
    )
    sub.add_argument("--port", type=int, required=True, metavar="P", help="0 picks a free port")
    sub.add_argument("--start", metavar="ISO", help="exchange time at start (default: 1st candle)")
    sub.add_argument(
        "--balance",
        action="append",
        default=[],
        metavar="ASSET=AMOUNT",
        help="a starting balance (default 100 000 of each quote asset, 0 of each base)",
    )
    sub.add_argument(
        "--faults",
        action="append",
        default=[],
        metavar="ENDPOINT:KIND[:COUNT]",
        help="inject faults, e.g. order:timeout, order:429:2, order:partial (repeatable)",
    )
    sub.add_argument(
        "--fault-delay",
        type=float,
        default=10.0,
        metavar="S",
        help="how long a timeout fault holds its answer (default 10 s)",
    )
    sub.add_argument("--fee", type=float, default=0.1, metavar="PCT", help="taker fee, %%")
    sub.add_argument(
        "--speed",
        type=float,
        default=0.0,
        metavar="X",
        help="exchange ms per wall ms; 0 (default): time moves only by POST /sim/advance",
    )
