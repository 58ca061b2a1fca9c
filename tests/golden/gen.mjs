#!/usr/bin/env node
// Golden-fixture generator: runs the reference engine backtest-kit@1.5.25 as a black box
// (public API only) on tests/data/kaggle_BTCUSD_1m.csv and writes tests/golden/<scenario>.json.
//
// Usage:  REFENG=/tmp/refeng node tests/golden/gen.mjs <scenario> [outDir]
//   scenario: sma-cross | scheduled-limit | always-long | risky-long | fuzz-1 .. fuzz-6 | walker
//   REFENG:   folder whose node_modules holds backtest-kit 1.5.25 (default /tmp/refeng)
// See tests/golden/README.md for the exact strategy definitions and the JSON schema.

import { writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { bk, loadCandles, rowsGetCandles, useMemoryPersistence } from "./refeng.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const {
  addExchange, addStrategy, addFrame, addRisk, addWalker, setLogger,
  Backtest, Walker, getCandles, getAveragePrice,
  listenSignalBacktest, listenError, listenRisk, listenPartialProfit, listenPartialLoss,
  listenWalkerProgress, listenWalkerComplete,
} = bk;

const SCENARIO = process.argv[2];
const OUT_DIR = process.argv[3] ? path.resolve(process.argv[3]) : HERE;
if (!SCENARIO) {
  console.error("usage: node gen.mjs <scenario> [outDir]");
  process.exit(2);
}

// ------------------------------------------------------------------ constants
const SYMBOL = "BTCUSD";
const EXCHANGE = "kaggle";
const FRAME = "f";
const FRAME_START = new Date("2018-03-23T13:00:00Z");
const FRAME_END = new Date("2018-03-26T23:00:00Z");
const DATA_FILE = path.resolve(HERE, "../data/kaggle_BTCUSD_1m.csv");

// ------------------------------------------------------------------ in-memory persistence
useMemoryPersistence();

// ------------------------------------------------------------------ logger (counts warnings only)
const warnCounts = {};
const countWarn = (topic) => {
  // collapse the variable PnL number in "... closed with loss (...), PNL: -1.23%"
  const key = String(topic).replace(/PNL: -?[0-9.]+%/, "PNL: <x>%");
  warnCounts[key] = (warnCounts[key] || 0) + 1;
};
setLogger({
  log() {}, debug() {}, info() {},
  warn(topic) { countWarn(topic); },
});
const consoleWarnCounts = {};
console.warn = (first) => {
  const key = String(first);
  consoleWarnCounts[key] = (consoleWarnCounts[key] || 0) + 1;
};

// ------------------------------------------------------------------ candle data + exchange
const CANDLES = loadCandles(DATA_FILE);
const exchangeCalls = { count: 0 };

addExchange({
  exchangeName: EXCHANGE,
  getCandles: rowsGetCandles("kaggle", CANDLES, () => exchangeCalls.count++),
  formatPrice: async (symbol, price) => price.toFixed(2),
  formatQuantity: async (symbol, qty) => qty.toFixed(8),
});

addFrame({ frameName: FRAME, interval: "1m", startDate: FRAME_START, endDate: FRAME_END });

// ------------------------------------------------------------------ risk profile "hours"
function addHoursRisk() {
  addRisk({
    riskName: "hours",
    validations: [
      {
        validate: (payload) => {
          if (new Date(payload.timestamp).getUTCHours() < 6) throw new Error("outside trading hours");
        },
        note: "trading hours 06-24 UTC",
      },
    ],
  });
}

// ------------------------------------------------------------------ strategies
const getSignalCalls = {}; // strategyName -> [ms]
function register(strategyName, interval, fn, extra = {}) {
  getSignalCalls[strategyName] = [];
  addStrategy({
    strategyName,
    interval,
    ...extra,
    getSignal: async (symbol, when) => {
      getSignalCalls[strategyName].push(when.getTime());
      return fn(symbol, when);
    },
  });
}

function sma(closes, n, end) {
  let sum = 0;
  for (let i = end - n; i < end; i++) sum += closes[i];
  return sum / n;
}

async function smaCross(symbol, when) {
  const closes = (await getCandles(symbol, "1m", 30)).map((c) => c.close);
  if (closes.length < 21) return null;
  const len = closes.length;
  const fastNow = sma(closes, 5, len);
  const fastPrev = sma(closes, 5, len - 1);
  const slowNow = sma(closes, 20, len);
  const slowPrev = sma(closes, 20, len - 1);
  const P = await getAveragePrice(symbol);
  const id = String(when.getTime());
  if (fastPrev <= slowPrev && fastNow > slowNow) {
    return { id, position: "long", priceTakeProfit: P * 1.01, priceStopLoss: P * 0.993, minuteEstimatedTime: 240 };
  }
  if (fastPrev >= slowPrev && fastNow < slowNow) {
    return { id, position: "short", priceTakeProfit: P * 0.99, priceStopLoss: P * 1.007, minuteEstimatedTime: 240 };
  }
  return null;
}

async function scheduledLimit(symbol, when) {
  const P = await getAveragePrice(symbol);
  const id = String(when.getTime());
  const k = Math.floor(when.getTime() / 900000) % 2;
  if (k === 0) {
    const priceOpen = P * 0.997;
    return { id, position: "long", priceOpen, priceTakeProfit: priceOpen * 1.008, priceStopLoss: priceOpen * 0.993, minuteEstimatedTime: 120 };
  }
  const priceOpen = P * 1.003;
  return { id, position: "short", priceOpen, priceTakeProfit: priceOpen * 0.992, priceStopLoss: priceOpen * 1.007, minuteEstimatedTime: 120 };
}

async function alwaysLong(symbol, when) {
  const P = await getAveragePrice(symbol);
  return { id: String(when.getTime()), position: "long", priceTakeProfit: P * 1.005, priceStopLoss: P * 0.99, minuteEstimatedTime: 60 };
}

// mulberry32: public-domain 32-bit PRNG (Tommy Ettinger), written out here.
function mulberry32(a) {
  return function next() {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeFuzz(seed) {
  return async (symbol, when) => {
    const P = await getAveragePrice(symbol);
    const rnd = mulberry32((seed * 1000003 + Math.floor(when.getTime() / 60000)) >>> 0);
    const u0 = rnd();
    if (u0 < 0.7) return null;
    const u1 = rnd(), u2 = rnd(), u3 = rnd(), u4 = rnd(), u5 = rnd(), u6 = rnd();
    const position = u1 < 0.5 ? "long" : "short";
    const market = u2 < 0.5;
    let entry = P;
    const dto = { id: String(when.getTime()), position };
    if (!market) {
      const off = 0.001 + 0.004 * u3;
      entry = position === "long" ? P * (1 - off) : P * (1 + off);
      dto.priceOpen = entry;
    }
    const tpPct = 0.3 + 1.5 * u4;
    const slPct = 0.3 + 1.5 * u5;
    if (position === "long") {
      dto.priceTakeProfit = entry * (1 + tpPct / 100);
      dto.priceStopLoss = entry * (1 - slPct / 100);
    } else {
      dto.priceTakeProfit = entry * (1 - tpPct / 100);
      dto.priceStopLoss = entry * (1 + slPct / 100);
    }
    dto.minuteEstimatedTime = 1 + Math.floor(u6 * 300);
    return dto;
  };
}

// ------------------------------------------------------------------ event capture
const events = [];
let idleCount = 0;
let idlePriceSum = 0;
const idleHash = createHash("sha256");
const idleBuf = Buffer.alloc(8);
listenSignalBacktest((r) => {
  if (r.action === "idle") {
    idleCount++;
    idlePriceSum += r.currentPrice;
    idleBuf.writeDoubleBE(r.currentPrice, 0);
    idleHash.update(idleBuf);
    return;
  }
  const e = {
    strategyName: r.strategyName,
    action: r.action,
    signalId: r.signal ? r.signal.id : null,
    currentPrice: r.currentPrice,
  };
  if (r.closeReason !== undefined) e.closeReason = r.closeReason;
  if (r.closeTimestamp !== undefined) e.closeTimestamp = r.closeTimestamp;
  if (r.pnl !== undefined) e.pnl = r.pnl;
  if (r.percentTp !== undefined) e.percentTp = r.percentTp;
  if (r.percentSl !== undefined) e.percentSl = r.percentSl;
  e.scheduledAt = r.signal ? r.signal.scheduledAt : null;
  e.pendingAt = r.signal ? r.signal.pendingAt : null;
  events.push(snap(e));
});

const errors = [];
listenError((err) => {
  errors.push(err && err.message !== undefined ? String(err.message) : String(err));
});

const risk = [];
listenRisk((ev) => {
  risk.push(snap({
    symbol: ev.symbol,
    strategyName: ev.strategyName,
    exchangeName: ev.exchangeName,
    currentPrice: ev.currentPrice,
    activePositionCount: ev.activePositionCount,
    comment: ev.comment,
    pendingSignal: ev.pendingSignal,
  }));
});

const partialEvents = [];
const partialCounts = { profit: 0, loss: 0 };
const onPartial = (kind) => (ev) => {
  partialCounts[kind]++;
  partialEvents.push(snap({
    strategyName: ev.strategyName,
    signalId: ev.data ? ev.data.id : null,
    level: ev.level,
    kind,
    currentPrice: ev.currentPrice,
    timestamp: ev.timestamp,
  }));
};
listenPartialProfit(onPartial("profit"));
listenPartialLoss(onPartial("loss"));

const walkerProgress = [];
let walkerComplete = null;
listenWalkerProgress((ev) => walkerProgress.push(snap(ev)));
listenWalkerComplete((ev) => { walkerComplete = reduceWalkerData(ev); });

// ------------------------------------------------------------------ helpers
function snap(x) { return JSON.parse(JSON.stringify(x)); }
function reduceStats(s) {
  if (!s) return s;
  return { ...snap({ ...s, signalList: [] }), signalList: s.signalList.map((r) => r.signal.id) };
}
function reduceWalkerData(d) {
  const out = snap({ ...d, bestStats: null, strategyResults: undefined });
  out.bestStats = reduceStats(d.bestStats);
  if (Array.isArray(d.strategyResults)) {
    out.strategyResults = d.strategyResults.map((r) => ({ ...snap({ ...r, stats: null }), stats: reduceStats(r.stats) }));
  }
  return out;
}
function errorCounts(list) {
  const c = {};
  for (const m of list) { const k = m.split("\n")[0]; c[k] = (c[k] || 0) + 1; }
  return c;
}
function callsSummary(name) {
  const ts = getSignalCalls[name];
  return { count: ts.length, timestamps: ts };
}

// ------------------------------------------------------------------ scenarios
const STRATS = {
  "sma-cross": () => register("sma-cross", "5m", smaCross),
  "scheduled-limit": () => register("scheduled-limit", "15m", scheduledLimit),
  "always-long": () => register("always-long", "1m", alwaysLong),
  "risky-long": () => { addHoursRisk(); register("risky-long", "1m", alwaysLong, { riskName: "hours" }); },
};
for (let seed = 1; seed <= 6; seed++) {
  STRATS[`fuzz-${seed}`] = () => {
    const extra = {};
    if (seed >= 5) { addHoursRisk(); extra.riskName = "hours"; }
    register(`fuzz-${seed}`, "1m", makeFuzz(seed), extra);
  };
}

const baseConfig = {
  scenario: SCENARIO,
  engine: "backtest-kit@1.5.25",
  node: process.version,
  symbol: SYMBOL,
  exchangeName: EXCHANGE,
  frameName: FRAME,
  frameInterval: "1m",
  frameStart: FRAME_START.getTime(),
  frameEnd: FRAME_END.getTime(),
  frameStartIso: FRAME_START.toISOString(),
  frameEndIso: FRAME_END.toISOString(),
  data: "tests/data/kaggle_BTCUSD_1m.csv",
  globalConfig: "defaults (setConfig not called)",
};

let out;
if (SCENARIO === "walker") {
  const strategies = ["sma-cross", "scheduled-limit", "always-long"];
  for (const s of strategies) STRATS[s]();
  addWalker({ walkerName: "w", exchangeName: EXCHANGE, frameName: FRAME, strategies, metric: "sharpeRatio" });
  const contracts = [];
  const t0 = performance.now();
  for await (const c of Walker.run(SYMBOL, { walkerName: "w" })) {
    contracts.push({ ...snap({ ...c, stats: null }), stats: reduceStats(c.stats) });
  }
  const refSeconds = (performance.now() - t0) / 1000;
  const data = await Walker.getData(SYMBOL, "w");
  const report = await Walker.getReport(SYMBOL, "w");
  const perStrategyCalls = {};
  for (const s of strategies) perStrategyCalls[s] = callsSummary(s);
  out = {
    config: { ...baseConfig, walkerName: "w", strategies, metric: "sharpeRatio" },
    ref_seconds: Math.round(refSeconds * 100) / 100,
    results_count: contracts.length,
    results: contracts,
    events,
    idle_count: idleCount,
    idle_price_sum: idlePriceSum,
    idle_price_sha256: idleHash.digest("hex"),
    errors,
    error_counts: errorCounts(errors),
    risk,
    partial: { profit: partialCounts.profit, loss: partialCounts.loss, events: partialEvents },
    get_signal_calls: perStrategyCalls,
    walker_progress: walkerProgress,
    walker_complete: walkerComplete,
    walker_data: reduceWalkerData(data),
    walker_report: report,
    exchange_get_candles_calls: exchangeCalls.count,
    logger_warn_counts: warnCounts,
    console_warn_counts: consoleWarnCounts,
  };
} else if (STRATS[SCENARIO]) {
  STRATS[SCENARIO]();
  const strategyName = SCENARIO;
  const results = [];
  const t0 = performance.now();
  for await (const r of Backtest.run(SYMBOL, { strategyName, exchangeName: EXCHANGE, frameName: FRAME })) {
    results.push(snap(r));
  }
  const refSeconds = (performance.now() - t0) / 1000;
  const stats = await Backtest.getData(SYMBOL, strategyName);
  const report = await Backtest.getReport(SYMBOL, strategyName);
  out = {
    config: { ...baseConfig, strategyName },
    ref_seconds: Math.round(refSeconds * 100) / 100,
    results_count: results.length,
    results,
    events,
    idle_count: idleCount,
    idle_price_sum: idlePriceSum,
    idle_price_sha256: idleHash.digest("hex"),
    errors,
    error_counts: errorCounts(errors),
    risk,
    partial: { profit: partialCounts.profit, loss: partialCounts.loss, events: partialEvents },
    get_signal_calls: callsSummary(strategyName),
    stats: reduceStats(stats),
    report,
    exchange_get_candles_calls: exchangeCalls.count,
    logger_warn_counts: warnCounts,
    console_warn_counts: consoleWarnCounts,
  };
} else {
  console.error(`unknown scenario ${SCENARIO}`);
  process.exit(2);
}

const file = path.join(OUT_DIR, `${SCENARIO}.json`);
writeFileSync(file, JSON.stringify(out, null, 1) + "\n");
console.log(`${SCENARIO}: results=${out.results_count} events=${events.length} idle=${idleCount} errors=${errors.length} risk=${risk.length} partial=${partialCounts.profit}/${partialCounts.loss} ref_seconds=${out.ref_seconds} -> ${file}`);
process.exit(0);
