"""Champion/challenger: a stable split of cases between two policies, and comparing the outcomes.

A case's arm depends only on the experiment name and the case id, through SHA-256:
the same case lands in the same arm in every process, on every run, on every
machine (Python's ``hash()`` is salted per process and would not). Outcomes are
compared as rates with 95% Wilson intervals per arm and a normal-approximation
interval for the difference (challenger minus champion).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from decimal import Decimal

from arrears.errors import InvalidInput
from arrears.strategy.enums import Arm
from arrears.strategy.policy import Policy

BUCKETS = 10_000
Z_95 = 1.959963984540054
"""The two-sided 95% quantile of the standard normal distribution."""


def arm_slot(case_id: int, experiment: str) -> int:
    """Where a case falls in 0..9999 for ``experiment``: the first 8 bytes of SHA-256, modulo 10,000."""
    digest = hashlib.sha256(f"{experiment}:{case_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def experiment_name(champion: Policy) -> str | None:
    """The name a champion's cases are hashed under, or None when it names no challenger.

    It holds the two codes and no version: loading a new version of either policy
    keeps every case in its arm, so the experiment is not reshuffled mid-way.
    Everything that assigns arms (the end-of-day run, ``arrears policy explain``)
    must use this name, or a case would be shown one arm and worked in the other.
    """
    return f"{champion.code}:{champion.challenger.code}" if champion.challenger is not None else None


def assign_arm(case_id: int, experiment: str, share: Decimal) -> Arm:
    """The arm of a case: challenger for a ``share`` of the slots, champion for the rest."""
    if not Decimal(0) <= share <= Decimal(1):
        raise InvalidInput(f"challenger share {share} is outside 0..1", hint="give a share such as 0.2")
    return Arm.CHALLENGER if arm_slot(case_id, experiment) < share * BUCKETS else Arm.CHAMPION


@dataclass(frozen=True, slots=True)
class ArmCounts:
    """How many cases of an arm reached the outcome (recovered, cured ...) out of how many entered."""

    arm: Arm
    successes: int
    total: int

    def __post_init__(self) -> None:
        if self.total <= 0 or not 0 <= self.successes <= self.total:
            raise InvalidInput(
                f"{self.arm.value}: {self.successes} successes out of {self.total} cases",
                hint="an arm needs at least one case and no more successes than cases",
            )


@dataclass(frozen=True, slots=True)
class ArmRate:
    arm: Arm
    successes: int
    total: int
    rate: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class ArmComparison:
    champion: ArmRate
    challenger: ArmRate
    difference: float  # challenger minus champion
    low: float
    high: float

    @property
    def significant(self) -> bool:
        """The interval for the difference excludes zero."""
        return self.low > 0 or self.high < 0


def wilson_interval(successes: int, total: int, *, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a proportion; behaves at 0% and 100%, unlike the plain normal one."""
    if total <= 0:
        raise InvalidInput("a rate needs at least one case", hint="compare arms once cases have entered them")
    p = successes / total
    z2 = z * z
    denominator = 1 + z2 / total
    centre = (p + z2 / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def arm_rate(counts: ArmCounts, *, z: float = Z_95) -> ArmRate:
    low, high = wilson_interval(counts.successes, counts.total, z=z)
    return ArmRate(counts.arm, counts.successes, counts.total, counts.successes / counts.total, low, high)


def compare_arms(champion: ArmCounts, challenger: ArmCounts, *, z: float = Z_95) -> ArmComparison:
    """Each arm's rate with its Wilson interval, and challenger minus champion with a normal-approximation interval."""
    first, second = arm_rate(champion, z=z), arm_rate(challenger, z=z)
    difference = second.rate - first.rate
    error = math.sqrt(first.rate * (1 - first.rate) / first.total + second.rate * (1 - second.rate) / second.total)
    return ArmComparison(first, second, difference, difference - z * error, difference + z * error)
