"""Brokers for the broker actor: ccxt exchanges, and a clock that follows an exchange's."""

from .ccxt import CcxtBroker, credentials_from_env
from .server_clock import ServerClock

__all__ = ["CcxtBroker", "ServerClock", "credentials_from_env"]
