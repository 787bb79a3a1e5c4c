"""Personal data shown masked by default, and revealed one field at a time with an audit entry.

What a masked value keeps is what a collector needs to tell values apart and to
confirm a debtor's identity on the phone without reading the whole number out:
the country code, the first three and last four digits of a phone number; the
region code and last four characters of a resident ID; the province and city part
of an address; the domain of an email address.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit import service as audit
from arrears.cases.models import Case
from arrears.errors import InvalidInput, NotFound
from arrears.portfolio.enums import Channel
from arrears.portfolio.models import Borrower, ContactPoint

STARS = "****"


class PersonalField(StrEnum):
    RESIDENT_ID = "resident_id"
    ADDRESS = "address"
    CONTACT_POINT = "contact_point"


def mask_phone(value: str) -> str:
    """+8613812345678 -> +86 138****5678; short numbers keep only their last two digits."""
    if value.startswith("+86"):
        prefix, national = "+86 ", value[3:]
    elif value.startswith("+"):
        prefix, national = "+", value[1:]
    else:
        prefix, national = "", value
    if len(national) < 8:
        return prefix + STARS + national[-2:]
    return f"{prefix}{national[:3]}{STARS}{national[-4:]}"


def mask_resident_id(value: str) -> str:
    """110101199003071234 -> 110101********1234."""
    if len(value) <= 8:
        return STARS
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_address(value: str) -> str:
    """The first six characters (province and city), then stars."""
    return value[:6] + STARS if len(value) > 6 else STARS


def mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    return f"{local[:1]}{STARS}@{domain}" if domain else STARS


def mask_contact(channel: Channel, value: str) -> str:
    if channel is Channel.PHONE:
        return mask_phone(value)
    if channel is Channel.EMAIL:
        return mask_email(value)
    return mask_address(value)


@dataclass(frozen=True)
class Revealed:
    field: PersonalField
    value: str


def reveal(
    *,
    db_session: Session,
    case: Case,
    field: PersonalField,
    actor: str,
    user_id: int | None,
    contact_point_id: int | None = None,
    reason: str | None = None,
) -> Revealed:
    """The unmasked value of one personal field of the case's borrower; the reveal is audited.

    The caller has already decided that ``actor`` may see this case; this records that
    they did, which field, and why when they said.
    """
    borrower = db_session.get(Borrower, case.borrower_id)
    if borrower is None:
        raise NotFound(f"case {case.id} has no borrower")
    if field is PersonalField.CONTACT_POINT:
        point = db_session.scalar(
            select(ContactPoint).where(ContactPoint.id == contact_point_id, ContactPoint.borrower_id == borrower.id)
        )
        if point is None:
            raise NotFound(f"no contact point {contact_point_id} on case {case.id}", hint="reload the case page")
        value: str | None = point.value
    elif field is PersonalField.RESIDENT_ID:
        value = borrower.resident_id
    else:
        value = borrower.address
    if not value:
        raise InvalidInput(f"the borrower has no {field.value} to reveal", where="field")
    audit.record(
        db_session=db_session,
        actor=actor,
        actor_user_id=user_id,
        action="pii.revealed",
        subject_type="case",
        subject_id=case.id,
        tenant_id=case.tenant_id,
        details={"field": field.value, "contact_point_id": contact_point_id, "reason": reason},
    )
    return Revealed(field, value)
