from __future__ import annotations

from enum import StrEnum


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"
    UNKNOWN = "unknown"


class MaritalStatus(StrEnum):
    SINGLE = "single"
    MARRIED = "married"
    DIVORCED = "divorced"
    WIDOWED = "widowed"
    UNKNOWN = "unknown"


class Education(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    VOCATIONAL = "vocational"
    BACHELOR = "bachelor"
    POSTGRADUATE = "postgraduate"
    UNKNOWN = "unknown"


class Channel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    ADDRESS = "address"


class ContactLabel(StrEnum):
    MOBILE = "mobile"
    HOME = "home"
    WORK = "work"
    OTHER = "other"


class Relation(StrEnum):
    """How a third party relates to the borrower."""

    SPOUSE = "spouse"
    PARENT = "parent"
    CHILD = "child"
    SIBLING = "sibling"
    RELATIVE = "relative"
    FRIEND = "friend"
    COLLEAGUE = "colleague"
    EMPLOYER = "employer"
    GUARANTOR = "guarantor"  # 担保人: may be asked to pay, unlike other third parties
    OTHER = "other"


class ContactStatus(StrEnum):
    ACTIVE = "active"
    INVALID = "invalid"  # wrong or dead number
    DO_NOT_CONTACT = "do_not_contact"  # the person asked not to be contacted again
