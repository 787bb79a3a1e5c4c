"""The contact guard (合规闸口): the one decision every contact asks for before it happens.

``decide`` is pure: it gets the pack, the debtor, the planned contact and the
history, and returns every rule the contact would break and, when blocked,
the earliest time it would be allowed. Nothing is written here; the flows that
record contacts audit each decision (see :mod:`arrears.contact.flows`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from arrears.compliance.facts import ContactHistory, Debtor, PlannedContact
from arrears.compliance.pack import RulePack
from arrears.compliance.rules import Block, Context, Rule

_MAX_SEARCH_STEPS = 32
"""Each step moves the planned time to where the slowest blocking rule reopens; a handful always suffice."""


@dataclass(frozen=True, slots=True)
class Violation:
    """A rule the planned contact breaks, in both languages, with where the rule comes from."""

    rule: str
    message_zh: str
    message_en: str
    source: str
    not_before: datetime | None

    @property
    def message(self) -> str:
        return f"{self.message_zh} / {self.message_en}"


@dataclass(frozen=True, slots=True)
class Decision:
    """The guard's answer. ``conditions`` are obligations an allowed contact carries."""

    allowed: bool
    violations: tuple[Violation, ...]
    next_allowed_at: datetime | None
    pack: str
    pack_version: str
    conditions: tuple[str, ...] = field(default=())

    @property
    def rule_ids(self) -> list[str]:
        return [violation.rule for violation in self.violations]

    def as_json(self) -> dict[str, object]:
        """The public shape printed by ``arrears compliance check --json``."""
        next_at = self.next_allowed_at
        return {
            "allowed": self.allowed,
            "violations": [{"rule": v.rule, "message": v.message} for v in self.violations],
            "next_allowed_at": next_at.isoformat() if next_at is not None else None,
        }

    def as_audit(self) -> dict[str, object]:
        """What the audit log keeps of a decision."""
        return {
            **self.as_json(),
            "pack": self.pack,
            "pack_version": self.pack_version,
            "conditions": list(self.conditions),
        }


def decide(pack: RulePack, debtor: Debtor, attempt: PlannedContact, history: ContactHistory) -> Decision:
    """May ``attempt`` happen? Every violated rule, and when blocked the earliest time it would be allowed."""
    context = Context(debtor=debtor, attempt=attempt, history=history)
    blocks = _blocks(pack, context)
    violations = tuple(_violation(rule, block) for rule, block in blocks)
    if not violations:
        conditions = tuple(c for rule in pack.rules if rule.applies_to(context) for c in rule.conditions(context))
        return Decision(True, (), None, pack.id, pack.version, conditions)
    next_at = _next_allowed(pack, context, blocks)
    shown_at = next_at.astimezone(attempt.at.tzinfo) if next_at is not None else None
    return Decision(False, violations, shown_at, pack.id, pack.version)


def _blocks(pack: RulePack, context: Context) -> list[tuple[Rule, Block]]:
    found: list[tuple[Rule, Block]] = []
    for rule in pack.rules:
        if rule.applies_to(context):
            block = rule.check(context)
            if block is not None:
                found.append((rule, block))
    return found


def _violation(rule: Rule, block: Block) -> Violation:
    zh, en = rule.render(block.detail)
    return Violation(rule.id, zh, en, rule.source, block.not_before)


def _next_allowed(pack: RulePack, context: Context, blocks: list[tuple[Rule, Block]]) -> datetime | None:
    """Move the contact to where its blocking rules reopen, until no rule blocks it (or one never will)."""
    for _ in range(_MAX_SEARCH_STEPS):
        reopenings = [block.not_before for _, block in blocks]
        if any(at is None for at in reopenings):
            return None
        later = max(at for at in reopenings if at is not None)
        moved = Context(debtor=context.debtor, attempt=context.attempt.at_time(later), history=context.history)
        blocks = _blocks(pack, moved)
        if not blocks:
            return later
        context = moved
    return None
