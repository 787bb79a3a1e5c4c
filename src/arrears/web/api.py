"""The ``/api/v1`` routes: thin adapters over the compliance guard, the linter and the script services."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel, ConfigDict, Field

from arrears.compliance.guard import decide
from arrears.compliance.lint import LintContext, lint
from arrears.compliance.pack import load_pack
from arrears.compliance.schemas import parse_check_input
from arrears.compliance.service import pack_for_tenant
from arrears.db import migrate
from arrears.errors import InvalidInput, NotFound
from arrears.org import service as tenants
from arrears.scripts.intents import classify
from arrears.scripts.library import cli_support
from arrears.scripts.library.context import get_user
from arrears.scripts.library.enums import CallStep, Locale
from arrears.scripts.suggest import suggest
from arrears.web.auth import Principal, require
from arrears.web.deps import MAX_ROW_ID, DbSession
from arrears.web.scoping import visible_case

router = APIRouter(prefix="/api/v1")

CheckCaller = Annotated[Principal, Depends(require("compliance:check"))]
LintCaller = Annotated[Principal, Depends(require("lint"))]
ClassifyCaller = Annotated[Principal, Depends(require("scripts:classify"))]
SuggestCaller = Annotated[Principal, Depends(require("scripts:suggest"))]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Health(BaseModel):
    status: Literal["ok"]
    schema_revision: str | None = Field(alias="schema", description="the database's migration revision")

    model_config = ConfigDict(populate_by_name=True)


class Violation(BaseModel):
    rule: str
    message: str


class CheckOut(BaseModel):
    """The same JSON as ``arrears compliance check --json``."""

    allowed: bool
    violations: list[Violation]
    next_allowed_at: str | None = Field(description="ISO 8601 with the attempt's offset; null when allowed or never")


class LintIn(_In):
    text: str = Field(description="the script, SMS, letter or note to check")
    lang: Literal["zh", "en"] | None = Field(default=None, description="null: detect from the text")
    lender_is_bank: bool = False
    legal_action_filed: bool = False


class FindingOut(BaseModel):
    rule: str
    start: int
    end: int
    excerpt: str
    message: str
    severity: str


class LintOut(BaseModel):
    findings: list[FindingOut]


class ClassifyIn(_In):
    text: str = Field(description="one thing the debtor said")
    today: date | None = Field(default=None, description="the day 下周五, 15号, next Friday count from; null: today")


class PromiseOut(BaseModel):
    date: str | None = Field(description="ISO date promised, if any")
    amount: str | None = Field(description="amount promised as a decimal string, if any")


class ClassifyOut(BaseModel):
    intent: str
    confidence: float
    promise: PromiseOut


class SuggestIn(_In):
    case_id: int = Field(ge=1, le=MAX_ROW_ID)
    utterance: str = Field(description="what the debtor just said")
    locale: Locale = Locale.ZH_CN
    step: CallStep = CallStep.ASK_PAYMENT_TODAY
    today: date | None = Field(default=None, description="null: today")
    collector: str | None = Field(default=None, description="username to speak as; null: the case's collector")


class SuggestOut(ClassifyOut):
    script_key: str = Field(description="the scenario asked for; the script chosen may be less specific")
    script_id: int
    text: str = Field(description="the script filled in with the case's figures")


@router.get("/health", tags=["health"])
def health(db_session: DbSession) -> Health:
    """Up and on a database; no token needed."""
    return Health(status="ok", schema_revision=migrate.current_revision(db_session.connection()))


@router.post("/compliance/check", tags=["compliance"])
def compliance_check(
    caller: CheckCaller,
    db_session: DbSession,
    body: Annotated[dict[str, Any], Body(description="the JSON of `arrears compliance check --input`")],
    pack: Literal["cn", "us"] | None = None,
) -> CheckOut:
    """May this contact happen now? 200 whether allowed or blocked; the tenant's pack unless ``pack`` is given."""
    rule_pack = (
        load_pack(pack)
        if pack is not None
        else pack_for_tenant(tenants.get(db_session=db_session, tenant_id=caller.tenant_id))
    )
    question = parse_check_input(body, where="body")
    return CheckOut.model_validate(decide(rule_pack, *question.to_facts()).as_json())


@router.post("/lint", tags=["lint"])
def lint_text(_caller: LintCaller, body: LintIn) -> LintOut:
    """Findings in a text a collector or template may send or say; empty when clean."""
    if not body.text.strip():
        raise InvalidInput("nothing to lint: the text is empty", where="text")
    context = LintContext(lender_is_bank=body.lender_is_bank, legal_action_filed=body.legal_action_filed)
    findings = lint(body.text, lang=body.lang, context=context)
    return LintOut(findings=[FindingOut.model_validate(finding.as_dict()) for finding in findings])


@router.post("/scripts/classify", tags=["scripts"])
def classify_utterance(_caller: ClassifyCaller, body: ClassifyIn) -> ClassifyOut:
    """The intent of one debtor utterance, with any promised date and amount."""
    result = classify(body.text, today=body.today or date.today())
    return ClassifyOut.model_validate(result.as_dict())


@router.post("/scripts/suggest", tags=["scripts"])
def suggest_script(caller: SuggestCaller, db_session: DbSession, body: SuggestIn) -> SuggestOut:
    """The next script for one of the caller's cases, from what the debtor just said."""
    case = visible_case(db_session=db_session, principal=caller, case_id=body.case_id)
    answer = suggest(
        db_session=db_session,
        case_id=case.id,
        utterance=body.utterance,
        today=body.today or date.today(),
        settings=cli_support.settings_from(None),
        locale=body.locale,
        step=body.step,
        collector_user_id=_collector(db_session, caller, body.collector),
        tenant_id=caller.tenant_id,
    )
    return SuggestOut.model_validate(answer.as_dict())


def _collector(db_session: DbSession, caller: Principal, username: str | None) -> int | None:
    """The named collector of the caller's tenant; a person speaks as themselves; None: the case's collector."""
    if username is None:
        return caller.user_id
    user = get_user(db_session=db_session, username=username)
    if user.tenant_id != caller.tenant_id:
        raise NotFound(f"no user '{username}'", hint="check the collector's username")
    return user.id
