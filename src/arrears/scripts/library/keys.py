"""The scenario key (场景键): ``stage/party/step/persona/objection``, with ``-`` for no persona or objection.

The key is stable across versions: a new version of a script keeps its key, and
a tenant overrides a shipped script by saving its own script under the same key.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from arrears.errors import InvalidInput
from arrears.scripts.library.enums import CallStep, Objection, Persona, ScriptParty, known_stages

NONE_PART = "-"
_PARTS = ("stage", "party", "step", "persona", "objection")
_E = TypeVar("_E", bound=StrEnum)


@dataclass(frozen=True, order=True)
class ScenarioKey:
    """Where a script is used: the strategy stage, who is on the line, the call step, persona and objection."""

    stage: str
    party: ScriptParty
    step: CallStep
    persona: Persona | None = None
    objection: Objection | None = None

    def __str__(self) -> str:
        persona = self.persona.value if self.persona else NONE_PART
        objection = self.objection.value if self.objection else NONE_PART
        return f"{self.stage}/{self.party.value}/{self.step.value}/{persona}/{objection}"


def parse_key(text: str) -> ScenarioKey:
    """A key from its text form; an unknown part is refused with the part named."""
    parts = text.strip().split("/")
    if len(parts) != len(_PARTS):
        raise InvalidInput(
            f"script key '{text}' must have five parts", where="key", hint="stage/party/step/persona/objection"
        )
    stage, party, step, persona, objection = parts
    return make_key(
        stage=stage,
        party=party,
        step=step,
        persona=None if persona == NONE_PART else persona,
        objection=None if objection == NONE_PART else objection,
    )


def make_key(*, stage: str, party: str, step: str, persona: str | None, objection: str | None) -> ScenarioKey:
    """A key from its parts, each checked against its vocabulary."""
    if stage not in known_stages():
        raise InvalidInput(
            f"unknown stage '{stage}'", where="stage", hint=f"choose one of: {', '.join(sorted(known_stages()))}"
        )
    return ScenarioKey(
        stage=stage,
        party=_member(ScriptParty, party, "party"),
        step=_member(CallStep, step, "step"),
        persona=None if persona is None else _member(Persona, persona, "persona"),
        objection=None if objection is None else _member(Objection, objection, "objection"),
    )


def _member(enum: type[_E], value: str, part: str) -> _E:
    try:
        return enum(value)
    except ValueError:
        choices = ", ".join(member.value for member in enum)
        raise InvalidInput(f"unknown {part} '{value}'", where=part, hint=f"choose one of: {choices}") from None
