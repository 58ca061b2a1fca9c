#!/usr/bin/env node
// Times the reference engine backtest-kit@1.5.25 (public API only, as a black box) on the
// workloads of bench_backtest.py, on candles written by it. Prints one JSON line.
//
// Usage:  REFENG=/tmp/refeng node benchmarks/reference_bench.mjs CANDLES.f64 WORKLOAD FRAMES
//   CANDLES.f64: rows of 6 little-endian float64 (timestamp ms, open, high, low, close, volume)
//   WORKLOAD:    sma | idle   (the strategies of bench_backtest.py, written as reference users do)
//   FRAMES:      one-minute frames from 2024-01-01T00:00Z
//   REFENG:      folder whose node_modules holds backtest-kit 1.5.25 (default /tmp/refeng)

import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";

const REFENG = process.env.REFENG || "/tmp/refeng";
const bk = await import(
  pathToFileURL(path.join(REFENG, "node_modules/backtest-kit/build/index.mjs")).href
);
const {
  addExchange, addStrategy, addFrame, setLogger, Backtest, getCandles, getAveragePrice,
  PersistSignalAdapter, PersistScheduleAdapter, PersistRiskAdapter, PersistPartialAdapter,
} = bk;

const [file, workload, framesArg] = process.argv.slice(2);
const FRAMES = Number(framesArg);
if (!file || !["sma", "idle"].includes(workload) || !(FRAMES > 0)) {
  console.error("usage: node reference_bench.mjs CANDLES.f64 sma|idle FRAMES");
  process.exit(2);
}
const MINUTE = 60_000;
const START = Date.UTC(2024, 0, 1);

class NoPersist {
  async waitForInit() {}
  async readValue() { throw new Error("nothing persisted in a backtest"); }
  async hasValue() { return false; }
  async writeValue() {}
}
PersistSignalAdapter.usePersistSignalAdapter(NoPersist);
PersistScheduleAdapter.usePersistScheduleAdapter(NoPersist);
PersistRiskAdapter.usePersistRiskAdapter(NoPersist);
PersistPartialAdapter.usePersistPartialAdapter(NoPersist);
setLogger({ log() {}, debug() {}, info() {}, warn() {} });

const raw = readFileSync(file);
const cells = new Float64Array(raw.buffer, raw.byteOffset, raw.length / 8);
const rows = cells.length / 6;
const stamps = new Float64Array(rows);
for (let i = 0; i < rows; i++) stamps[i] = cells[i * 6];

function firstAtOrAfter(ts) {
  let lo = 0, hi = rows;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (stamps[mid] < ts) lo = mid + 1; else hi = mid;
  }
  return lo;
}

addExchange({
  exchangeName: "gen",
  getCandles: async (symbol, interval, since, limit) => {
    const out = [];
    for (let i = firstAtOrAfter(since.getTime()), n = 0; i < rows && n < limit; i++, n++) {
      const k = i * 6;
      out.push({ timestamp: cells[k], open: cells[k + 1], high: cells[k + 2], low: cells[k + 3],
                 close: cells[k + 4], volume: cells[k + 5] });
    }
    return out;
  },
  formatPrice: async (symbol, price) => price.toFixed(2),
  formatQuantity: async (symbol, qty) => qty.toFixed(8),
});
addFrame({
  frameName: "year", interval: "1m",
  startDate: new Date(START), endDate: new Date(START + (FRAMES - 1) * MINUTE),
});

const mean = (xs, from, to) => { let s = 0; for (let i = from; i < to; i++) s += xs[i]; return s / (to - from); };

async function smaCross(symbol) {
  const closes = (await getCandles(symbol, "1m", 30)).map((c) => c.close);
  if (closes.length < 21) return null;
  const c = closes.slice(-21);
  const slowPrev = mean(c, 0, 20), slowNow = mean(c, 1, 21);
  const fastPrev = mean(c, 15, 20), fastNow = mean(c, 16, 21);
  if (fastPrev <= slowPrev && fastNow > slowNow) {
    const P = await getAveragePrice(symbol);
    return { position: "long", priceTakeProfit: P * 1.01, priceStopLoss: P * 0.993, minuteEstimatedTime: 240 };
  }
  if (fastPrev >= slowPrev && fastNow < slowNow) {
    const P = await getAveragePrice(symbol);
    return { position: "short", priceTakeProfit: P * 0.99, priceStopLoss: P * 1.007, minuteEstimatedTime: 240 };
  }
  return null;
}

async function idle(symbol) {
  await getCandles(symbol, "1m", 5);
  return null;
}

addStrategy({
  strategyName: workload,
  interval: workload === "sma" ? "5m" : "1m",
  getSignal: workload === "sma" ? smaCross : idle,
});

const started = performance.now();
const cpuStarted = process.cpuUsage();
let results = 0;
for await (const r of Backtest.run("BTCUSDT", { strategyName: workload, exchangeName: "gen", frameName: "year" })) {
  if (r.action === "closed") results++;
}
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuStarted);  // this process's CPU time, every thread of it
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
console.log(JSON.stringify({ workload, frames: FRAMES, seconds, cpuSeconds, closed: results }));
process.exit(0); // the reference leaves its getSignal timeout timers armed
