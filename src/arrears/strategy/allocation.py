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

import heapq
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
    """Keep cases with their collectors where the rules allow, then hand out the rest, hardest first.

    The movers go out one by one to the best collector by (lacks the skill,
    lacks the language, difficulty carried, cases carried, user id). Collectors
    who share a team's stages, skills and languages rank the same on the first
    two, so each such group keeps its members in a heap by load: the best
    collector for a case is the best top among the groups that work its state,
    found in a few comparisons instead of one per collector. It gives what
    :func:`allocate_by_scan` gives, collector for collector.
    """
    team = {collector.user_id: collector for collector in collectors}
    loads = {user_id: _Load() for user_id in team}
    assigned: dict[int, int] = {}
    kept, movers = _keep_owners(cases, team, loads, assigned)
    groups = _Groups(team.values(), loads)
    unallocated: set[int] = set()
    for case in sorted(movers, key=lambda c: (-c.difficulty, c.case_id)):
        chosen = groups.take(case)
        if chosen is None:
            unallocated.add(case.case_id)
        else:
            _give(case, chosen, assigned, loads)
            groups.put_back(chosen)
    return _allocation(assigned, kept, unallocated, loads)


def allocate_by_scan(cases: Iterable[CaseToAllocate], collectors: Iterable[Collector]) -> Allocation:
    """The same rules as :func:`allocate`, comparing every collector for every case (the plain reading, for tests)."""
    team = {collector.user_id: collector for collector in collectors}
    loads = {user_id: _Load() for user_id in team}
    assigned: dict[int, int] = {}
    kept, movers = _keep_owners(cases, team, loads, assigned)
    unallocated: set[int] = set()
    for case in sorted(movers, key=lambda c: (-c.difficulty, c.case_id)):
        chosen = _best(case, team.values(), loads)
        if chosen is None:
            unallocated.add(case.case_id)
        else:
            _give(case, chosen, assigned, loads)
    return _allocation(assigned, kept, unallocated, loads)


def _keep_owners(
    cases: Iterable[CaseToAllocate], team: dict[int, Collector], loads: dict[int, _Load], assigned: dict[int, int]
) -> tuple[set[int], list[CaseToAllocate]]:
    """Rule 1, in case-id order: the cases that stay with their collector, and the rest (the movers)."""
    kept: set[int] = set()
    movers: list[CaseToAllocate] = []
    for case in sorted(cases, key=lambda c: c.case_id):
        owner = team.get(case.current_user_id) if case.current_user_id is not None else None
        if owner is not None and owner.works(case.state) and _has_room(owner, loads[owner.user_id]):
            _give(case, owner.user_id, assigned, loads)
            kept.add(case.case_id)
        else:
            movers.append(case)
    return kept, movers


def _allocation(assigned: dict[int, int], kept: set[int], unallocated: set[int], loads: dict[int, _Load]) -> Allocation:
    return Allocation(
        assigned=assigned,
        kept=frozenset(kept),
        unallocated=frozenset(unallocated),
        loads={user_id: (load.cases, load.difficulty) for user_id, load in loads.items()},
    )


class _Groups:
    """Collectors grouped by what a case asks of them (stages, skills, languages), each group a heap by load.

    Loads only grow while movers are handed out, so a collector who is full
    leaves their group's heap for good, and the one who just took a case is the
    only entry whose key changed: it was the top, and goes back with its new load.
    """

    def __init__(self, collectors: Iterable[Collector], loads: dict[int, _Load]) -> None:
        self._loads = loads
        self._collectors = {collector.user_id: collector for collector in collectors}
        index_of: dict[tuple[frozenset[str], frozenset[str], frozenset[str]], int] = {}
        self._profiles: list[Collector] = []
        """One member of each group, standing for what the whole group offers."""
        self._heaps: list[list[tuple[float, int, int]]] = []
        self._group_of: dict[int, int] = {}
        for collector in self._collectors.values():
            profile = (collector.stages, collector.skills, collector.languages)
            if profile not in index_of:
                index_of[profile] = len(self._heaps)
                self._profiles.append(collector)
                self._heaps.append([])
            group = self._group_of[collector.user_id] = index_of[profile]
            load = loads[collector.user_id]
            if _has_room(collector, load):
                self._heaps[group].append((load.difficulty, load.cases, collector.user_id))
        for heap in self._heaps:
            heapq.heapify(heap)

    def take(self, case: CaseToAllocate) -> int | None:
        """The best collector for ``case`` with room, removed from its heap until :meth:`put_back`."""
        best: tuple[int, int, float, int, int] | None = None
        best_group = -1
        for index, (profile, heap) in enumerate(zip(self._profiles, self._heaps, strict=True)):
            if not heap or not profile.works(case.state):
                continue
            difficulty, cases, user_id = heap[0]
            lacks_skill = int(case.skill is not None and case.skill not in profile.skills)
            lacks_language = int(case.language is not None and case.language not in profile.languages)
            key = (lacks_skill, lacks_language, difficulty, cases, user_id)
            if best is None or key < best:
                best, best_group = key, index
        if best is None:
            return None
        heapq.heappop(self._heaps[best_group])
        return best[4]

    def put_back(self, user_id: int) -> None:
        """Return a collector to their group with their new load, unless they are now full."""
        collector = self._collectors[user_id]
        load = self._loads[user_id]
        if _has_room(collector, load):
            heapq.heappush(self._heaps[self._group_of[user_id]], (load.difficulty, load.cases, user_id))


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
