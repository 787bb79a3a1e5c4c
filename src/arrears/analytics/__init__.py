"""Read-only measures of the book: the portfolio summary, and the dashboard's measures (docs/metrics.md).

The measures use Polars, which the command line must not load at start, so the
names below are imported when first used.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "Filters": "arrears.analytics.filters",
    "Table": "arrears.analytics.tables",
    "to_csv": "arrears.analytics.tables",
    "to_xlsx": "arrears.analytics.tables",
    "MEASURES": "arrears.analytics.measures",
    "DESCRIPTIONS": "arrears.analytics.measures",
    "Request": "arrears.analytics.measures",
    "compute": "arrears.analytics.measures",
    "Target": "arrears.analytics.recovery",
    "DEFAULT_TARGETS": "arrears.analytics.recovery",
    "parse_target": "arrears.analytics.recovery",
    "PortfolioSummary": "arrears.analytics.summary",
    "summarize": "arrears.analytics.summary",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'arrears.analytics' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
