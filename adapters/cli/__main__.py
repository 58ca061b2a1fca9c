"""`python -m backtestkit.adapters.cli ...` is the `backtestkit` console script."""

from . import main

raise SystemExit(main())
