"""Strategy tables: versioned policies, segment history, each case's state, due actions, queues, runs, models."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db.base import Base, Money, UtcDateTime, utcnow
from arrears.db.types import DecimalText, enum_column
from arrears.strategy.enums import ActionStatus, Arm, Quadrant, RunStatus, Timing, Treatment


class StrategyPolicy(Base):
    """One version of a tenant's policy file, validated before it is stored (rules are data)."""

    __tablename__ = "strategy_policies"
    __table_args__ = (UniqueConstraint("tenant_id", "code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    code: Mapped[str] = mapped_column(String(60))
    version: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)
    document: Mapped[dict[str, Any]] = mapped_column(JSON, doc="the validated policy")
    checksum: Mapped[str] = mapped_column(String(64), doc="SHA-256 of the canonical document")
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    loaded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    loaded_by: Mapped[str] = mapped_column(String(120))


class CaseSegment(Base):
    """A case's segment on one run date (kept as history): quadrant, cost of default, reason, persona, propensity."""

    __tablename__ = "case_segments"
    __table_args__ = (UniqueConstraint("case_id", "as_of"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    as_of: Mapped[date] = mapped_column(Date, index=True)
    quadrant: Mapped[Quadrant] = mapped_column(enum_column(Quadrant))
    ability_score: Mapped[int] = mapped_column(Integer, doc="0-100")
    willingness_score: Mapped[int] = mapped_column(Integer, doc="0-100")
    cost_of_default: Mapped[int] = mapped_column(Integer, doc="违约成本, 0-100")
    reason: Mapped[str | None] = mapped_column(String(40), doc="reason for delay from the latest contacts")
    persona: Mapped[str | None] = mapped_column(String(40))
    propensity: Mapped[Decimal] = mapped_column(DecimalText, doc="probability of paying within the horizon")
    propensity_source: Mapped[str] = mapped_column(String(40), doc="model:<version> or rules")


class CaseStrategy(Base):
    """Where each case stands in its policy now (one row per case), and why."""

    __tablename__ = "case_strategies"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    as_of: Mapped[date] = mapped_column(Date, index=True)
    policy_code: Mapped[str] = mapped_column(String(60))
    policy_version: Mapped[int] = mapped_column(Integer)
    arm: Mapped[Arm] = mapped_column(enum_column(Arm), index=True)
    state: Mapped[str] = mapped_column(String(60), index=True)
    stage: Mapped[int] = mapped_column(Integer)
    state_since: Mapped[date] = mapped_column(Date)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON)


class CaseStateHistory(Base):
    __tablename__ = "case_state_history"
    __table_args__ = (Index("ix_case_state_history_open", "case_id", "left_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    policy_code: Mapped[str] = mapped_column(String(60))
    arm: Mapped[Arm] = mapped_column(enum_column(Arm))
    state: Mapped[str] = mapped_column(String(60))
    entered_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)


class CollectionAction(Base):
    """A treatment due on a case on a run date; the key makes creating it idempotent."""

    __tablename__ = "collection_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True, doc="<case>:<as_of>:<treatment>:<n>")
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    as_of: Mapped[date] = mapped_column(Date, index=True)
    treatment: Mapped[Treatment] = mapped_column(enum_column(Treatment), index=True)
    timing: Mapped[Timing] = mapped_column(enum_column(Timing))
    plan: Mapped[dict[str, Any]] = mapped_column(JSON, doc="phone order, template, third-party use")
    state: Mapped[str] = mapped_column(String(60))
    arm: Mapped[Arm] = mapped_column(enum_column(Arm))
    status: Mapped[ActionStatus] = mapped_column(enum_column(ActionStatus), default=ActionStatus.DUE, index=True)
    not_before: Mapped[datetime | None] = mapped_column(UtcDateTime, doc="the guard's earliest allowed time")
    blocked_rules: Mapped[list[str]] = mapped_column(JSON, default=list)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class QueueEntry(Base):
    """A case in a collector's queue for the day, ranked by expected value."""

    __tablename__ = "queue_entries"
    __table_args__ = (UniqueConstraint("as_of", "case_id"), Index("ix_queue_entries_user_day", "user_id", "as_of"))

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[date] = mapped_column(Date)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    expected_value: Mapped[Decimal] = mapped_column(Money)
    promise_due_today: Mapped[bool] = mapped_column(Boolean, default=False)
    not_before: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Run(Base):
    """One end-of-day run per tenant and date; its steps make it resumable."""

    __tablename__ = "runs"
    __table_args__ = (UniqueConstraint("tenant_id", "as_of"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    as_of: Mapped[date] = mapped_column(Date)
    status: Mapped[RunStatus] = mapped_column(enum_column(RunStatus), default=RunStatus.RUNNING)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class RunStep(Base):
    """One stage of a run over one partition of cases; done steps are skipped on a restart."""

    __tablename__ = "run_steps"
    __table_args__ = (UniqueConstraint("run_id", "stage", "partition"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(40))
    partition: Mapped[int] = mapped_column(Integer)
    status: Mapped[RunStatus] = mapped_column(enum_column(RunStatus), default=RunStatus.RUNNING)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class PropensityModel(Base):
    """A propensity-to-pay model trained on the tenant's own history; parameters as data, not pickles."""

    __tablename__ = "propensity_models"
    __table_args__ = (UniqueConstraint("tenant_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40), doc="logistic")
    horizon_days: Mapped[int] = mapped_column(Integer)
    trained_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    trained_through: Mapped[date] = mapped_column(Date, doc="last bucket entry date in the training data")
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, doc="features, coefficients, scaling, calibration")
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, doc="AUC and calibration on the time-split hold-out")
    active: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
