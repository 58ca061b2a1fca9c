"""The replay arguments of `backtestkit live` (the paper session itself is in paper.py)."""

from __future__ import annotations

import argparse

from .arg_types import iso_instant

__all__ = ["add_replay_arguments"]


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
