"""SCENARIOS A.17 spec/risk, the registration part (add_risk).

The other spec/risk scenarios drive the risk service and the risk persistence adapter directly;
they are pending (PENDING_SPEC.md).
"""

from __future__ import annotations

import pytest

from backtestkit.actors import add_risk, registry


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
