"""A local exchange speaking Binance's spot REST API, for tests and rehearsals with ccxt."""

from .book import SimError, SimExchange, SimMarket, SimOrder
from .faults import Fault, FaultPlan, parse_fault
from .run import market_from_arg, parse_balance, serve
from .server import SimServer, build_app

__all__ = [
    "Fault",
    "FaultPlan",
    "SimError",
    "SimExchange",
    "SimMarket",
    "SimOrder",
    "SimServer",
    "build_app",
    "market_from_arg",
    "parse_balance",
    "parse_fault",
    "serve",
]
