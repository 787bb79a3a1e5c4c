"""``arrears scripts`` library commands from the terminal: seed, list, show, render, import, approve, export."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from arrears.cases.models import Case
from arrears.db.session import create_db_engine
from arrears.org import service as tenants
from arrears.org.enums import Role
from arrears.org.models import User
from arrears.portfolio.models import Borrower
from tests.arrears_cli import Completed, run_arrears

Run = Completed
Invoke = Callable[..., Run]


@pytest.fixture
def run(data_dir: Path) -> Invoke:
    def invoke(*args: str) -> Run:
        return run_arrears("scripts", *args, env={"ARREARS_DATA_DIR": str(data_dir)})

    return invoke


def _people(tmp_path: Path) -> int:
    engine = create_db_engine(f"sqlite:///{tmp_path}/arrears.sqlite3")
    with Session(engine) as db_session, db_session.begin():
        tenant = tenants.get_or_create(db_session=db_session, code="acme")
        for name, role in (("maker", Role.COMPLIANCE), ("checker", Role.COMPLIANCE), ("agent", Role.COLLECTOR)):
            db_session.add(
                User(tenant_id=tenant.id, username=name, display_name=name, staff_number=name.upper(), role=role)
            )
        borrower = Borrower(tenant_id=tenant.id, external_id="C1", name="张伟")
        db_session.add(borrower)
        db_session.flush()
        case = Case(tenant_id=tenant.id, borrower_id=borrower.id, opened_on=date(2026, 3, 1))
        db_session.add(case)
        db_session.flush()
        case_id = case.id
    engine.dispose()
    return case_id


def test_seed_import_approve_render_and_export(run: Invoke, tmp_path: Path) -> None:
    invoke = run
    case_id = _people(tmp_path)
    assert "seeded 110 script(s), 0 unchanged" in invoke("seed").stdout
    listed = invoke("list", "--objection", "wrong_person", "--party", "third_party").stdout
    assert "any/third_party/verify_identity/-/wrong_person\tv1\tapproved" in listed
    mine = tmp_path / "mine.yaml"
    mine.write_text(
        "scripts:\n  - key: early/debtor/close/-/-\n    texts:\n      zh-CN: '{{ addressee }}，谢谢，再见。'\n",
        encoding="utf-8",
    )
    assert (
        "saved 1 draft(s)" in invoke("import", str(mine), "--author", "maker", "--effective-from", "2026-03-01").stdout
    )
    script_id = invoke("list", "--tenant", "acme").stdout.split("\t")[0]
    refused = invoke("approve", script_id, "--by", "maker")
    assert refused.returncode == 2
    assert "cannot also approve" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert invoke("approve", script_id, "--by", "checker").returncode == 0
    rendered = invoke(
        "render", "early/debtor/close/-/-", "--case", str(case_id), "--collector", "agent", "--as-of", "2026-03-05"
    )
    assert rendered.stdout.strip() == "张伟，谢谢，再见。"
    english = invoke(
        "render", "early/debtor/introduce/-/-", "--case", str(case_id), "--collector", "agent", "--locale", "en"
    )
    assert "staff number AGENT" in english.stdout
    assert "early/debtor/close/-/-" in invoke("export", "--tenant", "acme").stdout
    shown = invoke("show", "early/debtor/close/-/-", "--tenant", "acme").stdout
    assert "approved by checker" in shown


def test_a_bad_key_is_one_line_and_exit_2(run: Invoke, tmp_path: Path) -> None:
    done = run("show", "early/debtor/shout/-/-")
    assert done.returncode == 2
    assert "unknown step 'shout'" in done.stderr
