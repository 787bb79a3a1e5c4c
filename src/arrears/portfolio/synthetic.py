"""A synthetic demo portfolio (演示数据): a lender, its staff, borrowers, loans and payments.

Deterministic for a seed. Rows are written with bulk Core inserts in chunks, so a
million borrowers fit in bounded memory; the caller owns the transaction, so a
failure leaves nothing half-written. Never commits.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from faker import Faker
from sqlalchemy import ColumnElement, Table, delete, insert, select
from sqlalchemy.orm import Session

from arrears.audit import service as audit
from arrears.audit.models import AuditRecord
from arrears.cases.enums import CaseStatus
from arrears.cases.models import Case
from arrears.dates import add_months
from arrears.db.base import Base
from arrears.delinquency.buckets import STANDARD_BUCKETS
from arrears.delinquency.service import upsert_bucket_set
from arrears.errors import Conflict, InvalidInput
from arrears.ledger import service as products
from arrears.ledger.enums import LoanStatus
from arrears.ledger.models import Installment, Loan, Payment
from arrears.ledger.rules import ProductRules
from arrears.money import from_minor
from arrears.org.enums import Role
from arrears.org.models import Team, Tenant, User
from arrears.portfolio.enums import Channel, ContactLabel, Education, Gender, MaritalStatus, Relation
from arrears.portfolio.models import Borrower, ContactPoint, ThirdParty
from arrears.portfolio.synthetic_data import (
    EMAIL_DOMAINS,
    FIRST_BIRTH_YEAR,
    LAST_BIRTH_YEAR,
    MOBILE_PREFIXES,
    PAYMENT_CHANNELS,
    REGIONS,
    SEVEN_DIGIT_AREAS,
    TEAMS,
    Region,
)

CHUNK_BORROWERS = 5_000
_ID_WEIGHTS = tuple(pow(2, 17 - position, 11) for position in range(17))


class Behaviour(StrEnum):
    """How a borrower pays; the shares are the configured mix of the demo."""

    ON_TIME = "on_time"
    SOMETIMES_LATE = "sometimes_late"
    DPD_1_30 = "dpd_1_30"
    DPD_31_90 = "dpd_31_90"
    DPD_90_PLUS = "dpd_90_plus"
    PAID_EARLY = "paid_early"


BEHAVIOUR_MIX: dict[Behaviour, int] = {
    Behaviour.ON_TIME: 60,
    Behaviour.SOMETIMES_LATE: 15,
    Behaviour.DPD_1_30: 10,
    Behaviour.DPD_31_90: 8,
    Behaviour.DPD_90_PLUS: 5,
    Behaviour.PAID_EARLY: 2,
}
_DPD_RANGES: dict[Behaviour, tuple[int, int]] = {
    Behaviour.DPD_1_30: (1, 30),
    Behaviour.DPD_31_90: (31, 90),
    Behaviour.DPD_90_PLUS: (91, 360),
}
PARTIAL_PAYER_SHARE = 0.3  # of overdue loans, those that paid part of the first missed installment


@dataclass(frozen=True)
class DemoProduct:
    code: str
    name: str
    term: int
    annual_rate: Decimal
    equal_principal: bool  # 等额本金; otherwise 等额本息
    principal_range: tuple[int, int, int]  # min, max, step in yuan
    rules: ProductRules


def _rules(rate: str, *, late_fee: str, cap: dict[str, Any]) -> ProductRules:
    return ProductRules.model_validate(
        {
            "charges": {
                "penalty_annual_rate": str(Decimal(rate) * Decimal("1.5")),
                "late_fee_daily_rate": late_fee,
                "grace_days": 3,
            },
            "cost_cap": cap,
            "acceleration": {"after_dpd": 90, "demand_days": 3},
        }
    )


DEMO_PRODUCTS: tuple[DemoProduct, ...] = (
    DemoProduct(
        "CASH12",
        "随借随还现金贷 12期",
        12,
        Decimal("0.18"),
        False,
        (3_000, 50_000, 500),
        _rules("0.18", late_fee="0.0005", cap={"kind": "lpr_multiple", "multiple": "4"}),
    ),
    DemoProduct(
        "CF24",
        "持牌消费金融分期 24期",
        24,
        Decimal("0.12"),
        True,
        (10_000, 200_000, 1_000),
        _rules("0.12", late_fee="0", cap={"kind": "annual_rate", "annual_rate": "0.24"}),
    ),
    DemoProduct(
        "SHOP6",
        "购物分期 6期",
        6,
        Decimal("0.15"),
        False,
        (1_000, 20_000, 100),
        _rules("0.15", late_fee="0.0005", cap={"kind": "lpr_multiple", "multiple": "4"}),
    ),
)
_PRODUCT_WEIGHTS = (50, 30, 20)


@dataclass
class DemoResult:
    tenant_id: int
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Pools:
    male_names: list[str]
    female_names: list[str]
    employers: list[str]
    streets: list[str]


def _pools(seed: int) -> _Pools:
    """Sample Faker once; the seeded generator then combines the pools (much faster than Faker per row)."""
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    return _Pools(
        male_names=[fake.name_male() for _ in range(1_500)],
        female_names=[fake.name_female() for _ in range(1_500)],
        employers=[fake.company() for _ in range(1_000)],
        streets=[fake.street_address() for _ in range(2_000)],
    )


def resident_id_check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of a resident ID (校验码)."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def schedule(principal_cents: int, annual_rate: Decimal, term: int, *, equal_principal: bool) -> list[tuple[int, int]]:
    """(principal, interest) per period in cents; principal adds up exactly, the remainder in the last."""
    monthly = annual_rate / 12
    rows: list[tuple[int, int]] = []
    balance = principal_cents
    if equal_principal:
        part = principal_cents // term
    else:
        factor = (1 + monthly) ** term
        part = int((Decimal(principal_cents) * monthly * factor / (factor - 1)).to_integral_value())
    for number in range(1, term + 1):
        interest = int((Decimal(balance) * monthly).to_integral_value())
        if number == term:
            principal = balance
        elif equal_principal:
            principal = part
        else:
            principal = min(balance, part - interest)
        rows.append((principal, interest))
        balance -= principal
    return rows


@dataclass
class _Ids:
    """Next primary key per table, computed once from the current maximum inside the transaction."""

    next: dict[str, int]

    @classmethod
    def load(cls, db_session: Session, tables: list[Table]) -> _Ids:
        return cls(
            {t.name: (db_session.scalar(select(t.c.id).order_by(t.c.id.desc()).limit(1)) or 0) + 1 for t in tables}
        )

    def take(self, table: Table) -> int:
        value = self.next[table.name]
        self.next[table.name] = value + 1
        return value


def _built_by_demo(db_session: Session, tenant_id: int) -> bool:
    """Only a tenant the demo generated may be wiped by ``--replace`` (its audit log says so)."""
    built = select(AuditRecord.id).where(AuditRecord.tenant_id == tenant_id, AuditRecord.action == "demo.generated")
    return db_session.scalar(built.limit(1)) is not None


def tenant_has_data(*, db_session: Session, tenant_code: str) -> bool:
    return db_session.scalar(select(Tenant.id).where(Tenant.code == tenant_code)) is not None


def delete_tenant_data(*, db_session: Session, tenant_id: int) -> None:
    """Delete everything a tenant owns, children first; the tenant row and the audit log stay."""
    for table in reversed(Base.metadata.sorted_tables):
        if table.name in ("tenants", "audit_log"):
            continue
        condition = _owned_by(table, tenant_id)
        if condition is not None:
            db_session.execute(delete(table).where(condition))


def _owned_by(table: Table, tenant_id: int) -> ColumnElement[bool] | None:
    if "tenant_id" in table.c:
        return table.c.tenant_id == tenant_id
    foreign_keys = sorted(table.foreign_keys, key=lambda fk: (fk.parent.nullable, fk.parent.name))
    for fk in foreign_keys:
        parent = fk.column.table
        if parent is table or not isinstance(parent, Table):
            continue
        condition = _owned_by(parent, tenant_id)
        if condition is not None:
            return fk.parent.in_(select(fk.column).where(condition))
    return None


def generate(
    *,
    db_session: Session,
    borrowers: int,
    seed: int,
    as_of: date,
    tenant_code: str = "demo",
    replace: bool = False,
    chunk_size: int = CHUNK_BORROWERS,
    progress: Callable[[int], None] | None = None,
    actor: str = "system:demo",
) -> DemoResult:
    """Build the demo portfolio of ``tenant_code``. Refuses an existing tenant unless ``replace``."""
    if borrowers < 1:
        raise InvalidInput("the demo needs at least one borrower", where="--borrowers")
    existing = db_session.scalar(select(Tenant).where(Tenant.code == tenant_code))
    if existing is not None and not replace:
        raise Conflict(
            f"tenant '{tenant_code}' already exists in this database",
            hint="add --replace to delete and rebuild its data",
        )
    if existing is not None:
        if not _built_by_demo(db_session, existing.id):
            raise Conflict(
                f"tenant '{tenant_code}' was not built by `arrears demo`: its data is not the demo's to delete",
                hint="give the demo a tenant code of its own with --tenant",
            )
        delete_tenant_data(db_session=db_session, tenant_id=existing.id)
        tenant = existing
    else:
        tenant = Tenant(code=tenant_code, name="示范消费金融有限公司", timezone="Asia/Shanghai")
        db_session.add(tenant)
        db_session.flush()

    rng = random.Random(seed)
    result = DemoResult(tenant_id=tenant.id)
    result.counts["users"] = _staff(db_session, tenant, rng)
    bucket_row = upsert_bucket_set(db_session=db_session, tenant_id=tenant.id, bucket_set=STANDARD_BUCKETS)
    product_rows: list[tuple[DemoProduct, int, int]] = []
    for spec in DEMO_PRODUCTS:
        product, version = products.upsert(
            db_session=db_session,
            tenant_id=tenant.id,
            code=spec.code,
            name=spec.name,
            rules=spec.rules,
            effective_from=add_months(as_of, -24),
            bucket_set_id=bucket_row.id,
        )
        product_rows.append((spec, product.id, version.id))
    db_session.flush()

    builder = _Builder(
        tenant_id=tenant.id,
        tenant_code=tenant_code,
        as_of=as_of,
        seed=seed,
        pools=_pools(seed),
        products=product_rows,
        ids=_Ids.load(
            db_session,
            [Borrower.__table__, ThirdParty.__table__, Loan.__table__],  # type: ignore[list-item]
        ),
        total=borrowers,
    )
    for start in range(0, borrowers, chunk_size):
        count = min(chunk_size, borrowers - start)
        chunk = builder.chunk(start, count)
        for table, rows in chunk.items():
            for part in _slices(rows, 5_000):
                db_session.execute(insert(table), part)
            result.counts[table.name] = result.counts.get(table.name, 0) + len(rows)
        if progress is not None:
            progress(count)
    audit.record(
        db_session=db_session,
        actor=actor,
        action="demo.replaced" if existing is not None else "demo.generated",
        subject_type="tenant",
        subject_id=tenant.id,
        tenant_id=tenant.id,
        details={"borrowers": borrowers, "seed": seed, "as_of": as_of.isoformat(), "counts": result.counts},
    )
    return result


def _slices(rows: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _staff(db_session: Session, tenant: Tenant, rng: random.Random) -> int:
    fake = Faker("zh_CN")
    fake.seed_instance(rng.randrange(2**32))
    teams: dict[str, Team] = {}
    for name in TEAMS:
        teams[name] = Team(tenant_id=tenant.id, name=name)
        db_session.add(teams[name])
    db_session.flush()
    plan: list[tuple[str, Role, int]] = [
        ("早期催收一组", Role.TEAM_LEAD, 1),
        ("早期催收一组", Role.COLLECTOR, 8),
        ("早期催收二组", Role.TEAM_LEAD, 1),
        ("早期催收二组", Role.COLLECTOR, 8),
        ("中期催收组", Role.TEAM_LEAD, 1),
        ("中期催收组", Role.COLLECTOR, 6),
        ("总部后期催收组", Role.TEAM_LEAD, 1),
        ("总部后期催收组", Role.COLLECTOR, 5),
        ("运营管理组", Role.APPROVER, 2),
        ("质检组", Role.COMPLIANCE, 3),
        ("运营管理组", Role.OPERATIONS, 2),
        ("运营管理组", Role.ADMIN, 1),
    ]
    number = 1000
    for team_name, role, count in plan:
        for _ in range(count):
            number += 1
            db_session.add(
                User(
                    tenant_id=tenant.id,
                    team_id=teams[team_name].id,
                    username=f"{tenant.code}.{role.value}.{number}",
                    display_name=fake.name(),
                    staff_number=f"CS{number}",
                    role=role,
                )
            )
    db_session.flush()
    return number - 1000


@dataclass
class _Builder:
    tenant_id: int
    tenant_code: str
    as_of: date
    seed: int
    pools: _Pools
    products: list[tuple[DemoProduct, int, int]]
    ids: _Ids
    total: int
    _behaviours: list[Behaviour] = field(default_factory=lambda: list(BEHAVIOUR_MIX))
    _weights: list[int] = field(default_factory=lambda: list(BEHAVIOUR_MIX.values()))

    def chunk(self, start: int, count: int) -> dict[Table, list[dict[str, Any]]]:
        # One generator per chunk, seeded from (seed, chunk start): the result does not depend on memory.
        rng = random.Random(f"{self.seed}:{start}")
        tables: dict[Table, list[dict[str, Any]]] = {
            Borrower.__table__: [],  # type: ignore[dict-item]
            ThirdParty.__table__: [],  # type: ignore[dict-item]
            ContactPoint.__table__: [],  # type: ignore[dict-item]
            Loan.__table__: [],  # type: ignore[dict-item]
            Installment.__table__: [],  # type: ignore[dict-item]
            Payment.__table__: [],  # type: ignore[dict-item]
            Case.__table__: [],  # type: ignore[dict-item]
        }
        for index in range(start, start + count):
            self._borrower(rng, index, tables)
        return tables

    # -- people ---------------------------------------------------------------------------

    def _identity(self, rng: random.Random, index: int) -> tuple[Region, date, int, Gender]:
        """A unique (region, birth date, sequence) from the borrower's index, scrambled by an affine permutation."""
        first = date(FIRST_BIRTH_YEAR, 1, 1)
        days = (date(LAST_BIRTH_YEAR, 12, 31) - first).days + 1
        space = len(REGIONS) * days * 500
        multiplier = 1_000_003  # prime, coprime with the space
        slot = (index * multiplier + self.seed * 7919) % space
        region = REGIONS[slot % len(REGIONS)]
        birth = first + timedelta(days=(slot // len(REGIONS)) % days)
        base = slot // (len(REGIONS) * days)  # 0..499
        gender = Gender.MALE if rng.random() < 0.55 else Gender.FEMALE
        sequence = base * 2 + (1 if gender is Gender.MALE else 0)  # 17th digit odd for men
        return region, birth, sequence, gender

    def _mobile(self, rng: random.Random) -> str:
        return f"+86{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"

    def _landline(self, rng: random.Random, region: Region) -> str:
        rest = 6 if region.area_code in SEVEN_DIGIT_AREAS else 7
        return f"+86{region.area_code}{rng.randint(2, 7)}{rng.randrange(10**rest):0{rest}d}"

    def _borrower(self, rng: random.Random, index: int, tables: dict[Table, list[dict[str, Any]]]) -> None:
        region, birth, sequence, gender = self._identity(rng, index)
        first17 = f"{region.code}{birth:%Y%m%d}{sequence:03d}"
        resident_id = first17 + resident_id_check_digit(first17)
        names = self.pools.male_names if gender is Gender.MALE else self.pools.female_names
        name = rng.choice(names)
        age = (self.as_of - birth).days // 365
        marital = rng.choices(
            [MaritalStatus.SINGLE, MaritalStatus.MARRIED, MaritalStatus.DIVORCED, MaritalStatus.WIDOWED],
            weights=[70, 25, 5, 0] if age < 28 else [20, 65, 13, 2],
        )[0]
        children = 0 if marital is MaritalStatus.SINGLE else rng.choices([0, 1, 2, 3], weights=[25, 50, 22, 3])[0]
        is_local = rng.random() < 0.6
        home = region if is_local else rng.choice(REGIONS)
        education = rng.choices(
            [Education.SECONDARY, Education.VOCATIONAL, Education.BACHELOR, Education.POSTGRADUATE],
            weights=[25, 35, 32, 8],
        )[0]
        income = int(rng.lognormvariate(8.9, 0.45)) // 100 * 100  # median about 7,300 yuan
        borrower_id = self.ids.take(Borrower.__table__)  # type: ignore[arg-type]
        tables[Borrower.__table__].append(  # type: ignore[index]
            {
                "id": borrower_id,
                "tenant_id": self.tenant_id,
                "external_id": f"CUST{index + 1:08d}",
                "name": name,
                "resident_id": resident_id,
                "gender": gender,
                "birth_date": birth,
                "marital_status": marital,
                "children": children,
                "owns_home": rng.random() < (0.55 if is_local else 0.2),
                "is_local": is_local,
                "employer": rng.choice(self.pools.employers) if rng.random() < 0.85 else None,
                "monthly_income": from_minor(max(income, 2_500) * 100),
                "education": education,
                "address": f"{home.place}{rng.choice(self.pools.streets)}",
                "timezone": home.timezone,
            }
        )
        contacts = tables[ContactPoint.__table__]  # type: ignore[index]

        def contact(value: str, channel: Channel, label: ContactLabel, primary: bool, party: int | None) -> None:
            contacts.append(
                {
                    "borrower_id": borrower_id,
                    "third_party_id": party,
                    "channel": channel,
                    "label": label,
                    "value": value,
                    "is_primary": primary,
                }
            )

        contact(self._mobile(rng), Channel.PHONE, ContactLabel.MOBILE, True, None)
        if rng.random() < 0.3:
            contact(self._landline(rng, home), Channel.PHONE, ContactLabel.HOME, False, None)
        if rng.random() < 0.4:
            contact(self._landline(rng, home), Channel.PHONE, ContactLabel.WORK, False, None)
        if rng.random() < 0.35:
            contact(
                f"u{rng.randrange(10**9)}@{rng.choice(EMAIL_DOMAINS)}", Channel.EMAIL, ContactLabel.OTHER, False, None
            )
        self._third_parties(rng, borrower_id, marital, tables, contact)
        self._loans(rng, index, borrower_id, tables)

    def _third_parties(
        self,
        rng: random.Random,
        borrower_id: int,
        marital: MaritalStatus,
        tables: dict[Table, list[dict[str, Any]]],
        contact: Callable[[str, Channel, ContactLabel, bool, int | None], None],
    ) -> None:
        relations = [Relation.PARENT, Relation.SIBLING, Relation.COLLEAGUE, Relation.FRIEND, Relation.GUARANTOR]
        weights = [30, 20, 20, 25, 5]
        if marital is MaritalStatus.MARRIED:
            relations.append(Relation.SPOUSE)
            weights.append(60)
        used: set[tuple[str, Relation]] = set()
        for _ in range(rng.choices([1, 2, 3], weights=[40, 40, 20])[0]):
            relation = rng.choices(relations, weights=weights)[0]
            if relation is Relation.SPOUSE:
                weights[relations.index(Relation.SPOUSE)] = 0
            pool = self.pools.male_names if rng.random() < 0.5 else self.pools.female_names
            name = rng.choice(pool)
            if (name, relation) in used:
                continue
            used.add((name, relation))
            party_id = self.ids.take(ThirdParty.__table__)  # type: ignore[arg-type]
            tables[ThirdParty.__table__].append(  # type: ignore[index]
                {
                    "id": party_id,
                    "borrower_id": borrower_id,
                    "name": name,
                    "relation": relation,
                    "knows_about_loan": relation is Relation.GUARANTOR or rng.random() < 0.1,
                }
            )
            contact(self._mobile(rng), Channel.PHONE, ContactLabel.MOBILE, True, party_id)

    # -- loans ----------------------------------------------------------------------------

    def _loans(
        self, rng: random.Random, index: int, borrower_id: int, tables: dict[Table, list[dict[str, Any]]]
    ) -> None:
        behaviour = rng.choices(self._behaviours, weights=self._weights)[0]
        first_missed: list[date] = []
        loan_count = 1 if rng.random() < 0.7 else 2
        for number in range(loan_count):
            # A second loan of a delinquent borrower is usually kept current: the first one tells the story.
            loan_behaviour = behaviour if number == 0 else rng.choice([Behaviour.ON_TIME, behaviour])
            missed = self._loan(rng, f"{index + 1:08d}{number + 1}", borrower_id, loan_behaviour, tables)
            if missed is not None:
                first_missed.append(missed)
        if first_missed:
            tables[Case.__table__].append(  # type: ignore[index]
                {
                    "tenant_id": self.tenant_id,
                    "borrower_id": borrower_id,
                    "status": CaseStatus.OPEN,
                    "opened_on": min(first_missed) + timedelta(days=1),
                }
            )

    def _loan(
        self,
        rng: random.Random,
        account: str,
        borrower_id: int,
        behaviour: Behaviour,
        tables: dict[Table, list[dict[str, Any]]],
    ) -> date | None:
        """Write one loan with its schedule and payments; return the first missed due date if overdue."""
        spec, product_id, version_id = rng.choices(self.products, weights=_PRODUCT_WEIGHTS)[0]
        low, high, step = spec.principal_range
        principal_cents = rng.randrange(low, high + 1, step) * 100
        missed_number: int | None = None
        if behaviour in _DPD_RANGES:
            low_dpd, high_dpd = _DPD_RANGES[behaviour]
            dpd = rng.randint(low_dpd, high_dpd)
            missed_due = self.as_of - timedelta(days=dpd)
            months_back_max = 18 - (dpd + 29) // 30
            first_allowed = 1 if dpd > 30 else 2
            missed_number = rng.randint(first_allowed, max(first_allowed, min(spec.term, months_back_max)))
            disbursed = add_months(missed_due, -missed_number)
        else:
            disbursed = self.as_of - timedelta(days=rng.randint(61, 548))
        plan = schedule(principal_cents, spec.annual_rate, spec.term, equal_principal=spec.equal_principal)
        loan_id = self.ids.take(Loan.__table__)  # type: ignore[arg-type]
        installments = tables[Installment.__table__]  # type: ignore[index]
        payments = tables[Payment.__table__]  # type: ignore[index]
        dues = [add_months(disbursed, number) for number in range(1, spec.term + 1)]
        for number, ((principal, interest), due) in enumerate(zip(plan, dues, strict=True), start=1):
            installments.append(
                {
                    "loan_id": loan_id,
                    "number": number,
                    "due_date": due,
                    "principal_due": from_minor(principal),
                    "interest_due": from_minor(interest),
                }
            )
        channel = rng.choice(PAYMENT_CHANNELS)
        payoff_at = rng.randint(1, spec.term - 1) if behaviour is Behaviour.PAID_EARLY else None
        status = LoanStatus.ACTIVE
        paid_through = 0
        for number, ((principal, interest), due) in enumerate(zip(plan, dues, strict=True), start=1):
            if due >= self.as_of or (missed_number is not None and number >= missed_number):
                break
            amount = principal + interest
            value_date = due - timedelta(days=rng.randint(0, 3))
            if behaviour is Behaviour.SOMETIMES_LATE and rng.random() < 0.25:
                late = rng.choice([1, 2, 3, 3, 5, 8, 12])
                if due + timedelta(days=late) < self.as_of:
                    value_date = due + timedelta(days=late)
                    if late > 3:  # past grace: round up to cover the late fee and penalty
                        amount += (amount * late // 1000 + principal * late // 500) // 100 * 100 + 100
            payments.append(self._payment(loan_id, account, f"{number:02d}", value_date, amount, channel))
            paid_through = number
            if payoff_at is not None and number >= payoff_at:
                payoff_date = min(due + timedelta(days=rng.randint(1, 25)), self.as_of - timedelta(days=1))
                rest = sum(part for part, _ in plan[number:])
                accrued = int(Decimal(rest) * spec.annual_rate / 365 * (payoff_date - due).days)
                payments.append(self._payment(loan_id, account, "PAYOFF", payoff_date, rest + accrued, channel))
                status = LoanStatus.CLOSED
                break
        if missed_number is not None:
            status = LoanStatus.OVERDUE
            if rng.random() < PARTIAL_PAYER_SHARE:
                principal, interest = plan[missed_number - 1]
                share = rng.randint(20, 70)
                paid_on = min(dues[missed_number - 1] + timedelta(days=rng.randint(1, 20)), self.as_of)
                payments.append(
                    self._payment(loan_id, account, "PART", paid_on, (principal + interest) * share // 100, channel)
                )
        elif paid_through == spec.term:
            status = LoanStatus.CLOSED
        tables[Loan.__table__].append(  # type: ignore[index]
            {
                "id": loan_id,
                "tenant_id": self.tenant_id,
                "borrower_id": borrower_id,
                "product_id": product_id,
                "rule_version_id": version_id,
                "account_number": f"LN{account}",
                "principal": from_minor(principal_cents),
                "annual_interest_rate": spec.annual_rate,
                "contract_date": disbursed,
                "disbursed_on": disbursed,
                "status": status,
            }
        )
        return dues[missed_number - 1] if missed_number is not None else None

    def _payment(
        self, loan_id: int, account: str, suffix: str, value_date: date, cents: int, channel: str
    ) -> dict[str, Any]:
        return {
            "loan_id": loan_id,
            "reference": f"PAY{account}{suffix}",
            "value_date": value_date,
            "amount": from_minor(cents),
            "channel": channel,
        }
