"""configure_logging: JSON lines when stderr is not a terminal, pretty on one, level from
BACKTESTKIT_LOG_LEVEL."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator

import pytest
import structlog

from backtestkit.actors import configure_logging


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    yield
    configure_logging("info", force=True)  # what tests/conftest.py sets for every test


def _configure(monkeypatch: pytest.MonkeyPatch, stream: io.StringIO, level: str | None) -> None:
    monkeypatch.setattr(sys, "stderr", stream)
    if level is None:
        monkeypatch.delenv("BACKTESTKIT_LOG_LEVEL", raising=False)
    else:
        monkeypatch.setenv("BACKTESTKIT_LOG_LEVEL", level)
    configure_logging(force=True)


def test_json_lines_when_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    _configure(monkeypatch, stream, None)
    log = structlog.get_logger("backtestkit.test")
    log.debug("hidden")
    log.info("report_saved", path="dump/x.md")
    log.warning("tick_failed", symbol="BTCUSD")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(e["event"], e["level"]) for e in lines] == [
        ("report_saved", "info"),
        ("tick_failed", "warning"),
    ]
    assert lines[0]["path"] == "dump/x.md" and lines[1]["symbol"] == "BTCUSD"
    assert all(e["timestamp"].endswith("Z") for e in lines)


def test_level_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    _configure(monkeypatch, stream, "warning")
    log = structlog.get_logger("backtestkit.test")
    log.info("dropped")
    log.warning("kept")
    log.error("kept too")
    events = [json.loads(line)["event"] for line in stream.getvalue().splitlines()]
    assert events == ["kept", "kept too"]


def test_debug_level(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    _configure(monkeypatch, stream, "DEBUG")
    structlog.get_logger().debug("shown")
    assert json.loads(stream.getvalue())["level"] == "debug"


def test_pretty_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = Terminal()
    _configure(monkeypatch, stream, "info")
    structlog.get_logger().info("report_saved", path="dump/x.md")
    text = stream.getvalue()
    assert "report_saved" in text and "path" in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


def test_unknown_level_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKTESTKIT_LOG_LEVEL", "chatty")
    with pytest.raises(ValueError, match="BACKTESTKIT_LOG_LEVEL: unknown level 'CHATTY'"):
        configure_logging(force=True)


def test_configured_once_unless_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    _configure(monkeypatch, stream, "warning")
    monkeypatch.setenv("BACKTESTKIT_LOG_LEVEL", "debug")
    configure_logging()  # already configured: a no-op
    structlog.get_logger().info("still dropped")
    assert stream.getvalue() == ""
