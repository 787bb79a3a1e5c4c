"""The library shipped with Arrears (``shipped/*.yaml``), reviewed in git, seeded as tenant NULL.

Every file has the format of :mod:`exchange`; exactly one of them (``_defaults.yaml``)
carries the ``defaults`` header with the hotline and payment channels used when a
tenant has none of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources

from sqlalchemy.orm import Session

from arrears.errors import ConfigurationError
from arrears.scripts.library import flows
from arrears.scripts.library.context import ScriptSettings
from arrears.scripts.library.exchange import parse_library

SHIPPED_EFFECTIVE_FROM = date(2026, 1, 1)
_PACKAGE = "arrears.scripts.library.shipped"


@dataclass(frozen=True)
class ShippedLibrary:
    defaults: ScriptSettings
    scripts: dict[str, dict[str, str]]
    """Texts by locale, by scenario key."""


@cache
def load_shipped() -> ShippedLibrary:
    """Every shipped script, parsed once per process; a duplicate key across files is a packaging error."""
    defaults: ScriptSettings | None = None
    scripts: dict[str, dict[str, str]] = {}
    for entry in sorted(resources.files(_PACKAGE).iterdir(), key=lambda item: item.name):
        if not entry.name.endswith(".yaml"):
            continue
        library = parse_library(entry.read_text(encoding="utf-8"), source=f"shipped/{entry.name}")
        defaults = library.defaults or defaults
        for script in library.scripts:
            if script.key in scripts:
                raise ConfigurationError(f"shipped script {script.key} is defined twice (shipped/{entry.name})")
            scripts[script.key] = dict(script.texts)
    if defaults is None:
        raise ConfigurationError("the shipped library has no defaults header (shipped/_defaults.yaml)")
    return ShippedLibrary(defaults=defaults, scripts=scripts)


def seed(*, db_session: Session, at: datetime) -> flows.SeedReport:
    """Load the shipped library as approved scripts of tenant NULL (approver ``library``); idempotent."""
    return flows.seed_shipped(
        db_session=db_session, scripts=load_shipped().scripts, effective_from=SHIPPED_EFFECTIVE_FROM, at=at
    )
