"""The broker (and clock) `backtestkit live --broker ...` trades with."""

from __future__ import annotations

import argparse
import dataclasses

from backtestkit.actors.broker import Broker, BrokerError, PaperBroker
from backtestkit.actors.core import registry
from backtestkit.actors.live import Clock

from ..brokers import CcxtBroker, ServerClock
from ..candles import ReplayCandles
from .paper import PaperSession
from .parser import UsageError

__all__ = ["chosen_broker"]


def chosen_broker(
    args: argparse.Namespace, session: PaperSession | None
) -> tuple[Broker | None, Clock | None]:
    """The broker `args` ask for and the clock to run on (None: the session's or the wall's)."""
    choice = args.broker
    if choice is None and session is not None:
        choice = "paper"
    if choice is None:
        if args.broker_url is not None or args.broker_sandbox:
            raise UsageError("--broker-url and --broker-sandbox need --broker ccxt:ID")
        return None, None
    if choice == "paper":
        if args.broker_url is not None or args.broker_sandbox:
            raise UsageError("--broker-url and --broker-sandbox go with --broker ccxt:ID")
        return PaperBroker.for_exchange(args.exchange), None
    kind, _, exchange_id = choice.partition(":")
    if kind != "ccxt" or not exchange_id:
        raise UsageError(f"--broker {choice!r}: expected 'paper' or 'ccxt:ID' (e.g. ccxt:binance)")
    try:
        broker = CcxtBroker(exchange_id, url=args.broker_url, sandbox=args.broker_sandbox)
    except (BrokerError, ImportError) as exc:
        raise UsageError(f"--broker {choice}: {exc}") from None
    if session is None or args.broker_url is None:
        return broker, None
    try:  # a rehearsal: the bot's clock, and the candles it is served, follow the server's
        clock = ServerClock(args.broker_url)
    except OSError as exc:
        raise UsageError(f"--broker-url {args.broker_url}: no exchange answers ({exc})") from None
    schema = registry.exchange(session.exchange)
    source = schema.candles.source if isinstance(schema.candles, ReplayCandles) else None
    if source is not None:
        replay = dataclasses.replace(schema, candles=ReplayCandles(source, clock))
        registry.exchanges[schema.name] = replay
    return broker, clock
