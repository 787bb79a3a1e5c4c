"""The installed ``arrears`` script, run as a real process: it starts, and bad input ends it with one line.

The other CLI tests call the same entry point in process (tests/arrears_cli.py) because a process per call
costs seconds; these keep the one thing only a process proves: the console script pip installed works.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ARREARS = Path(sys.executable).with_name("arrears")


def _arrears(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ARREARS), *args],
        capture_output=True,
        text=True,
        env={"ARREARS_DATA_DIR": str(data_dir), "PATH": "/usr/bin:/bin"},
        check=False,
        timeout=120,
    )


def test_the_installed_script_starts_and_lists_its_commands(tmp_path: Path) -> None:
    done = _arrears(tmp_path, "--help")
    assert done.returncode == 0, done.stderr
    assert all(command in done.stdout for command in ("tenant", "import", "run", "serve"))


def test_the_installed_script_ends_bad_input_with_one_line_and_its_exit_code(tmp_path: Path) -> None:
    done = _arrears(tmp_path, "summary", "--tenant", "demo")
    assert done.returncode == 6
    assert done.stderr.strip() == "error: the database has no Arrears schema yet (run `arrears db upgrade` first)"
    assert done.stdout == ""
