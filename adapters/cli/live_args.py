"""The replay arguments of `backtestkit live` (the paper session itself is in paper.py)."""

from __future__ import annotations

import argparse

from .arg_types import iso_instant

__all__ = ["add_broker_arguments", "add_replay_arguments"]


def add_replay_arguments(live: argparse.ArgumentParser) -> None:
    live.add_argument(
        "--replay-from",
        type=iso_instant,
        metavar="ISO",
        help="paper-trade on a virtual clock from this instant (UTC unless it says otherwise) "
        "over the exchange's own candles; the run ends by itself when the replay does",
    )
    live.add_argument(
        "--replay-to",
        type=iso_instant,
        metavar="ISO",
        help="with --replay-from: no new entry from this instant on (default: the data's end); "
        "an open position is followed until it closes or the data runs out",
    )


def add_broker_arguments(live: argparse.ArgumentParser) -> None:
    live.add_argument(
        "--broker",
        metavar="paper|ccxt:ID",
        help="place orders: 'paper' fills at the next candle (the default with --replay-from), "
        "'ccxt:binance' (any ccxt id) trades with BACKTESTKIT_API_KEY / BACKTESTKIT_API_SECRET; "
        "without it (and without --replay-from) live only emits signals",
    )
    live.add_argument(
        "--broker-url",
        metavar="URL",
        help="with --broker ccxt:ID: a Binance-compatible host instead of the exchange's own, "
        "e.g. the local `backtestkit exchange-sim`; a replay then follows the server's clock",
    )
    live.add_argument(
        "--broker-sandbox", action="store_true", help="with --broker ccxt:ID: the testnet"
    )
