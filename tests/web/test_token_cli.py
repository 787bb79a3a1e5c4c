"""``arrears token``: the secret is printed once and works, a revoked token stops working, the list shows both."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from arrears.db.migrate import upgrade
from arrears.web import tokens
from arrears.web.models import ApiToken


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "arrears.cli.main", *args],
        capture_output=True,
        text=True,
        env={"ARREARS_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        check=False,
    )


def test_issue_list_and_revoke_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/arrears.sqlite3"
    upgrade(url)
    assert _run(tmp_path, "tenant", "create", "acme").returncode == 0

    issued = _run(
        tmp_path,
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

    listed = _run(tmp_path, "token", "list", "--tenant", "acme")
    assert listed.returncode == 0
    assert f"{stored.id}\t{secret[:8]}…\tcrm\tlint,scripts:classify" in listed.stdout
    assert secret not in listed.stdout
    assert "active" in listed.stdout

    assert _run(tmp_path, "token", "revoke", str(stored.id)).returncode == 0
    again = _run(tmp_path, "token", "revoke", str(stored.id))
    assert again.returncode == 5 and "already revoked" in again.stderr
    assert "revoked 20" in _run(tmp_path, "token", "list", "--tenant", "acme").stdout
    missing = _run(tmp_path, "token", "revoke", "999")
    assert missing.returncode == 4 and len(missing.stderr.strip().splitlines()) == 1
    engine.dispose()


def test_an_unknown_scope_is_one_line_and_exit_2(tmp_path: Path) -> None:
    upgrade(f"sqlite:///{tmp_path}/arrears.sqlite3")
    _run(tmp_path, "tenant", "create", "acme")
    result = _run(tmp_path, "token", "issue", "--tenant", "acme", "--name", "crm", "--scope", "admin")
    assert result.returncode == 2
    assert "unknown scope 'admin'" in result.stderr
    assert "Traceback" not in result.stderr
