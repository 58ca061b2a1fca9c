"""Conformance ports run on a clean engine with the reference suite's harness config."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from backtestkit.actors.testing import reset_engine

from .harness import apply_harness_config


@pytest.fixture(autouse=True)
def harness() -> Iterator[None]:
    reset_engine()
    apply_harness_config()
    yield
    reset_engine()
