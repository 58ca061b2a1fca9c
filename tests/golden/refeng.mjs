// What every golden-fixture generator shares: the reference engine (backtest-kit@1.5.25 from
// $REFENG, default /tmp/refeng), in-memory persistence, and an exchange over a candle CSV.
// Public API only; see README.md.

import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const REFENG = process.env.REFENG || "/tmp/refeng";
export const bk = await import(
  pathToFileURL(path.join(REFENG, "node_modules/backtest-kit/build/index.mjs")).href
);

// nothing is written to disk and every risk book starts empty
class MemoryPersist {
  constructor(entityName, baseDir) {
    this.entityName = entityName;
    this.baseDir = baseDir;
  }
  async waitForInit() {}
  async readValue(entityId) {
    throw new Error(`MemoryPersist.readValue should not be called (${this.entityName}/${entityId})`);
  }
  async hasValue() { return false; }
  async writeValue() {}
}

export function useMemoryPersistence() {
  bk.PersistSignalAdapter.usePersistSignalAdapter(MemoryPersist);
  bk.PersistScheduleAdapter.usePersistScheduleAdapter(MemoryPersist);
  bk.PersistRiskAdapter.usePersistRiskAdapter(MemoryPersist);
  bk.PersistPartialAdapter.usePersistPartialAdapter(MemoryPersist);
}

// `timestamp,open,high,low,close,volume` rows, every field through Number(), in file order
export function loadCandles(file) {
  const lines = readFileSync(file, "utf8").split(/\r?\n/).filter((l) => l.length > 0);
  const header = lines.shift().split(",");
  const want = ["timestamp", "open", "high", "low", "close", "volume"];
  if (header.join(",") !== want.join(",")) throw new Error("unexpected CSV header " + header);
  return lines.map((l) => {
    const [timestamp, open, high, low, close, volume] = l.split(",").map(Number);
    return { timestamp, open, high, low, close, volume };
  });
}

// getCandles over `candles`: rows [i, i+limit) from the first row stamped >= since (so a gap
// in the data is simply a missing row); `onCall` counts calls
export function rowsGetCandles(name, candles, onCall = () => {}) {
  function firstIndexAtOrAfter(ts) {
    let lo = 0, hi = candles.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (candles[mid].timestamp < ts) lo = mid + 1; else hi = mid;
    }
    return lo;
  }
  return async (symbol, interval, since, limit) => {
    onCall();
    if (interval !== "1m") throw new Error(`${name} exchange supports interval 1m only, got ${interval}`);
    const i = firstIndexAtOrAfter(since.getTime());
    return candles.slice(i, i + limit).map((c) => ({ ...c }));
  };
}
