"""Placing and lifting holds (暂停) on a case. Run inside the caller's unit of work; audited."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, model_validator
from sqlalchemy.orm import Session

from arrears.audit import service as audit
from arrears.cases.models import Case
from arrears.compliance.enums import AGING_PAUSED_BY_DEFAULT, HoldType
from arrears.compliance.models import Hold
from arrears.contact.enums import ContactChannel
from arrears.errors import Conflict, InvalidInput, NotFound


class HoldIn(BaseModel):
    """A hold to place: what, from when, until when (inclusive; open-ended when empty), and why."""

    model_config = ConfigDict(extra="forbid")

    type: HoldType
    starts_on: date
    ends_on: date | None = None
    channel: ContactChannel | None = None
    reason: str | None = None
    pauses_aging: bool | None = None
    pauses_charges: bool = False

    @model_validator(mode="after")
    def _coherent(self) -> HoldIn:
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        if self.channel is not None and self.type is not HoldType.CHANNEL_OPT_OUT:
            raise ValueError("only a channel_opt_out hold names a channel")
        return self


def place_hold(*, db_session: Session, case: Case, hold_in: HoldIn, actor: str, set_by_id: int | None = None) -> Hold:
    pauses_aging = hold_in.pauses_aging if hold_in.pauses_aging is not None else hold_in.type in AGING_PAUSED_BY_DEFAULT
    hold = Hold(
        case_id=case.id,
        type=hold_in.type,
        channel=hold_in.channel.value if hold_in.channel else None,
        starts_on=hold_in.starts_on,
        ends_on=hold_in.ends_on,
        pauses_aging=pauses_aging,
        pauses_charges=hold_in.pauses_charges,
        reason=hold_in.reason,
        set_by_id=set_by_id,
    )
    db_session.add(hold)
    db_session.flush()
    audit.record(
        db_session=db_session,
        actor=actor,
        actor_user_id=set_by_id,
        action="hold.placed",
        subject_type="case",
        subject_id=case.id,
        tenant_id=case.tenant_id,
        details={"hold_id": hold.id, **hold_in.model_dump(mode="json"), "pauses_aging": pauses_aging},
    )
    return hold


def lift_hold(
    *, db_session: Session, hold_id: int, at: datetime, actor: str, lifted_by_id: int | None = None, reason: str
) -> Hold:
    hold = db_session.get(Hold, hold_id)
    if hold is None:
        raise NotFound(f"no hold {hold_id}")
    if hold.lifted_at is not None:
        raise Conflict(f"hold {hold_id} was already lifted at {hold.lifted_at.isoformat()}")
    if not reason.strip():
        raise InvalidInput("a reason is needed to lift a hold", where="reason")
    hold.lifted_at = at
    hold.lifted_by_id = lifted_by_id
    case = db_session.get_one(Case, hold.case_id)
    audit.record(
        db_session=db_session,
        actor=actor,
        actor_user_id=lifted_by_id,
        action="hold.lifted",
        subject_type="case",
        subject_id=case.id,
        tenant_id=case.tenant_id,
        details={"hold_id": hold.id, "type": hold.type.value, "reason": reason},
    )
    return hold
