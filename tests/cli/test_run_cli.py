"""``arrears run`` from the command line: a day that has not ended is refused in one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from arrears.db.migrate import upgrade


def test_the_run_refuses_a_day_that_has_not_ended(tmp_path: Path) -> None:
    upgrade(f"sqlite:///{tmp_path}/arrears.sqlite3")
    done = subprocess.run(
        [sys.executable, "-m", "arrears.cli.main", "run", "--as-of", "2999-01-01", "--tenant", "acme"],
        capture_output=True,
        text=True,
        env={"ARREARS_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 2
    assert "has not ended yet" in done.stderr and "Traceback" not in done.stderr
