"""The local exchange over HTTP: the part of Binance's spot REST API that ccxt's `binance`
calls for trading, with request signatures checked, plus `/sim/*` for tests and rehearsals.

Only 127.0.0.1 is served. Signed endpoints need the API key in X-MBX-APIKEY and an HMAC-SHA256
of the query (or form body) with the secret, as Binance checks; the timestamp must lie within
recvWindow of the wall clock (the exchange clock itself may run ahead, see /sim/advance).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from .binance_json import (
    account_json,
    exchange_info_json,
    order_json,
    sim_order_json,
    trades_json,
)
from .book import SimError, SimExchange
from .faults import Fault, FaultPlan, parse_fault

__all__ = ["SimServer", "build_app"]

Handler = Callable[[web.Request, dict[str, str], Fault | None], Awaitable[Any]]


class SimServer:
    def __init__(
        self,
        exchange: SimExchange,
        *,
        api_key: str,
        api_secret: str,
        faults: FaultPlan | None = None,
        fault_delay_s: float = 10.0,
    ) -> None:
        if not api_key or not api_secret:
            raise ValueError(
                "exchange-sim: set BACKTESTKIT_API_KEY and BACKTESTKIT_API_SECRET "
                "(any values: the bot must send the same)"
            )
        self.exchange = exchange
        self.api_key, self.api_secret = api_key, api_secret.encode()
        self.faults = faults or FaultPlan()
        self.fault_delay_s = fault_delay_s

    # -- request plumbing ----------------------------------------------------------------

    async def _params(self, request: web.Request, signed: bool) -> dict[str, str]:
        raw = await request.text() if request.method == "POST" else request.query_string
        if not signed:
            return dict(parse_qsl(raw))
        if request.headers.get("X-MBX-APIKEY") != self.api_key:
            raise SimError(401, -2015, "Invalid API-key, IP, or permissions for action.")
        payload, _, signature = raw.rpartition("&signature=")
        expected = hmac.new(self.api_secret, payload.encode(), hashlib.sha256).hexdigest()
        if not payload or not hmac.compare_digest(signature, expected):
            raise SimError(400, -1022, "Signature for this request is not valid.")
        params = dict(parse_qsl(payload))
        window = int(params.get("recvWindow", "5000"))
        stamp = int(params.get("timestamp", "0"))
        if abs(time.time() * 1000 - stamp) > window:
            raise SimError(400, -1021, "Timestamp for this request is outside of the recvWindow.")
        return params

    def route(self, endpoint: str, handler: Handler, *, signed: bool) -> Any:
        async def serve(request: web.Request) -> web.StreamResponse:
            fault = self.faults.take(endpoint)
            if fault is not None and fault.kind in ("500", "502", "503", "504"):
                return web.Response(status=int(fault.kind), text="Service Unavailable")
            if fault is not None and fault.kind == "429":
                headers = {"Retry-After": f"{fault.retry_after:g}"}
                return web.json_response(
                    {"code": -1003, "msg": "Too many requests."}, status=429, headers=headers
                )
            if fault is not None and fault.kind == "drop":
                await asyncio.sleep(self.fault_delay_s)
                return web.Response(status=504, text="Gateway Timeout")
            try:
                params = await self._params(request, signed)
                body = await handler(request, params, fault)
            except SimError as exc:
                return web.json_response({"code": exc.code, "msg": exc.message}, status=exc.http)
            except (KeyError, ValueError) as exc:
                return web.json_response(
                    {"code": -1102, "msg": f"Mandatory parameter missing or malformed: {exc}"},
                    status=400,
                )
            if fault is not None and fault.kind == "timeout":  # carried out, answered too late
                await asyncio.sleep(self.fault_delay_s)
            return web.json_response(body)

        return serve

    # -- Binance endpoints ---------------------------------------------------------------

    async def time(self, request: web.Request, p: dict[str, str], f: Fault | None) -> Any:
        return {"serverTime": self.exchange.now()}

    async def exchange_info(self, request: web.Request, p: dict[str, str], f: Fault | None) -> Any:
        return exchange_info_json(self.exchange)

    async def account(self, request: web.Request, p: dict[str, str], f: Fault | None) -> Any:
        self.exchange.match()
        return account_json(self.exchange)

    async def create(self, request: web.Request, p: dict[str, str], f: Fault | None) -> Any:
        order = self.exchange.create(
            symbol=p["symbol"],
            side=p["side"],
            type=p["type"],
            quantity=float(p["quantity"]),
            price=float(p["price"]) if "price" in p else None,
            client_id=p.get("newClientOrderId", ""),
            partial=f is not None and f.kind == "partial",
            reject=f is not None and f.kind == "reject",
        )
        return order_json(order, with_fills=True)

    def _which(self, p: dict[str, str]) -> dict[str, Any]:
        order_id = p.get("orderId")
        return {
            "client_id": p.get("origClientOrderId"),
            "order_id": int(order_id) if order_id else None,
        }

    async def get_order(self, request: web.Request, p: dict[str, str], f: Fault | None) -> Any:
        return order_json(self.exchange.find(p["symbol"], **self._which(p)))

    async def cancel(self, request: web.Request, p: dict[str, str], f: Fault | None) -> Any:
        return order_json(self.exchange.cancel(p["symbol"], **self._which(p)))

    def _orders(self, p: dict[str, str]) -> list[Any]:
        self.exchange.match()
        symbol = p.get("symbol")
        return [o for o in self.exchange.orders if symbol is None or o.symbol == symbol]

    async def open_orders(self, request: web.Request, p: dict[str, str], f: Fault | None) -> Any:
        return [order_json(o) for o in self._orders(p) if o.status == "NEW"]

    async def all_orders(self, request: web.Request, p: dict[str, str], f: Fault | None) -> Any:
        return [order_json(o) for o in self._orders(p)]

    async def my_trades(self, request: web.Request, p: dict[str, str], f: Fault | None) -> Any:
        return [trade for o in self._orders(p) for trade in trades_json(o)]

    # -- /sim ----------------------------------------------------------------------------

    async def sim_orders(self, request: web.Request) -> web.Response:
        self.exchange.match()
        return web.json_response([sim_order_json(o) for o in self.exchange.orders])

    async def sim_balances(self, request: web.Request) -> web.Response:
        return web.json_response(
            {a: {"free": fr, "locked": lo} for a, (fr, lo) in self.exchange.balances.items()}
        )

    async def sim_advance(self, request: web.Request) -> web.Response:
        body = await request.json()
        try:
            now = self.exchange.advance(int(body.get("ms", 0)))
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"serverTime": now})

    async def sim_faults(self, request: web.Request) -> web.Response:
        body = await request.json()
        try:
            for text in body.get("faults", []):
                self.faults.add(parse_fault(text))
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response(
            {"pending": [f"{f.endpoint}:{f.kind}" for f in self.faults.pending]}
        )


def build_app(server: SimServer) -> web.Application:
    app = web.Application()
    r, s = app.router, server
    r.add_get("/api/v3/ping", s.route("ping", lambda *_: _empty(), signed=False))
    r.add_get("/api/v3/time", s.route("time", s.time, signed=False))
    r.add_get("/api/v3/exchangeInfo", s.route("exchangeInfo", s.exchange_info, signed=False))
    r.add_get("/api/v3/account", s.route("account", s.account, signed=True))
    r.add_post("/api/v3/order", s.route("order", s.create, signed=True))
    r.add_get("/api/v3/order", s.route("order.get", s.get_order, signed=True))
    r.add_delete("/api/v3/order", s.route("order.delete", s.cancel, signed=True))
    r.add_get("/api/v3/openOrders", s.route("openOrders", s.open_orders, signed=True))
    r.add_get("/api/v3/allOrders", s.route("allOrders", s.all_orders, signed=True))
    r.add_get("/api/v3/myTrades", s.route("myTrades", s.my_trades, signed=True))
    r.add_get("/sim/orders", s.sim_orders)
    r.add_get("/sim/balances", s.sim_balances)
    r.add_post("/sim/advance", s.sim_advance)
    r.add_post("/sim/faults", s.sim_faults)
    return app


async def _empty() -> dict[str, Any]:
    return {}
