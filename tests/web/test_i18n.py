"""Every string a page shows has its simplified Chinese; traditional Chinese and English follow from it."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

import pytest

from arrears.comms.enums import MessageChannel, MessageStatus, TemplateKind
from arrears.compliance.enums import ComplaintStatus, HoldType
from arrears.contact.enums import ContactChannel, Outcome, Party, PromiseStatus
from arrears.ledger.enums import LoanStatus
from arrears.legal.enums import ProceedingKind, ProceedingStatus, ReferralStatus
from arrears.org.enums import Role
from arrears.portfolio.enums import ContactLabel, Relation
from arrears.scripts.intents import Intent
from arrears.scripts.library.enums import CallStep, Persona
from arrears.settlement.enums import PlanKind, PlanStatus
from arrears.strategy.enums import Arm, Quadrant, Treatment
from arrears.web import i18n
from arrears.web.pages.workbench import REASONS

WEB = Path(i18n.__file__).parent
MESSAGE = re.compile(r"""\b_\(\s*(?:"((?:[^"\\]|\\.)+)"|'((?:[^'\\]|\\.)+)')\s*\)""")

SHOWN_ENUMS: tuple[type[StrEnum], ...] = (
    ComplaintStatus,
    HoldType,
    ContactChannel,
    Outcome,
    Party,
    PromiseStatus,
    LoanStatus,
    Role,
    ContactLabel,
    Relation,
    Intent,
    CallStep,
    Persona,
    Quadrant,
    Arm,
    Treatment,
    MessageChannel,
    MessageStatus,
    TemplateKind,
    ProceedingKind,
    ProceedingStatus,
    ReferralStatus,
    PlanKind,
    PlanStatus,
)
"""Enums whose values pages translate as they are (``_(outcome.value)``)."""

OTHER_SHOWN = (
    *REASONS,
    *("contact", "promise", "payment", "hold", "complaint", "message", "plan", "legal_referral", "proceeding"),
    "no_debt_disclosure",
)


def used_messages() -> set[str]:
    found: set[str] = set()
    sources = [*WEB.glob("templates/**/*.html"), *WEB.glob("pages/*.py")]
    for path in sources:
        for double, single in MESSAGE.findall(path.read_text(encoding="utf-8")):
            found.add(double or single)
    for enum in SHOWN_ENUMS:
        found.update(member.value for member in enum)
    found.update(OTHER_SHOWN)
    return found


def test_every_message_shown_has_a_simplified_chinese_translation() -> None:
    missing = sorted(used_messages() - set(i18n.simplified_catalogue()))
    assert not missing, f"add to {i18n.CATALOGUE.name}: {missing}"


def test_traditional_chinese_is_derived_from_simplified() -> None:
    translate = i18n.translator("zh-TW")
    assert translate("Today's queue") == "今日佇列"
    assert i18n.translator("en")("Today's queue") == "Today's queue"


@pytest.mark.parametrize(
    ("requested", "header", "expected"),
    [
        ("en", "zh-CN", "en"),
        (None, "en-US,en;q=0.9", "en"),
        (None, "zh-HK,zh;q=0.8", "zh-TW"),
        (None, "fr-FR", "zh-CN"),
        ("xx", None, "zh-CN"),
    ],
)
def test_the_language_is_the_choice_then_the_browser_then_simplified_chinese(
    requested: str | None, header: str | None, expected: str
) -> None:
    assert i18n.negotiate(requested, header) == expected
