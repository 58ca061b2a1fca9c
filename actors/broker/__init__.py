"""The broker room: the broker actor that turns the persisted signal lifecycle into orders,
its write-ahead order journal, typed order errors, sizing and the paper broker."""

from .actor import BrokerActor, EntryRefused, Sizing
from .errors import BrokerError, OrderRejected, PositionMismatch, TransientOrderError
from .journal import JournalCorrupt, OrderJournal
from .orders import MarketRules, OrderReport, OrderRequest, client_order_id
from .paper import PaperBroker
from .protocol import Broker
from .quantity import checked_amount, round_down

__all__ = [
    "Broker",
    "BrokerActor",
    "BrokerError",
    "EntryRefused",
    "JournalCorrupt",
    "MarketRules",
    "OrderJournal",
    "OrderRejected",
    "OrderReport",
    "OrderRequest",
    "PaperBroker",
    "PositionMismatch",
    "Sizing",
    "TransientOrderError",
    "checked_amount",
    "client_order_id",
    "round_down",
]
