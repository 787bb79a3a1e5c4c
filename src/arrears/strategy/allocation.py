"""Giving each worked case to a collector (分案): by team and stage, skill and language, capacity, fairly.

Pure: the run reads collectors and cases, calls :func:`allocate`, writes the
result. The rules, in order:

1. a case stays with its collector while that collector's team works the
   case's new state and the collector has room (continuity: the debtor keeps
   talking to the same person);
2. otherwise it goes to a collector whose team works the state, preferring one
   with the skill the case needs and the debtor's language;
3. among those, to the one carrying the least difficulty so far, so hard
   cases are spread evenly instead of landing on whoever is first in the list;
4. nobody exceeds their daily case cap; a case no one has room for stays
   unallocated and is reported.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Collector:
    user_id: int
    team_id: int | None
    stages: frozenset[str] = frozenset()
    """Strategy states the collector's team works; empty means any."""
    languages: frozenset[str] = frozenset()
    skills: frozenset[str] = frozenset()
    cap: int | None = None

    def works(self, state: str) -> bool:
        return not self.stages or state in self.stages


@dataclass(frozen=True, slots=True)
class CaseToAllocate:
    case_id: int
    state: str
    difficulty: float
    """Higher is harder: e.g. overdue amount x (1 - propensity), scaled."""
    current_user_id: int | None = None
    skill: str | None = None
    language: str | None = None


@dataclass(slots=True)
class _Load:
    cases: int = 0
    difficulty: float = 0.0


@dataclass(frozen=True)
class Allocation:
    assigned: dict[int, int]
    """case id -> user id"""
    kept: frozenset[int] = frozenset()
    """cases that stayed with their collector"""
    unallocated: frozenset[int] = frozenset()
    loads: dict[int, tuple[int, float]] = field(default_factory=dict)
    """user id -> (cases, difficulty)"""


def allocate(cases: Iterable[CaseToAllocate], collectors: Iterable[Collector]) -> Allocation:
    team = {collector.user_id: collector for collector in collectors}
    loads = {user_id: _Load() for user_id in team}
    assigned: dict[int, int] = {}
    kept: set[int] = set()
    movers: list[CaseToAllocate] = []
    for case in sorted(cases, key=lambda c: c.case_id):
        owner = team.get(case.current_user_id) if case.current_user_id is not None else None
        if owner is not None and owner.works(case.state) and _has_room(owner, loads[owner.user_id]):
            _give(case, owner.user_id, assigned, loads)
            kept.add(case.case_id)
        else:
            movers.append(case)
    unallocated: set[int] = set()
    for case in sorted(movers, key=lambda c: (-c.difficulty, c.case_id)):
        chosen = _best(case, team.values(), loads)
        if chosen is None:
            unallocated.add(case.case_id)
        else:
            _give(case, chosen, assigned, loads)
    return Allocation(
        assigned=assigned,
        kept=frozenset(kept),
        unallocated=frozenset(unallocated),
        loads={user_id: (load.cases, load.difficulty) for user_id, load in loads.items()},
    )


def _has_room(collector: Collector, load: _Load) -> bool:
    return collector.cap is None or load.cases < collector.cap


def _give(case: CaseToAllocate, user_id: int, assigned: dict[int, int], loads: dict[int, _Load]) -> None:
    assigned[case.case_id] = user_id
    loads[user_id].cases += 1
    loads[user_id].difficulty += case.difficulty


def _best(case: CaseToAllocate, collectors: Iterable[Collector], loads: dict[int, _Load]) -> int | None:
    candidates = [c for c in collectors if c.works(case.state) and _has_room(c, loads[c.user_id])]
    if not candidates:
        return None

    def preference(collector: Collector) -> tuple[int, int, float, int, int]:
        load = loads[collector.user_id]
        lacks_skill = int(case.skill is not None and case.skill not in collector.skills)
        lacks_language = int(case.language is not None and case.language not in collector.languages)
        return (lacks_skill, lacks_language, load.difficulty, load.cases, collector.user_id)

    return min(candidates, key=preference).user_id
