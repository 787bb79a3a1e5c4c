"""The installed ``arrears`` script as a real process: it starts, and bad input ends it with one line.

The other CLI tests call the same entry point in process (tests/arrears_cli.py) because a process per call
costs seconds; this keeps what only a process proves: the console script pip installed works.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ARREARS = Path(sys.executable).with_name("arrears")


def test_the_installed_script_starts_and_ends_bad_input_with_one_line_and_its_exit_code(tmp_path: Path) -> None:
    """One process, as each costs seconds: it parses its arguments, reads its settings, opens the database."""
    done = subprocess.run(
        [str(ARREARS), "summary", "--tenant", "demo"],
        capture_output=True,
        text=True,
        env={"ARREARS_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        check=False,
        timeout=120,
    )
    assert done.returncode == 6
    assert done.stderr.strip() == "error: the database has no Arrears schema yet (run `arrears db upgrade` first)"
    assert done.stdout == ""
