"""`make bench`: every benchmark, figures printed next to their targets and references."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
os.environ.setdefault("BACKTESTKIT_LOG_LEVEL", "error")

import bench_backtest
import bench_bias
import bench_broker
import bench_foundation
import bench_live
import bench_paper
import bench_parity
import bench_portfolio
import bench_walker

if __name__ == "__main__":
    bench_foundation.main()
    bench_backtest.main()
    bench_live.main()
    bench_broker.main()
    bench_parity.main()
    bench_portfolio.main()
    bench_paper.main()
    bench_walker.main()
    bench_bias.main()
