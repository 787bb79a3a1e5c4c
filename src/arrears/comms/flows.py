"""Use cases of the template set: save a draft (checked and linted), approve it (maker-checker), seed the shipped set.

The versioning and approval rules are the script library's: a draft is approved
by a compliance user of its tenant who did not write it
(:func:`arrears.scripts.library.flows.check_approver`), the approved version
before it is retired from the new one's first day. Each flow writes inside the
caller's transaction and audits every state change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from importlib import resources

import opencc
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from arrears.audit import service as audit
from arrears.comms import service
from arrears.comms.models import CommsTemplate, CommsTemplateText, LawFirmEngagement
from arrears.comms.rules import TemplateTexts, check_template_texts, parse_key
from arrears.errors import ConfigurationError, InvalidInput
from arrears.org import service as tenants
from arrears.org.enums import TenantKind
from arrears.org.models import User
from arrears.scripts.library.enums import Locale, ScriptStatus
from arrears.scripts.library.flows import LIBRARY_USER, check_approver

SHIPPED_EFFECTIVE_FROM = date(2026, 1, 1)
_SHIPPED = "arrears.comms.shipped"


class TextIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    body: str = Field(min_length=1)
    subject: str | None = Field(default=None, max_length=200)


class TemplateIn(BaseModel):
    """A template to save: ``<kind>/<channel>``, owner (None: the shipped set), first day in force, texts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    tenant_id: int | None = None
    effective_from: date
    texts: dict[str, TextIn] = Field(min_length=1)


class _ShippedEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str
    texts: dict[str, TextIn] = Field(min_length=1)


class _ShippedFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    templates: list[_ShippedEntry]


@dataclass
class SeedReport:
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def save_draft(*, db_session: Session, template_in: TemplateIn, author: str) -> CommsTemplate:
    """Save a new draft version after the template, required-content, opt-out and linter checks.

    Texts equal to the newest version's return that version unchanged.
    """
    kind, channel = parse_key(template_in.key)
    key = f"{kind.value}/{channel.value}"
    texts = {locale: TemplateTexts(body=t.body, subject=t.subject) for locale, t in template_in.texts.items()}
    check_template_texts(kind, channel, texts)
    latest = service.get_latest(db_session=db_session, tenant_id=template_in.tenant_id, key=key)
    if latest is not None and _texts(latest) == _plain(template_in.texts):
        return latest
    template = CommsTemplate(
        tenant_id=template_in.tenant_id,
        key=key,
        kind=kind,
        channel=channel,
        version=1 if latest is None else latest.version + 1,
        status=ScriptStatus.DRAFT,
        author=author,
        effective_from=template_in.effective_from,
    )
    template.texts = [
        CommsTemplateText(locale=locale, subject=text.subject, body=text.body)
        for locale, text in sorted(template_in.texts.items())
    ]
    db_session.add(template)
    db_session.flush()
    _audit(db_session, template, "template.drafted", author, {"locales": sorted(template_in.texts)})
    return template


def approve(*, db_session: Session, template_id: int, approver: User, at: datetime) -> CommsTemplate:
    """Publish a draft (审批); the approved version before it stays in force until the new one's first day."""
    template = service.get_template(db_session=db_session, template_id=template_id)
    check_approver(template, approver, noun="template")
    previous = service.get_approved(db_session=db_session, tenant_id=template.tenant_id, key=template.key)
    if previous is not None:
        _retire(db_session, previous, until=template.effective_from, actor=approver.username)
    _publish(db_session, template, approver=approver.username, at=at)
    return template


@cache
def load_shipped() -> dict[str, dict[str, TextIn]]:
    """The shipped templates by key; zh-TW converted from zh-CN with OpenCC where an entry has none."""
    entries: dict[str, dict[str, TextIn]] = {}
    converter = opencc.OpenCC("s2twp")
    for item in sorted(resources.files(_SHIPPED).iterdir(), key=lambda entry: entry.name):
        if not item.name.endswith(".yaml"):
            continue
        try:
            parsed = _ShippedFile.model_validate(yaml.safe_load(item.read_text(encoding="utf-8")))
        except (yaml.YAMLError, ValidationError) as error:
            raise ConfigurationError(f"shipped/{item.name} is not a valid template file: {error}") from None
        for entry in parsed.templates:
            if entry.key in entries:
                raise ConfigurationError(f"shipped template {entry.key} is defined twice (shipped/{item.name})")
            texts = dict(entry.texts)
            chinese = texts.get(Locale.ZH_CN.value)
            if chinese is not None and Locale.ZH_TW.value not in texts:
                texts[Locale.ZH_TW.value] = TextIn(
                    body=converter.convert(chinese.body),
                    subject=converter.convert(chinese.subject) if chinese.subject else None,
                )
            entries[entry.key] = texts
    return entries


def seed_shipped(*, db_session: Session, at: datetime) -> SeedReport:
    """Load the shipped set as approved templates of tenant NULL (approver ``library``); idempotent."""
    report = SeedReport()
    for key, texts in load_shipped().items():
        latest = service.get_latest(db_session=db_session, tenant_id=None, key=key)
        if latest is not None and latest.status is ScriptStatus.APPROVED and _texts(latest) == _plain(texts):
            report.unchanged.append(key)
            continue
        template_in = TemplateIn(key=key, tenant_id=None, effective_from=SHIPPED_EFFECTIVE_FROM, texts=texts)
        template = save_draft(db_session=db_session, template_in=template_in, author=LIBRARY_USER)
        previous = service.get_approved(db_session=db_session, tenant_id=None, key=template.key)
        if previous is not None and previous.id != template.id:
            _retire(db_session, previous, until=SHIPPED_EFFECTIVE_FROM, actor=LIBRARY_USER)
        _publish(db_session, template, approver=LIBRARY_USER, at=at)
        report.created.append(key)
    return report


def engage_law_firm(
    *, db_session: Session, tenant_id: int, law_firm_id: int, starts_on: date, ends_on: date | None, actor: str
) -> LawFirmEngagement:
    """Record that a lender engaged a law firm; only then may the firm's users issue its lawyer's letters."""
    firm = tenants.get(db_session=db_session, tenant_id=law_firm_id)
    if firm.kind is not TenantKind.LAW_FIRM:
        raise InvalidInput(f"tenant {firm.code} is a {firm.kind.value}, not a law firm", where="law_firm")
    if ends_on is not None and ends_on < starts_on:
        raise InvalidInput("the engagement ends before it starts", where="ends_on")
    engagement = LawFirmEngagement(
        tenant_id=tenant_id, law_firm_id=law_firm_id, starts_on=starts_on, ends_on=ends_on, created_by=actor
    )
    db_session.add(engagement)
    db_session.flush()
    audit.record(
        db_session=db_session,
        actor=actor,
        action="law_firm.engaged",
        subject_type="tenant",
        subject_id=tenant_id,
        tenant_id=tenant_id,
        details={"law_firm": firm.code, "starts_on": starts_on.isoformat(), "ends_on": _iso(ends_on)},
    )
    return engagement


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _retire(db_session: Session, template: CommsTemplate, *, until: date, actor: str) -> None:
    template.status = ScriptStatus.RETIRED
    template.effective_to = max(until, template.effective_from)
    db_session.flush()
    _audit(db_session, template, "template.retired", actor, {"effective_to": template.effective_to.isoformat()})


def _publish(db_session: Session, template: CommsTemplate, *, approver: str, at: datetime) -> None:
    template.status = ScriptStatus.APPROVED
    template.approver = approver
    template.approved_at = at
    db_session.flush()
    _audit(db_session, template, "template.approved", approver, {"effective_from": template.effective_from.isoformat()})


def _texts(template: CommsTemplate) -> dict[str, tuple[str | None, str]]:
    return {entry.locale: (entry.subject, entry.body) for entry in template.texts}


def _plain(texts: Mapping[str, TextIn]) -> dict[str, tuple[str | None, str]]:
    return {locale: (text.subject, text.body) for locale, text in texts.items()}


def _audit(db_session: Session, template: CommsTemplate, action: str, actor: str, details: dict[str, object]) -> None:
    audit.record(
        db_session=db_session,
        actor=actor,
        action=action,
        subject_type="comms_template",
        subject_id=template.id,
        tenant_id=template.tenant_id,
        details={"key": template.key, "version": template.version, **details},
    )
