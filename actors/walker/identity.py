"""The names every walker message carries (SPEC 12.2, 12.3), spelled out in one place."""

from __future__ import annotations

from typing import TypedDict

__all__ = ["WalkerHeader", "WalkerNames", "walker_header", "walker_names"]


class WalkerNames(TypedDict):
    """Which walk a message is about: `WalkerProgressEvent`'s names."""

    walker_name: str
    symbol: str
    exchange_name: str
    frame_name: str


class WalkerHeader(WalkerNames):
    """The names plus the ranking metric: the head of contracts, summaries and results."""

    metric: str


def walker_names(symbol: str, walker: str, exchange: str, frame: str) -> WalkerNames:
    return WalkerNames(walker_name=walker, symbol=symbol, exchange_name=exchange, frame_name=frame)


def walker_header(symbol: str, walker: str, exchange: str, frame: str, metric: str) -> WalkerHeader:
    return WalkerHeader(**walker_names(symbol, walker, exchange, frame), metric=metric)
