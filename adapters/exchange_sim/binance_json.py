"""The simulated exchange's state in the shapes of Binance's spot REST answers."""

from __future__ import annotations

from typing import Any

from .book import SimExchange, SimMarket, SimOrder

__all__ = ["account_json", "exchange_info_json", "order_json", "sim_order_json", "trades_json"]


def _s(value: float) -> str:
    return f"{value:.8f}"


def exchange_info_json(exchange: SimExchange) -> dict[str, Any]:
    return {
        "timezone": "UTC",
        "serverTime": exchange.now(),
        "rateLimits": [],
        "exchangeFilters": [],
        "symbols": [_symbol(market) for market in exchange.markets.values()],
    }


def _symbol(market: SimMarket) -> dict[str, Any]:
    return {
        "symbol": market.id,
        "status": "TRADING",
        "baseAsset": market.base,
        "baseAssetPrecision": 8,
        "quoteAsset": market.quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "orderTypes": ["LIMIT", "MARKET"],
        "icebergAllowed": False,
        "ocoAllowed": False,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "permissions": ["SPOT"],
        "permissionSets": [["SPOT"]],
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": _s(market.tick),
                "maxPrice": "1000000.00000000",
                "tickSize": _s(market.tick),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": _s(market.min_qty),
                "maxQty": "9000.00000000",
                "stepSize": _s(market.step),
            },
            {"filterType": "NOTIONAL", "minNotional": _s(market.min_notional)},
        ],
    }


def account_json(exchange: SimExchange) -> dict[str, Any]:
    return {
        "makerCommission": 10,
        "takerCommission": 10,
        "canTrade": True,
        "canWithdraw": False,
        "canDeposit": False,
        "updateTime": exchange.now(),
        "accountType": "SPOT",
        "balances": [
            {"asset": asset, "free": _s(free), "locked": _s(locked)}
            for asset, (free, locked) in sorted(exchange.balances.items())
        ],
        "permissions": ["SPOT"],
    }


def order_json(order: SimOrder, *, with_fills: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "symbol": order.symbol,
        "orderId": order.id,
        "orderListId": -1,
        "clientOrderId": order.client_id,
        "price": _s(order.price or 0.0),
        "origQty": _s(order.amount),
        "executedQty": _s(order.filled),
        "cummulativeQuoteQty": _s(order.quote_filled),
        "status": order.status,
        "timeInForce": "GTC" if order.type == "LIMIT" else "IOC",
        "type": order.type,
        "side": order.side,
        "time": order.time,
        "transactTime": order.time,
        "updateTime": order.update_time,
        "workingTime": order.time,
        "isWorking": order.status == "NEW",
    }
    if with_fills:
        body["fills"] = [
            {
                "price": _s(price),
                "qty": _s(qty),
                "commission": _s(fee),
                "commissionAsset": order.fee_asset,
                "tradeId": order.id * 1000 + i,
            }
            for i, (price, qty, fee) in enumerate(order.fills)
        ]
    return body


def trades_json(order: SimOrder) -> list[dict[str, Any]]:
    return [
        {
            "symbol": order.symbol,
            "id": order.id * 1000 + i,
            "orderId": order.id,
            "orderListId": -1,
            "price": _s(price),
            "qty": _s(qty),
            "quoteQty": _s(price * qty),
            "commission": _s(fee),
            "commissionAsset": order.fee_asset,
            "time": order.update_time,
            "isBuyer": order.side == "BUY",
            "isMaker": order.type == "LIMIT",
            "isBestMatch": True,
        }
        for i, (price, qty, fee) in enumerate(order.fills)
    ]


def sim_order_json(order: SimOrder) -> dict[str, Any]:
    """GET /sim/orders: one order as tests and users read it."""
    return {
        "id": order.id,
        "client_id": order.client_id,
        "symbol": order.symbol,
        "side": order.side.lower(),
        "type": order.type.lower(),
        "amount": order.amount,
        "filled": order.filled,
        "average": order.average,
        "fee": order.fee,
        "status": order.status.lower(),
        "time": order.time,
        "update_time": order.update_time,
    }
