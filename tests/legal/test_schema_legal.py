"""The legal tables that the migration creates are the ones the models describe, on both back ends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from arrears.db.registry import metadata

LEGAL_TABLES = {
    "legal_referrals",
    "legal_proceedings",
    "legal_proceeding_events",
    "legal_amounts",
    "legal_alerts",
    "agency_placements",
}


def _touches_legal(diff: object) -> bool:
    items = diff if isinstance(diff, list) else [diff]
    for item in items:
        for part in item if isinstance(item, tuple) else (item,):
            table = getattr(part, "table", None)
            name = getattr(table, "name", None) or getattr(part, "name", None)
            if name in LEGAL_TABLES or (isinstance(part, str) and part in LEGAL_TABLES):
                return True
    return False


def test_the_migration_matches_the_legal_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = [diff for diff in compare_metadata(context, metadata) if _touches_legal(diff)]
    assert diffs == []
