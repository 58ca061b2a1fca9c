"""`python -m backtestkit.adapters.cli ...` is the `backtestkit` console script."""

from backtestkit.adapters.cli import main

raise SystemExit(main())
