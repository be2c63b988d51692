"""Run the command line with ``python -m analyzer``."""

from analyzer.cli import main

raise SystemExit(main())
