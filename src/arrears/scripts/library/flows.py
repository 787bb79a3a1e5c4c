"""Use cases of the script library: save a draft (linted), approve it (maker-checker), seed the shipped set.

Each flow writes inside the caller's transaction and records every state change
in the audit log; the adapter (CLI, web) opens and commits the unit of work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from arrears.audit import service as audit
from arrears.errors import Conflict, InvalidInput
from arrears.org.enums import Role
from arrears.org.models import User
from arrears.scripts.library import service
from arrears.scripts.library.enums import ScriptStatus
from arrears.scripts.library.keys import ScenarioKey, parse_key
from arrears.scripts.library.models import Script, ScriptText
from arrears.scripts.library.rules import check_script

LIBRARY_USER = "library"
"""Author and approver of the shipped library: it is reviewed in git before a release, not in the product."""


class ScriptIn(BaseModel):
    """A script to save: its scenario key, owner (None: the shipped library) and first day in force."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    tenant_id: int | None = None
    effective_from: date


@dataclass
class SeedReport:
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def save_draft(*, db_session: Session, script_in: ScriptIn, texts_by_locale: Mapping[str, str], author: str) -> Script:
    """Save a new draft version of a script after the template and content checks.

    Refused (InvalidInput naming rule, excerpt and locale) when any locale's text has
    an error-level linter finding, raw or rendered with a sample case, or when a
    third-party script mentions the debt. Texts equal to the newest version's
    return that version unchanged, so saving the same file twice adds nothing.
    """
    key = parse_key(script_in.key)
    check_script(key, texts_by_locale)
    latest = service.get_latest(db_session=db_session, tenant_id=script_in.tenant_id, key=str(key))
    if latest is not None and _texts(latest) == dict(texts_by_locale):
        return latest
    script = _new_version(db_session, script_in, key, latest, author)
    script.texts = [ScriptText(locale=locale, template=text) for locale, text in sorted(texts_by_locale.items())]
    db_session.flush()
    _audit(db_session, script, "script.drafted", author, {"locales": sorted(texts_by_locale)})
    return script


def approve(*, db_session: Session, script_id: int, approver: User, at: datetime) -> Script:
    """Publish a draft (审批): only a compliance user of the script's tenant who did not write it.

    The previously approved version of the same key is retired; it stays in force
    until the new version's first day, so a decision can be replayed at any date.
    """
    script = service.get(db_session=db_session, script_id=script_id)
    check_approver(script, approver)
    previous = service.get_approved(db_session=db_session, tenant_id=script.tenant_id, key=script.key)
    if previous is not None:
        _retire(db_session, previous, until=script.effective_from, actor=approver.username)
    _publish(db_session, script, approver=approver.username, at=at)
    return script


def seed_shipped(
    *, db_session: Session, scripts: Mapping[str, Mapping[str, str]], effective_from: date, at: datetime
) -> SeedReport:
    """Load the shipped library as approved scripts of tenant NULL; a key whose texts are unchanged is left alone."""
    report = SeedReport()
    for key_text, texts in scripts.items():
        script_in = ScriptIn(key=key_text, tenant_id=None, effective_from=effective_from)
        latest = service.get_latest(db_session=db_session, tenant_id=None, key=str(parse_key(key_text)))
        if latest is not None and latest.status is ScriptStatus.APPROVED and _texts(latest) == dict(texts):
            report.unchanged.append(key_text)
            continue
        script = save_draft(db_session=db_session, script_in=script_in, texts_by_locale=texts, author=LIBRARY_USER)
        previous = service.get_approved(db_session=db_session, tenant_id=None, key=script.key)
        if previous is not None and previous.id != script.id:
            _retire(db_session, previous, until=effective_from, actor=LIBRARY_USER)
        _publish(db_session, script, approver=LIBRARY_USER, at=at)
        report.created.append(key_text)
    return report


def _new_version(
    db_session: Session, script_in: ScriptIn, key: ScenarioKey, latest: Script | None, author: str
) -> Script:
    script = Script(
        tenant_id=script_in.tenant_id,
        key=str(key),
        stage=key.stage,
        party=key.party,
        step=key.step,
        persona=key.persona,
        objection=key.objection,
        version=1 if latest is None else latest.version + 1,
        status=ScriptStatus.DRAFT,
        author=author,
        effective_from=script_in.effective_from,
    )
    db_session.add(script)
    return script


class Approvable(Protocol):
    """A versioned text under maker-checker: a script here, a letter or message template in :mod:`arrears.comms`."""

    @property
    def id(self) -> int: ...
    @property
    def tenant_id(self) -> int | None: ...
    @property
    def status(self) -> ScriptStatus: ...
    @property
    def author(self) -> str: ...


def check_approver(subject: Approvable, approver: User, *, noun: str = "script") -> None:
    """Maker-checker (审批): a draft of a tenant, approved by a compliance user of that tenant who did not write it."""
    if subject.status is not ScriptStatus.DRAFT:
        raise Conflict(f"{noun} {subject.id} is {subject.status.value}, only a draft can be approved")
    if subject.tenant_id is None:
        raise InvalidInput(
            "the shipped library is changed by a release, not approved per tenant",
            where=noun,
            hint="save a tenant version of the key and approve that",
        )
    if approver.role is not Role.COMPLIANCE:
        raise InvalidInput(
            f"{approver.username} is {approver.role.value}; only compliance (质检) approves {noun}s", where="approver"
        )
    if approver.tenant_id != subject.tenant_id:
        raise InvalidInput(f"{approver.username} is not a user of the {noun}'s tenant", where="approver")
    if approver.username == subject.author:
        raise InvalidInput(
            f"{approver.username} wrote {noun} {subject.id} and cannot also approve it",
            where="approver",
            hint="maker-checker: another compliance user must approve",
        )


def _retire(db_session: Session, script: Script, *, until: date, actor: str) -> None:
    script.status = ScriptStatus.RETIRED
    script.effective_to = max(until, script.effective_from)
    db_session.flush()
    _audit(db_session, script, "script.retired", actor, {"effective_to": script.effective_to.isoformat()})


def _publish(db_session: Session, script: Script, *, approver: str, at: datetime) -> None:
    script.status = ScriptStatus.APPROVED
    script.approver = approver
    script.approved_at = at
    db_session.flush()
    _audit(db_session, script, "script.approved", approver, {"effective_from": script.effective_from.isoformat()})


def _texts(script: Script) -> dict[str, str]:
    return {entry.locale: entry.template for entry in script.texts}


def _audit(db_session: Session, script: Script, action: str, actor: str, details: dict[str, object]) -> None:
    audit.record(
        db_session=db_session,
        actor=actor,
        action=action,
        subject_type="script",
        subject_id=script.id,
        tenant_id=script.tenant_id,
        details={"key": script.key, "version": script.version, **details},
    )
