"""What the broker actually got, beside what the signal said: per closed signal, the signal's
prices vs the average fill prices, and the PnL gap split into timing, slippage and fees.

All in percent of the entry, for a long (a short mirrors the signs):
* engine PnL: the closed result's `pnl_percentage` (modelled fee and slippage included);
* filled PnL: (exit fill - entry fill) / entry fill - real fees / entry cost;
* timing: the market's move between the signal's prices and the market at the fill minutes
  (each fill minute's candle open, as recorded), (m_exit - m_entry) / m_entry - (close -
  open) / open;
* slippage: the fills against the market at their minutes, (exit - entry) / entry - (m_exit -
  m_entry) / m_entry;
* fees: the engine's modelled costs less the real fees; timing + slippage + fees = the gap.
Without the candle of a fill minute, timing and slippage are reported together as timing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..market.intervals import MINUTE_MS

__all__ = ["FillGap", "fill_gaps"]

MarketPrice = Callable[[int], float | None]  # the open of the 1m candle holding an instant


@dataclass(frozen=True, slots=True)
class FillGap:
    signal_id: str
    position: str
    signal_open: float
    entry_fill: float
    signal_close: float
    exit_fill: float
    engine_pnl: float
    filled_pnl: float
    timing: float
    slippage: float | None
    fees: float

    @property
    def gap(self) -> float:
        return self.filled_pnl - self.engine_pnl


def _average(fills: list[dict[str, Any]]) -> tuple[float, float, float, int]:
    """(amount, average price, fee in quote, time of the first fill) of one leg's fills."""
    amount = sum(f["filled"] for f in fills)
    cost = sum(f["filled"] * f["average"] for f in fills)
    fee = sum(f["fee"] for f in fills)
    return amount, cost / amount, fee, min(int(f["at"]) for f in fills)


def fill_gaps(
    closed: list[dict[str, Any]], fills: list[dict[str, Any]], market: MarketPrice
) -> list[FillGap]:
    """One FillGap per closed live signal with a filled entry and exit (`to_dict` shapes)."""
    by_signal: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for fill in fills:
        if fill.get("filled") and fill.get("average") is not None and fill.get("at") is not None:
            legs = by_signal.setdefault(fill["signal"], {"entry": [], "exit": []})
            legs["entry" if fill["leg"] == "entry" else "exit"].append(fill)
    out = []
    for result in closed:
        signal = result["signal"]
        found = by_signal.get(signal["id"])
        if found is None or not found["entry"] or not found["exit"]:
            continue
        sign = 1.0 if signal["position"] == "long" else -1.0
        amount, entry, entry_fee, entry_at = _average(found["entry"])
        _, exit_, exit_fee, exit_at = _average(found["exit"])
        opened, closed_at = float(signal["price_open"]), float(result["current_price"])
        gross_engine = sign * (closed_at - opened) / opened * 100
        gross_fill = sign * (exit_ - entry) / entry * 100
        engine_pnl = float(result["pnl"]["pnl_percentage"])
        fees = entry_fee + exit_fee
        filled_pnl = gross_fill - fees / (amount * entry) * 100
        m_entry = market(entry_at // MINUTE_MS * MINUTE_MS)
        m_exit = market(exit_at // MINUTE_MS * MINUTE_MS)
        if m_entry is None or m_exit is None:
            timing, slippage = gross_fill - gross_engine, None
        else:
            gross_market = sign * (m_exit - m_entry) / m_entry * 100
            timing, slippage = gross_market - gross_engine, gross_fill - gross_market
        out.append(
            FillGap(
                signal_id=signal["id"],
                position=signal["position"],
                signal_open=opened,
                entry_fill=entry,
                signal_close=closed_at,
                exit_fill=exit_,
                engine_pnl=engine_pnl,
                filled_pnl=filled_pnl,
                timing=timing,
                slippage=slippage,
                fees=(gross_engine - engine_pnl) - fees / (amount * entry) * 100,
            )
        )
    return out
