"""`backtestkit analyze bias`: the look-ahead bias analyzer on a script's strategies."""

from __future__ import annotations

import argparse
import sys

from backtestkit.actors import analyze_bias
from backtestkit.actors.analysis import DEFAULT_WARMUPS, check_bias_request
from backtestkit.actors.core import registry
from backtestkit.actors.market import CandleDataError, TableSource

from .arg_groups import passed_on
from .errors import plain_message
from .jsonl import JsonlWriter
from .parser import UsageError

__all__ = ["analyze"]


def analyze(args: argparse.Namespace) -> int:
    """Exit 0 when the analysis ran (1 with --fail-on-bias when a strategy's signals change)."""
    names = list(dict.fromkeys(args.strategy))
    warmups = (None, *args.warmup) if args.warmup else DEFAULT_WARMUPS
    try:
        check_bias_request(names, args.exchange, args.frame, args.profile, warmups, args.workers)
    except ValueError as exc:
        raise UsageError(plain_message(exc)) from None
    source = registry.exchange(args.exchange).candles
    if isinstance(source, TableSource):  # a missing or malformed file, before anything runs
        try:
            source.table(args.symbol, "1m")
        except (CandleDataError, KeyError, OSError) as exc:
            raise UsageError(plain_message(exc)) from None
    with JsonlWriter(args.jsonl) as jsonl:
        report = analyze_bias(
            args.symbol,
            strategies=names,
            warmups=warmups,
            **passed_on(args, "exchange frame workers profile idle_sample seed"),
        )
        for item in report.strategies:
            jsonl.write(item)
        stream = sys.stderr if jsonl.to_stdout else sys.stdout
        print("\n".join(report.lines()), file=stream, flush=True)
    if args.fail_on_bias and report.biased:
        print(
            f"backtestkit: look-ahead bias in {', '.join(report.biased)}",
            file=sys.stderr,
            flush=True,
        )
        return 1
    return 0
