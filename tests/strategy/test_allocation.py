"""Allocation keeps cases with their collector, respects teams, skills and caps, and spreads difficulty."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from arrears.strategy.allocation import CaseToAllocate, Collector, allocate, allocate_by_scan

EARLY = frozenset({"early"})
LATE = frozenset({"late", "central"})


def test_a_case_stays_with_its_collector_while_their_team_works_its_state() -> None:
    result = allocate(
        [CaseToAllocate(1, "early", 1.0, current_user_id=10)], [Collector(10, 1, EARLY), Collector(11, 1, EARLY)]
    )
    assert result.assigned == {1: 10} and result.kept == {1}


def test_a_case_changes_hands_when_its_stage_moves_to_another_team() -> None:
    collectors = [Collector(10, 1, EARLY), Collector(20, 2, LATE)]
    result = allocate([CaseToAllocate(1, "late", 1.0, current_user_id=10)], collectors)
    assert result.assigned == {1: 20} and not result.kept


def test_difficulty_is_spread_evenly_not_handed_to_the_first_collector() -> None:
    cases = [CaseToAllocate(i, "early", difficulty) for i, difficulty in enumerate([9.0, 8.0, 1.0, 1.0, 1.0], start=1)]
    result = allocate(cases, [Collector(10, 1, EARLY), Collector(11, 1, EARLY)])
    assert result.assigned[1] != result.assigned[2]
    loads = sorted(difficulty for _, difficulty in result.loads.values())
    assert loads == [10.0, 10.0]


def test_nobody_exceeds_their_daily_cap_and_the_overflow_is_reported() -> None:
    cases = [CaseToAllocate(i, "early", 1.0) for i in range(1, 6)]
    result = allocate(cases, [Collector(10, 1, EARLY, cap=2), Collector(11, 1, EARLY, cap=2)])
    assert len(result.assigned) == 4
    assert len(result.unallocated) == 1
    assert all(count <= 2 for count, _ in result.loads.values())


def test_a_full_collector_loses_the_case_to_a_colleague_rather_than_breaking_the_cap() -> None:
    cases = [CaseToAllocate(1, "early", 1.0, current_user_id=10), CaseToAllocate(2, "early", 1.0, current_user_id=10)]
    result = allocate(cases, [Collector(10, 1, EARLY, cap=1), Collector(11, 1, EARLY)])
    assert result.assigned == {1: 10, 2: 11}


def test_a_case_needing_a_skill_or_language_prefers_a_collector_who_has_it() -> None:
    collectors = [
        Collector(10, 1, EARLY),
        Collector(11, 1, EARLY, skills=frozenset({"hardship"}), languages=frozenset({"yue"})),
    ]
    hardship = allocate([CaseToAllocate(1, "early", 1.0, skill="hardship")], collectors)
    cantonese = allocate([CaseToAllocate(2, "early", 1.0, language="yue")], collectors)
    assert hardship.assigned == {1: 11} and cantonese.assigned == {2: 11}


def test_a_state_no_team_works_leaves_the_case_unallocated() -> None:
    result = allocate([CaseToAllocate(1, "legal_review", 1.0)], [Collector(10, 1, EARLY)])
    assert result.unallocated == {1} and not result.assigned


def test_a_team_with_no_stages_works_every_state() -> None:
    assert allocate([CaseToAllocate(1, "central", 1.0)], [Collector(10, 1)]).assigned == {1: 10}


STATES = ("early", "middle", "late", "legal_review")
TEAMS: tuple[frozenset[str], ...] = (frozenset(), EARLY, frozenset({"middle", "late"}), frozenset({"late"}))


@st.composite
def books(draw: st.DrawFn) -> tuple[list[CaseToAllocate], list[Collector]]:
    """Collectors of varied teams, skills, languages and caps; cases of every state, with owners and ties."""
    collectors = [
        Collector(
            user_id=user_id,
            team_id=draw(st.integers(1, 3)),
            stages=draw(st.sampled_from(TEAMS)),
            languages=draw(st.sampled_from([frozenset(), frozenset({"yue"}), frozenset({"yue", "wuu"})])),
            skills=draw(st.sampled_from([frozenset(), frozenset({"hardship"})])),
            cap=draw(st.one_of(st.none(), st.integers(0, 6))),
        )
        for user_id in draw(st.lists(st.integers(1, 30), min_size=1, max_size=12, unique=True))
    ]
    owners = [None, 999, *(collector.user_id for collector in collectors)]
    cases = [
        CaseToAllocate(
            case_id=case_id,
            state=draw(st.sampled_from(STATES)),
            difficulty=draw(st.sampled_from([0.0, 0.1, 0.2, 0.3, 1.5, 7.25, 12.0])),
            current_user_id=draw(st.sampled_from(owners)),
            skill=draw(st.sampled_from([None, "hardship"])),
            language=draw(st.sampled_from([None, "yue", "wuu"])),
        )
        for case_id in draw(st.lists(st.integers(1, 500), max_size=60, unique=True))
    ]
    return cases, collectors


@settings(max_examples=300, deadline=None)
@given(books())
def test_the_heap_allocation_gives_every_case_the_collector_the_plain_scan_gives(
    book: tuple[list[CaseToAllocate], list[Collector]],
) -> None:
    """Grouping collectors in heaps by load changes how the best one is found, never who it is (nor any load)."""
    cases, collectors = book
    assert allocate(cases, collectors) == allocate_by_scan(cases, collectors)
