"""Crash-safe JSON state files (SPEC 11.3 layout) with quarantine instead of deletion.

A write goes to `.tmp-<12 hex>-<name>` in the target's directory, is flushed and fsync'd, then
renamed over the target, and the directory is fsync'd: a reader sees the old or the new
document, never a torn one. A file that cannot be parsed or validated is renamed aside to
`<name>.corrupt-<timestamp>` and reported; it is never deleted or overwritten.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import quote

import orjson

__all__ = [
    "MISSING",
    "CorruptStateError",
    "JsonStateStore",
    "SignalStore",
    "check_name",
    "corrupt_files",
    "symbol_path_name",
]

MISSING: Any = object()


class CorruptStateError(ValueError):
    """A state file could not be parsed or failed validation; it has been moved aside."""

    def __init__(self, path: Path, moved_to: Path, problem: str) -> None:
        super().__init__(
            f"state file {path} is unreadable ({problem}); it was moved to {moved_to}. No new "
            f"position is opened for this key until you inspect it and remove {moved_to.name}."
        )
        self.path = path
        self.moved_to = moved_to
        self.problem = problem


def check_name(kind: str, value: object) -> str:
    """A name used in a file path: no separators, no '..', no leading dot, not empty."""
    separators = {"/", "\\", os.sep, os.altsep or "/"}
    if (
        not isinstance(value, str)
        or not value
        or value in (".", "..")
        or ".." in value
        or value.startswith(".")
        or "\x00" in value
        or any(sep in value for sep in separators)
    ):
        raise ValueError(
            f"{kind} name {value!r} cannot be used in a state file path "
            "(no path separators, no '..', no leading '.', not empty)"
        )
    assert isinstance(value, str)
    return value


def symbol_path_name(symbol: str) -> str:
    """A symbol as a path component: separators percent-encoded ("BTC/USDT" -> "BTC%2FUSDT"),
    then checked like any other name (no '..', no leading '.', not empty)."""
    encoded = quote(symbol, safe=" !#$&'()+,-.;=@[]^_`{}~") if isinstance(symbol, str) else symbol
    check_name("symbol", encoded)
    return encoded


def corrupt_files(directory: Path) -> list[Path]:
    """Quarantined files still waiting for the user in `directory`."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if ".corrupt-" in p.name)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@runtime_checkable
class SignalStore(Protocol):
    """Where a live run keeps its signal slots, risk books and partial levels (SPEC 11.3):
    JSON documents at paths under `base_dir`. `JsonStateStore` is the crash-safe default; a
    store given to `Live.background(state_dir=...)` must make each `write` atomic."""

    base_dir: Path

    def path(self, *parts: str) -> Path: ...

    def write(self, path: Path, value: Any) -> None: ...

    def read(self, path: Path, validate: Callable[[Any], Any] | None = None) -> Any:
        """The parsed (and validated) document, MISSING if absent."""
        ...

    def quarantine(self, path: Path) -> Path: ...

    def sweep_temporaries(self, directory: Path) -> None: ...


class JsonStateStore:
    """The crash-safe `SignalStore`: JSON documents under `base_dir`; `on_phase` lets crash
    tests stop at each write phase."""

    def __init__(
        self, base_dir: str | Path, *, on_phase: Callable[[str, Path], None] | None = None
    ) -> None:
        self.base_dir = Path(base_dir)
        self.on_phase = on_phase
        self._made: set[Path] = set()

    def path(self, *parts: str) -> Path:
        return self.base_dir.joinpath(*parts)

    def write(self, path: Path, value: Any) -> None:
        """Atomically replace `path` with `value` as JSON."""
        directory = path.parent
        if directory not in self._made:
            directory.mkdir(parents=True, exist_ok=True)
            self._made.add(directory)
        data = orjson.dumps(value)
        temp = directory / f".tmp-{secrets.token_hex(6)}-{path.name}"
        phase = self.on_phase
        if phase is not None:
            phase("before_write", path)
        with open(temp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if phase is not None:
            phase("before_rename", path)
        os.replace(temp, path)
        _fsync_directory(directory)
        if phase is not None:
            phase("after_rename", path)

    def read(self, path: Path, validate: Callable[[Any], Any] | None = None) -> Any:
        """The parsed (and validated) document, MISSING if absent; quarantines bad files."""
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return MISSING
        try:
            if not data.strip():
                raise ValueError("the file is empty")
            value = orjson.loads(data)
            return validate(value) if validate is not None else value
        except (ValueError, TypeError, KeyError) as exc:
            moved = self.quarantine(path)
            raise CorruptStateError(path, moved, str(exc) or type(exc).__name__) from None

    def quarantine(self, path: Path) -> Path:
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        target = path.with_name(f"{path.name}.corrupt-{stamp}")
        counter = 1
        while target.exists():
            target = path.with_name(f"{path.name}.corrupt-{stamp}-{counter}")
            counter += 1
        os.replace(path, target)
        _fsync_directory(path.parent)
        return target

    def sweep_temporaries(self, directory: Path) -> None:
        """Remove temp files a crash left between write and rename (never valid state)."""
        if directory.is_dir():
            for stale in directory.glob(".tmp-*"):
                stale.unlink(missing_ok=True)
