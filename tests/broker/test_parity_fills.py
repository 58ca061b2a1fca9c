"""The parity report's fill section: signal prices vs fills, the PnL gap split by hand."""

from __future__ import annotations

from typing import Any

import pytest

from backtestkit.actors.live.parity_fills import fill_gaps

T1, T2 = 1_521_810_000_000, 1_521_810_600_000


def _closed(position: str = "long") -> dict[str, Any]:
    return {
        "action": "closed",
        "current_price": 110.0,
        "signal": {"id": "s1", "position": position, "price_open": 100.0},
        "pnl": {"pnl_percentage": 9.5},
    }


def _fill(leg: str, price: float, fee: float, at: int) -> dict[str, Any]:
    return {"signal": "s1", "leg": leg, "filled": 2.0, "average": price, "fee": fee, "at": at}


FILLS = [_fill("entry", 101.0, 0.2, T1 + 1234), _fill("exit", 109.0, 0.218, T2 + 5)]


def test_the_gap_is_timing_plus_slippage_plus_fees() -> None:
    market = {T1: 100.5, T2: 109.5}
    (gap,) = fill_gaps([_closed()], FILLS, market.get)
    assert (gap.entry_fill, gap.exit_fill) == (101.0, 109.0)
    fee_pct = 0.418 / 202 * 100  # both fees over the entry's cost
    assert gap.filled_pnl == pytest.approx(8 / 101 * 100 - fee_pct)
    assert gap.timing == pytest.approx(9 / 100.5 * 100 - 10)  # the market moved less
    assert gap.slippage == pytest.approx(8 / 101 * 100 - 9 / 100.5 * 100)
    assert gap.fees == pytest.approx(0.5 - fee_pct)  # modelled 0.5 % vs real fees
    assert gap.gap == pytest.approx(gap.timing + gap.slippage + gap.fees)
    assert gap.gap == pytest.approx(8 / 101 * 100 - fee_pct - 9.5)


def test_a_short_mirrors_the_signs() -> None:
    closed = {**_closed("short"), "current_price": 90.0}
    fills = [_fill("entry", 99.0, 0.0, T1), _fill("exit", 91.0, 0.0, T2)]
    (gap,) = fill_gaps([closed], fills, {T1: 99.5, T2: 90.5}.get)
    assert gap.filled_pnl == pytest.approx(8 / 99 * 100)
    assert gap.timing == pytest.approx(9 / 99.5 * 100 - 10)
    assert gap.slippage == pytest.approx(8 / 99 * 100 - 9 / 99.5 * 100)


def test_without_the_fill_minutes_candles_timing_takes_the_whole_price_gap() -> None:
    (gap,) = fill_gaps([_closed()], FILLS, lambda minute: None)
    assert gap.slippage is None
    assert gap.timing == pytest.approx(8 / 101 * 100 - 10)


def test_a_signal_without_both_fills_is_left_out() -> None:
    assert fill_gaps([_closed()], FILLS[:1], lambda minute: None) == []
