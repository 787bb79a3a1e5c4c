"""Every dashboard measure by name: the one list the API, the CLI, the exports and the benchmark read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from arrears.analytics import targets as recovery_targets
from arrears.analytics.contacts import complaint_rate, compliance_blocks, contact_rates, promises_kept
from arrears.analytics.experiment import arm_comparison
from arrears.analytics.filters import Filters
from arrears.analytics.productivity import productivity
from arrears.analytics.recovery import Target, recovery_by_age, recovery_curve
from arrears.analytics.rolls import roll_matrix, roll_rates
from arrears.analytics.tables import Table
from arrears.errors import InvalidInput


@dataclass(frozen=True)
class Request:
    """What a measure is computed for: the slice, the day it is seen from, and the recovery targets (None: the
    tenant's current ones, :mod:`arrears.analytics.targets`)."""

    filters: Filters
    as_of: date
    targets: tuple[Target, ...] | None = None


Measure = Callable[[Session, Request], Table]


def _curve(db_session: Session, request: Request) -> Table:
    targets = request.targets
    if targets is None:
        targets = recovery_targets.current(db_session=db_session, tenant_id=request.filters.tenant_id)
    return recovery_curve(db_session=db_session, filters=request.filters, as_of=request.as_of, targets=targets)


MEASURES: dict[str, Measure] = {
    "recovery_curve": _curve,
    "recovery_by_age": lambda s, r: recovery_by_age(db_session=s, filters=r.filters),
    "roll_matrix": lambda s, r: roll_matrix(db_session=s, filters=r.filters, as_of=r.as_of),
    "roll_rates": lambda s, r: roll_rates(db_session=s, filters=r.filters, as_of=r.as_of),
    "contact_rates": lambda s, r: contact_rates(db_session=s, filters=r.filters),
    "promises_kept": lambda s, r: promises_kept(db_session=s, filters=r.filters),
    "complaint_rate": lambda s, r: complaint_rate(db_session=s, filters=r.filters),
    "compliance_blocks": lambda s, r: compliance_blocks(db_session=s, filters=r.filters),
    "productivity": lambda s, r: productivity(db_session=s, filters=r.filters),
    "arm_comparison": lambda s, r: arm_comparison(db_session=s, filters=r.filters),
}
"""Name -> measure, in the order a dashboard shows them."""


DESCRIPTIONS: dict[str, str] = {
    "recovery_curve": "share of the amount entering each bucket recovered by each day since entry, against targets",
    "recovery_by_age": "share of the amount overdue at the start of the period paid during it, by age of debt",
    "roll_matrix": "loans by bucket on the 1st of each month against their state on the next 1st",
    "roll_rates": "per month and bucket: share rolled to a later bucket, stayed, improved, cured, closed",
    "contact_rates": "attempts, contact rate, right-party-contact rate, promise rate",
    "promises_kept": "promises due and resolved in the period: kept rate, amount promised against paid",
    "complaint_rate": "complaints per 1,000 contact attempts, overall and by category",
    "compliance_blocks": "contacts the guard refused, by rule",
    "productivity": "per collector: cases worked, contacts, promises, kept rate, recovered, complaints",
    "arm_comparison": "champion against challenger: recovered, cured, complained, with 95% intervals",
}
"""One line per measure, for the API's list and the CLI's help (docs/metrics.md has the definitions)."""


def compute(*, db_session: Session, name: str, request: Request) -> Table:
    """One measure by name; an unknown name is bad input that lists the known ones."""
    measure = MEASURES.get(name)
    if measure is None:
        raise InvalidInput(f"no measure '{name}'", where="measure", hint="one of: " + ", ".join(MEASURES))
    return measure(db_session, request)
