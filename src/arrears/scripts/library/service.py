"""Reads of the script library; never commits.

Fallback (``get_published``): the most specific script in force wins. Specificity
is ranked, most important first:

1. an **objection** script (answers what was just said) over a step script;
2. a **persona**-specific script over a persona-less one;
3. a **stage**-specific script over one for ``any`` stage;
4. an objection script stored for the **step** asked for over one stored for another step;
5. the **tenant's own** approved version over the shipped library (tenant NULL).

A script is in force on ``as_of`` when it is approved (or retired since) and
``effective_from <= as_of < effective_to``. A script without a text in the
locale asked for is passed over.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, selectinload

from arrears.errors import NotFound
from arrears.scripts.library.enums import ANY_STAGE, CallStep, Locale, Objection, ScriptParty, ScriptStatus
from arrears.scripts.library.keys import ScenarioKey
from arrears.scripts.library.models import Script

IN_FORCE_STATUSES = (ScriptStatus.APPROVED, ScriptStatus.RETIRED)


@dataclass(frozen=True)
class Published:
    """The script chosen for a scenario and its template in the locale asked for."""

    script: Script
    locale: Locale
    template: str


@dataclass(frozen=True)
class ScriptFilter:
    """What ``get_all`` narrows by; None means any."""

    stage: str | None = None
    party: ScriptParty | None = None
    step: CallStep | None = None
    objection: Objection | None = None
    status: ScriptStatus | None = None
    locale: Locale | None = None


def get(*, db_session: Session, script_id: int) -> Script:
    script = db_session.get(Script, script_id)
    if script is None:
        raise NotFound(f"no script {script_id}", hint="see `arrears scripts list`")
    return script


def get_latest(*, db_session: Session, tenant_id: int | None, key: str) -> Script | None:
    """The newest version of ``key`` for the tenant (None: the shipped library), whatever its status."""
    stmt = (
        select(Script)
        .where(_owner(tenant_id), Script.key == key)
        .options(selectinload(Script.texts))
        .order_by(Script.version.desc())
        .limit(1)
    )
    return db_session.scalars(stmt).first()


def get_approved(*, db_session: Session, tenant_id: int | None, key: str) -> Script | None:
    stmt = select(Script).where(_owner(tenant_id), Script.key == key, Script.status == ScriptStatus.APPROVED)
    return db_session.scalars(stmt.order_by(Script.version.desc())).first()


def get_all(*, db_session: Session, tenant_id: int | None, where: ScriptFilter | None = None) -> list[Script]:
    """Every version of every script of the tenant (None: the shipped library), by key then version."""
    chosen = where or ScriptFilter()
    stmt = select(Script).where(_owner(tenant_id)).options(selectinload(Script.texts))
    for column, value in (
        (Script.stage, chosen.stage),
        (Script.party, chosen.party),
        (Script.step, chosen.step),
        (Script.objection, chosen.objection),
        (Script.status, chosen.status),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    scripts = db_session.scalars(stmt.order_by(Script.key, Script.version)).all()
    return [script for script in scripts if chosen.locale is None or script.text_for(chosen.locale) is not None]


def get_current(*, db_session: Session, tenant_id: int | None) -> list[Script]:
    """The newest version of each key that is not retired: what a reviewer would edit next."""
    newest: dict[str, Script] = {}
    for script in get_all(db_session=db_session, tenant_id=tenant_id):
        if script.status is not ScriptStatus.RETIRED:
            newest[script.key] = script
    return [newest[key] for key in sorted(newest)]


def get_published(
    *,
    db_session: Session,
    tenant_id: int | None,
    key: ScenarioKey,
    as_of: date,
    locale: Locale,
) -> Published:
    """The script in force for the scenario, by the fallback order of this module's docstring."""
    candidates = [script for script in _in_force(db_session, tenant_id, key, as_of) if script.text_for(locale)]
    if not candidates:
        raise NotFound(
            f"no approved script for {key} in {locale} on {as_of.isoformat()}", hint="run `arrears scripts seed`"
        )
    best = min(candidates, key=lambda script: rank(script, key=key, tenant_id=tenant_id))
    return Published(script=best, locale=locale, template=best.text_for(locale) or "")


def rank(script: Script, *, key: ScenarioKey, tenant_id: int | None) -> tuple[int, int, int, int, int, int]:
    """Sort order of a candidate: lower is more specific (see the module docstring); newest version first."""
    return (
        0 if key.objection is not None and script.objection == key.objection else 1,
        0 if key.persona is not None and script.persona == key.persona else 1,
        0 if script.stage == key.stage else 1,
        0 if script.step == key.step else 1,
        0 if tenant_id is not None and script.tenant_id == tenant_id else 1,
        -script.version,
    )


def _in_force(db_session: Session, tenant_id: int | None, key: ScenarioKey, as_of: date) -> Sequence[Script]:
    owners = (
        [Script.tenant_id.is_(None)]
        if tenant_id is None
        else [Script.tenant_id.is_(None), Script.tenant_id == tenant_id]
    )
    objection: ColumnElement[bool] = Script.objection.is_(None) & (Script.step == key.step)
    if key.objection is not None:
        objection = or_(objection, Script.objection == key.objection)
    persona = (
        Script.persona.is_(None)
        if key.persona is None
        else or_(Script.persona.is_(None), Script.persona == key.persona)
    )
    stmt = (
        select(Script)
        .where(
            or_(*owners),
            Script.party == key.party,
            Script.stage.in_({key.stage, ANY_STAGE}),
            Script.status.in_(IN_FORCE_STATUSES),
            Script.effective_from <= as_of,
            or_(Script.effective_to.is_(None), Script.effective_to > as_of),
            objection,
            persona,
        )
        .options(selectinload(Script.texts))
    )
    return db_session.scalars(stmt).all()


def _owner(tenant_id: int | None) -> ColumnElement[bool]:
    return Script.tenant_id.is_(None) if tenant_id is None else Script.tenant_id == tenant_id
