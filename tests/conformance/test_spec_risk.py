"""SCENARIOS A.17 spec/risk: registration (add_risk) and the risk service.

The reference's risk service is `actors.risk`: one shared `RiskBook` per profile (`add`,
`remove`, `check`). The risk persistence adapter scenarios (spec/risk/persist-*) belong to live
persistence and are in test_spec_live.py.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from backtestkit.actors import RiskCheck, RiskValidation, add_risk
from backtestkit.actors.core import registry
from backtestkit.actors.core.risk import RiskBook, risk_books
from backtestkit.bus import RiskEvent, listen_risk, listen_validation, topics


def test_register() -> None:
    """spec/risk/register"""
    add_risk("test-risk", note="risk without validations")
    assert registry.risk("test-risk").validations == ()


def test_duplicate() -> None:
    """spec/risk/duplicate"""
    add_risk("test-risk-dup", note="first")
    with pytest.raises(ValueError) as info:
        add_risk("test-risk-dup", note="second")
    message = str(info.value)
    assert "already exist" in message
    assert "risk" in message and "test-risk-dup" in message  # API.md: names the kind and name
    assert registry.risk("test-risk-dup").note == "first"


# --- the risk service (RiskBook: add / remove / check), SCENARIOS A.17 ----------------------


def book(name: str) -> RiskBook:
    """The shared book of a registered risk profile: the reference's risk service."""
    return risk_books.get(registry.risk(name))


async def check(
    name: str,
    symbol: str,
    strategy: str,
    price: float,
    *,
    exchange: str = "binance",
    timestamp: int = 1_700_000_000_000,
) -> bool:
    """checkSignal(args, {riskName}): the reference's args carry no pending signal."""
    return await book(name).check(
        topics,
        symbol=symbol,
        pending_signal=None,
        strategy_name=strategy,
        exchange_name=exchange,
        current_price=price,
        timestamp=timestamp,
    )


def count_recorder(counts: list[int]) -> Callable[[RiskCheck], None]:
    def validate(payload: RiskCheck) -> None:
        counts.append(payload.active_position_count)

    return validate


@pytest.mark.anyio
async def test_reject_over_limit() -> None:
    """spec/risk/reject-over-limit"""
    rejected: list[tuple[str, RiskCheck]] = []

    def max_three(payload: RiskCheck) -> None:
        if payload.active_position_count >= 3:
            raise ValueError("Maximum 3 concurrent positions allowed")

    add_risk(
        "limit-3",
        validations=[RiskValidation(max_three, note="Limit concurrent positions to 3")],
        callbacks={"on_rejected": lambda symbol, payload: rejected.append((symbol, payload))},
    )
    events: list[RiskEvent] = []
    errors: list[BaseException] = []
    listen_risk(events.append)
    listen_validation(errors.append)
    for symbol, strategy in (
        ("BTCUSDT", "test-strategy-1"),
        ("ETHUSDT", "test-strategy-2"),
        ("BNBUSDT", "test-strategy-3"),
    ):
        book("limit-3").add(strategy, symbol)
    assert await check("limit-3", "SOLUSDT", "test-strategy-4", 100) is False
    assert len(rejected) == 1
    symbol, payload = rejected[0]
    assert symbol == "SOLUSDT" and payload.symbol == "SOLUSDT"
    # computed: one risk event with the validation's note, three active positions
    assert [(e.symbol, e.comment, e.active_position_count) for e in events] == [
        ("SOLUSDT", "Limit concurrent positions to 3", 3)
    ]
    assert [str(e) for e in errors] == ["Maximum 3 concurrent positions allowed"]


@pytest.mark.anyio
async def test_allow_within_limit() -> None:
    """spec/risk/allow-within-limit"""
    allowed: list[str] = []

    def max_five(payload: RiskCheck) -> None:
        if payload.active_position_count >= 5:
            raise ValueError("Maximum 5 concurrent positions allowed")

    add_risk(
        "limit-5",
        validations=[max_five],
        callbacks={"on_allowed": lambda symbol, payload: allowed.append(symbol)},
    )
    events: list[RiskEvent] = []
    listen_risk(events.append)
    book("limit-5").add("test-strategy-1", "BTCUSDT")
    book("limit-5").add("test-strategy-2", "ETHUSDT")
    assert await check("limit-5", "BNBUSDT", "test-strategy-3", 300) is True
    assert allowed == ["BNBUSDT"]
    assert events == []  # allowed signals produce no risk event


@pytest.mark.anyio
async def test_count_tracking() -> None:
    """spec/risk/count-tracking"""
    counts: list[int] = []
    add_risk("counting", validations=[count_recorder(counts)])
    for symbol, strategy in (
        ("BTCUSDT", "test-strategy-1"),
        ("ETHUSDT", "test-strategy-2"),
        ("BNBUSDT", "test-strategy-3"),
    ):
        book("counting").add(strategy, symbol)
    assert await check("counting", "SOLUSDT", "test-strategy-4", 100)
    assert counts == [3]
    book("counting").remove("test-strategy-2", "ETHUSDT")
    assert await check("counting", "SOLUSDT", "test-strategy-4", 100)
    assert counts == [3, 2]


@pytest.mark.anyio
async def test_function_validation() -> None:
    """spec/risk/function-validation"""
    called: list[int] = []

    async def max_two(payload: RiskCheck) -> None:
        called.append(payload.active_position_count)
        if payload.active_position_count >= 2:
            raise ValueError("Max 2 positions")

    add_risk("function", validations=[max_two])
    book("function").add("test-strategy-1", "BTCUSDT")
    assert await check("function", "ETHUSDT", "test-strategy-2", 3000) is True
    assert called == [1]


@pytest.mark.anyio
async def test_payload_fields() -> None:
    """spec/risk/payload-fields"""
    payloads: list[RiskCheck] = []
    add_risk("payload", validations=[payloads.append])
    allowed = await check(
        "payload", "BTCUSDT", "test-strategy", 50000, exchange="binance", timestamp=1234567890
    )
    assert allowed is True
    [payload] = payloads
    assert payload.symbol == "BTCUSDT"
    assert payload.strategy_name == "test-strategy"
    assert payload.exchange_name == "binance"
    assert payload.current_price == 50000
    assert payload.timestamp == 1234567890
    assert isinstance(payload.active_position_count, int)
    assert payload.active_position_count == 0 and payload.active_positions == ()  # computed
    assert payload.pending_signal is None


@pytest.mark.anyio
async def test_symbol_filter() -> None:
    """spec/risk/symbol-filter"""
    rejected: list[str] = []

    def no_doge(payload: RiskCheck) -> None:
        if payload.symbol == "DOGEUSDT":
            raise ValueError("DOGE trading not allowed")

    add_risk(
        "no-doge",
        validations=[no_doge],
        callbacks={"on_rejected": lambda symbol, payload: rejected.append(symbol)},
    )
    events: list[RiskEvent] = []
    listen_risk(events.append)
    assert await check("no-doge", "BTCUSDT", "test-strategy", 50000) is True
    assert await check("no-doge", "DOGEUSDT", "test-strategy", 0.1) is False
    assert rejected == ["DOGEUSDT"]
    # computed: a plain function has no note, so the comment is "N/A"
    assert [(e.symbol, e.comment, e.current_price) for e in events] == [("DOGEUSDT", "N/A", 0.1)]


@pytest.mark.anyio
async def test_no_validations() -> None:
    """spec/risk/no-validations"""
    add_risk("free")
    assert await check("free", "BTCUSDT", "test-strategy", 50000) is True


@pytest.mark.anyio
async def test_isolation() -> None:
    """spec/risk/isolation"""
    first: list[int] = []
    second: list[int] = []
    add_risk("test-risk-1", validations=[count_recorder(first)])
    add_risk("test-risk-2", validations=[count_recorder(second)])
    book("test-risk-1").add("test-strategy-1", "BTCUSDT")
    book("test-risk-1").add("test-strategy-2", "ETHUSDT")
    book("test-risk-2").add("test-strategy-3", "BNBUSDT")
    assert await check("test-risk-1", "SOLUSDT", "test-strategy-4", 100)
    assert await check("test-risk-2", "SOLUSDT", "test-strategy-4", 100)
    assert (first, second) == ([2], [1])


@pytest.mark.anyio
async def test_remove_by_key() -> None:
    """spec/risk/remove-by-key"""
    counts: list[int] = []
    add_risk("by-key", validations=[count_recorder(counts)])
    book("by-key").add("test-strategy-1", "BTCUSDT")
    book("by-key").add("test-strategy-1", "BTCUSDT")  # the same "strategy:symbol" key counts once
    assert await check("by-key", "ETHUSDT", "test-strategy-2", 3000)
    assert list(book("by-key").positions) == ["test-strategy-1:BTCUSDT"]
    book("by-key").remove("test-strategy-1", "BTCUSDT")
    assert await check("by-key", "ETHUSDT", "test-strategy-2", 3000)
    assert counts == [1, 0]
