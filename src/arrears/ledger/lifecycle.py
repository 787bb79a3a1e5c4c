"""A loan's lifecycle: the only moves a loan's status may make, and the event behind each."""

from __future__ import annotations

from arrears.errors import IllegalTransition
from arrears.ledger.enums import LoanStatus

S = LoanStatus

TRANSITIONS: dict[tuple[LoanStatus, str], LoanStatus] = {
    (S.ACTIVE, "due_missed"): S.OVERDUE,
    (S.ACTIVE, "accelerate"): S.ACCELERATED,
    (S.ACTIVE, "paid_off"): S.CLOSED,
    (S.OVERDUE, "paid_up"): S.ACTIVE,
    (S.OVERDUE, "accelerate"): S.ACCELERATED,
    (S.OVERDUE, "paid_off"): S.CLOSED,
    (S.ACCELERATED, "paid_off"): S.CLOSED,
    (S.ACCELERATED, "deceleration"): S.OVERDUE,  # a back-dated payment showed it never qualified
    (S.ACCELERATED, "decelerate_current"): S.ACTIVE,
    (S.CLOSED, "reopened_active"): S.ACTIVE,  # a reversal re-opened a closed loan
    (S.CLOSED, "reopened_overdue"): S.OVERDUE,
    (S.CLOSED, "reopened_accelerated"): S.ACCELERATED,
    (S.OVERDUE, "settle"): S.SETTLED,
    (S.ACCELERATED, "settle"): S.SETTLED,
    (S.OVERDUE, "charge_off"): S.CHARGED_OFF,
    (S.ACCELERATED, "charge_off"): S.CHARGED_OFF,
}

# Statuses set by people (settlement, write-off); the ledger pass never moves a loan out of them.
MANUAL_STATUSES = frozenset({S.SETTLED, S.CHARGED_OFF})

_LEDGER_EVENTS: dict[tuple[LoanStatus, LoanStatus], str] = {
    (before, after): event for (before, event), after in TRANSITIONS.items() if event not in {"settle", "charge_off"}
}


def dry_transition(status: LoanStatus, event: str) -> LoanStatus:
    """What ``event`` would make of a loan in ``status``, without doing it."""
    try:
        return TRANSITIONS[(status, event)]
    except KeyError:
        raise IllegalTransition(status=status.value, event=event) from None


def ledger_event(before: LoanStatus, computed: LoanStatus) -> str | None:
    """The event that takes a loan from its stored status to what the ledger computed.

    None when nothing changes or when a person's decision (settled, charged off)
    takes precedence over the ledger's view.
    """
    if before == computed or before in MANUAL_STATUSES:
        return None
    event = _LEDGER_EVENTS.get((before, computed))
    if event is None:
        raise IllegalTransition(status=before.value, event=f"ledger says {computed.value}")
    return event
