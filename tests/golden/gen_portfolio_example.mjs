#!/usr/bin/env node
// Golden fixture for examples/portfolio_backtest.py: the reference engine backtest-kit@1.5.25,
// run as a black box (public API only), backtests each of the example's two strategies on each
// of its four real Bittrex symbols (examples/data/bittrex_<SYMBOL>_1m.csv) on their own, and
// writes tests/golden/portfolio-example.json. With no shared risk or capital, a Portfolio's
// results for a (symbol, strategy) must equal that single Backtest's (tests/test_portfolio_example.py).
//
// Usage:  REFENG=/tmp/refeng node tests/golden/gen_portfolio_example.mjs SYMBOL STRATEGY OUT.json
//   (run_portfolio_example.sh runs the eight pairs, each in its own process, and merges them)

import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bk, loadCandles, rowsGetCandles, useMemoryPersistence } from "./refeng.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const {
  addExchange, addStrategy, addFrame, setLogger, Backtest, getCandles, getAveragePrice,
  listenSignalBacktest, listenError,
} = bk;

const [SYMBOL, STRATEGY, OUT] = process.argv.slice(2);
if (!SYMBOL || !STRATEGY || !OUT) {
  console.error("usage: node gen_portfolio_example.mjs SYMBOL breakout|dip OUT.json");
  process.exit(2);
}
const EXCHANGE = "bittrex";
const FRAME = "jan-2018";
const FRAME_START = new Date("2018-01-20T06:00:00Z");
const FRAME_END = new Date("2018-01-29T23:00:00Z");
const DATA_FILE = path.resolve(HERE, `../../examples/data/bittrex_${SYMBOL}_1m.csv`);

useMemoryPersistence();
setLogger({ log() {}, debug() {}, info() {}, warn() {} });
console.warn = () => {};

// the files have gaps: rows are not one per minute
addExchange({
  exchangeName: EXCHANGE,
  getCandles: rowsGetCandles(EXCHANGE, loadCandles(DATA_FILE)),
  formatPrice: async (symbol, price) => price.toFixed(8),
  formatQuantity: async (symbol, qty) => qty.toFixed(8),
});
addFrame({ frameName: FRAME, interval: "1m", startDate: FRAME_START, endDate: FRAME_END });

// the example's strategies: the 5-candle VWAP above the highest high (breakout) or below the
// lowest low (dip) of the look-back candles before the last one; long, TP +1 %, SL -1 %, 120 min
async function signal(symbol, when, crosses) {
  const candles = await getCandles(symbol, "1m", 60);
  if (candles.length < 30) return null;
  const P = await getAveragePrice(symbol);
  const before = candles.slice(0, -1);
  if (!crosses(P, before)) return null;
  return { id: String(when.getTime()), position: "long", priceTakeProfit: P * 1.01,
           priceStopLoss: P * 0.99, minuteEstimatedTime: 120 };
}
const RULES = {
  breakout: (P, before) => P > Math.max(...before.map((c) => c.high)),
  dip: (P, before) => P < Math.min(...before.map((c) => c.low)),
};
let calls = 0;
addStrategy({
  strategyName: STRATEGY,
  interval: "5m",
  getSignal: async (symbol, when) => { calls++; return signal(symbol, when, RULES[STRATEGY]); },
});

const events = [];
const errors = [];
listenSignalBacktest((e) => { if (e.action !== "idle") events.push(e.action); });
listenError((e) => errors.push(String(e && e.message ? e.message : e)));

const results = [];
for await (const r of Backtest.run(SYMBOL, { strategyName: STRATEGY, exchangeName: EXCHANGE, frameName: FRAME })) {
  const s = r.signal;
  results.push({
    action: r.action, position: s.position, priceOpen: s.priceOpen,
    priceTakeProfit: s.priceTakeProfit, priceStopLoss: s.priceStopLoss,
    minuteEstimatedTime: s.minuteEstimatedTime, scheduledAt: s.scheduledAt, pendingAt: s.pendingAt,
    currentPrice: r.currentPrice, closeReason: r.closeReason, closeTimestamp: r.closeTimestamp,
    pnlPercentage: r.pnl ? r.pnl.pnlPercentage : undefined,
  });
}
const stats = await Backtest.getData(SYMBOL, STRATEGY);
writeFileSync(OUT, JSON.stringify({
  symbol: SYMBOL, strategy: STRATEGY, data: path.relative(path.resolve(HERE, "../.."), DATA_FILE),
  results, get_signal_calls: calls, non_idle_events: events.length, errors,
  stats: { totalSignals: stats.totalSignals, winCount: stats.winCount, lossCount: stats.lossCount,
           totalPnl: stats.totalPnl },
}));
process.exit(0);
