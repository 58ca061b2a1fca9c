"""`backtestkit backtest --symbol A --symbol B ... --capital MONEY` runs a portfolio (issue 28)."""

from __future__ import annotations

from pathlib import Path

import orjson
from test_cli import SCHEMAS, error, run

PORTFOLIO = ["--strategy", "sma-cross", "--exchange", "bitstamp", "--frame", "aug-2026"]
TWO = f"""\
import sys
sys.path.insert(0, {str(SCHEMAS.parent)!r})
from schemas import DATA
from backtestkit.actors import add_exchange
from backtestkit.adapters.candles import CsvCandles

add_exchange("twice", candles=CsvCandles({{"BTCUSD": DATA, "XBTUSD": DATA}}))
"""


def test_two_symbols_and_capital_run_a_portfolio(tmp_path: Path) -> None:
    # the same Bitstamp file declared for two symbols: both see the same candles
    (tmp_path / "two.py").write_text(TWO)
    done = run(
        "backtest", "two.py", "--symbol", "BTCUSD", "--symbol", "XBTUSD", *PORTFOLIO[:2],
        "--exchange", "twice", "--frame", "aug-2026",
        "--capital", "10000", "--jsonl", "out.jsonl", "--report", "p.md", "--html", "p.html",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "# Portfolio: sma-cross on BTCUSD, XBTUSD" in done.stdout
    assert "| Starting capital | 10000.00 |" in done.stdout
    lines = [orjson.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    # same candles, same signals: the symbol given first comes first at every minute
    assert [line["symbol"] for line in lines] == ["BTCUSD", "XBTUSD"] * (len(lines) // 2)
    stamps = [line["close_timestamp"] for line in lines]
    assert stamps == sorted(stamps)
    alone = run("backtest", "two.py", "--symbol", "BTCUSD", *PORTFOLIO[:2], "--exchange",
                "twice", "--frame", "aug-2026", "--jsonl", "one.jsonl", "--quiet",
                cwd=tmp_path)  # fmt: skip
    assert alone.returncode == 0, alone.stderr
    single = [orjson.loads(line) for line in (tmp_path / "one.jsonl").read_text().splitlines()]
    assert lines[::2] == single and len(single) > 20
    report = (tmp_path / "p.md").read_text()
    assert "## Per-symbol contribution" in report and "## Heatmap: sma-cross" in report
    page = (tmp_path / "p.html").read_text()
    assert 'id="equity-chart"' in page and "Per-symbol contribution" in page


def test_bad_capital_is_a_usage_error(tmp_path: Path) -> None:
    done = run("backtest", SCHEMAS, "--symbol", "BTCUSD", *PORTFOLIO, "--capital", "-1",
               cwd=tmp_path)  # fmt: skip
    assert error(done) == (
        "backtestkit: error: portfolio: capital must be a finite number > 0, got -1.0"
    )
