"""`--jsonl`: each yielded result's `to_dict()` as one JSON line, in order, flushed as it goes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO, Any, Protocol

import orjson

from .parser import UsageError

__all__ = ["JsonlWriter"]


class _HasToDict(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


class JsonlWriter:
    """Opened before the run (a bad path is a usage error); `None` path writes nothing."""

    def __init__(self, path: str | None) -> None:
        self._file: IO[bytes] | None = None
        self._owned = False
        self.to_stdout = path == "-"  # then whatever else the command prints goes to stderr
        if self.to_stdout:
            self._file = sys.stdout.buffer
        elif path is not None:
            target = Path(path)
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                self._file = target.open("wb")
            except OSError as exc:
                raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
            self._owned = True

    def write(self, result: _HasToDict) -> None:
        if self._file is not None:
            self._file.write(orjson.dumps(result.to_dict(), default=str) + b"\n")
            self._file.flush()

    def close(self) -> None:
        if self._file is not None and self._owned:
            self._file.close()
        self._file = None

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
