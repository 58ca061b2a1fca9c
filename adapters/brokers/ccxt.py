"""CcxtBroker: orders on any ccxt exchange (async ccxt), behind the broker actor's Protocol.

The API key and secret come from BACKTESTKIT_API_KEY / BACKTESTKIT_API_SECRET (or the
arguments); they are handed to ccxt only, never logged, never written to the state dir, and
left out of repr(). `sandbox=True` switches ccxt to the exchange's testnet; `url` points a
Binance-compatible exchange at another host (the local `backtestkit exchange-sim`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, get_args

from backtestkit.actors.broker import (
    BrokerError,
    MarketRules,
    OrderRejected,
    OrderReport,
    OrderRequest,
    TransientOrderError,
)
from backtestkit.actors.broker.orders import OrderStatus

from ..candles.ccxt import import_ccxt

__all__ = ["CcxtBroker", "credentials_from_env"]

_STATUSES: dict[str, OrderStatus] = {status: status for status in get_args(OrderStatus)}
_API_NAMES = ("public", "private", "v1", "sapi", "sapiV2", "sapiV3", "sapiV4")


def credentials_from_env() -> tuple[str, str]:
    key = os.environ.get("BACKTESTKIT_API_KEY", "")
    secret = os.environ.get("BACKTESTKIT_API_SECRET", "")
    if not key or not secret:
        raise BrokerError(
            "CcxtBroker needs BACKTESTKIT_API_KEY and BACKTESTKIT_API_SECRET in the environment"
        )
    return key, secret


class CcxtBroker:
    def __init__(
        self,
        exchange_id: str,
        *,
        api_key: str | None = None,
        api_secret: str | None = None,
        sandbox: bool = False,
        url: str | None = None,
        symbols: Mapping[str, str] | None = None,
        timeout_ms: int = 10_000,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        ccxt = import_ccxt()
        if not hasattr(ccxt, exchange_id):
            raise BrokerError(f"ccxt has no exchange {exchange_id!r}")
        if api_key is None or api_secret is None:
            api_key, api_secret = credentials_from_env()
        self._ccxt = ccxt
        self.name = f"ccxt:{exchange_id}"
        self.symbols = dict(symbols or {})
        config: dict[str, Any] = {
            "apiKey": api_key,
            "secret": api_secret,
            "enableRateLimit": url is None,  # the local exchange has no rate limit to respect
            "timeout": timeout_ms,
            # spot only, and no private currency listing (sapi) while loading markets
            "options": {
                "fetchMarkets": {"types": ["spot"]},
                "fetchCurrencies": False,
                "fetchMargins": False,
                **dict(options or {}),
            },
        }
        self.exchange = getattr(ccxt, exchange_id)(config)
        if sandbox:
            self.exchange.set_sandbox_mode(True)
        if url is not None:
            base = url.rstrip("/")
            api = self.exchange.urls["api"]
            for name in _API_NAMES:
                api[name] = f"{base}/api/v3" if name != "v1" else f"{base}/api/v1"

    def __repr__(self) -> str:
        return f"CcxtBroker({self.name!r})"

    # -- errors --------------------------------------------------------------------------

    def _typed(self, exc: Exception) -> BrokerError:
        ccxt = self._ccxt
        if isinstance(exc, ccxt.NetworkError):
            retry_after = None
            headers = getattr(self.exchange, "last_response_headers", None) or {}
            value = headers.get("Retry-After") or headers.get("retry-after")
            if isinstance(exc, ccxt.DDoSProtection) and value is not None:
                try:
                    retry_after = float(value)
                except ValueError:
                    retry_after = None
            return TransientOrderError(
                f"{self.name}: {type(exc).__name__}: {exc}", retry_after=retry_after
            )
        if isinstance(exc, ccxt.InsufficientFunds):
            return OrderRejected("insufficient_balance", f"{self.name}: {exc}")
        if isinstance(exc, ccxt.BadSymbol):
            return OrderRejected("unknown_symbol", f"{self.name}: {exc}")
        if isinstance(exc, ccxt.InvalidOrder | ccxt.BadRequest | ccxt.OperationRejected):
            text = str(exc)
            reason = (
                "below_minimum" if ("LOT_SIZE" in text or "NOTIONAL" in text) else "invalid_order"
            )
            return OrderRejected(reason, f"{self.name}: {text}")
        return BrokerError(f"{self.name}: {type(exc).__name__}: {exc}")

    # -- the Protocol --------------------------------------------------------------------

    async def market(self, symbol: str) -> MarketRules:
        try:
            markets = await self.exchange.load_markets()
        except self._ccxt.BaseError as exc:
            raise self._typed(exc) from exc
        unified = self.symbols.get(symbol, symbol)
        if unified not in markets:
            by_id = self.exchange.markets_by_id.get(unified) or []
            if not by_id:
                raise OrderRejected(
                    "unknown_symbol",
                    f"{self.name}: no market for engine symbol {symbol!r} (neither a unified "
                    "symbol nor a market id; map it with symbols={...})",
                )
            unified = by_id[0]["symbol"]
        market = markets[unified]
        limits = market.get("limits") or {}
        return MarketRules(
            symbol=unified,
            base=market["base"],
            quote=market["quote"],
            amount_step=float(market["precision"].get("amount") or 0.0),
            min_amount=float((limits.get("amount") or {}).get("min") or 0.0),
            min_cost=float((limits.get("cost") or {}).get("min") or 0.0),
            shorting=not market.get("spot", False),
        )

    def _report(self, order: dict[str, Any], client_id: str) -> OrderReport:
        fee = order.get("fee") or {}
        status = _STATUSES.get(str(order.get("status")), "open")
        return OrderReport(
            client_id=order.get("clientOrderId") or client_id,
            exchange_id=str(order.get("id")),
            status=status,
            amount=float(order.get("amount") or 0.0),
            filled=float(order.get("filled") or 0.0),
            average=None if order.get("average") is None else float(order["average"]),
            fee=float(fee.get("cost") or 0.0),
            fee_currency=fee.get("currency"),
            at=order.get("lastUpdateTimestamp") or order.get("timestamp"),
        )

    async def place(self, request: OrderRequest) -> OrderReport:
        try:
            order = await self.exchange.create_order(
                request.market,
                "market",
                request.side,
                request.amount,
                None,
                {"clientOrderId": request.client_id},
            )
        except self._ccxt.BaseError as exc:
            raise self._typed(exc) from exc
        return self._report(order, request.client_id)

    async def lookup(self, market: str, client_id: str) -> OrderReport | None:
        try:
            order = await self.exchange.fetch_order(None, market, {"origClientOrderId": client_id})
        except self._ccxt.OrderNotFound:
            return None
        except self._ccxt.BaseError as exc:
            raise self._typed(exc) from exc
        return self._report(order, client_id)

    async def cancel(self, market: str, client_id: str) -> OrderReport | None:
        try:
            order = await self.exchange.cancel_order(None, market, {"origClientOrderId": client_id})
        except self._ccxt.OrderNotFound:
            return await self.lookup(market, client_id)
        except self._ccxt.BaseError as exc:
            raise self._typed(exc) from exc
        return self._report(order, client_id)

    async def balance(self, asset: str) -> float | None:
        try:
            balance = await self.exchange.fetch_balance()
        except self._ccxt.BaseError as exc:
            raise self._typed(exc) from exc
        return float((balance.get(asset) or {}).get("free") or 0.0)

    async def position(self, rules: MarketRules) -> float | None:
        try:
            balance = await self.exchange.fetch_balance()
        except self._ccxt.BaseError as exc:
            raise self._typed(exc) from exc
        total = (balance.get(rules.base) or {}).get("total")
        return float(total or 0.0)

    async def close(self) -> None:
        await self.exchange.close()
