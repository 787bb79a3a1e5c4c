"""``arrears policy`` from the terminal: exit codes, one-line errors, explain on a real case."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from arrears.db.session import create_db_engine
from arrears.strategy.enums import Arm
from tests.arrears_cli import Completed, run_arrears
from tests.factories import Factories
from tests.strategy.test_arms import END, START, action, case_in_arm
from tests.strategy.test_policy_service import AS_OF, case_at

POLICIES = Path(__file__).parents[2] / "src" / "arrears" / "strategy" / "policies"
Run = Callable[..., Completed]


@pytest.fixture
def run(data_dir: Path) -> Run:
    def invoke(*args: str) -> Completed:
        return run_arrears("policy", *args, env={"ARREARS_DATA_DIR": str(data_dir)})

    return invoke


def test_validate_prints_the_states_and_exits_0(run: Run) -> None:
    result = run("validate", str(POLICIES / "consumer-cn.yaml"))
    assert result.returncode == 0, result.stderr
    assert "policy consumer-cn version 1" in result.stdout
    assert "challenger consumer-cn-firm on 20% of cases" in result.stdout
    assert "legal_review" in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("code: [x\n", "line 2: not valid YAML"),
        ("- a\n", "a policy must be a mapping"),
        ("\udcff", "is not UTF-8 text"),
        (
            (POLICIES / "consumer-cn.yaml").read_text(encoding="utf-8").replace("stage: 3", "stage: 2"),
            "escalates to 'late' (stage 2), which is not higher",
        ),
    ],
)
def test_validate_refuses_a_bad_file_with_one_line_and_exit_2(
    run: Run, tmp_path: Path, content: str, message: str
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(content.encode("utf-8", errors="surrogateescape"))
    result = run("validate", str(bad))
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_validate_a_missing_file_exits_2(run: Run, tmp_path: Path) -> None:
    result = run("validate", str(tmp_path / "absent.yaml"))
    assert (result.returncode, "no such file" in result.stderr) == (2, True)


def _seed_case(tmp_path: Path, tenant_code: str, dpd: int) -> int:
    engine = create_db_engine(f"sqlite:///{tmp_path}/arrears.sqlite3")
    try:
        with Session(engine) as db_session, db_session.begin():
            factories = Factories(db_session)
            return case_at(factories, dpd=dpd, tenant=factories.tenant(tenant_code)).id
    finally:
        engine.dispose()


def test_explain_a_case_in_both_languages_and_as_json(run: Run, tmp_path: Path) -> None:
    case_id = _seed_case(tmp_path, "acme", dpd=8)
    english = run("explain", "--case", str(case_id), "--as-of", AS_OF.isoformat(), "--lang", "en")
    assert english.returncode == 0, english.stderr
    assert "bundled sample consumer-cn" in english.stdout
    assert "state middle" in english.stdout
    assert "dpd_at_least wants ≥ 11, is 8" in english.stdout
    chinese = run("explain", "--case", str(case_id), "--as-of", AS_OF.isoformat(), "--tenant", "acme")
    assert "依次检查的状态" in chinese.stdout
    as_json = run("explain", "--case", str(case_id), "--as-of", AS_OF.isoformat(), "--json")
    data = json.loads(as_json.stdout)
    assert data["decision"]["state"] == "middle"
    assert data["facts"]["days_past_due"] == 8
    assert data["arm"] in {"champion", "challenger"}


def test_load_then_explain_with_the_tenants_policy(run: Run, tmp_path: Path) -> None:
    case_id = _seed_case(tmp_path, "acme", dpd=20)
    assert run("load", str(POLICIES / "consumer-cn.yaml"), "--tenant", "acme").returncode == 5  # challenger first
    first = run("load", str(POLICIES / "consumer-cn-firm.yaml"), "--tenant", "acme")
    assert "loaded as version 1" in first.stdout
    again = run("load", str(POLICIES / "consumer-cn-firm.yaml"), "--tenant", "acme")
    assert "unchanged at version 1" in again.stdout
    assert run("load", str(POLICIES / "consumer-cn.yaml"), "--tenant", "acme").returncode == 0
    result = run("explain", "--case", str(case_id), "--as-of", AS_OF.isoformat(), "--json")
    data = json.loads(result.stdout)
    assert (data["source"], data["decision"]["state"]) == ("tenant", "late")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--case", "999999", "--as-of", "2026-03-10"), 4, "no case 999999"),
        (("--case", "1", "--as-of", "10/03/2026"), 2, "is not a date"),
        (("--case", "1", "--lang", "fr"), 2, "unknown language"),
    ],
)
def test_explain_errors_are_one_line(run: Run, args: tuple[str, ...], code: int, message: str) -> None:
    result = run("explain", *args)
    assert result.returncode == code
    assert message in result.stderr


def _seed_arms(tmp_path: Path) -> None:
    """acme in March: two champion cases, one of which paid and has one action; one challenger case."""
    engine = create_db_engine(f"sqlite:///{tmp_path}/arrears.sqlite3")
    try:
        with Session(engine) as db_session, db_session.begin():
            factories = Factories(db_session)
            tenant = factories.tenant("acme")
            loans = [factories.loan(tenant=tenant) for _ in range(3)]
            cases = [
                case_in_arm(db_session, factories, loan, arm)
                for loan, arm in zip(loans, (Arm.CHAMPION, Arm.CHAMPION, Arm.CHALLENGER), strict=True)
            ]
            factories.payment(loans[0], "100.00", START)
            action(db_session, cases[0], Arm.CHAMPION, END)
    finally:
        engine.dispose()


def test_compare_prints_rates_and_cost_per_arm(run: Run, tmp_path: Path) -> None:
    _seed_arms(tmp_path)
    period = ("--tenant", "acme", "--from", START.isoformat(), "--to", END.isoformat())

    data = json.loads(run("compare", *period, "--json").stdout)
    table = run("compare", *period)

    assert data["cases"] == {"champion": 2, "challenger": 1}
    assert data["outcomes"]["recovered"]["champion"] == [1, 2, 0.5]
    assert data["outcomes"]["recovered"]["challenger"] == [0, 1, 0.0]
    assert data["actions_per_case"] == {"champion": 0.5, "challenger": 0.0}
    assert table.returncode == 0, table.stderr
    assert "50.0% of 2" in table.stdout
    assert "actions per case: champion 0.50, challenger 0.00" in table.stdout


def test_compare_refuses_a_period_that_ends_before_it_starts(run: Run, tmp_path: Path) -> None:
    _seed_arms(tmp_path)
    result = run("compare", "--tenant", "acme", "--from", END.isoformat(), "--to", START.isoformat())
    assert result.returncode == 2
    assert "--to" in result.stderr and "before it starts" in result.stderr
    assert "Traceback" not in result.stderr
