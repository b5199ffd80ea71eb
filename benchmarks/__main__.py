"""`python -m benchmarks`: run every scenario for the bot and the baseline, print, save JSON."""

from __future__ import annotations

from benchmarks.cli import main

raise SystemExit(main())
