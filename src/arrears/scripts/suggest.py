"""The next line to say (话术推荐): from what the debtor just said and where the case stands.

The utterance is classified; an objection gets the library's answer to it
(for the case's strategy stage and persona, with the library's fallbacks), and
anything else gets the script of the call's next step. The script is filled
with the case's own figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.errors import NotFound
from arrears.scripts.intents import Classification, classify
from arrears.scripts.library import service as library
from arrears.scripts.library.context import ScriptSettings, assigned_collector, context_for_case
from arrears.scripts.library.enums import ANY_STAGE, CallStep, Locale, Objection, Persona, ScriptParty
from arrears.scripts.library.keys import ScenarioKey
from arrears.scripts.library.templates import render
from arrears.strategy.models import CaseSegment, CaseStrategy


@dataclass(frozen=True)
class Suggestion:
    classification: Classification
    key: str
    """the scenario asked for; the script chosen may be less specific (library fallback)"""
    script_id: int
    text: str

    def as_dict(self) -> dict[str, object]:
        return {
            **self.classification.as_dict(),
            "script_key": self.key,
            "script_id": self.script_id,
            "text": self.text,
        }


def case_stage_and_persona(db_session: Session, case_id: int) -> tuple[str, Persona | None]:
    """The case's strategy state from the last run (``any`` before its first) and its tagged persona."""
    state = db_session.scalar(select(CaseStrategy.state).where(CaseStrategy.case_id == case_id))
    persona = db_session.scalar(
        select(CaseSegment.persona).where(CaseSegment.case_id == case_id).order_by(CaseSegment.as_of.desc()).limit(1)
    )
    known = {member.value for member in Persona}
    return state or ANY_STAGE, Persona(persona) if persona in known else None


def suggest(
    *,
    db_session: Session,
    case_id: int,
    utterance: str,
    today: date,
    settings: ScriptSettings,
    locale: Locale = Locale.ZH_CN,
    step: CallStep = CallStep.ASK_PAYMENT_TODAY,
    party: ScriptParty = ScriptParty.DEBTOR,
    collector_user_id: int | None = None,
    tenant_id: int | None = None,
) -> Suggestion:
    """The script to answer ``utterance`` on case ``case_id`` with, rendered for the case."""
    classification = classify(utterance, today=today)
    key, script_id, text = _scripted(
        db_session=db_session,
        case_id=case_id,
        today=today,
        settings=settings,
        locale=locale,
        step=step,
        party=party,
        objection=_objection(classification),
        collector_user_id=collector_user_id,
        tenant_id=tenant_id,
    )
    return Suggestion(classification, str(key), script_id, text)


def script_for_step(
    *,
    db_session: Session,
    case_id: int,
    today: date,
    settings: ScriptSettings,
    locale: Locale = Locale.ZH_CN,
    step: CallStep = CallStep.VERIFY_IDENTITY,
    party: ScriptParty = ScriptParty.DEBTOR,
    collector_user_id: int | None = None,
    tenant_id: int | None = None,
) -> tuple[str, int, str]:
    """The scenario key, script id and text of one step of a call before the debtor has said anything."""
    key, script_id, text = _scripted(
        db_session=db_session,
        case_id=case_id,
        today=today,
        settings=settings,
        locale=locale,
        step=step,
        party=party,
        objection=None,
        collector_user_id=collector_user_id,
        tenant_id=tenant_id,
    )
    return str(key), script_id, text


def _scripted(
    *,
    db_session: Session,
    case_id: int,
    today: date,
    settings: ScriptSettings,
    locale: Locale,
    step: CallStep,
    party: ScriptParty,
    objection: Objection | None,
    collector_user_id: int | None,
    tenant_id: int | None,
) -> tuple[ScenarioKey, int, str]:
    stage, persona = case_stage_and_persona(db_session, case_id)
    key = ScenarioKey(stage=stage, party=party, step=step, persona=persona, objection=objection)
    published = library.get_published(db_session=db_session, tenant_id=tenant_id, key=key, as_of=today, locale=locale)
    collector = collector_user_id or assigned_collector(db_session=db_session, case_id=case_id)
    if collector is None:
        raise NotFound(f"case {case_id} has no collector to speak as", hint="give the collector, or assign the case")
    context = context_for_case(
        db_session=db_session, case_id=case_id, collector_user_id=collector, as_of=today, settings=settings
    )
    return key, published.script.id, render(published.template, context, locale)


def _objection(classification: Classification) -> Objection | None:
    try:
        return Objection(classification.intent.value)
    except ValueError:
        return None
