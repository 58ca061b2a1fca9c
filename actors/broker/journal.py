"""The write-ahead order journal: an fsync'd line per intent before its request is sent, and
one per answer after it, so a restart knows every order it may have placed. An answer is
written (the page cache keeps it through a kill) but not fsync'd: one lost to a power cut
leaves its intent unanswered, and the restart looks the order up by its client id.

One append-only JSON-lines file per (symbol, strategy) in the state dir. A torn last line
(killed mid-write) was never fsync'd, so its request was never sent: it is cut off on open.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from .errors import BrokerError
from .orders import OrderReport, OrderRequest

__all__ = ["JournalCorrupt", "OrderJournal"]

PhaseHook = Callable[[str, str], None]


class JournalCorrupt(BrokerError):
    """A journal line that is not what the broker wrote; trading stops until inspected."""


class OrderJournal:
    def __init__(self, path: str | Path, *, on_phase: PhaseHook | None = None) -> None:
        self.path = Path(path)
        self.on_phase = on_phase
        self.intents: dict[str, OrderRequest] = {}
        self.answers: dict[str, OrderReport] = {}
        self.rejections: dict[str, str] = {}  # client id -> reason
        self.baselines: dict[str, float] = {}  # market -> base held before the first order
        self._waiting: dict[str, None] = {}  # client ids without a final answer, in order
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._load()
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def phase(self, name: str, client_id: str) -> None:
        if self.on_phase is not None:
            self.on_phase(name, client_id)

    def _load(self) -> None:
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        end = data.rfind(b"\n") + 1
        if end < len(data):  # a torn tail: never fsync'd, so never acted on
            with self.path.open("r+b") as handle:
                handle.truncate(end)
                os.fsync(handle.fileno())
        for number, line in enumerate(data[:end].splitlines(), start=1):
            try:
                self._apply(orjson.loads(line))
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise JournalCorrupt(
                    f"{self.path}:{number}: unreadable journal line ({exc})"
                ) from exc

    def _apply(self, record: dict[str, Any]) -> None:
        kind = record["k"]
        if kind == "intent":
            request = OrderRequest(**record["order"])
            self.intents[request.client_id] = request
            if request.client_id not in self.answers and request.client_id not in self.rejections:
                self._waiting[request.client_id] = None
        elif kind == "answer":
            report = OrderReport(**record["order"])
            self.answers[report.client_id] = report
            if report.final:
                self._waiting.pop(report.client_id, None)
        elif kind == "rejected":
            self.rejections[record["cid"]] = record["reason"]
            self._waiting.pop(record["cid"], None)
        elif kind == "baseline":
            self.baselines[record["market"]] = float(record["base"])
        else:
            raise ValueError(f"unknown record kind {kind!r}")

    def _append(self, record: dict[str, Any], *, durable: bool = True) -> None:
        os.write(self._fd, orjson.dumps(record) + b"\n")
        if durable:
            os.fdatasync(self._fd)
        self._apply(record)

    def intent(self, request: OrderRequest) -> None:
        self.phase("before_intent", request.client_id)
        self._append({"k": "intent", "order": _fields(request)})
        self.phase("after_intent", request.client_id)

    def answer(self, report: OrderReport) -> None:
        if self.answers.get(report.client_id) == report:
            return
        self.phase("before_answer", report.client_id)
        self._append({"k": "answer", "order": _fields(report)}, durable=False)
        self.phase("after_answer", report.client_id)

    def reject(self, client_id: str, reason: str) -> None:
        self._append({"k": "rejected", "cid": client_id, "reason": reason})

    def baseline(self, market: str, base: float) -> None:
        self._append({"k": "baseline", "market": market, "base": base})

    def unanswered(self) -> list[OrderRequest]:
        """Intents whose order is not known to be final (no answer, or an open one)."""
        return [self.intents[cid] for cid in self._waiting]

    def legs(self, signal_id: str) -> list[OrderRequest]:
        return [r for r in self.intents.values() if r.signal_id == signal_id]

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _fields(item: OrderRequest | OrderReport) -> dict[str, Any]:
    return {name: getattr(item, name) for name in item.__slots__}
