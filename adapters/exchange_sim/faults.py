"""Faults the local exchange injects on request: `ENDPOINT:KIND[:COUNT]` rules, used up in order.

ENDPOINT is `order` (create), `order.get`, `order.delete`, `account`, `openOrders`,
`myTrades`, `exchangeInfo`, `time` or `*`. KIND is one of:
* `timeout`: the request is carried out, its answer held back past the client's timeout;
* `drop`: the answer is held back and the request is not carried out;
* `500`, `502`, `503`, `504`: a 5xx answer, nothing carried out;
* `429`: rate limited (with Retry-After, seconds, default 1), nothing carried out;
* `reject`: an order refused for insufficient balance;
* `partial`: a market order fills half its amount (the rest expires).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FAULT_KINDS", "Fault", "FaultPlan", "parse_fault"]

FAULT_KINDS = ("timeout", "drop", "500", "502", "503", "504", "429", "reject", "partial")
ENDPOINTS = (
    "order",
    "order.get",
    "order.delete",
    "account",
    "openOrders",
    "myTrades",
    "allOrders",
    "exchangeInfo",
    "time",
    "*",
)


@dataclass(frozen=True, slots=True)
class Fault:
    endpoint: str
    kind: str
    count: int = 1
    retry_after: float = 1.0


def parse_fault(text: str) -> Fault:
    """`order:timeout`, `order:429:3`; a clear ValueError naming the part that is wrong."""
    parts = text.strip().split(":")
    if len(parts) not in (2, 3):
        raise ValueError(f"fault {text!r}: expected ENDPOINT:KIND[:COUNT]")
    endpoint, kind = parts[0], parts[1]
    if endpoint not in ENDPOINTS:
        raise ValueError(f"fault {text!r}: unknown endpoint {endpoint!r} (one of {ENDPOINTS})")
    if kind not in FAULT_KINDS:
        raise ValueError(f"fault {text!r}: unknown kind {kind!r} (one of {FAULT_KINDS})")
    count = 1
    if len(parts) == 3:
        if not parts[2].isdigit() or int(parts[2]) < 1:
            raise ValueError(f"fault {text!r}: COUNT must be a positive integer, got {parts[2]!r}")
        count = int(parts[2])
    return Fault(endpoint, kind, count)


class FaultPlan:
    """Pending faults, one entry per use; each matching request uses the first up."""

    def __init__(self, faults: list[Fault] | None = None) -> None:
        self.pending: list[Fault] = []
        for fault in faults or []:
            self.add(fault)

    def add(self, fault: Fault) -> None:
        self.pending.extend([fault] * fault.count)

    def take(self, endpoint: str) -> Fault | None:
        for index, fault in enumerate(self.pending):
            order_only = fault.kind in ("reject", "partial") and endpoint != "order"
            if fault.endpoint in (endpoint, "*") and not order_only:
                del self.pending[index]
                return fault
        return None
