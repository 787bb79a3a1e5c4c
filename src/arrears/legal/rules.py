"""Pure rules of legal escalation: no database, no clock.

* the referral checklist, as data;
* each proceeding's lifecycle as a table of ``(kind, status, event) -> status``;
* the payment order's objection deadline (支付令异议期);
* the agency's commission on what was recovered during a placement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from arrears.errors import InvalidInput
from arrears.legal.calendar import WorkingCalendar
from arrears.legal.enums import ProceedingKind, ProceedingStatus
from arrears.legal.exceptions import ProceedingTransitionRefused
from arrears.money import round_money

K = ProceedingKind
S = ProceedingStatus


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    zh: str
    en: str
    signoff: bool = False
    """A sign-off must come from someone other than the person who referred the case."""


CHECKLIST: tuple[ChecklistItem, ...] = (
    ChecklistItem(
        "documents_gathered",
        "借款合同、借据、放款凭证等证据已收集齐全",
        "loan contract, receipt of the loan and proof of disbursement are on file",
    ),
    ChecklistItem(
        "amount_confirmed",
        "主张金额(本金、利息、费用)已逐项核对,未超出法律保护上限",
        "the amount claimed (principal, interest, charges) is checked item by item and within the legal cap",
    ),
    ChecklistItem(
        "debtor_notified",
        "已书面通知借款人将移交法律程序",
        "the debtor has been told in writing that the case is going to legal action",
    ),
    ChecklistItem(
        "non_legal_exhausted",
        "电话、信函、上门等非诉催收已尝试并有记录",
        "calls, letters and visits were tried first and are on record",
    ),
    ChecklistItem(
        "approver_signoff",
        "审批人已签字同意移交法务",
        "an approver has signed off the referral",
        signoff=True,
    ),
)
CHECKLIST_KEYS: tuple[str, ...] = tuple(item.key for item in CHECKLIST)

INITIAL_STATUS: dict[ProceedingKind, ProceedingStatus] = {
    K.PAYMENT_ORDER: S.APPLIED,
    K.LAWSUIT: S.FILED,
    K.ENFORCEMENT: S.APPLIED,
    K.CONSUMPTION_RESTRICTION: S.APPLIED,
    K.DISHONEST_LISTING: S.APPLIED,
}


def _each(
    kind: ProceedingKind, sources: tuple[ProceedingStatus, ...], event: str, target: ProceedingStatus
) -> dict[tuple[ProceedingKind, ProceedingStatus, str], ProceedingStatus]:
    return {(kind, source, event): target for source in sources}


TRANSITIONS: dict[tuple[ProceedingKind, ProceedingStatus, str], ProceedingStatus] = {
    # 支付令: applied -> issued -> served -> (objected | effective) -> closed
    (K.PAYMENT_ORDER, S.APPLIED, "issue"): S.ISSUED,
    (K.PAYMENT_ORDER, S.APPLIED, "reject"): S.REJECTED,
    (K.PAYMENT_ORDER, S.ISSUED, "serve"): S.SERVED,
    (K.PAYMENT_ORDER, S.SERVED, "object"): S.OBJECTED,
    (K.PAYMENT_ORDER, S.SERVED, "lapse"): S.EFFECTIVE,
    (K.PAYMENT_ORDER, S.OBJECTED, "close"): S.CLOSED,
    (K.PAYMENT_ORDER, S.EFFECTIVE, "close"): S.CLOSED,
    **_each(K.PAYMENT_ORDER, (S.APPLIED, S.ISSUED, S.SERVED, S.EFFECTIVE), "settle", S.SETTLED),
    **_each(K.PAYMENT_ORDER, (S.APPLIED, S.ISSUED, S.SERVED), "withdraw", S.WITHDRAWN),
    # 诉讼: filed -> accepted -> hearing scheduled (may be rescheduled) -> judged -> closed
    (K.LAWSUIT, S.FILED, "accept"): S.ACCEPTED,
    (K.LAWSUIT, S.FILED, "reject"): S.REJECTED,
    (K.LAWSUIT, S.ACCEPTED, "schedule_hearing"): S.HEARING_SCHEDULED,
    (K.LAWSUIT, S.HEARING_SCHEDULED, "schedule_hearing"): S.HEARING_SCHEDULED,
    (K.LAWSUIT, S.HEARING_SCHEDULED, "judge"): S.JUDGED,
    (K.LAWSUIT, S.JUDGED, "close"): S.CLOSED,
    **_each(K.LAWSUIT, (S.FILED, S.ACCEPTED, S.HEARING_SCHEDULED, S.JUDGED), "settle", S.SETTLED),
    **_each(K.LAWSUIT, (S.FILED, S.ACCEPTED, S.HEARING_SCHEDULED), "withdraw", S.WITHDRAWN),
    # 强制执行: applied -> in progress (freeze, deduct, auction as often as needed) -> closed
    (K.ENFORCEMENT, S.APPLIED, "accept"): S.IN_PROGRESS,
    (K.ENFORCEMENT, S.APPLIED, "reject"): S.REJECTED,
    (K.ENFORCEMENT, S.IN_PROGRESS, "freeze"): S.IN_PROGRESS,
    (K.ENFORCEMENT, S.IN_PROGRESS, "deduct"): S.IN_PROGRESS,
    (K.ENFORCEMENT, S.IN_PROGRESS, "auction"): S.IN_PROGRESS,
    (K.ENFORCEMENT, S.IN_PROGRESS, "suspend"): S.SUSPENDED,
    (K.ENFORCEMENT, S.SUSPENDED, "resume"): S.IN_PROGRESS,
    **_each(K.ENFORCEMENT, (S.IN_PROGRESS, S.SUSPENDED), "close", S.CLOSED),
    **_each(K.ENFORCEMENT, (S.APPLIED, S.IN_PROGRESS, S.SUSPENDED), "settle", S.SETTLED),
    **_each(K.ENFORCEMENT, (S.APPLIED, S.IN_PROGRESS, S.SUSPENDED), "withdraw", S.WITHDRAWN),
    # 限制消费 and 失信被执行人: applied -> in force -> lifted
    (K.CONSUMPTION_RESTRICTION, S.APPLIED, "order"): S.IN_FORCE,
    (K.CONSUMPTION_RESTRICTION, S.APPLIED, "reject"): S.REJECTED,
    (K.CONSUMPTION_RESTRICTION, S.APPLIED, "withdraw"): S.WITHDRAWN,
    (K.CONSUMPTION_RESTRICTION, S.IN_FORCE, "lift"): S.LIFTED,
    (K.DISHONEST_LISTING, S.APPLIED, "list"): S.IN_FORCE,
    (K.DISHONEST_LISTING, S.APPLIED, "reject"): S.REJECTED,
    (K.DISHONEST_LISTING, S.APPLIED, "withdraw"): S.WITHDRAWN,
    (K.DISHONEST_LISTING, S.IN_FORCE, "lift"): S.LIFTED,
}

EVENTS: tuple[str, ...] = tuple(sorted({event for _, _, event in TRANSITIONS}))

TERMINAL: frozenset[ProceedingStatus] = frozenset(S) - {status for (_, status, _) in TRANSITIONS}
"""Statuses with no way out: the proceeding is over (objected, effective and judged still close)."""

BASIS_FOR: dict[ProceedingKind, dict[ProceedingKind, frozenset[ProceedingStatus]]] = {
    K.ENFORCEMENT: {
        K.PAYMENT_ORDER: frozenset({S.EFFECTIVE, S.CLOSED}),
        K.LAWSUIT: frozenset({S.JUDGED, S.CLOSED}),
    },
    K.CONSUMPTION_RESTRICTION: {K.ENFORCEMENT: frozenset({S.IN_PROGRESS, S.SUSPENDED})},
    K.DISHONEST_LISTING: {K.ENFORCEMENT: frozenset({S.IN_PROGRESS, S.SUSPENDED})},
}
"""What a proceeding must stand on: enforcement needs an enforceable title (an effective
payment order or a judgment); restriction and listing are asked for within enforcement."""

OBJECTION_PERIOD_DAYS = 15


def allowed_events(kind: ProceedingKind, status: ProceedingStatus) -> list[str]:
    return sorted(event for (k, source, event) in TRANSITIONS if k is kind and source is status)


def dry_transition(kind: ProceedingKind, status: ProceedingStatus, event: str) -> ProceedingStatus:
    """The status ``event`` leads to, without doing it; refused with the allowed events otherwise."""
    try:
        return TRANSITIONS[(kind, status, event)]
    except KeyError:
        raise ProceedingTransitionRefused(
            kind=kind.value, status=status.value, event=event, allowed=allowed_events(kind, status)
        ) from None


def objection_deadline(served_on: date, calendar: WorkingCalendar) -> date:
    """The last day the debtor may object to a payment order served on ``served_on``.

    Civil Procedure Law: the debtor objects within 15 days of receiving the order
    (art. 227 of the 2023 text); a period counted in days starts on the day after the
    event, and a period whose last day is a rest day ends on the first working day
    after it (art. 85). Service on a Friday: day 1 is Saturday, day 15 a Saturday,
    so the deadline is the Monday after (or later if that is a holiday).
    """
    try:
        last_day = served_on + timedelta(days=OBJECTION_PERIOD_DAYS)
    except OverflowError:
        raise InvalidInput(f"{served_on} is past the end of the calendar", where="on") from None
    return calendar.next_working_day_from(last_day)


def commission(recovered: Decimal, rate: Decimal, currency: str = "CNY") -> Decimal:
    """The agency's commission on ``recovered``: one multiplication, rounded once, half up."""
    return round_money(recovered * rate, currency)
