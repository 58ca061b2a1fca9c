#!/usr/bin/env bash
# Regenerate tests/golden/portfolio-example.json with the reference engine (see README.md):
#   REFENG=/tmp/refeng bash tests/golden/run_portfolio_example.sh
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PARTS="$(mktemp -d)"
for symbol in ETHBTC LTCBTC XLMBTC ADABTC; do
  for strategy in breakout dip; do
    node "$HERE/gen_portfolio_example.mjs" "$symbol" "$strategy" "$PARTS/$symbol-$strategy.json"
  done
done
node -e '
const fs = require("fs"); const dir = process.argv[1];
const runs = fs.readdirSync(dir).sort().map((f) => JSON.parse(fs.readFileSync(dir + "/" + f, "utf8")));
const out = { engine: "backtest-kit@1.5.25", node: process.version, frame: "jan-2018",
  frameStart: "2018-01-20T06:00:00Z", frameEnd: "2018-01-29T23:00:00Z", interval: "5m", runs };
fs.writeFileSync(process.argv[2], JSON.stringify(out, null, 1) + "\n");
' "$PARTS" "$HERE/portfolio-example.json"
rm -rf "$PARTS"
