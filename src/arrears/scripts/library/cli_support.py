"""What the ``arrears scripts`` library commands do, given names as typed: tenant codes, usernames, keys."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from sqlalchemy.orm import Session

from arrears.cases.models import Case
from arrears.errors import InvalidInput, NotFound
from arrears.files import read_text
from arrears.org import service as tenants
from arrears.org.models import User
from arrears.scripts.library import bundled, exchange, flows, service
from arrears.scripts.library.context import ScriptSettings, assigned_collector, context_for_case, get_user
from arrears.scripts.library.enums import CallStep, Locale, Objection, ScriptParty, ScriptStatus
from arrears.scripts.library.keys import parse_key
from arrears.scripts.library.models import Script
from arrears.scripts.library.templates import render

_E = TypeVar("_E", bound=StrEnum)


def seed(*, db_session: Session) -> flows.SeedReport:
    return bundled.seed(db_session=db_session, at=datetime.now(UTC))


def script_filter(
    *,
    stage: str | None,
    party: str | None,
    step: str | None,
    objection: str | None,
    locale: str | None,
    status: str | None,
) -> service.ScriptFilter:
    return service.ScriptFilter(
        stage=stage,
        party=_choice(ScriptParty, party, "--party"),
        step=_choice(CallStep, step, "--step"),
        objection=_choice(Objection, objection, "--objection"),
        status=_choice(ScriptStatus, status, "--status"),
        locale=_choice(Locale, locale, "--locale"),
    )


def list_lines(*, db_session: Session, tenant_code: str | None, where: service.ScriptFilter) -> list[str]:
    scripts = service.get_all(db_session=db_session, tenant_id=_tenant_id(db_session, tenant_code), where=where)
    return [f"{s.id}\t{s.key}\tv{s.version}\t{s.status.value}\t{','.join(t.locale for t in s.texts)}" for s in scripts]


def show_text(*, db_session: Session, key: str, tenant_code: str | None, locale: str | None) -> str:
    tenant_id = _tenant_id(db_session, tenant_code)
    script = service.get_latest(db_session=db_session, tenant_id=tenant_id, key=str(parse_key(key)))
    if script is None:
        raise InvalidInput(f"no script {key}", where="key", hint="see `arrears scripts list`")
    header = f"{script.key} v{script.version} {script.status.value} by {script.author}"
    approval = f", approved by {script.approver}" if script.approver else ""
    wanted = _choice(Locale, locale, "--locale")
    texts = [f"[{t.locale}] {t.template}" for t in script.texts if wanted is None or t.locale == wanted]
    return "\n".join([header + approval, *texts])


def render_for_case(
    *,
    db_session: Session,
    key: str,
    case_id: int,
    locale: str,
    as_of: date,
    collector: str | None,
    settings: str | None,
) -> str:
    chosen = _choice(Locale, locale, "--locale") or Locale.ZH_CN
    collector_id = collector_for(db_session, case_id, collector)
    context = context_for_case(
        db_session=db_session,
        case_id=case_id,
        collector_user_id=collector_id,
        as_of=as_of,
        settings=settings_from(settings),
    )
    tenant_id = db_session.get_one(User, collector_id).tenant_id
    published = service.get_published(
        db_session=db_session, tenant_id=tenant_id, key=parse_key(key), as_of=as_of, locale=chosen
    )
    return render(published.template, context, chosen)


def import_file(*, db_session: Session, path: str, author: str, effective_from: date) -> exchange.ImportReport:
    maker = get_user(db_session=db_session, username=author)
    return exchange.import_yaml(
        db_session=db_session,
        path=Path(path),
        author=maker.username,
        tenant_id=maker.tenant_id,
        effective_from=effective_from,
    )


def export_text(*, db_session: Session, tenant_code: str | None) -> str:
    tenant_id = _tenant_id(db_session, tenant_code)
    defaults = bundled.load_shipped().defaults if tenant_id is None else None
    return exchange.export_yaml(db_session=db_session, tenant_id=tenant_id, defaults=defaults)


def approve_by(*, db_session: Session, script_id: int, username: str) -> Script:
    approver = get_user(db_session=db_session, username=username)
    return flows.approve(db_session=db_session, script_id=script_id, approver=approver, at=datetime.now(UTC))


def settings_from(path: str | None) -> ScriptSettings:
    """The hotline and payment channels: the shipped defaults, or a settings YAML file."""
    if path is None:
        return bundled.load_shipped().defaults
    library = exchange.parse_library(read_text(Path(path), what="a script settings YAML file"), source=path)
    if library.defaults is None:
        raise InvalidInput("the file has no defaults section", where=path, hint="see docs/scripts.md")
    return library.defaults


def collector_for(db_session: Session, case_id: int, username: str | None) -> int:
    if db_session.get(Case, case_id) is None:
        raise NotFound(f"no case {case_id}", hint="check the case id")
    if username is not None:
        return get_user(db_session=db_session, username=username).id
    assigned = assigned_collector(db_session=db_session, case_id=case_id)
    if assigned is None:
        raise InvalidInput(
            f"case {case_id} is not assigned to a collector", where="--collector", hint="give --collector"
        )
    return assigned


def _tenant_id(db_session: Session, code: str | None) -> int | None:
    return None if code is None else tenants.get_by_code(db_session=db_session, code=code).id


def _choice(enum: type[_E], value: str | None, option: str) -> _E | None:
    if value is None:
        return None
    try:
        return enum(value)
    except ValueError:
        choices = ", ".join(member.value for member in enum)
        raise InvalidInput(f"unknown value '{value}'", where=option, hint=f"choose one of: {choices}") from None
