"""Champion/challenger: a case keeps its arm everywhere, the split matches the share, rates are hand-checked."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal

import pytest

from arrears.errors import InvalidInput
from arrears.strategy.enums import Arm
from arrears.strategy.experiment import (
    ArmCounts,
    arm_slot,
    assign_arm,
    compare_arms,
    experiment_name,
    wilson_interval,
)
from arrears.strategy.policy import bundled_policy

EXPERIMENT = "consumer-cn:consumer-cn-firm"


def test_slots_are_pinned_so_a_code_change_cannot_reshuffle_cases() -> None:
    """SHA-256 of 'consumer-cn:consumer-cn-firm:<id>', first 8 bytes big-endian, modulo 10,000."""
    assert [arm_slot(case_id, EXPERIMENT) for case_id in (1, 2, 3, 42)] == [4742, 619, 1532, 5003]
    assert assign_arm(2, EXPERIMENT, Decimal("0.2")) is Arm.CHALLENGER  # slot 619 < 2,000
    assert assign_arm(1, EXPERIMENT, Decimal("0.2")) is Arm.CHAMPION  # slot 4742


@pytest.mark.parametrize("seed", ["0", "1", "random"])
def test_a_case_keeps_its_arm_in_another_process(seed: str) -> None:
    """Another interpreter, with a different hash seed, puts the same cases in the same arms."""
    ids = range(1, 201)
    here = "".join("C" if assign_arm(i, EXPERIMENT, Decimal("0.2")) is Arm.CHALLENGER else "." for i in ids)
    script = (
        "from decimal import Decimal\n"
        "from arrears.strategy.enums import Arm\n"
        "from arrears.strategy.experiment import assign_arm\n"
        f"print(''.join('C' if assign_arm(i, {EXPERIMENT!r}, Decimal('0.2')) is Arm.CHALLENGER else '.'"
        " for i in range(1, 201)))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": seed}
    there = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert there.stdout.strip() == here


@pytest.mark.parametrize("share", ["0.2", "0.5", "0.05"])
def test_the_observed_share_over_100000_cases_is_within_one_point(share: str) -> None:
    configured = Decimal(share)
    challengers = sum(1 for i in range(1, 100_001) if assign_arm(i, EXPERIMENT, configured) is Arm.CHALLENGER)
    assert abs(Decimal(challengers) / 100_000 - configured) <= Decimal("0.01")


def test_another_experiment_splits_cases_independently() -> None:
    first = [assign_arm(i, "a:b", Decimal("0.5")) for i in range(1, 1001)]
    second = [assign_arm(i, "c:d", Decimal("0.5")) for i in range(1, 1001)]
    assert first != second


def test_a_share_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"outside 0\.\.1"):
        assign_arm(1, EXPERIMENT, Decimal("1.5"))


def test_wilson_interval_by_hand() -> None:
    """30 of 100 at z = 1.96: centre (0.3 + 0.019208) / 1.038415, half 1.96 * sqrt(0.0021 + 0.000096) / 1.038415."""
    low, high = wilson_interval(30, 100)
    assert low == pytest.approx(0.21895, abs=1e-5)
    assert high == pytest.approx(0.39585, abs=1e-5)


def test_wilson_interval_at_zero_successes() -> None:
    """At p = 0 the interval is [0, z^2 / (n + z^2)]: 3.8415 / 13.8415 for n = 10."""
    low, high = wilson_interval(0, 10)
    assert low == 0.0
    assert high == pytest.approx(3.841459 / 13.841459, abs=1e-6)


def test_compare_arms_by_hand() -> None:
    """30/100 against 45/100: difference 0.15, standard error sqrt(0.3*0.7/100 + 0.45*0.55/100) = 0.067639."""
    result = compare_arms(ArmCounts(Arm.CHAMPION, 30, 100), ArmCounts(Arm.CHALLENGER, 45, 100))
    assert result.champion.rate == pytest.approx(0.30)
    assert result.challenger.rate == pytest.approx(0.45)
    assert result.challenger.low == pytest.approx(0.35615, abs=1e-5)
    assert result.difference == pytest.approx(0.15)
    assert result.low == pytest.approx(0.15 - 1.959964 * 0.0676387, abs=1e-5)
    assert result.high == pytest.approx(0.15 + 1.959964 * 0.0676387, abs=1e-5)
    assert result.significant


def test_equal_rates_are_not_significant() -> None:
    result = compare_arms(ArmCounts(Arm.CHAMPION, 20, 80), ArmCounts(Arm.CHALLENGER, 5, 20))
    assert result.difference == pytest.approx(0.0)
    assert not result.significant


@pytest.mark.parametrize(("successes", "total"), [(0, 0), (5, 4), (-1, 3)])
def test_impossible_counts_are_refused(successes: int, total: int) -> None:
    with pytest.raises(InvalidInput):
        ArmCounts(Arm.CHAMPION, successes, total)


def test_the_experiment_name_ignores_versions_so_a_new_version_keeps_every_arm() -> None:
    champion = bundled_policy("consumer-cn")
    newer = champion.model_copy(update={"version": champion.version + 1})
    assert experiment_name(champion) == experiment_name(newer) == EXPERIMENT
    assert experiment_name(bundled_policy("consumer-cn-firm")) is None
