"""``arrears token``: the secret is printed once and works, a revoked token stops working, the list shows both."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from arrears.web import tokens
from arrears.web.models import ApiToken
from tests.arrears_cli import Completed, run_arrears


def _run(data_dir: Path, *args: str) -> Completed:
    return run_arrears(*args, env={"ARREARS_DATA_DIR": str(data_dir)})


def test_issue_list_and_revoke_from_the_command_line(data_dir: Path) -> None:
    url = f"sqlite:///{data_dir}/arrears.sqlite3"
    assert _run(data_dir, "tenant", "create", "acme").returncode == 0

    issued = _run(
        data_dir,
        "token",
        "issue",
        "--tenant",
        "acme",
        "--name",
        "crm",
        "--scope",
        "lint",
        "--scope",
        "scripts:classify",
    )
    assert issued.returncode == 0, issued.stderr
    secret = issued.stdout.strip()
    assert len(secret) >= 43 and "\n" not in secret
    assert "shown only now" in issued.stderr

    engine = create_engine(url)
    with Session(engine) as db_session:
        stored = db_session.scalars(select(ApiToken)).one()
        assert stored.token_hash == tokens.hash_secret(secret) != secret
        assert stored.prefix == secret[:8]
        assert stored.scopes == ["lint", "scripts:classify"]
        assert tokens.authenticate(db_session=db_session, presented=secret).id == stored.id

    listed = _run(data_dir, "token", "list", "--tenant", "acme")
    assert listed.returncode == 0
    assert f"{stored.id}\t{secret[:8]}…\tcrm\tlint,scripts:classify" in listed.stdout
    assert secret not in listed.stdout
    assert "active" in listed.stdout

    assert _run(data_dir, "token", "revoke", str(stored.id)).returncode == 0
    again = _run(data_dir, "token", "revoke", str(stored.id))
    assert again.returncode == 5 and "already revoked" in again.stderr
    assert "revoked 20" in _run(data_dir, "token", "list", "--tenant", "acme").stdout
    missing = _run(data_dir, "token", "revoke", "999")
    assert missing.returncode == 4 and len(missing.stderr.strip().splitlines()) == 1
    engine.dispose()


def test_an_unknown_scope_is_one_line_and_exit_2(data_dir: Path) -> None:
    _run(data_dir, "tenant", "create", "acme")
    result = _run(data_dir, "token", "issue", "--tenant", "acme", "--name", "crm", "--scope", "admin")
    assert result.returncode == 2
    assert "unknown scope 'admin'" in result.stderr
    assert "Traceback" not in result.stderr
