"""README.md stays true: its `python` blocks run top to bottom as one session, its CLI commands
parse, and the two set-up commands come first."""

from __future__ import annotations

import ast
import inspect
import re
import shlex
from pathlib import Path
from typing import Any

import anyio
import pytest
import structlog

from backtestkit.adapters.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def blocks(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(README) if lang == language]


def test_the_two_commands_come_first() -> None:
    sections = re.findall(r"^## (.+)$", README, re.MULTILINE)
    assert sections[0] == "Two commands on a fresh machine"
    first = README.split("## ", 2)[1]
    commands = [line.split("#")[0].strip() for line in blocks("sh")[0].splitlines()]
    assert commands == ["make run", "make test"] and blocks("sh")[0] in first


def test_python_blocks_run_as_one_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "examples").symlink_to(ROOT / "examples")  # the README's relative data paths
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "readme"}
    snippets = blocks("python")
    assert len(snippets) >= 7
    with structlog.testing.capture_logs() as logs:
        for number, source in enumerate(snippets, 1):
            _run(source, f"README.md python block {number}", namespace)
    warnings = [e["event"] for e in logs if e["log_level"] not in ("debug", "info")]
    # the weekend rejections, and the Portfolios section's four files with their missing minutes
    assert set(warnings) == {"ClientRisk exception thrown", "candle_gaps"}
    gaps = {
        Path(e["origin"]).name: (e["gaps"], e["missing_candles"], e["rows"])
        for e in logs
        if e["event"] == "candle_gaps"
    }
    assert gaps == {  # examples/data/README.md: every gap is one minute
        "bittrex_ETHBTC_1m.csv": (1, 1, 14_397),
        "bittrex_LTCBTC_1m.csv": (38, 38, 14_360),
        "bittrex_XLMBTC_1m.csv": (25, 25, 14_373),
        "bittrex_ADABTC_1m.csv": (14, 14, 14_383),
    }
    printed = capsys.readouterr().out
    assert "# Backtest Report: breakout" in printed
    assert "opened" in printed and "closed" in printed
    # the Live block stops at its first close: two signals (opened, closed), replayed alike
    assert "parity: 2 signals, 0 mismatches\nTrue dump/parity/BTCUSD_breakout.md\n" in printed
    for report in ("breakout.md", "breakout.html", "breakout.png"):
        assert (tmp_path / "dump" / "backtest" / report).is_file()
    assert (tmp_path / "dump" / "walk").is_dir()  # the walker's resume store
    assert namespace["qty"] == pytest.approx(0.02)


def _run(source: str, name: str, namespace: dict[str, Any]) -> None:
    code = compile(source, name, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    outcome = eval(code, namespace)  # top-level `async for` makes it a coroutine
    if inspect.iscoroutine(outcome):

        async def finish() -> None:
            await outcome

        anyio.run(finish)


def _commands() -> list[list[str]]:
    found = []
    for block in blocks("sh"):
        for command in block.replace("\\\n", " ").splitlines():
            words = shlex.split(command, comments=True)
            if words and words[0] == "backtestkit":
                found.append(words[1:])
    return found


def test_cli_commands_parse_and_name_real_files() -> None:
    commands = _commands()
    assert {c[0] for c in commands} == {"backtest", "walk", "live", "parity", "analyze", "optimize"}
    for words in commands:
        args = build_parser().parse_args(words)
        assert (ROOT / args.script).is_file(), args.script
